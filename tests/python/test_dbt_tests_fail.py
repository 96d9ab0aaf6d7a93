"""The project's singular tests (tests/dbt) can fail: each goes red on a wrong row, and on an
empty mart.

Each case copies the session's warehouse file (conftest.py `pipeline_run`) to a scratch path,
changes marts in the copy with plain DuckDB, then runs `dbt test --select` over the copy with
its own target and log folders, and reads dbt's run_results.json: a mutation of one row must
make the test return exactly the rows it damaged. The three cases are batched so each runs dbt
once: the tests selected together read disjoint marts, so one test's mutation cannot turn
another red. The same session run passed every one of them (checked first).
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from jhu_warehouse.config import PROJECT_DIR

pytestmark = pytest.mark.e2e

DBT = str(Path(sys.executable).with_name("dbt"))
WORLD = "assert_world_equals_sum_of_files"
PROVINCES = "assert_provinces_add_up_to_countries"
COUNTIES = "assert_us_counties_add_up_to_states"
RECOVERED = "assert_recovered_unknown_after_reporting_stopped"
DAILY_PROVINCES = "assert_daily_report_provinces_add_up_to_countries"
LAST_US_REPORT = "assert_last_us_report_equals_final_us_time_series"
SINGULAR = {WORLD, PROVINCES, COUNTIES, RECOVERED, DAILY_PROVINCES, LAST_US_REPORT}
RECOVERED_FILE = "time_series_covid19_recovered_global.csv"


def singular_tests_on_disk() -> set[str]:
    return {
        p.stem for p in (PROJECT_DIR / "tests" / "dbt").rglob("*.sql") if "generic" not in p.parts
    }


def scratch_warehouse(pipeline_run, folder: Path, mutations: list[str]) -> Path:
    """A copy of the session's warehouse with `mutations` applied; each must change rows."""
    folder.mkdir(parents=True)
    copy = folder / "jhu_covid.duckdb"
    shutil.copyfile(pipeline_run.duckdb_path, copy)
    with duckdb.connect(str(copy)) as con:
        for sql in mutations:
            (changed,) = con.execute(sql).fetchone()
            assert changed > 0, f"the mutation changed nothing: {sql}"
    return copy


def zeroed_recovered_lake(pipeline_run, folder: Path) -> Path:
    """A copy of the run's raw files where every recovered count is 0 (no reporting at all)."""
    raw = folder / "raw" / "jhu"
    shutil.copytree(pipeline_run.lake_root / "raw" / "jhu", raw)
    with (raw / RECOVERED_FILE).open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    first_date = next(i for i, h in enumerate(rows[0]) if h.count("/") == 2)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(rows[0])
    writer.writerows(row[:first_date] + ["0"] * (len(row) - first_date) for row in rows[1:])
    (raw / RECOVERED_FILE).write_text(out.getvalue(), encoding="utf-8")
    return folder


def dbt_test(
    pipeline_run, warehouse: Path, tests: set[str], lake: Path | None = None
) -> dict[str, tuple[str, int]]:
    """`dbt test --select` the named tests over `warehouse`: {name: (status, failing rows)}."""
    base = warehouse.parent
    inherited = {k: v for k, v in os.environ.items() if not k.startswith(("JHU_", "DBT_"))}
    env = {
        **inherited,
        **pipeline_run.environ,
        "JHU_DUCKDB": str(warehouse),
        "DBT_TARGET_PATH": str(base / "target"),
        "DBT_LOG_PATH": str(base / "logs"),
    }
    if lake is not None:
        env["JHU_LAKE"] = str(lake)
    command = [DBT, "test", "--select", *sorted(tests)]
    done = subprocess.run(
        command, cwd=PROJECT_DIR, env=env, capture_output=True, text=True, timeout=600, check=False
    )
    results_file = base / "target" / "run_results.json"
    if not results_file.is_file():
        pytest.fail(
            f"dbt test wrote no run_results.json ({done.returncode}):\n{done.stdout[-3000:]}"
        )
    results = json.loads(results_file.read_text())["results"]
    got = {
        r["unique_id"].split(".")[-1]: (r["status"], r["failures"])
        for r in results
        if r["unique_id"].startswith("test.")  # not the on-run-start hook
    }
    assert set(got) == tests, done.stdout[-3000:]
    assert (done.returncode != 0) == any(s != "pass" for s, _ in got.values()), done.stdout[-3000:]
    return got


def test_every_singular_test_is_proven_here_and_passed_in_the_session_run(pipeline_run):
    assert singular_tests_on_disk() == SINGULAR, "a singular test without a mutation below"
    passed = {
        node.name
        for node in pipeline_run.report.build.nodes
        if node.resource_type == "test" and node.status == "pass"
    }
    assert passed >= SINGULAR


def test_each_singular_test_returns_exactly_the_row_broken_for_it(pipeline_run, tmp_path):
    """One wrong row per test, in marts no other selected test reads; the recovered test gets
    a lake where recovered was never reported, which it must refuse rather than pass."""
    warehouse = scratch_warehouse(
        pipeline_run,
        tmp_path / "one_row",
        [
            # the world's deaths one too many on one date
            "update marts.fct_global_daily set cumulative_deaths = cumulative_deaths + 1 "
            "where report_date = date '2021-01-01'",
            # a country-date gone from the country mart
            "delete from marts.fct_country_daily "
            "where country_region = 'Canada' and report_date = date '2020-06-29'",
            # a state one case short on one date
            "update marts.fct_us_state_daily set cumulative_confirmed = cumulative_confirmed - 1 "
            "where state_name = 'Ohio' and report_date = date '2020-12-30'",
            # one province of a daily report one death too many
            "update marts.fct_subnational_daily set cumulative_deaths = cumulative_deaths + 1 "
            "where rowid = (select min(rowid) from marts.fct_subnational_daily "
            "where cumulative_deaths is not null)",
            # the final US time series one death off on the last day
            "update intermediate.int_country_daily_aggregated "
            "set cumulative_deaths = cumulative_deaths + 1 "
            "where country_region = 'US' and report_date = date '2023-03-09'",
        ],
    )
    lake = zeroed_recovered_lake(pipeline_run, tmp_path / "lake_without_recovered")
    got = dbt_test(pipeline_run, warehouse, SINGULAR, lake=lake)
    assert got == {name: ("fail", 1) for name in SINGULAR}


def test_the_recovered_test_returns_recovered_counts_that_should_be_unknown(pipeline_run, tmp_path):
    warehouse = scratch_warehouse(
        pipeline_run,
        tmp_path / "recovered",
        [
            # a country with a recovered count after reporting stopped everywhere (8/4/21)
            "update marts.fct_country_daily set cumulative_recovered = 0 "
            "where country_region = 'Italy' and report_date = date '2022-01-03'",
            # the US after its own last date above 0 (December 2020), before the world's end
            "update marts.fct_country_daily set cumulative_recovered = 5 "
            "where country_region = 'US' and report_date = date '2021-03-01'",
            # the world's total unknown on the last reported date
            "update marts.fct_global_daily set cumulative_recovered = null "
            "where report_date = date '2021-08-04'",
        ],
    )
    assert dbt_test(pipeline_run, warehouse, {RECOVERED}) == {RECOVERED: ("fail", 3)}


def test_no_singular_test_passes_on_empty_marts(pipeline_run, tmp_path):
    warehouse = scratch_warehouse(
        pipeline_run,
        tmp_path / "empty",
        [
            "delete from marts.fct_global_daily",
            "delete from marts.fct_country_daily",
            "delete from marts.fct_us_state_daily",
            "delete from marts.fct_subnational_daily",
            "delete from intermediate.int_country_daily_aggregated",
        ],
    )
    got = dbt_test(pipeline_run, warehouse, SINGULAR)
    assert {name: status for name, (status, _) in got.items()} == dict.fromkeys(SINGULAR, "fail")
    assert all(rows > 0 for _, rows in got.values())
