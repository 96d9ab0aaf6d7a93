"""The benchmark's machinery (never its timings): measuring a process tree, limits, the results.

No assertion here depends on how long anything takes.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from fixtures import FIXTURE_DIR, SIX_FILES
from jhu_warehouse.bench import runner as bench
from jhu_warehouse.config import PROJECT_DIR
from jhu_warehouse.dbt_project.invocation import SKIP_UNIT_TESTS
from jhu_warehouse.errors import JhuError

GIB = 2**30


def python(code: str) -> list[str]:
    return [sys.executable, "-c", code]


def test_measure_counts_the_memory_of_the_whole_tree(tmp_path: Path) -> None:
    """A child that starts a grandchild holding ~200 MB: the peak includes the grandchild."""
    grandchild = "b = bytearray(200 * 2**20); import time; time.sleep(1.5)"
    code = f"import subprocess, sys; subprocess.run([sys.executable, '-c', {grandchild!r}])"
    result = bench.measure(python(code), {}, tmp_path / "log", 60, 8 * GIB)
    assert result.error is None
    assert result.peak_rss_mb is not None
    assert result.peak_rss_mb > 200
    assert result.seconds is not None
    assert result.seconds > 0


def test_a_job_over_the_memory_limit_is_stopped_and_has_no_figures(tmp_path: Path) -> None:
    code = "b = bytearray(600 * 2**20); import time; time.sleep(60)"
    result = bench.measure(python(code), {}, tmp_path / "log", 120, 300 * 2**20)
    assert result.seconds is None
    assert result.peak_rss_mb is None
    assert result.error is not None
    assert result.error.startswith("out of memory")


def test_a_failing_job_reports_its_last_line(tmp_path: Path) -> None:
    code = "import sys; print('error: the files are not there'); sys.exit(3)"
    result = bench.measure(python(code), {}, tmp_path / "log", 60, 8 * GIB)
    assert result.seconds is None
    assert result.error == "failed (exit 3): error: the files are not there"


def test_results_have_the_issue_fields_and_say_why_a_figure_is_null(tmp_path: Path) -> None:
    results = {
        "pipeline": bench.Measurement(10.0, 900.0, cpu_seconds=12.0),
        "pipeline_rerun": bench.Measurement(1.2, 200.0, cpu_seconds=1.0),
        "dbt_floor": bench.Measurement(2.5, 150.0, cpu_seconds=2.4),
        "dbt_empty": bench.Measurement(5.0, 300.0, cpu_seconds=5.1),
        "pandas": bench.Measurement(None, None, "out of memory: RSS above 12 GB"),
    }
    record = bench.run_record(10, 73_298_304, results)
    for field in (
        "scale",
        "pipeline_s",
        "pipeline_rerun_s",
        "pipeline_rerun_cpu_s",
        "pipeline_rerun_peak_rss_mb",
        "dbt_floor_s",
        "dbt_empty_s",
        "pandas_s",
        "spark_s",
        "pipeline_peak_rss_mb",
        "pandas_peak_rss_mb",
        "spark_peak_rss_mb",
        "cells",
    ):
        assert field in record
    assert record["pandas_s"] is None
    assert record["pandas_error"] == "out of memory: RSS above 12 GB"
    assert record["spark_error"] == "not run (--jobs)"
    out = tmp_path / "bench-results.json"
    bench.write_results(out, [record])
    assert json.loads(out.read_text())["runs"] == [record]
    table = bench.table([record])
    assert record["pipeline_rerun_s"] == 1.2
    assert "| 10 |  | 73.3 M | 10.0 | 1.2 | 2.5 | 5.0 | - | - | 4.0x | 0.5x |" in table
    assert "k=10 pandas: out of memory" in table


def test_the_pipeline_stages_come_from_its_last_summary() -> None:
    log = (
        "== load: JHU files -> lake/raw/jhu\n"
        "  load       9.9 s  (a progress line, not the summary)\n"
        "summary\n"
        "  load       0.4 s  6 files landed, 0 unchanged\n"
        "  build      9.8 s  17 models built, 2 seeds, 117 tests passed, 0 warned\n"
        "  export     2.0 s  7 marts, 4,155,667 rows exported: 7 uploaded\n"
        "  total     12.3 s\n"
        "  lake              requests: 15 write\n"
    )
    assert bench.stages_from_summary(log) == {"load": 0.4, "build": 9.8, "export": 2.0}
    assert bench.stages_from_summary("error: dbt build: 1 node(s) failed\n") is None
    results = {"pipeline": bench.Measurement(12.9, 1300.0, stages={"load": 0.4})}
    assert bench.run_record(1, 8_613_648, results)["pipeline_stages_s"] == {"load": 0.4}
    assert bench.run_record(1, 8_613_648, {})["pipeline_stages_s"] is None


def test_scales_and_jobs_are_checked() -> None:
    assert bench.parse_scales("1 10,100") == [1, 10, 100]
    assert bench.parse_scales("real 1 10") == ["real", 1, 10]
    assert bench.parse_jobs("spark pipeline") == ["pipeline", "spark"]
    for bad in ("", "0", "ten", "Real"):
        with pytest.raises(JhuError, match="--scales"):
            bench.parse_scales(bad)
    with pytest.raises(JhuError, match="--jobs"):
        bench.parse_jobs("dask")


def test_the_empty_build_lands_the_files_first_and_builds_the_pipelines_nodes(
    tmp_path: Path,
) -> None:
    """The job's command is the pipeline's `dbt build` with `--empty`, on files already landed."""
    command, env = bench.empty_command(FIXTURE_DIR, tmp_path, PROJECT_DIR)
    assert command[1:3] == ["build", "--empty"]
    assert " ".join(SKIP_UNIT_TESTS) in " ".join(command)
    # the singular tests fail on empty marts by design: the job leaves them out
    assert "--exclude test_type:singular" in " ".join(command)
    landed = sorted(p.name for p in (Path(env["JHU_LAKE"]) / "raw" / "jhu").glob("*.csv"))
    assert landed == sorted(SIX_FILES)
    assert not Path(env["JHU_DUCKDB"]).exists()


def test_the_empty_build_stops_when_the_files_cannot_land(tmp_path: Path) -> None:
    with pytest.raises(JhuError, match="dbt_empty: landing the files failed"):
        bench.empty_command(tmp_path / "no-such-folder", tmp_path / "work", PROJECT_DIR)


def test_a_failed_untimed_parse_fails_the_benchmark(tmp_path: Path) -> None:
    """A job must never be timed on a broken set-up: the warm-up's exit status is checked."""
    broken = tmp_path / "project"
    broken.mkdir()
    (broken / "dbt_project.yml").write_text("name: [not, a, name]\n")
    env = bench.base_env() | bench.dbt_paths(tmp_path, "broken")
    with pytest.raises(JhuError, match=r"untimed dbt parse of .*project failed \(exit [1-9]"):
        bench.warm_up(broken, env, tmp_path / "parse.log")


def copy_six(source: Path, target: Path) -> Path:
    target.mkdir(parents=True)
    for name in SIX_FILES:
        (target / name).write_bytes((source / name).read_bytes())
    return target


def test_generated_data_is_reused_only_while_its_inputs_are_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    template = copy_six(FIXTURE_DIR, tmp_path / "template")
    made: list[tuple[int, int]] = []

    def counting_generate(template_: Path, out: Path, scale: int, seed: int = 0) -> object:
        """Writes only the marker, as the real generator records it (its inputs, its cells)."""
        made.append((scale, seed))
        out.mkdir(parents=True, exist_ok=True)
        marker = {**bench.inputs(template_, scale, seed), "cells": 42}
        (out / "_generated.json").write_text(json.dumps(marker))
        return type("Summary", (), {"cells": 42, "bytes": 0, "seconds": 0.0})()

    monkeypatch.setattr(bench, "generate", counting_generate)
    data = tmp_path / "data"

    bench.scale_data(data, template, 1, 0)
    bench.scale_data(data, template, 1, 0)
    assert made == [(1, 0)]  # the second call found the same inputs

    # a template file edited by one byte: the cached data no longer matches what it depends on
    lookup = template / "UID_ISO_FIPS_LookUp_Table.csv"
    lookup.write_bytes(lookup.read_bytes() + b"\n")
    bench.scale_data(data, template, 1, 0)
    assert made == [(1, 0), (1, 0)]

    # a changed generator (its code hash recorded in the marker differs): generated again
    marker = data / "k1-seed0" / "_generated.json"
    recorded = json.loads(marker.read_text())
    recorded["generator_sha256"] = "0" * 64
    marker.write_text(json.dumps(recorded))
    bench.scale_data(data, template, 1, 0)
    assert made == [(1, 0), (1, 0), (1, 0)]


def test_the_rerun_is_the_pipelines_command_again_on_its_env(tmp_path: Path, monkeypatch) -> None:
    measured: list[tuple[list[str], dict[str, str], str]] = []

    def measure(command, env, log, timeout_s, memory_limit_bytes):
        measured.append((command, env, log.name))
        log.parent.mkdir(parents=True, exist_ok=True)
        log.write_text("summary\n")
        return bench.Measurement(1.0, 100.0, cpu_seconds=1.0)

    def job_command(job, data, work, profiles):
        return [job, "--once"], {"JHU_LAKE": str(work / job)}

    monkeypatch.setattr(bench, "measure", measure)
    monkeypatch.setattr(bench, "job_command", job_command)
    monkeypatch.setattr(bench, "scale_data", lambda *args: (tmp_path / "data", 8))
    plan = bench.BenchPlan(
        scales=[1],
        jobs=["pipeline", "dbt_floor"],
        template=tmp_path,
        data_dir=tmp_path / "bench-data",
        out=tmp_path / "bench-results.json",
    )
    (record,) = bench.run(plan)

    assert [log for _, _, log in measured] == [
        "pipeline.log",
        "pipeline_rerun.log",
        "dbt_floor.log",
    ]
    assert measured[1][:2] == measured[0][:2]
    assert record["pipeline_rerun_s"] == 1.0
    assert "pipeline_rerun_error" not in record


def test_the_real_scale_reads_the_source_in_place_and_counts_what_it_holds(
    tmp_path: Path,
) -> None:
    """Scale `real`: JHU_SOURCE itself (no generation), its files and bytes recorded, and the
    cells counted from the headers: rows times date columns of the five time series."""
    source = copy_six(FIXTURE_DIR, tmp_path / "source")
    daily = source / "csse_covid_19_daily_reports"
    daily.mkdir()
    (daily / "01-01-2021.csv").write_text("Province_State,Country_Region\n,Chile\n")
    data, cells = bench.scale_data(tmp_path / "data", source, "real", 0)
    assert data == source
    assert not (tmp_path / "data").exists()  # nothing generated
    expected = 0
    for name in SIX_FILES:
        if name.startswith("time_series"):
            lines = (source / name).read_text().splitlines()
            dates = [c for c in lines[0].split(",") if c.count("/") == 2]
            expected += (len(lines) - 1) * len(dates)
    assert cells == expected > 0
    size = bench.input_size(source)
    assert size.files == len(SIX_FILES) + 1
    assert size.bytes == sum(p.stat().st_size for p in source.rglob("*.csv"))
    record = bench.run_record("real", cells, {}, size, None)
    assert record["scale"] == "real"
    assert (record["input_files"], record["input_bytes"]) == (size.files, size.bytes)


def test_the_real_scale_reads_real_source_not_the_template(tmp_path: Path, monkeypatch) -> None:
    """--real-source names the folder of `real` (the full data under make bench); the template
    still feeds the generated scales, and the record names the folder it read."""
    template = copy_six(FIXTURE_DIR, tmp_path / "template")
    full = copy_six(FIXTURE_DIR, tmp_path / "full")
    for day in ("01-22-2020", "01-23-2020"):
        daily = full / "csse_covid_19_daily_reports"
        daily.mkdir(exist_ok=True)
        (daily / f"{day}.csv").write_text("Province/State,Country/Region\n,Chile\n")
    data, _ = bench.scale_data(tmp_path / "data", template, "real", 0, real_source=full)
    assert data == full
    assert bench.scale_data(tmp_path / "data", template, "real", 0)[0] == template

    monkeypatch.setattr(bench, "job_command", lambda *args: ([sys.executable, "-c", ""], {}))
    plan = bench.BenchPlan(
        scales=["real"],
        jobs=["dbt_floor"],
        template=template,
        data_dir=tmp_path / "bench-data",
        out=tmp_path / "bench-results.json",
        real_source=full,
    )
    (record,) = bench.run(plan)
    assert record["input_dir"] == str(full)
    assert record["input_files"] == len(SIX_FILES) + 2
    assert record["input_bytes"] == sum(p.stat().st_size for p in full.rglob("*.csv"))


def test_real_source_must_hold_the_jhu_files(tmp_path: Path, capsys) -> None:
    from jhu_warehouse import cli

    empty = tmp_path / "empty"
    empty.mkdir()
    argv = ["bench", "--scales", "real", "--real-source", str(empty)]
    argv += ["--template", str(FIXTURE_DIR), "--data-dir", str(tmp_path / "data")]
    assert cli.main(argv) == 1
    assert f"--real-source {empty}: no JHU files there" in capsys.readouterr().err
    assert not (tmp_path / "data").exists()


def make_bench(*variables: str) -> list[str]:
    """The commands `make bench` would run (make -n), the set-up's own lines left out."""
    command = ["make", "--no-print-directory", "-n", "bench", *variables]
    out = subprocess.run(command, cwd=PROJECT_DIR, capture_output=True, text=True, check=True)
    return [line for line in out.stdout.splitlines() if "jhu bench" in line or "assemble" in line]


def test_make_bench_assembles_the_full_data_for_the_real_scale(tmp_path: Path) -> None:
    """Where ../shared/jhu-full/assemble exists, `make bench` makes bench-data/jhu-full the full
    source and the scale `real` reads it; without the script, or without `real`, it does not."""
    script = tmp_path / "assemble"
    script.write_text("#!/bin/sh\n")
    assert make_bench(f"JHU_FULL_ASSEMBLE={script}") == [
        f"{script} bench-data/jhu-full",
        '.venv/bin/jhu bench --scales "real 1 10" --real-source "bench-data/jhu-full"',
    ]
    assert make_bench(f"JHU_FULL_ASSEMBLE={script}", "SCALES=1 10") == [
        '.venv/bin/jhu bench --scales "1 10"'
    ]
    assert make_bench(f"JHU_FULL_ASSEMBLE={tmp_path / 'none'}") == [
        '.venv/bin/jhu bench --scales "real 1 10"'
    ]
    assert make_bench(f"JHU_FULL_ASSEMBLE={script}", "REAL_SOURCE=/data/jhu") == [
        '.venv/bin/jhu bench --scales "real 1 10" --real-source "/data/jhu"'
    ]


def test_the_daily_report_models_are_itemised_from_run_results(tmp_path: Path) -> None:
    results = {
        "results": [
            {"unique_id": "model.jhu_covid.stg_jhu__daily_reports_global", "execution_time": 2.5},
            {"unique_id": "model.jhu_covid.fct_subnational_daily", "execution_time": 1.25},
            {"unique_id": "model.jhu_covid.fct_country_daily", "execution_time": 9.0},
        ]
    }
    (tmp_path / "run_results.json").write_text(json.dumps(results))
    assert bench.daily_report_models_s(tmp_path) == 3.75
    assert bench.daily_report_models_s(tmp_path / "missing") is None
