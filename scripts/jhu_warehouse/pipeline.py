"""`jhu run`: the main job, load -> `dbt build` -> export -> report, with a summary of each stage.

Each stage is the same code as its own subcommand (`jhu load`, `jhu build`, `jhu export`,
`jhu report`); this
module only runs them in order against one lake and returns what each did. A stage that fails
stops the run with its one-line error: what earlier stages published stays consistent (each
publishes behind its manifest), and nothing of the failed stage is current.
"""

from __future__ import annotations

import time
from contextlib import nullcontext
from dataclasses import dataclass, replace

from jhu_warehouse.build.dbt_build import BuildReport, build, check_warehouse, describe_build
from jhu_warehouse.config import Settings
from jhu_warehouse.ingest.land import LoadReport, load
from jhu_warehouse.lake import MARTS_MANIFEST, RAW_PREFIX, REPORT_INDEX, Lake, open_lake
from jhu_warehouse.lake.duckdb_access import record_http
from jhu_warehouse.lake.locking import lake_lock
from jhu_warehouse.progress import Progress, silent
from jhu_warehouse.publish import exporter_for
from jhu_warehouse.publish.publisher import ExportReport
from jhu_warehouse.report.stage import ReportResult, write_report


@dataclass(frozen=True)
class PipelineReport:
    """What one run did, stage by stage."""

    load: LoadReport
    build: BuildReport
    export: ExportReport
    report: ReportResult
    seconds: dict[str, float]
    """Wall-clock seconds per stage (load, build, export, report) and in total."""
    lake_summary: str
    """The lake's requests and bytes moved over the whole run."""

    def summary_lines(self) -> list[str]:
        """The closing summary: one line per stage with its seconds, the total, the lake."""
        load, build_, export_ = self.load, self.build, self.export
        published = export_.publish
        stages = {
            "load": f"{len(load.landed)} files landed, {len(load.unchanged)} unchanged",
            "build": f"{build_.models_built} models built, {build_.seeds_loaded} seeds, "
            f"{build_.tests_passed} tests passed, {build_.tests_warned} warned",
            "export": f"{len(export_.marts)} marts, {export_.rows:,} rows exported: "
            f"{len(published.uploaded)} uploaded, {len(published.reused)} reused, "
            f"{len(published.unchanged)} unchanged"
            + (f", {len(published.repaired)} repaired" if published.repaired else ""),
            "report": self.report.summary(),
            "total": "",
        }
        lines = [
            f"  {stage:<7}{self.seconds[stage]:>7.1f} s  {what}".rstrip()
            for stage, what in stages.items()
        ]
        return [*lines, f"  {'lake':<7}{'':>9}  {self.lake_summary}"]


def run(
    settings: Settings,
    lake: Lake | None = None,
    *,
    unit_tests: bool = False,
    progress: Progress = silent,
    wait_s: float = 0.0,
) -> PipelineReport:
    """Load, build, export and report against one lake; returns what each stage did.

    The build leaves dbt's unit tests out unless asked (`unit_tests`, `jhu run --unit-tests`):
    they check the SQL on fixed rows, which CI does (`make test`), not the new data.

    Before anything runs, the warehouse file and the lake are checked writable; the whole run
    holds the lake's lock (waiting up to ``wait_s`` for another run to finish), so the marts
    are built and exported from the raw files this run landed, not from another run's.
    """
    lake = lake if lake is not None else open_lake(settings)
    check_warehouse(settings)
    with lake_lock(lake, wait_s=wait_s, progress=progress):
        report = _run_locked(settings, lake, unit_tests=unit_tests, progress=progress)
    # the lock's own requests (its release included) count in the run's summary too
    return replace(report, lake_summary=lake.stats.summary())


def _run_locked(
    settings: Settings, lake: Lake, *, unit_tests: bool, progress: Progress
) -> PipelineReport:
    seconds: dict[str, float] = {}
    started = time.perf_counter()

    progress(f"== load: JHU files -> {lake.uri(RAW_PREFIX)}")
    t = time.perf_counter()
    load_report = load(settings, lake, progress=progress)
    progress(f"load: {load_report.summary()}")
    seconds["load"] = time.perf_counter() - t

    progress(f"== build: {describe_build(settings)}")
    t = time.perf_counter()
    # DuckDB's own S3 requests (dbt reading the raw CSVs) count in the run's lake summary too.
    with record_http(lake.stats) if settings.lake_is_s3 else nullcontext():
        build_report = build(settings, unit_tests=unit_tests, progress=progress)
    progress(f"build: {build_report.summary()}")
    seconds["build"] = time.perf_counter() - t

    progress(f"== export: marts -> {lake.uri(MARTS_MANIFEST)}")
    t = time.perf_counter()
    export_report = exporter_for(settings)(
        settings, lake, dbt_invocation_id=build_report.invocation_id, progress=progress
    )
    progress(f"export: {export_report.summary()}")
    seconds["export"] = time.perf_counter() - t

    progress(f"== report: the export's marts -> {lake.uri(REPORT_INDEX)}")
    t = time.perf_counter()
    # the report counts its own DuckDB reads of the Parquet (write_report), as `jhu report` does
    report = write_report(settings, lake, progress=progress)
    progress(f"report: {report.summary()}")
    seconds["report"] = time.perf_counter() - t

    seconds["total"] = time.perf_counter() - started
    return PipelineReport(
        load=load_report,
        build=build_report,
        export=export_report,
        report=report,
        seconds=seconds,
        lake_summary=lake.stats.summary(),
    )
