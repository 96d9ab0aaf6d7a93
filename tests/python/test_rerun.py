"""An unchanged re-run costs nothing: `jhu run` skips the build, the export and the report when
nothing they depend on changed, and runs them when anything did (docs/performance.md).

The load is the real one on the fixture files, the export publishes through the real publisher;
the build and the report are stand-ins that write what theirs write (the warehouse file, the
report's page), so each kind of change is one fast run. The real stages re-run in
test_pipeline_e2e.py.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from fixtures import copy_fixtures, edit_rows, snapshot
from jhu_warehouse import cli, pipeline
from jhu_warehouse.build.dbt_build import BuildReport, NodeResult
from jhu_warehouse.config import PROJECT_DIR
from jhu_warehouse.dbt_project import fingerprint
from jhu_warehouse.errors import JhuError
from jhu_warehouse.lake import REPORT_INDEX
from jhu_warehouse.publish.manifest import MartFile
from jhu_warehouse.publish.publisher import ExportReport, publish
from jhu_warehouse.report.site import SiteReport
from jhu_warehouse.report.stage import ReportResult


@pytest.fixture
def project(tmp_path, monkeypatch) -> Path:
    """A copy of the dbt project's files, which the fingerprint reads instead of the repo's."""
    copy = tmp_path / "project"
    for name in fingerprint.PROJECT_PATHS:
        source = PROJECT_DIR / name
        if source.is_dir():
            shutil.copytree(source, copy / name)
        else:
            copy.mkdir(exist_ok=True)
            shutil.copyfile(source, copy / name)
    monkeypatch.setattr(fingerprint, "PROJECT_DIR", copy)
    return copy


@pytest.fixture
def job(tmp_path, monkeypatch, project):
    """The settings of a job on the fixture files, and the stages each run called."""
    calls: list[list[str]] = []
    source = copy_fixtures(tmp_path / "source")
    lake_root = tmp_path / "lake"
    warehouse = tmp_path / "warehouse.duckdb"
    environ = {
        "JHU_SOURCE": str(source),
        "JHU_LAKE": str(lake_root),
        "JHU_DUCKDB": str(warehouse),
        "DBT_TARGET_PATH": str(tmp_path / "target"),
    }
    for name, value in environ.items():
        monkeypatch.setenv(name, value)

    def build(settings, *, unit_tests, progress):
        calls[-1].append("build")
        with duckdb.connect(settings.duckdb_path) as con:
            con.execute(f"create or replace table built as select {len(calls)} as run")
        node = NodeResult("model.p.a", "model", "a", "success", "", 1.0)
        return BuildReport(invocation_id=f"inv-{len(calls)}", seconds=1.0, nodes=[node])

    def export(settings, lake, *, dbt_invocation_id, progress):
        calls[-1].append("export")
        path = tmp_path / "scratch" / "dim_a.parquet"
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(b"dim_a, always the same content")
        mart = MartFile.written("dim_a", path, 1, (("id", "BIGINT"),), ("id",))
        report = publish(lake, [mart], dbt_invocation_id=dbt_invocation_id, engine="duckdb")
        return ExportReport(marts=[mart], publish=report, seconds=0.1)

    def write_report(settings, lake, *, progress):
        calls[-1].append("report")
        lake.put_bytes(REPORT_INDEX, b"<html>the report</html>")
        site = SiteReport(uploaded=[], index_written=True)
        return ReportResult(lake.uri(REPORT_INDEX), 1, 23, 1, site, 0.1)

    monkeypatch.setattr(pipeline, "build", build)
    monkeypatch.setattr(pipeline, "exporter_for", lambda settings: export)
    monkeypatch.setattr(pipeline, "write_report", write_report)

    def run(*flags: str) -> list[str]:
        calls.append([])
        assert cli.main(["run", *flags]) == 0
        return calls[-1]

    return run, source, lake_root, warehouse


def test_an_unchanged_rerun_skips_build_export_and_report_and_writes_nothing(job, capsys):
    run, _, lake_root, warehouse = job
    assert run() == ["build", "export", "report"]
    lake_before = snapshot(lake_root)
    stat_before = warehouse.stat()
    capsys.readouterr()

    assert run() == []
    out = capsys.readouterr().out
    assert "build      0.0 s  skipped: inputs unchanged since dbt invocation inv-1" in out
    assert "export     0.0 s  skipped" in out
    assert "report     0.0 s  skipped" in out
    assert snapshot(lake_root) == lake_before
    assert (warehouse.stat().st_size, warehouse.stat().st_mtime_ns) == (
        stat_before.st_size,
        stat_before.st_mtime_ns,
    )


def _edit_raw_file(source: Path, project: Path, lake: Path, warehouse: Path) -> None:
    edit_rows(source / "time_series_covid19_deaths_global.csv", lambda rows: rows[:-1])


def _edit_model(source: Path, project: Path, lake: Path, warehouse: Path) -> None:
    model = sorted((project / "models" / "marts").rglob("*.sql"))[0]
    model.write_text(model.read_text() + "\n-- changed\n")


def _edit_seed(source: Path, project: Path, lake: Path, warehouse: Path) -> None:
    seed = sorted((project / "seeds").rglob("*.csv"))[0]
    seed.write_text(seed.read_text() + seed.read_text().splitlines()[-1] + "\n")


def _delete_warehouse(source: Path, project: Path, lake: Path, warehouse: Path) -> None:
    warehouse.unlink()


def _rewrite_warehouse(source: Path, project: Path, lake: Path, warehouse: Path) -> None:
    with duckdb.connect(str(warehouse)) as con:
        con.execute("create table another_build as select 1 as x")


def _delete_export_file(source: Path, project: Path, lake: Path, warehouse: Path) -> None:
    (parquet,) = (lake / "marts" / "dim_a").glob("*.parquet")
    parquet.unlink()


def _delete_report(source: Path, project: Path, lake: Path, warehouse: Path) -> None:
    (lake / REPORT_INDEX).unlink()


@pytest.mark.parametrize(
    "change",
    [
        _edit_raw_file,
        _edit_model,
        _edit_seed,
        _delete_warehouse,
        _rewrite_warehouse,
        _delete_export_file,
        _delete_report,
    ],
)
def test_each_kind_of_change_makes_the_next_run_build(job, project, change):
    run, source, lake_root, warehouse = job
    run()
    change(source, project, lake_root, warehouse)

    assert run() == ["build", "export", "report"]
    assert run() == []


def test_a_new_version_of_duckdb_makes_the_next_run_build(job, monkeypatch):
    run, *_ = job
    run()
    real = fingerprint._version
    monkeypatch.setattr(
        fingerprint, "_version", lambda name: "99.0.0" if name == "duckdb" else real(name)
    )
    assert run() == ["build", "export", "report"]


def test_a_deleted_export_file_is_repaired_by_the_next_run(job):
    run, _, lake_root, _ = job
    run()
    (parquet,) = (lake_root / "marts" / "dim_a").glob("*.parquet")
    parquet.unlink()

    assert run() == ["build", "export", "report"]
    assert parquet.read_bytes() == b"dim_a, always the same content"


def test_full_refresh_builds_whatever_the_record_says(job):
    run, *_ = job
    run()
    assert run("--full-refresh") == ["build", "export", "report"]
    assert run() == []


def test_a_run_whose_build_fails_leaves_nothing_to_skip_on(job, project, monkeypatch):
    run, *_ = job
    run()
    _edit_model(Path(), project, Path(), Path())

    def broken(settings, *, unit_tests, progress):
        raise JhuError("dbt build: 1 node(s) failed")

    monkeypatch.setattr(pipeline, "build", broken)
    assert cli.main(["run"]) == 1
    assert fingerprint.read_record() is None
