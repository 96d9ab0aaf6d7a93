"""`jhu run`: the main job, load -> `dbt build` -> export, then a short summary of each stage.

Each stage is the same code as its own subcommand (`jhu load`, `jhu build`, `jhu export`); this
module only runs them in order against one lake and reports. A stage that fails stops the run
with its one-line error: what earlier stages published stays consistent (each publishes behind
its manifest), and nothing of the failed stage is current.
"""

from __future__ import annotations

import argparse
import time
from contextlib import nullcontext
from dataclasses import dataclass

from jhu_warehouse import loader
from jhu_warehouse.config import Settings
from jhu_warehouse.dbt_runner import BuildReport, build, describe_build
from jhu_warehouse.duckdb_s3 import record_http
from jhu_warehouse.export import ExportReport, exporter_for
from jhu_warehouse.lake import MARTS_MANIFEST, Lake, open_lake
from jhu_warehouse.loader import LoadReport

HELP = "Run the main job: load the JHU files into the lake, dbt build, export the marts"


@dataclass(frozen=True)
class PipelineReport:
    """What one run did, stage by stage."""

    load: LoadReport
    build: BuildReport
    export: ExportReport
    seconds: dict[str, float]
    """Wall-clock seconds per stage (load, build, export) and in total."""
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
            f"{len(published.unchanged)} unchanged",
            "total": "",
        }
        lines = [
            f"  {stage:<7}{self.seconds[stage]:>7.1f} s  {what}".rstrip()
            for stage, what in stages.items()
        ]
        return [*lines, f"  {'lake':<7}{'':>9}  {self.lake_summary}"]


def _stage(title: str) -> float:
    print(f"== {title}", flush=True)
    return time.perf_counter()


def run(
    settings: Settings, lake: Lake | None = None, *, unit_tests: bool = False
) -> PipelineReport:
    """Load, build and export against one lake; returns what each stage did.

    The build leaves dbt's unit tests out unless asked (`unit_tests`, `jhu run --unit-tests`):
    they check the SQL on fixed rows, which CI does (`make test`), not the new data.
    """
    lake = lake if lake is not None else open_lake(settings)
    seconds: dict[str, float] = {}
    started = time.perf_counter()

    t = _stage(f"load: JHU files -> {lake.uri('raw/jhu')}")
    load_report = loader.load(settings, lake)
    print(f"load: {load_report.summary()}", flush=True)
    seconds["load"] = time.perf_counter() - t

    t = _stage(f"build: {describe_build(settings)}")
    # DuckDB's own S3 requests (dbt reading the raw CSVs) count in the run's lake summary too.
    with record_http(lake.stats) if settings.lake_is_s3 else nullcontext():
        build_report = build(settings, unit_tests=unit_tests)
    print(f"build: {build_report.summary()}", flush=True)
    seconds["build"] = time.perf_counter() - t

    t = _stage(f"export: marts -> {lake.uri(MARTS_MANIFEST)}")
    export_report = exporter_for(settings)(
        settings, lake, dbt_invocation_id=build_report.invocation_id
    )
    print(f"export: {export_report.summary()}", flush=True)
    seconds["export"] = time.perf_counter() - t

    seconds["total"] = time.perf_counter() - started
    return PipelineReport(
        load=load_report,
        build=build_report,
        export=export_report,
        seconds=seconds,
        lake_summary=lake.stats.summary(),
    )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--create-bucket",
        action="store_true",
        help="with JHU_LAKE=s3://..., create the bucket when it does not exist (never implicit)",
    )
    parser.add_argument(
        "--unit-tests",
        action="store_true",
        help="also run dbt's unit tests (they test the SQL on fixed rows; `make test` runs them, "
        "a production run skips them as dbt recommends)",
    )


def main(args: argparse.Namespace, settings: Settings) -> int:
    if args.create_bucket:
        from jhu_warehouse.s3 import create_bucket_if_missing

        line = create_bucket_if_missing(settings)
        if line:
            print(line, flush=True)
    report = run(settings, unit_tests=args.unit_tests)
    print("summary")
    for line in report.summary_lines():
        print(line)
    return 0
