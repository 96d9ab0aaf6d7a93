"""The whole pipeline on the real JHU files: the marts' figures against the raw files.

Expected figures are computed here from the raw CSVs with the csv module, independently of the
loader, dbt and DuckDB: the sum of a file's rows in a date column, overall, per Country/Region or
per Province_State. The pipeline itself runs once per session (conftest.py `pipeline_run`).
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
from collections import defaultdict
from datetime import date
from pathlib import Path

import duckdb
import pytest
import yaml

from fixtures import CONTRACT_MARTS
from jhu_warehouse import cli
from jhu_warehouse.config import PROJECT_DIR
from jhu_warehouse.lake import MARTS_MANIFEST, RAW_MANIFEST

pytestmark = pytest.mark.e2e

DATE_HEADER = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{2})$")


def parse_jhu_date(header: str) -> date:
    month, day, year = DATE_HEADER.fullmatch(header).groups()
    return date(2000 + int(year), int(month), int(day))


class RawFile:
    """A JHU time-series file read with the csv module: id columns, then one column per date."""

    def __init__(self, path: Path) -> None:
        with path.open(newline="", encoding="utf-8") as handle:
            reader = csv.reader(handle)
            self.header = next(reader)
            self.rows = list(reader)
        self.dates = [h for h in self.header if DATE_HEADER.fullmatch(h)]
        assert self.dates, path

    @property
    def last_date(self) -> str:
        return self.dates[-1]

    def sums(self, date_header: str, by: str | None = None) -> dict[str | None, int]:
        """Sum of the column `date_header`, overall (key None) or per value of column `by`."""
        column = self.header.index(date_header)
        group = self.header.index(by) if by else None
        totals: dict[str | None, int] = defaultdict(int)
        for row in self.rows:
            cell = row[column]
            totals[row[group] if group is not None else None] += int(float(cell)) if cell else 0
        return dict(totals)

    def total(self, date_header: str) -> int:
        return self.sums(date_header)[None]


def raw(pipeline_run, name: str) -> RawFile:
    return RawFile(pipeline_run.source / f"time_series_covid19_{name}.csv")


def query(pipeline_run, sql: str, params: list | None = None) -> list[tuple]:
    with pipeline_run.connect() as con:
        return con.execute(sql, params or []).fetchall()


# ------------------------------------------------------------------------------- world


@pytest.mark.parametrize("series", ["confirmed", "deaths"])
def test_world_totals_on_the_last_day_match_the_raw_files(pipeline_run, series):
    source = raw(pipeline_run, f"{series}_global")
    last = source.last_date

    rows = query(
        pipeline_run,
        f"select report_date, cumulative_{series} from marts.fct_global_daily "
        "order by report_date desc limit 1",
    )
    assert rows == [(parse_jhu_date(last), source.total(last))]


def test_world_recovered_is_the_raw_total_until_reporting_stopped_then_null(pipeline_run):
    source = raw(pipeline_run, "recovered_global")
    reported = [d for d in source.dates if source.total(d) > 0]
    last_reported = reported[-1]
    after = source.dates[source.dates.index(last_reported) + 1]

    rows = dict(
        query(
            pipeline_run,
            "select report_date, cumulative_recovered from marts.fct_global_daily "
            "where report_date in (?, ?, ?)",
            [parse_jhu_date(d) for d in (last_reported, after, source.last_date)],
        )
    )
    assert rows[parse_jhu_date(last_reported)] == source.total(last_reported)
    assert rows[parse_jhu_date(after)] is None
    assert rows[parse_jhu_date(source.last_date)] is None


# ------------------------------------------------------------------------------- countries


@pytest.mark.parametrize("series", ["confirmed", "deaths"])
def test_each_country_on_the_last_day_matches_the_raw_files(pipeline_run, series):
    source = raw(pipeline_run, f"{series}_global")
    expected = source.sums(source.last_date, by="Country/Region")

    got = dict(
        query(
            pipeline_run,
            f"select country_region, cumulative_{series} from marts.fct_country_daily "
            "where report_date = ?",
            [parse_jhu_date(source.last_date)],
        )
    )
    assert got == expected


def test_each_country_recovered_on_the_last_reported_day_matches_the_raw_file(pipeline_run):
    source = raw(pipeline_run, "recovered_global")
    last_reported = [d for d in source.dates if source.total(d) > 0][-1]
    expected = source.sums(last_reported, by="Country/Region")

    got = dict(
        query(
            pipeline_run,
            "select country_region, cumulative_recovered from marts.fct_country_daily "
            "where report_date = ?",
            [parse_jhu_date(last_reported)],
        )
    )
    assert set(expected) <= set(got)
    for country, total in expected.items():
        if total > 0:
            assert got[country] == total, country
        else:  # a country that had stopped reporting: unknown (NULL), or JHU's 0
            assert got[country] in (0, None), country


# ------------------------------------------------------------------------------- US states


@pytest.mark.parametrize("series", ["confirmed", "deaths"])
def test_each_us_state_on_the_files_last_day_matches_the_raw_files(pipeline_run, series):
    source = raw(pipeline_run, f"{series}_US")
    expected = source.sums(source.last_date, by="Province_State")

    got = dict(
        query(
            pipeline_run,
            f"select state_name, cumulative_{series} from marts.fct_us_state_daily "
            "where report_date = ?",
            [parse_jhu_date(source.last_date)],
        )
    )
    assert got == expected


def test_the_us_marts_keep_every_day_either_series_has(pipeline_run):
    confirmed, deaths = raw(pipeline_run, "confirmed_US"), raw(pipeline_run, "deaths_US")
    last_days = {parse_jhu_date(confirmed.last_date), parse_jhu_date(deaths.last_date)}
    assert len(last_days) == 2, "the shared US files end on different dates"

    for mart in ("fct_us_state_daily", "fct_us_county_daily"):
        ((first, last),) = query(
            pipeline_run, f"select min(report_date), max(report_date) from marts.{mart}"
        )
        assert first == parse_jhu_date(confirmed.dates[0])
        assert last == max(last_days), mart
    # after its file ends, a series is unknown (NULL), not zero
    after_confirmed = query(
        pipeline_run,
        "select count(*), count(cumulative_confirmed) from marts.fct_us_state_daily "
        "where report_date = ?",
        [parse_jhu_date(deaths.last_date)],
    )
    assert after_confirmed == [(len(deaths.sums(deaths.last_date, by="Province_State")), 0)]


# ------------------------------------------------------------------------------- the lake


def lake_manifest(pipeline_run) -> dict:
    return json.loads((pipeline_run.lake_root / MARTS_MANIFEST).read_bytes())


def test_every_mart_is_in_the_lake_and_its_parquet_matches_the_warehouse(pipeline_run):
    manifest = lake_manifest(pipeline_run)
    tables = {
        name
        for (name,) in query(
            pipeline_run,
            "select table_name from information_schema.tables where table_schema = 'marts'",
        )
    }
    assert set(manifest["marts"]) >= CONTRACT_MARTS
    assert set(manifest["marts"]) == tables
    assert manifest["dbt_invocation_id"] == pipeline_run.report.build.invocation_id

    with pipeline_run.connect() as con:
        for name, entry in manifest["marts"].items():
            path = pipeline_run.lake_root / entry["file"]
            assert hashlib.sha256(path.read_bytes()).hexdigest() == entry["sha256"], name
            parquet = f"read_parquet('{path.as_posix()}')"
            # same row count and no Parquet row missing from the table (as multisets): equal
            (rows,) = con.execute(f"select count(*) from marts.{name}").fetchone()
            (parquet_rows,) = con.execute(f"select count(*) from {parquet}").fetchone()
            assert entry["rows"] == parquet_rows == rows > 0, name
            (extra,) = con.execute(
                f"select count(*) from (select * from {parquet} except all "
                f"select * from marts.{name})"
            ).fetchone()
            assert extra == 0, name
            types = con.execute(f"describe select * from marts.{name}").fetchall()
            assert [[c["name"], c["type"]] for c in entry["columns"]] == [
                [column, type_] for column, type_, *_ in types
            ], name
            codecs = {
                codec
                for (codec,) in con.execute(
                    f"select compression from parquet_metadata('{path}')"
                ).fetchall()
            }
            assert codecs == {"ZSTD"}, name


def lake_snapshot(root: Path) -> dict[str, tuple[int, str]]:
    """Every object of the lake: modification time and sha256."""
    return {
        p.relative_to(root).as_posix(): (
            p.stat().st_mtime_ns,
            hashlib.sha256(p.read_bytes()).hexdigest(),
        )
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_the_session_run_passed_every_unit_test_of_the_project(pipeline_run):
    """The session's run asks for the unit tests (`--unit-tests`); each one in the yml files
    ran and passed (a default `jhu run` leaves them out, as the next test's run does)."""
    defined = {
        (test["model"], test["name"])
        for path in (PROJECT_DIR / "models").rglob("*.yml")
        for test in (yaml.safe_load(path.read_text()) or {}).get("unit_tests", [])
    }
    ran = {
        (node.unique_id.split(".")[2], node.name)
        for node in pipeline_run.report.build.nodes
        if node.resource_type == "unit_test" and node.status == "pass"
    }
    assert len(defined) >= 13
    assert ran == defined


def test_a_second_run_lands_nothing_and_rewrites_no_mart(pipeline_run, capsys):
    before = lake_snapshot(pipeline_run.lake_root)
    marts = len(lake_manifest(pipeline_run)["marts"])
    assert RAW_MANIFEST in before
    capsys.readouterr()

    with pipeline_run.environment():
        assert cli.main(["run"]) == 0

    out = capsys.readouterr().out
    assert lake_snapshot(pipeline_run.lake_root) == before
    reports = len(list(pipeline_run.source.glob("csse_covid_19_daily_reports*/*.csv")))
    assert f"0 files landed, {6 + reports:,} unchanged" in out
    results = json.loads((pipeline_run.target_path / "run_results.json").read_text())["results"]
    assert results and not [r for r in results if r["unique_id"].startswith("unit_test.")]
    assert f"0 uploaded, 0 reused, {marts} unchanged" in out
    lake_line = next(line for line in out.splitlines() if line.startswith("  lake "))
    assert "write" not in lake_line and "delete" not in lake_line


def test_an_unchanged_rerun_skips_the_build_and_writes_nothing(pipeline_run, capsys):
    with pipeline_run.environment():
        # the session run had the unit tests: this one builds (or, after the test above, skips)
        assert cli.main(["run"]) == 0
        lake_before = lake_snapshot(pipeline_run.lake_root)
        warehouse = pipeline_run.duckdb_path.stat()
        results = (pipeline_run.target_path / "run_results.json").read_bytes()
        capsys.readouterr()

        assert cli.main(["run"]) == 0

    out = capsys.readouterr().out
    assert "build      0.0 s  skipped: inputs unchanged since dbt invocation" in out
    assert lake_snapshot(pipeline_run.lake_root) == lake_before
    after = pipeline_run.duckdb_path.stat()
    assert (after.st_size, after.st_mtime_ns) == (warehouse.st_size, warehouse.st_mtime_ns)
    assert (pipeline_run.target_path / "run_results.json").read_bytes() == results
    lake_line = next(line for line in out.splitlines() if line.startswith("  lake "))
    assert "write" not in lake_line and "delete" not in lake_line


# -------------------------------------------------------------------------------- the docs


def querying_examples(language: str) -> list[str]:
    """The code blocks of one language in docs/querying.md."""
    text = (PROJECT_DIR / "docs" / "querying.md").read_text(encoding="utf-8")
    return re.findall(rf"```{language}\n(.*?)```", text, flags=re.DOTALL)


def test_the_documented_queries_run_as_written_on_the_built_warehouse(pipeline_run, monkeypatch):
    # the run used the default file names, so the docs' relative paths work from its folder
    monkeypatch.chdir(pipeline_run.base)
    assert Path("jhu_covid.duckdb").is_file() and Path("lake").is_dir()
    statements = [
        statement.strip()
        for block in querying_examples("sql")
        for statement in block.split(";\n")
        if statement.strip()
    ]
    assert len(statements) >= 4
    with duckdb.connect("jhu_covid.duckdb", read_only=True) as con:
        for statement in statements:
            rows = con.execute(statement).fetchall()
            if not statement.lower().startswith("set "):
                assert rows, statement


def test_the_documented_python_example_runs_as_written(pipeline_run, monkeypatch, capsys):
    monkeypatch.chdir(pipeline_run.base)
    (block,) = querying_examples("python")
    exec(compile(block, "docs/querying.md", "exec"), {})  # noqa: S102
    out = capsys.readouterr().out
    assert "new_confirmed_wow_pct" in out
    assert "cumulative_deaths" in out


def duckdb_shell_examples() -> list[tuple[str, str, str]]:
    """Each `.venv/bin/duckdb` command block of the README and docs/: (file, command, stdin).

    A command without `-c` opens the prompt, where the page's SQL blocks are typed: they are its
    input. Other shell blocks (make, jhu, aws) are not run here.
    """
    examples = []
    for path in [PROJECT_DIR / "README.md", *sorted((PROJECT_DIR / "docs").glob("*.md"))]:
        text = path.read_text(encoding="utf-8")
        sql = "".join(re.findall(r"```sql\n(.*?)```", text, flags=re.DOTALL))
        for block in re.findall(r"```sh\n(.*?)```", text, flags=re.DOTALL):
            if block.startswith(".venv/bin/duckdb "):
                stdin = "" if " -c " in block else sql
                examples.append((path.name, block, stdin))
    return examples


def test_every_documented_duckdb_shell_command_runs_from_the_repo_root(pipeline_run):
    import subprocess
    import sys

    shell = Path(sys.executable).with_name("duckdb")  # .venv/bin/duckdb, from duckdb-cli
    assert shell.is_file(), f"{shell}: missing; `make setup` installs duckdb-cli"
    examples = duckdb_shell_examples()
    assert {name for name, _, _ in examples} >= {"README.md", "querying.md"}
    for name, block, stdin in examples:
        command = block.replace(".venv/bin/duckdb", str(shell), 1)
        done = subprocess.run(  # the run's folder holds jhu_covid.duckdb and lake/, as the root
            ["/bin/bash", "-c", command],
            cwd=pipeline_run.base,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0 and not done.stderr, (name, block, done.stderr)
        assert done.stdout.strip(), (name, block)


def test_a_standalone_export_finds_the_build_through_dbt_target_path(pipeline_run, capsys):
    """`jhu export` alone reads the marts from dbt's manifest.json in DBT_TARGET_PATH."""
    manifest_before = (pipeline_run.lake_root / MARTS_MANIFEST).read_bytes()
    capsys.readouterr()
    with pipeline_run.environment():
        assert cli.main(["export"]) == 0
    out = capsys.readouterr().out
    assert "nothing written (identical to the current export)" in out
    assert (pipeline_run.lake_root / MARTS_MANIFEST).read_bytes() == manifest_before
