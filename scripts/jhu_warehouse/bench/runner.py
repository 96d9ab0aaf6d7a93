"""The benchmark (`jhu bench`): the main job beside the dbt floor, a pandas and a PySpark reference.

For each scale k (generated files, cached under bench-data/), one after another in this one
process tree, on the same machine:

- pipeline   `jhu run` end to end on the generated files: load (validate, land in a fresh lake),
             `dbt build` (every model and test), export (Parquet per mart);
- rerun      the same `jhu run` again on the same lake, warehouse file and target folder, right
             after the pipeline job (`pipeline_rerun_s`): an unchanged re-run, which skips the
             build, the export and the report, so what is left is starting Python, the load's
             checks and the skip's (docs/performance.md);
- dbt floor  `dbt build` of an empty project (bench/floor_project) with the same profile: what any
             dbt invocation costs here, whatever it builds;
- dbt empty  `dbt build --empty` of this project, on the same files landed beforehand (untimed):
             every model and generic data test of the pipeline's build, each on zero rows (the
             singular tests fail on empty marts by design, so they are left out). What dbt costs
             for this project's nodes alone, so the gap between the floor and the pipeline splits
             into dbt's work per node and the work on the data;
- pandas     bench/reference/pandas_reference.py (`jhu reference pandas`): fct_country_daily and
             fct_us_county_daily from the same raw files, written as Parquet;
- spark      the same with PySpark on a local session (the tool the original job used).

dbt's own start-up is measured as a scheduled job pays it: the target folder (partial parsing) is
kept from run to run and an untimed `dbt parse` precedes the timed run of the pipeline and of the
floor alike (a failed untimed step fails the benchmark: a job must never be timed on a broken
set-up); the lake and the warehouse file start empty, so every byte is loaded and built. The
generated files are reused only while what they depend on is unchanged (`generate.inputs`).

Each job is a child process; a sampler thread adds up the resident memory (RSS) of the child and
all its descendants (the JVM of Spark, dbt's threads are in-process) every 50 ms and keeps the
peak. A job that passes the time limit or the memory limit is stopped, and its figures are null
with the reason in `<job>_error`. Nothing here is a test: `make test` never depends on a duration.
"""

from __future__ import annotations

import contextlib
import csv
import json
import os
import platform
import re
import resource
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil

from jhu_warehouse.bench.generate import generate, inputs, read_marker
from jhu_warehouse.config import PROJECT_DIR
from jhu_warehouse.dbt_project.invocation import SKIP_UNIT_TESTS
from jhu_warehouse.errors import JhuError
from jhu_warehouse.progress import Progress, silent
from jhu_warehouse.sources.jhu_files import LOOKUP_FILE, TIME_SERIES_FILES, is_date_header

FLOOR_PROJECT = PROJECT_DIR / "bench" / "floor_project"
#: Where the real files sit beside a clone (as in CI): the generator's template by default.
DEFAULT_TEMPLATE = PROJECT_DIR.parent / "shared" / "jhu"
JOBS = ("pipeline", "dbt_floor", "dbt_empty", "pandas", "spark")
#: What a scale records: the jobs, and the pipeline's unchanged re-run (run with the pipeline).
MEASURED = ("pipeline", "pipeline_rerun", *JOBS[1:])
#: The dbt command line of this environment (the floor and the empty build run it directly).
DBT = str(Path(sys.executable).with_name("dbt"))
SAMPLE_SECONDS = 0.05
#: The bench's own default limits per job (the machine has 24 GB shared by everything on it).
DEFAULT_TIMEOUT_S = 1800.0
DEFAULT_MEMORY_GB = 12.0


@dataclass
class Measurement:
    """One job's wall time and peak memory of its process tree, or why there are none."""

    seconds: float | None
    peak_rss_mb: float | None
    error: str | None = None
    cpu_seconds: float | None = None
    """User + system CPU of the job's finished processes: less sensitive than wall time to
    other work on the machine, and above the wall time when the job used both cores."""
    stages: dict[str, float] | None = None
    """The pipeline's own seconds per stage (load, build, export), from its summary."""


def children_cpu_seconds() -> float:
    """CPU used so far by this process's waited-for descendants (jobs run one at a time)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def tree_rss(process: psutil.Process, cpu_by_pid: dict[int, float] | None = None) -> int:
    """Resident bytes of a process and all its descendants (those gone meanwhile count 0).

    Also records each member's CPU seconds so far in `cpu_by_pid`: a JVM that its parent
    never waits for is missing from the parent's rusage, not from these samples.
    """
    total = 0
    try:
        members = [process, *process.children(recursive=True)]
    except psutil.Error:
        return 0
    for member in members:
        with contextlib.suppress(psutil.Error):
            total += member.memory_info().rss
            if cpu_by_pid is not None:
                times = member.cpu_times()
                cpu_by_pid[member.pid] = times.user + times.system
    return total


def kill_tree(process: psutil.Process) -> None:
    """Stop a job and every process it started (only these: never by name)."""
    try:
        members = [*process.children(recursive=True), process]
    except psutil.Error:
        members = [process]
    for member in members:
        with contextlib.suppress(psutil.Error):
            member.kill()
    psutil.wait_procs(members, timeout=10)


#: A stage line of `jhu run`'s summary, e.g. "  build      9.8 s  17 models built, ...".
_STAGE_LINE = re.compile(r"^  (load|build|export|report)\s+([0-9.]+) s\b", re.MULTILINE)


def stages_from_summary(text: str) -> dict[str, float] | None:
    """Seconds per stage from the summary `jhu run` prints last, so that a reader of the
    results sees where the job's time went without opening its log."""
    summary = text[text.rfind("\nsummary\n") :] if "\nsummary\n" in text else ""
    stages = {name: float(seconds) for name, seconds in _STAGE_LINE.findall(summary)}
    return stages or None


def last_line(path: Path) -> str:
    lines = [line for line in path.read_text(errors="replace").splitlines() if line.strip()]
    return lines[-1].strip()[:300] if lines else ""


def measure(
    command: list[str],
    env: dict[str, str],
    log: Path,
    timeout_s: float,
    memory_limit_bytes: int,
    cwd: Path = PROJECT_DIR,
) -> Measurement:
    """Run a command, sampling its tree's RSS; stop it past either limit."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("w") as out:
        cpu_before = children_cpu_seconds()
        start = time.perf_counter()
        process = psutil.Popen(command, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT)
        peak = 0
        stop_reason: str | None = None
        done = threading.Event()
        cpu_by_pid: dict[int, float] = {}

        def sample() -> None:
            nonlocal peak, stop_reason
            while not done.is_set():
                rss = tree_rss(process, cpu_by_pid)
                peak = max(peak, rss)
                elapsed = time.perf_counter() - start
                if rss > memory_limit_bytes:
                    stop_reason = f"out of memory: RSS above {memory_limit_bytes / 2**30:.0f} GB"
                elif elapsed > timeout_s:
                    stop_reason = f"out of time: still running after {timeout_s:.0f} s"
                if stop_reason:
                    kill_tree(process)
                    return
                done.wait(SAMPLE_SECONDS)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        code = process.wait()
        seconds = time.perf_counter() - start
        done.set()
        sampler.join()
    cpu = round(max(children_cpu_seconds() - cpu_before, sum(cpu_by_pid.values())), 2)
    peak_mb = round(peak / 2**20, 1)
    if stop_reason:
        return Measurement(None, None, stop_reason)
    if code != 0:
        reason = "out of memory" if code in (-9, 137) or "MemoryError" in log.read_text() else ""
        detail = last_line(log)
        return Measurement(None, None, f"{reason or f'failed (exit {code})'}: {detail}")
    return Measurement(round(seconds, 2), peak_mb, cpu_seconds=cpu)


# --- the five jobs -------------------------------------------------------------------------------


def base_env(profiles: Path = PROJECT_DIR) -> dict[str, str]:
    """The environment of every job: this one, with scratch paths for everything written."""
    env = dict(os.environ)
    env.update(
        {
            "JHU_TARGET": "duckdb",
            "DBT_PROFILES_DIR": str(profiles),
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "False",
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.pop("JHU_S3_ENDPOINT", None)
    return env


def fresh(path: Path) -> Path:
    """An empty folder (what a run starts from: no lake, no warehouse file, no dbt artefacts)."""
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return path


def dbt_paths(work: Path, job: str) -> dict[str, str]:
    """dbt's target and log folders of a job: kept from run to run (not in the job's fresh
    scratch), so dbt parses partially, as on every run of a user's but the first."""
    return {
        "DBT_TARGET_PATH": str(work / "dbt" / job / "target"),
        "DBT_LOG_PATH": str(work / "dbt" / job / "logs"),
    }


def run_untimed(command: list[str], env: dict[str, str], log: Path) -> int:
    """A job's preparation step (not measured), its output in `log`; its exit code."""
    with log.open("w") as out:
        return subprocess.run(
            command, env=env, cwd=PROJECT_DIR, stdout=out, stderr=subprocess.STDOUT
        ).returncode


def warm_up(project: Path, env: dict[str, str], log: Path) -> None:
    """`dbt parse` before the timed run (untimed): the timed `dbt build` then finds a saved
    manifest to parse from, like a scheduled job does on every run after its first."""
    command = [
        DBT,
        "parse",
        "--project-dir",
        str(project),
        "--profiles-dir",
        env["DBT_PROFILES_DIR"],
        # As the timed run passes it (dbt_runner): dbt starts a full parse when the target
        # given on the command line differs from the saved manifest's.
        "--target",
        env.get("JHU_TARGET", "duckdb"),
    ]
    code = run_untimed(command, env, log)
    if code != 0:
        raise JhuError(f"untimed dbt parse of {project} failed (exit {code}): {last_line(log)}")


def project_env(job: str, data: Path, work: Path, profiles: Path) -> dict[str, str]:
    """A job on this project: the generated files as source, an empty lake and warehouse."""
    scratch = fresh(work / job)
    env = base_env(profiles)
    env.update(
        {
            "JHU_SOURCE": str(data),
            "JHU_LAKE": str(scratch / "lake"),
            "JHU_DUCKDB": str(scratch / "warehouse.duckdb"),
            **dbt_paths(work, job),
        }
    )
    return env


def pipeline_command(data: Path, work: Path, profiles: Path) -> tuple[list[str], dict[str, str]]:
    env = project_env("pipeline", data, work, profiles)
    warm_up(PROJECT_DIR, env, work / "pipeline-parse.log")
    return [sys.executable, "-m", "jhu_warehouse", "run"], env


def floor_command(work: Path, profiles: Path) -> tuple[list[str], dict[str, str]]:
    scratch = fresh(work / "dbt_floor")
    env = base_env(profiles)
    env.update({"JHU_DUCKDB": str(scratch / "floor.duckdb"), **dbt_paths(work, "dbt_floor")})
    warm_up(FLOOR_PROJECT, env, work / "dbt_floor-parse.log")
    command = [DBT, "build", "--project-dir", str(FLOOR_PROJECT)]
    return [*command, "--profiles-dir", str(profiles)], env


def empty_command(data: Path, work: Path, profiles: Path) -> tuple[list[str], dict[str, str]]:
    env = project_env("dbt_empty", data, work, profiles)
    # `--empty` still reads each source's header, so the files are landed first (untimed).
    log = work / "dbt_empty-load.log"
    if run_untimed([sys.executable, "-m", "jhu_warehouse", "load"], env, log) != 0:
        raise JhuError(f"dbt_empty: landing the files failed: {last_line(log)} (log: {log})")
    warm_up(PROJECT_DIR, env, work / "dbt_empty-parse.log")
    command = [DBT, "build", "--empty", "--project-dir", str(PROJECT_DIR)]
    # The target and the nodes of the pipeline's own `dbt build` (dbt_runner.build), less the
    # singular tests: each fails on empty marts by design (tests/python/test_dbt_tests_fail.py),
    # which would fail the job; they are 8 of its 139 nodes.
    command += ["--target", "duckdb", *SKIP_UNIT_TESTS, "--exclude", "test_type:singular"]
    command += ["--profiles-dir", str(profiles)]
    return command, env


def reference_command(name: str, data: Path, work: Path) -> tuple[list[str], dict[str, str]]:
    scratch = fresh(work / name)
    out = str(scratch / "out")
    command = [sys.executable, "-m", "jhu_warehouse", "reference", name, "--source", str(data)]
    command += ["--out", out]
    return command, base_env()


def job_command(
    job: str, data: Path, work: Path, profiles: Path = PROJECT_DIR
) -> tuple[list[str], dict[str, str]]:
    if job == "pipeline":
        return pipeline_command(data, work, profiles)
    if job == "dbt_floor":
        return floor_command(work, profiles)
    if job == "dbt_empty":
        return empty_command(data, work, profiles)
    return reference_command(job, data, work)


# --- data, results -------------------------------------------------------------------------------


#: The scale that is no multiple: the real files of JHU_SOURCE (time series and daily reports).
REAL = "real"
Scale = int | str


@dataclass(frozen=True)
class InputSize:
    """What a scale's jobs read: the raw files and their bytes (all of JHU_SOURCE's at `real`)."""

    files: int
    bytes: int


def input_size(folder: Path) -> InputSize:
    """The JHU files of a source folder: the six files and every daily report (*.csv below)."""
    paths = [p for p in folder.rglob("*.csv") if p.is_file()]
    return InputSize(files=len(paths), bytes=sum(p.stat().st_size for p in paths))


def time_series_cells(folder: Path) -> int:
    """Date cells of the five time-series files: rows x date columns, read from the headers."""
    cells = 0
    for name in TIME_SERIES_FILES:
        with (folder / name).open(encoding="utf-8-sig", newline="") as handle:
            header = next(csv.reader(handle), [])
            rows = sum(1 for _ in handle)
        cells += rows * sum(1 for column in header if is_date_header(column))
    return cells


def scale_data(
    data_dir: Path,
    template: Path,
    scale: Scale,
    seed: int,
    progress: Progress = silent,
    real_source: Path | None = None,
) -> tuple[Path, int]:
    """The files of a scale, and their date cells: at `real` the folder `real_source` (by
    default the template) itself, read in place; at k the generated files.

    Reused only when the folder's marker records the same inputs (scale, seed, the generator's
    code, the template files' sha256); otherwise generated afresh.
    """
    if scale == REAL:
        source = real_source or template
        cells = time_series_cells(source)
        size = input_size(source)
        progress(f"  data: {source} (real: {size.files:,} files, {size.bytes / 1e6:,.0f} MB)")
        return source, cells
    out = data_dir / f"k{scale}-seed{seed}"
    marker = read_marker(out)
    wanted = inputs(template, scale, seed)
    if marker and all(marker.get(key) == value for key, value in wanted.items()):
        progress(f"  data: {out} (cached, {marker['cells']:,} cells)")
        return out, int(marker["cells"])
    progress(f"  data: generating scale {scale} into {out} ...")
    summary = generate(template, out, scale, seed)
    progress(
        f"  data: {summary.cells:,} cells, {summary.bytes / 1e6:,.0f} MB in {summary.seconds:.1f} s"
    )
    return out, summary.cells


def run_record(
    scale: Scale,
    cells: int,
    results: dict[str, Measurement],
    size: InputSize | None = None,
    daily_models_s: float | None = None,
    source: Path | None = None,
) -> dict[str, Any]:
    """One entry of bench-results.json: the issue's fields first, then the extra ones."""
    record: dict[str, Any] = {"scale": scale, "cells": cells}
    if size is not None:
        record["input_files"] = size.files
        record["input_bytes"] = size.bytes
    if source is not None:
        record["input_dir"] = str(source)
    for job in MEASURED:
        record[f"{job}_s"] = results[job].seconds if job in results else None
    for job in MEASURED:
        record[f"{job}_peak_rss_mb"] = results[job].peak_rss_mb if job in results else None
    for job in MEASURED:
        record[f"{job}_cpu_s"] = results[job].cpu_seconds if job in results else None
    pipeline = results.get("pipeline")
    record["pipeline_stages_s"] = pipeline.stages if pipeline else None
    record["pipeline_daily_report_models_s"] = daily_models_s
    for job in MEASURED:
        if job not in results:
            record[f"{job}_error"] = "not run (--jobs)"
        elif results[job].error:
            record[f"{job}_error"] = results[job].error
    return record


def environment() -> dict[str, Any]:
    return {
        "cpus": os.cpu_count(),
        "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def fmt_seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:,.1f}"


def fmt_mb(value: float | None) -> str:
    return "-" if value is None else f"{value:,.0f}"


def ratio(a: float | None, b: float | None) -> str:
    return "-" if a is None or b is None or b == 0 else f"{a / b:.1f}x"


def fmt_input(files: int | None, size: int | None) -> str:
    return "" if files is None or size is None else f"{files:,} files, {size / 1e6:,.0f} MB"


def table(runs: list[dict[str, Any]]) -> str:
    """The results as a Markdown table (as docs/performance.md shows them)."""
    head = (
        "| k | input | cells | pipeline s | re-run s | dbt floor s | dbt empty s | pandas s "
        "| spark s | pipeline / floor | re-run / floor | pandas / pipeline | spark / pipeline "
        "| pipeline RSS MB | pandas RSS MB | spark RSS MB |"
    )
    lines = [head, "|" + "---|" * 16]
    for r in runs:
        cells = [
            str(r["scale"]),
            fmt_input(r.get("input_files"), r.get("input_bytes")),
            f"{r['cells'] / 1e6:,.1f} M",
            fmt_seconds(r["pipeline_s"]),
            fmt_seconds(r.get("pipeline_rerun_s")),
            fmt_seconds(r["dbt_floor_s"]),
            fmt_seconds(r["dbt_empty_s"]),
            fmt_seconds(r["pandas_s"]),
            fmt_seconds(r["spark_s"]),
            ratio(r["pipeline_s"], r["dbt_floor_s"]),
            ratio(r.get("pipeline_rerun_s"), r["dbt_floor_s"]),
            ratio(r["pandas_s"], r["pipeline_s"]),
            ratio(r["spark_s"], r["pipeline_s"]),
            fmt_mb(r["pipeline_peak_rss_mb"]),
            fmt_mb(r["pandas_peak_rss_mb"]),
            fmt_mb(r["spark_peak_rss_mb"]),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    notes = [
        f"- k={r['scale']} {job}: {r[f'{job}_error']}"
        for r in runs
        for job in MEASURED
        if r.get(f"{job}_error")
    ]
    return "\n".join(lines + notes)


# --- the benchmark ---------------------------------------------------------------------------


def parse_scales(text: str) -> list[Scale]:
    """`real` (the files of JHU_SOURCE) and positive integers k, in the order given."""
    wrong = f'--scales {text!r}: give "real" or positive integers, e.g. "real 1 10"'
    scales: list[Scale] = []
    for part in text.replace(",", " ").split():
        if part == REAL:
            scales.append(REAL)
            continue
        try:
            k = int(part)
        except ValueError:
            raise JhuError(wrong) from None
        if k < 1:
            raise JhuError(wrong)
        scales.append(k)
    if not scales:
        raise JhuError(wrong)
    return scales


#: The models and tests over the daily reports, by name: their build time is itemised apart.
_DAILY_NODE = re.compile(r"daily_report|subnational")


def daily_report_models_s(target: Path) -> float | None:
    """Seconds the pipeline's build spent on the daily-report nodes (run_results.json)."""
    try:
        results = json.loads((target / "run_results.json").read_text())["results"]
    except (OSError, ValueError, KeyError):
        return None
    return round(
        sum(
            float(r.get("execution_time") or 0)
            for r in results
            if _DAILY_NODE.search(r["unique_id"])
        ),
        2,
    )


def parse_jobs(text: str) -> list[str]:
    jobs = [part for part in text.replace(",", " ").split() if part]
    unknown = [job for job in jobs if job not in JOBS]
    if unknown or not jobs:
        raise JhuError(f"--jobs {text!r}: choose from {', '.join(JOBS)}")
    return [job for job in JOBS if job in jobs]


def check_template(template: Path, option: str = "--template") -> Path:
    """The generator's template (or the `real` scale's folder) must hold the real JHU files."""
    if not (template / LOOKUP_FILE).is_file():
        raise JhuError(
            f"{option} {template}: no JHU files there; give the folder of the real JHU files "
            f"({option} or JHU_SOURCE)"
        )
    return template


@dataclass(frozen=True)
class BenchPlan:
    """What one `jhu bench` measures, and where it keeps its data and results."""

    scales: list[Scale]
    jobs: list[str]
    template: Path
    data_dir: Path
    out: Path
    seed: int = 0
    real_source: Path | None = None
    """The folder the `real` scale reads in place; None: the template."""
    profiles_dir: Path = PROJECT_DIR
    timeout_s: float = DEFAULT_TIMEOUT_S
    memory_limit_bytes: int = int(DEFAULT_MEMORY_GB * 2**30)


def describe(job: str, result: Measurement) -> str:
    """One job's figures as the progress line shows them."""
    shown = result.error or (
        f"{result.seconds:.1f} s (CPU {result.cpu_seconds:.1f} s), "
        f"peak RSS {result.peak_rss_mb:,.0f} MB"
    )
    if result.stages:
        shown += " (" + ", ".join(f"{k} {v:.1f} s" for k, v in result.stages.items()) + ")"
    return f"  {job:<9} {shown}"


def run(plan: BenchPlan, progress: Progress = silent) -> list[dict[str, Any]]:
    """Every job at every scale, one after another; the results file rewritten after each scale.

    Raises JhuError when an untimed step fails; a job that fails or passes a limit is recorded
    with its reason (see `incomplete_scales`).
    """
    runs: list[dict[str, Any]] = []
    for scale in plan.scales:
        progress(f"scale {scale}")
        data, cells = scale_data(
            plan.data_dir, plan.template, scale, plan.seed, progress, plan.real_source
        )
        work = plan.data_dir / "work" / (str(scale) if scale == REAL else f"k{scale}")
        results: dict[str, Measurement] = {}
        for job in plan.jobs:
            command, env = job_command(job, data, work, plan.profiles_dir)
            log = work / f"{job}.log"
            result = measure(command, env, log, plan.timeout_s, plan.memory_limit_bytes)
            if job == "pipeline" and not result.error:
                result.stages = stages_from_summary(log.read_text(errors="replace"))
            results[job] = result
            progress(f"{describe(job, result)}  (log: {log})")
            if job == "pipeline" and not result.error:
                # the same command on the same env: the lake, warehouse and target it left
                rerun_log = work / "pipeline_rerun.log"
                rerun = measure(command, env, rerun_log, plan.timeout_s, plan.memory_limit_bytes)
                results["pipeline_rerun"] = rerun
                progress(f"{describe('rerun', rerun)}  (log: {rerun_log})")
            elif job == "pipeline":
                results["pipeline_rerun"] = Measurement(None, None, "not run: the pipeline failed")
        daily_s = daily_report_models_s(work / "dbt" / "pipeline" / "target")
        size = input_size(data)
        runs.append(run_record(scale, cells, results, size, daily_s, data))
        # Written after every scale: a long run that is stopped keeps what it measured.
        write_results(plan.out, runs)
    return runs


def incomplete_scales(runs: list[dict[str, Any]]) -> list[Scale]:
    """The scales at which the pipeline was run and did not complete."""
    return [r["scale"] for r in runs if r.get("pipeline_error")]


def write_results(path: Path, runs: list[dict[str, Any]]) -> None:
    document = {"runs": runs, "environment": environment()}
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(document, indent=2) + "\n")
    tmp.replace(path)
