"""`jhu run`: the main job, load -> `dbt build` -> export -> report, with a summary of each stage.

Each stage is the same code as its own subcommand (`jhu load`, `jhu build`, `jhu export`,
`jhu report`); this
module only runs them in order against one lake and returns what each did. A stage that fails
stops the run with its one-line error: what earlier stages published stays consistent (each
publishes behind its manifest), and nothing of the failed stage is current.

An unchanged re-run costs nothing: when everything a build depends on (the landed files'
sha256s, the project, the package code, the versions of dbt and DuckDB, the settings) is what
the last complete run built from, the warehouse file is still the one that build left, and the
current export and report are whole in the lake, the build, the export and the report are
skipped (`unchanged_since`). `--full-refresh` runs them anyway. The record of the last complete
run is a small JSON beside dbt's artefacts (`dbt_project.fingerprint`), written after the
report; it is removed before a build starts, so a run that fails leaves nothing to skip on.
"""

from __future__ import annotations

import time
from collections import Counter
from contextlib import nullcontext
from dataclasses import dataclass, replace
from typing import Any

from jhu_warehouse.build.dbt_build import BuildReport, build, check_warehouse, describe_build
from jhu_warehouse.config import PROJECT_DIR, Settings
from jhu_warehouse.dbt_project import fingerprint
from jhu_warehouse.errors import JhuError
from jhu_warehouse.ingest.land import LoadReport, load
from jhu_warehouse.ingest.plan import LoadPlan, plan_load
from jhu_warehouse.lake import MARTS_MANIFEST, RAW_PREFIX, REPORT_INDEX, Lake, open_lake
from jhu_warehouse.lake.duckdb_access import record_http
from jhu_warehouse.lake.locking import lake_lock
from jhu_warehouse.lake.pricing import FREE_TIER_PUTS, request_cost
from jhu_warehouse.progress import Progress, silent
from jhu_warehouse.publish import exporter_for
from jhu_warehouse.publish.publisher import ExportReport, intact_export
from jhu_warehouse.report.stage import ReportResult, write_report


@dataclass(frozen=True)
class Skipped:
    """Why the build, the export and the report did not run: nothing they depend on changed."""

    dbt_invocation_id: str
    """The build whose warehouse file and export are still current."""
    marts: int
    """The marts of the current export, checked whole in the lake."""


@dataclass(frozen=True)
class PipelineReport:
    """What one run did, stage by stage (build, export and report are None when skipped)."""

    load: LoadReport
    build: BuildReport | None
    export: ExportReport | None
    report: ReportResult | None
    seconds: dict[str, float]
    """Wall-clock seconds per stage (load, build, export, report) and in total."""
    lake_summary: str
    """The lake's requests and bytes moved over the whole run."""
    skipped: Skipped | None = None

    def summary_lines(self) -> list[str]:
        """The closing summary: one line per stage with its seconds, the total, the lake."""
        load = self.load
        stages = {
            "load": f"{len(load.landed):,} files landed, {len(load.unchanged):,} unchanged",
            **self._later_stages(),
            "total": "",
        }
        lines = [
            f"  {stage:<7}{self.seconds.get(stage, 0.0):>7.1f} s  {what}".rstrip()
            for stage, what in stages.items()
        ]
        return [*lines, f"  {'lake':<7}{'':>9}  {self.lake_summary}"]

    def _later_stages(self) -> dict[str, str]:
        build_, export_, report = self.build, self.export, self.report
        if build_ is None or export_ is None or report is None:
            skipped = self.skipped
            since = f" since dbt invocation {skipped.dbt_invocation_id}" if skipped else ""
            marts = f"{skipped.marts} marts" if skipped else "the marts"
            return {
                "build": f"skipped: inputs unchanged{since}",
                "export": f"skipped: the current export ({marts}) is whole in the lake",
                "report": "skipped: the current report is in the lake",
            }
        published = export_.publish
        return {
            "build": f"{build_.models_built} models built, {build_.seeds_loaded} seeds, "
            f"{build_.tests_passed} tests passed, {build_.tests_warned} warned",
            "export": f"{len(export_.marts)} marts, {export_.rows:,} rows exported: "
            f"{len(published.uploaded)} uploaded, {len(published.reused)} reused, "
            f"{len(published.unchanged)} unchanged"
            + (f", {len(published.repaired)} repaired" if published.repaired else ""),
            "report": report.summary(),
        }


def run(
    settings: Settings,
    lake: Lake | None = None,
    *,
    unit_tests: bool = False,
    max_puts: int | None = None,
    progress: Progress = silent,
    wait_s: float = 0.0,
    full_refresh: bool = False,
) -> PipelineReport:
    """Load, build, export and report against one lake; returns what each stage did.

    The build leaves dbt's unit tests out unless asked (`unit_tests`, `jhu run --unit-tests`):
    they check the SQL on fixed rows, which CI does (`make test`), not the new data.

    Before anything runs, the warehouse file and the lake are checked writable; the whole run
    holds the lake's lock (waiting up to ``wait_s`` for another run to finish), so the marts
    are built and exported from the raw files this run landed, not from another run's.

    An unchanged re-run skips the build, the export and the report (the module docstring);
    ``full_refresh`` (`jhu run --full-refresh`) runs them whatever the record says.
    """
    lake = lake if lake is not None else open_lake(settings)
    if max_puts is not None:
        check_put_budget(plan(settings, lake), max_puts)
    check_warehouse(settings)
    with lake_lock(lake, wait_s=wait_s, progress=progress):
        report = _run_locked(
            settings, lake, unit_tests=unit_tests, progress=progress, full_refresh=full_refresh
        )
    # the lock's own requests (its release included) count in the run's summary too
    return replace(report, lake_summary=lake.stats.summary())


def unchanged_since(
    settings: Settings, lake: Lake, inputs: dict[str, Any]
) -> tuple[Skipped | None, str]:
    """Whether the build, the export and the report may be skipped, and why (not).

    Checked in this order, the cheap ones first: a record of a complete run; the same inputs;
    the warehouse file (and its WAL) with the size and mtime_ns that run left; the current
    export the one that run published, every file it names whole in the lake (one HEAD per
    mart on S3); the report's page as that run left it. No raw file is read.
    """
    if settings.target != "duckdb":
        return None, f"the {settings.target} target is always built"
    record = fingerprint.read_record()
    if record is None:
        return None, "no record of a complete run in dbt's target folder"
    changed = fingerprint.changed_parts(record.get("inputs", {}), inputs)
    if changed:
        return None, "changed since the last run: " + ", ".join(changed)
    if fingerprint.warehouse_state(settings) != record.get("warehouse"):
        return None, f"the warehouse file {settings.duckdb_path} is not the one the last build left"
    marts = intact_export(lake)
    if marts is None or marts != record.get("export_marts"):
        return None, "the current export is not the last run's, or a file of it is not whole"
    index = lake.stat(REPORT_INDEX)
    if index is None or [index.size, index.sha256] != record.get("report_index"):
        return None, "the report's page is not the last run's"
    return Skipped(dbt_invocation_id=str(record.get("dbt_invocation_id")), marts=len(marts)), ""


def _record_run(
    settings: Settings,
    lake: Lake,
    inputs: dict[str, Any],
    build_report: BuildReport,
    export_report: ExportReport,
) -> None:
    """What the next run compares with: written only after a complete run, the report last."""
    index = lake.stat(REPORT_INDEX)
    fingerprint.write_record(
        {
            "dbt_invocation_id": build_report.invocation_id,
            "inputs": inputs,
            "warehouse": fingerprint.warehouse_state(settings),
            "export_marts": dict(sorted((m.name, m.sha256) for m in export_report.marts)),
            "report_index": [index.size, index.sha256] if index else None,
        }
    )


def _run_locked(
    settings: Settings, lake: Lake, *, unit_tests: bool, progress: Progress, full_refresh: bool
) -> PipelineReport:
    seconds: dict[str, float] = {}
    started = time.perf_counter()

    progress(f"== load: JHU files -> {lake.uri(RAW_PREFIX)}")
    t = time.perf_counter()
    load_report = load(settings, lake, progress=progress)
    progress(f"load: {load_report.summary()}")
    seconds["load"] = time.perf_counter() - t

    inputs = fingerprint.build_inputs(settings, load_report.held, unit_tests=unit_tests)
    if full_refresh:
        progress("build: --full-refresh: building whatever the last run's record says")
    else:
        skipped, why = unchanged_since(settings, lake, inputs)
        if skipped is not None:
            progress(
                f"build, export, report: skipped: inputs unchanged since dbt invocation "
                f"{skipped.dbt_invocation_id}, the warehouse file and the current export intact "
                "(--full-refresh runs them)"
            )
            seconds["total"] = time.perf_counter() - started
            return PipelineReport(
                load=load_report,
                build=None,
                export=None,
                report=None,
                seconds=seconds,
                lake_summary=lake.stats.summary(),
                skipped=skipped,
            )
        progress(f"build: {why}")
    fingerprint.forget_record()

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
    _record_run(settings, lake, inputs, build_report, export_report)

    seconds["total"] = time.perf_counter() - started
    return PipelineReport(
        load=load_report,
        build=build_report,
        export=export_report,
        report=report,
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
