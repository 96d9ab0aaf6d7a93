"""`jhu run`: the main job, load -> `dbt build` -> export, with a summary of each stage.

Each stage is the same code as its own subcommand (`jhu load`, `jhu build`, `jhu export`); this
module only runs them in order against one lake and returns what each did. A stage that fails
stops the run with its one-line error: what earlier stages published stays consistent (each
publishes behind its manifest), and nothing of the failed stage is current.
"""

from __future__ import annotations

import time
from collections import Counter
from contextlib import nullcontext
from dataclasses import dataclass

from jhu_warehouse.build.dbt_build import BuildReport, build, describe_build
from jhu_warehouse.config import PROJECT_DIR, Settings
from jhu_warehouse.errors import JhuError
from jhu_warehouse.ingest.land import LoadReport, load
from jhu_warehouse.ingest.plan import LoadPlan, plan_load
from jhu_warehouse.lake import MARTS_MANIFEST, RAW_PREFIX, Lake, open_lake
from jhu_warehouse.lake.duckdb_access import record_http
from jhu_warehouse.lake.pricing import FREE_TIER_PUTS, request_cost
from jhu_warehouse.progress import Progress, silent
from jhu_warehouse.publish import exporter_for
from jhu_warehouse.publish.publisher import ExportReport


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


def run(
    settings: Settings,
    lake: Lake | None = None,
    *,
    unit_tests: bool = False,
    max_puts: int | None = None,
    progress: Progress = silent,
) -> PipelineReport:
    """Load, build and export against one lake; returns what each stage did.

    The build leaves dbt's unit tests out unless asked (`unit_tests`, `jhu run --unit-tests`):
    they check the SQL on fixed rows, which CI does (`make test`), not the new data.
    """
    lake = lake if lake is not None else open_lake(settings)
    if max_puts is not None:
        check_put_budget(plan(settings, lake), max_puts)
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

    seconds["total"] = time.perf_counter() - started
    return PipelineReport(
        load=load_report,
        build=build_report,
        export=export_report,
        seconds=seconds,
        lake_summary=lake.stats.summary(),
    )


# --- the plan: what a run would cost, before it costs it ----------------------------------------

#: DuckDB's S3 requests while dbt builds, measured on the loopback S3 server over the
#: ../shared/jhu sample (1,091 daily reports and the six files; docs/performance.md, "S3
#: requests"), the same on every run since the build reads every raw file each time:
#: a daily report is read twice, one GET each (the schema pass of union_by_name, then the
#: data; its size comes from the glob's listing, its columns from the load manifest);
BUILD_GETS_PER_DAILY_REPORT = 2
#: the six files, a few MB each, take ranged GETs and one HEAD each, re-read by several views,
#: and the load manifest is read once by each daily staging model;
BUILD_GETS_SIX_FILES = 27
BUILD_HEADS_SIX_FILES = 7
#: each daily-report glob is listed once, a LIST per 1,000 keys, and the manifest's path once
#: per daily staging model.
BUILD_LISTS_PER_GLOB_PAGE = 1
BUILD_LISTS_FIXED = 2
LIST_PAGE = 1000
#: Bytes the build downloads, as multiples of the raw files' bytes (the same measurement): each
#: daily report twice, the six files about three and a half times (several views read them).
BUILD_READS_DAILY_REPORTS = 2.0
BUILD_READS_SIX_FILES = 3.5


@dataclass(frozen=True)
class RunPlan:
    """The requests a run would make, by verb and by stage, the bytes, and their cost."""

    load: LoadPlan
    stages: dict[str, dict[str, int]]
    """Requests per stage (load, build, export), by S3 verb."""
    bytes_up: int
    bytes_down: int
    lake_is_s3: bool

    @property
    def requests(self) -> dict[str, int]:
        total: dict[str, int] = {}
        for verbs in self.stages.values():
            for verb, count in verbs.items():
                total[verb] = total.get(verb, 0) + count
        return {verb: count for verb, count in sorted(total.items()) if count}

    @property
    def puts(self) -> int:
        return self.requests.get("PUT", 0)

    @property
    def cost_usd(self) -> float:
        return request_cost(self.requests) if self.lake_is_s3 else 0.0

    def as_json(self) -> dict[str, object]:
        return {
            "requests": self.requests,
            "bytes_up": self.bytes_up,
            "bytes_down": self.bytes_down,
            "cost_usd": round(self.cost_usd, 6),
        }

    def lines(self) -> list[str]:
        """The plan as the command line prints it."""
        where = "S3 Standard prices" if self.lake_is_s3 else "a local lake: no request costs"
        out = [
            f"plan: {len(self.load.landing):,} files would land, {self.load.unchanged:,} "
            "unchanged; nothing was written"
        ]
        for stage, verbs in self.stages.items():
            listed = ", ".join(f"{n:,} {verb}" for verb, n in verbs.items() if n) or "none"
            out.append(f"  {stage:<7} {listed}")
        total = ", ".join(f"{n:,} {verb}" for verb, n in self.requests.items()) or "none"
        out.append(f"  total   {total}")
        out.append(f"  bytes   {self.bytes_up:,} up, {self.bytes_down:,} down")
        out.append(f"  cost    ${self.cost_usd:.4f} at {where}")
        if self.lake_is_s3 and self.puts > FREE_TIER_PUTS:
            out.append(
                f"  note    {self.puts:,} PUTs is more than the S3 free tier's "
                f"{FREE_TIER_PUTS:,} a month"
            )
        return out


def plan(settings: Settings, lake: Lake | None = None) -> RunPlan:
    """What `jhu run` would do to the lake, touching nothing (reads the two manifests only).

    The load's part is exact for a local JHU_SOURCE (the files are hashed). The build's reads
    follow from the number of raw files (the build reads them all on every run; on a local lake
    they are file reads, not requests). The export's PUTs are an upper bound: one per mart and
    the manifest when any raw file lands (an unchanged mart is not uploaded), none when nothing
    lands and an export exists (the same inputs build the same marts).
    """
    lake = lake if lake is not None else open_lake(settings)
    load_plan = plan_load(settings, lake)
    stages: dict[str, dict[str, int]] = {"load": dict(load_plan.requests)}
    if settings.lake_is_s3:
        names = [*load_plan.landing, *load_plan.sizes]
        folders = Counter(name.partition("/")[0] for name in set(names) if "/" in name)
        pages = sum(-(-count // LIST_PAGE) for count in folders.values())
        stages["build"] = {
            "GET": BUILD_GETS_PER_DAILY_REPORT * sum(folders.values()) + BUILD_GETS_SIX_FILES,
            "HEAD": BUILD_HEADS_SIX_FILES,
            "LIST": BUILD_LISTS_PER_GLOB_PAGE * pages + BUILD_LISTS_FIXED,
        }
    exported = lake.read_bytes(MARTS_MANIFEST) is not None
    marts = len(list((PROJECT_DIR / "models" / "marts").glob("*.sql")))
    export_puts = 0 if (exported and not load_plan.landing) else marts + 1
    stages["export"] = {"GET": 1, "PUT": export_puts}
    daily_bytes = sum(size for name, size in load_plan.sizes.items() if "/" in name)
    six_bytes = sum(size for name, size in load_plan.sizes.items() if "/" not in name)
    build_bytes = BUILD_READS_DAILY_REPORTS * daily_bytes + BUILD_READS_SIX_FILES * six_bytes
    return RunPlan(
        load=load_plan,
        stages=stages,
        bytes_up=load_plan.landing_bytes + (load_plan.manifest_bytes if load_plan.landing else 0),
        bytes_down=round(build_bytes) if settings.lake_is_s3 else 0,
        lake_is_s3=settings.lake_is_s3,
    )


def check_put_budget(run_plan: RunPlan, max_puts: int) -> None:
    """JhuError, one line, when the run would make more PUTs than ``max_puts``."""
    if run_plan.puts > max_puts:
        load = len(run_plan.load.landing)
        raise JhuError(
            f"--max-puts {max_puts}: this run needs {run_plan.puts:,} PUTs ({load:,} raw files, "
            f"their manifest, up to {run_plan.stages['export'].get('PUT', 0):,} for the "
            "export); nothing was uploaded"
        )
