"""`jhu run` as orchestration: stage order, what flows between stages, the summary, and a failing
stage stopping the run. The stages are stand-ins here; the real ones run end to end in
test_pipeline_e2e.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from jhu_warehouse import pipeline
from jhu_warehouse.build.dbt_build import BuildReport, NodeResult
from jhu_warehouse.config import load_settings
from jhu_warehouse.errors import JhuError
from jhu_warehouse.ingest.land import FileReport, LoadReport
from jhu_warehouse.lake import LocalLake
from jhu_warehouse.publish.manifest import MartFile
from jhu_warehouse.publish.publisher import ExportReport, PublishReport
from jhu_warehouse.report.site import SiteReport
from jhu_warehouse.report.stage import ReportResult


def load_report(landed: int, unchanged: int) -> LoadReport:
    files = [FileReport(f"l{i}.csv", "landed", 10, 2, 0.1) for i in range(landed)]
    files += [FileReport(f"u{i}.csv", "unchanged", 10, 2, 0.1) for i in range(unchanged)]
    return LoadReport(files=tuple(files), manifest_written=bool(landed), seconds=0.2)


def build_report() -> BuildReport:
    nodes = [
        NodeResult("model.p.a", "model", "a", "success", "", 1.0),
        NodeResult("model.p.b", "model", "b", "success", "", 1.0),
        NodeResult("seed.p.s", "seed", "s", "success", "", 0.1),
        NodeResult("test.p.t", "test", "t", "pass", "", 0.1),
        NodeResult("unit_test.p.u", "unit_test", "u", "pass", "", 0.1),
        NodeResult("test.p.w", "test", "w", "warn", "", 0.1),
    ]
    return BuildReport(invocation_id="inv-1", seconds=2.0, nodes=nodes)


def export_report() -> ExportReport:
    marts = [
        MartFile(name, Path(f"{name}.parquet"), rows, (("k", "BIGINT"),), "0" * 64, 100)
        for name, rows in (("dim_a", 1_000), ("fct_b", 234_567))
    ]
    return ExportReport(
        marts=marts, publish=PublishReport(uploaded=["fct_b"], unchanged=["dim_a"]), seconds=0.5
    )


def report_result() -> ReportResult:
    site = SiteReport(uploaded=["assets/data-0123456789abcdef.js"], index_written=True)
    return ReportResult("lake/report/index.html", 8, 6_000_000, 201, site, 0.3)


@pytest.fixture
def stages(monkeypatch, tmp_path):
    """Stand-in stages recording the order they ran in and what they were given."""
    calls: list[tuple[str, object]] = []

    def load(settings, lake, *, progress):
        calls.append(("load", lake))
        lake.put_bytes("raw/jhu/x.csv", b"1")
        return load_report(landed=1, unchanged=5)

    def build(settings, *, unit_tests, progress):
        calls.append(("build", unit_tests))
        return build_report()

    def export(settings, lake, *, dbt_invocation_id, progress):
        calls.append(("export", dbt_invocation_id))
        return export_report()

    def write_report(settings, lake, *, progress):
        calls.append(("report", lake))
        return report_result()

    monkeypatch.setattr(pipeline, "load", load)
    monkeypatch.setattr(pipeline, "write_report", write_report)
    monkeypatch.setattr(pipeline, "build", build)
    monkeypatch.setattr(pipeline, "exporter_for", lambda settings: export)
    # the record of a complete run goes beside dbt's artefacts: the test's, not the repo's
    monkeypatch.setenv("DBT_TARGET_PATH", str(tmp_path / "target"))
    settings = load_settings({"JHU_LAKE": str(tmp_path / "lake")})
    return calls, settings


def test_stages_run_in_order_on_one_lake_and_the_export_records_the_build(stages):
    calls, settings = stages
    lake = LocalLake(settings.lake)
    report = pipeline.run(settings, lake)

    assert [name for name, _ in calls] == ["load", "build", "export", "report"]
    # one lake for every stage: the run's, whose writes take the lake's lock first
    assert calls[0][1] is calls[3][1]
    assert calls[0][1].root == lake.root and calls[0][1].stats is lake.stats
    assert (Path(settings.lake) / "raw/jhu/x.csv").read_bytes() == b"1"
    assert calls[2][1] == "inv-1"
    assert set(report.seconds) == {"load", "build", "export", "report", "total"}
    assert report.seconds["total"] >= report.seconds["load"] + report.seconds["export"]
    assert "1 write" in report.lake_summary


def test_a_run_skips_dbt_unit_tests_unless_asked(stages, monkeypatch):
    calls, settings = stages
    monkeypatch.setenv("JHU_LAKE", settings.lake)
    from jhu_warehouse import cli

    assert cli.main(["run"]) == 0
    assert cli.main(["run", "--unit-tests"]) == 0
    assert [flag for name, flag in calls if name == "build"] == [False, True]


def test_the_summary_says_what_each_stage_did(stages):
    _, settings = stages
    lines = pipeline.run(settings).summary_lines()
    text = "\n".join(lines)

    assert "1 files landed, 5 unchanged" in text
    assert "2 models built, 1 seeds, 2 tests passed, 1 warned" in text
    assert "2 marts, 235,567 rows exported: 1 uploaded, 0 reused, 1 unchanged" in text
    assert "8 files, 6.0 MB, 201 countries: 1 uploaded, 0 reused, page written" in text
    assert "1 write" in text
    assert [line.split()[0] for line in lines] == [
        "load",
        "build",
        "export",
        "report",
        "total",
        "lake",
    ]


def test_a_failing_stage_stops_the_run(stages, monkeypatch):
    calls, settings = stages

    def broken_build(settings, *, unit_tests, progress):
        calls.append(("build", unit_tests))
        raise JhuError("dbt build: 1 node(s) failed: test t (fail: 3 rows)")

    monkeypatch.setattr(pipeline, "build", broken_build)
    with pytest.raises(JhuError, match="test t"):
        pipeline.run(settings)
    assert [name for name, _ in calls] == ["load", "build"]


def test_the_command_line_prints_the_summary(stages, capsys, monkeypatch):
    _, settings = stages
    monkeypatch.setenv("JHU_LAKE", settings.lake)
    from jhu_warehouse import cli

    assert cli.main(["run"]) == 0
    out = capsys.readouterr().out
    assert "== load" in out and "== build" in out and "== export" in out and "== report" in out
    assert out.splitlines()[-7] == "summary"
