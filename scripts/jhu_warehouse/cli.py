"""The `jhu` command line: one subcommand per stage, plus `run` for the whole job.

The only part of the package that talks to the terminal: stages return what they did
(dataclasses) and report progress through the `Progress` callable they are given; this module
prints both, and turns a JhuError into one line on stderr and a non-zero exit. Each subcommand
imports its stage only when chosen: dbt, DuckDB and boto3 cost most of a second to import.
"""

from __future__ import annotations

import argparse
import signal
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from jhu_warehouse.config import PROJECT_DIR, Settings, load_settings
from jhu_warehouse.errors import JhuError, TerminatedError, raise_terminated

EPILOG = """settings (environment variables):
  JHU_SOURCE       local folder with the JHU files (default: download the archived upstream files)
  JHU_LAKE         local folder or s3://bucket/prefix (default: lake)
  JHU_S3_ENDPOINT  S3-compatible endpoint URL, e.g. http://127.0.0.1:9000 (default: AWS)
  JHU_DUCKDB       the warehouse file analysts open (default: jhu_covid.duckdb)
  JHU_TARGET       dbt target: duckdb or spark (default: duckdb)
  JHU_SPARK_DIR    with JHU_TARGET=spark: the metastore and tables (default: spark-warehouse)
credentials for S3 come only from the standard AWS chain (environment, ~/.aws, instance role)."""


def say(line: str) -> None:
    """The progress of every stage: a line on stdout, at once (a long run is watched live)."""
    print(line, flush=True)


# --- the subcommands ------------------------------------------------------------------------


def _wait_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--wait",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="when another run holds the lake's lock, wait up to this long for it (default 0: "
        "refuse at once, naming the holder)",
    )


def _run_arguments(parser: argparse.ArgumentParser) -> None:
    _wait_argument(parser)
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
    parser.add_argument(
        "--full-refresh",
        action="store_true",
        help="build, export and report even when nothing they depend on changed since the last "
        "complete run (which a re-run otherwise skips)",
    )
    parser.add_argument(
        "--plan",
        action="store_true",
        help="print the requests the run would make (by verb), the bytes and their cost at S3 "
        "Standard prices, and stop: nothing is loaded, built, written or created",
    )
    parser.add_argument(
        "--json",
        action="store_true",
        help='with --plan: print it as one JSON object {"requests": {...}, "bytes_up": n, '
        '"bytes_down": n, "cost_usd": x}',
    )
    parser.add_argument(
        "--max-puts",
        type=int,
        metavar="N",
        help="stop before the first upload when the run would make more than N PUT requests",
    )


def _run(args: argparse.Namespace, settings: Settings) -> int:
    from jhu_warehouse import pipeline

    if args.json and not args.plan:
        raise JhuError("--json goes with --plan (jhu run --plan --json)")
    if args.plan:
        run_plan = pipeline.plan(settings)
        if args.json:
            import json

            print(json.dumps(run_plan.as_json(), sort_keys=True))
        else:
            for line in run_plan.lines():
                print(line)
        return 0
    if args.create_bucket:
        _create_bucket(settings)
    report = pipeline.run(
        settings,
        unit_tests=args.unit_tests,
        progress=say,
        wait_s=args.wait,
        full_refresh=args.full_refresh,
        max_puts=args.max_puts,
    )
    print("summary")
    for line in report.summary_lines():
        print(line)
    return 0


def _create_bucket(settings: Settings) -> None:
    from jhu_warehouse.lake.s3 import create_bucket_if_missing

    line = create_bucket_if_missing(settings)
    if line:
        say(line)


def _load(args: argparse.Namespace, settings: Settings) -> int:
    from jhu_warehouse.ingest.land import load
    from jhu_warehouse.lake import RAW_MANIFEST, open_lake
    from jhu_warehouse.lake.locking import with_lake_lock

    lake = open_lake(settings)
    report = with_lake_lock(
        lake, lambda locked: load(settings, locked, progress=say), wait_s=args.wait, progress=say
    )
    print(report.summary())
    if report.manifest_written:
        print(f"manifest: {lake.uri(RAW_MANIFEST)}")
    print(f"lake {lake.stats.summary()}")
    return 0


def _build_arguments(parser: argparse.ArgumentParser) -> None:
    _wait_argument(parser)
    parser.add_argument(
        "--select",
        "-s",
        metavar="SELECTOR",
        help="build only these nodes (dbt selection syntax), e.g. 'marts.fct_global_daily+'",
    )


def _build(args: argparse.Namespace, settings: Settings) -> int:
    from jhu_warehouse.build.dbt_build import build, check_warehouse, describe_build
    from jhu_warehouse.lake import open_lake
    from jhu_warehouse.lake.locking import lake_lock

    check_warehouse(settings)
    say(f"build: {describe_build(settings)}")
    extra = ["--select", args.select] if args.select else []
    # the build writes nothing to the lake but reads the raw files: it holds the lock from the
    # start, so no run lands them while dbt reads them (`jhu run` checks that at its first write)
    with lake_lock(open_lake(settings), wait_s=args.wait, progress=say):
        report = build(settings, extra, progress=say)
    print(f"build: {report.summary()}")
    return 0


def _export_arguments(parser: argparse.ArgumentParser) -> None:
    from jhu_warehouse.publish.manifest import KEEP_EXPORTS

    _wait_argument(parser)
    parser.add_argument(
        "--keep",
        type=int,
        default=KEEP_EXPORTS,
        metavar="N",
        help="how many exports keep their files in the lake, the current one included "
        f"(default {KEEP_EXPORTS})",
    )


def _export(args: argparse.Namespace, settings: Settings) -> int:
    from jhu_warehouse.lake import MARTS_PREFIX, open_lake
    from jhu_warehouse.lake.locking import with_lake_lock
    from jhu_warehouse.publish import exporter_for

    lake = open_lake(settings)
    say(f"export: marts of {settings.duckdb_path} -> {lake.uri(MARTS_PREFIX)}")
    export = exporter_for(settings)
    report = with_lake_lock(
        lake,
        lambda locked: export(settings, locked, keep=args.keep, progress=say),
        wait_s=args.wait,
        progress=say,
    )
    print(f"export: {report.summary()}")
    print(f"lake: {lake.stats.summary()}")
    return 0


def _report(args: argparse.Namespace, settings: Settings) -> int:
    from jhu_warehouse.lake import MARTS_MANIFEST, REPORT_INDEX, open_lake
    from jhu_warehouse.lake.locking import with_lake_lock
    from jhu_warehouse.report.stage import write_report

    lake = open_lake(settings)
    say(f"report: the marts of {lake.uri(MARTS_MANIFEST)} -> {lake.uri(REPORT_INDEX)}")
    report = with_lake_lock(
        lake,
        lambda locked: write_report(settings, locked, progress=say),
        wait_s=args.wait,
        progress=say,
    )
    print(f"report: {report.summary()}; {report.seconds:.1f} s")
    where = report.index_uri if settings.lake_is_s3 else Path(report.index_uri).resolve().as_uri()
    print(f"open it in a browser: {where} (no network needed)")
    print(f"lake: {lake.stats.summary()}")
    return 0


def _check_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--target-path",
        type=Path,
        default=None,
        help="folder holding manifest.json and catalog.json "
        "(default: $DBT_TARGET_PATH, else target/, relative to the project)",
    )


def _check(args: argparse.Namespace, settings: Settings) -> int:
    from jhu_warehouse.checks import check
    from jhu_warehouse.dbt_project.artifacts import read_artifact

    manifest = read_artifact("manifest.json", target=args.target_path, made_by="make docs")
    catalog = read_artifact("catalog.json", target=args.target_path, made_by="make docs")
    report = check(manifest, catalog)
    print(report.render())
    return 0 if report.ok else 1


def _template(args: argparse.Namespace, settings: Settings) -> Path | None:
    """The real JHU files the generator takes its locations from: --template, else JHU_SOURCE."""
    return args.template or (Path(settings.source) if settings.source else None)


def _generate_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--scale", type=int, default=1, help="multiply the US locations by K")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument(
        "--out",
        type=Path,
        required=True,
        help="folder to write: new, empty, or made by an earlier `jhu generate` (then replaced)",
    )
    parser.add_argument(
        "--template",
        type=Path,
        default=None,
        help="folder with the real JHU files to take locations from (default: JHU_SOURCE)",
    )


def _generate(args: argparse.Namespace, settings: Settings) -> int:
    from jhu_warehouse.bench.generate import generate

    template = _template(args, settings)
    if template is None:
        raise JhuError("--template: give the folder of the real JHU files, or set JHU_SOURCE")
    say(f"generating scale {args.scale} (seed {args.seed}) from {template} into {args.out}")
    summary = generate(template, args.out, args.scale, args.seed, progress=say)
    for name, stats in summary.files.items():
        print(f"  {name}: {stats['rows']:,} rows, {stats['bytes']:,} bytes")
    print(
        f"wrote {len(summary.files)} files, {summary.cells:,} date cells, "
        f"{summary.bytes / 1e6:,.1f} MB in {summary.seconds:.1f} s"
    )
    return 0


def _bench_arguments(parser: argparse.ArgumentParser) -> None:
    from jhu_warehouse.bench.runner import DEFAULT_MEMORY_GB, DEFAULT_TIMEOUT_S, JOBS

    parser.add_argument(
        "--scales",
        default="real 1 10",
        help='"real" (the files of --real-source, time series and daily reports, read in '
        'place) and scales k of generated files, e.g. "real 1 10 100" (default: real 1 10)',
    )
    parser.add_argument(
        "--real-source",
        type=Path,
        default=None,
        metavar="DIR",
        help="folder of real JHU files the scale 'real' reads in place (default: the "
        "template's: --template, else JHU_SOURCE, else ../shared/jhu); `make bench` passes "
        "bench-data/jhu-full, the full data ../shared/jhu-full/assemble makes there "
        "(2,211 files, 610 MB)",
    )
    parser.add_argument("--jobs", default=" ".join(JOBS), help="jobs to run (default: all five)")
    parser.add_argument("--seed", type=int, default=0, help="generator seed (default 0)")
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=PROJECT_DIR / "bench-data",
        help="generated files (cached) and scratch space (default: bench-data/)",
    )
    parser.add_argument(
        "--out", type=Path, default=PROJECT_DIR / "bench-results.json", help="results file"
    )
    parser.add_argument(
        "--template",
        type=Path,
        default=None,
        help="folder with the real JHU files the generator takes locations from "
        "(default: JHU_SOURCE, else ../shared/jhu)",
    )
    parser.add_argument(
        "--profiles-dir",
        type=Path,
        default=PROJECT_DIR,
        help="dbt profiles folder of the pipeline and the floor (default: the repo's), e.g. to "
        "try DuckDB settings without editing profiles.yml",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=DEFAULT_TIMEOUT_S,
        help=f"seconds before a job is stopped (default {DEFAULT_TIMEOUT_S:.0f})",
    )
    parser.add_argument(
        "--memory-limit-gb",
        type=float,
        default=DEFAULT_MEMORY_GB,
        help=f"peak RSS of a job's process tree before it is stopped (default {DEFAULT_MEMORY_GB})",
    )


def _bench(args: argparse.Namespace, settings: Settings) -> int:
    from jhu_warehouse.bench import runner

    template = runner.check_template(_template(args, settings) or runner.DEFAULT_TEMPLATE)
    scales = runner.parse_scales(args.scales)
    real_source = None
    if runner.REAL in scales:
        real_source = runner.check_template(args.real_source or template, "--real-source")
    plan = runner.BenchPlan(
        scales=scales,
        jobs=runner.parse_jobs(args.jobs),
        template=template,
        data_dir=args.data_dir,
        out=args.out,
        seed=args.seed,
        real_source=real_source,
        profiles_dir=args.profiles_dir,
        timeout_s=args.timeout,
        memory_limit_bytes=int(args.memory_limit_gb * 2**30),
    )
    runs = runner.run(plan, progress=say)
    print()
    print(runner.table(runs))
    print(f"\nwrote {args.out}")
    failed = runner.incomplete_scales(runs) if "pipeline" in plan.jobs else []
    if failed:
        raise JhuError(f"the pipeline did not complete at scale {failed}: see its log above")
    return 0


def _policy_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "lake", nargs="?", help="the lake, s3://bucket/prefix (default: JHU_LAKE)", metavar="LAKE"
    )


def _policy(args: argparse.Namespace, settings: Settings) -> int:
    from jhu_warehouse.lake.iam import policy_for

    print(policy_for(args.lake or settings.lake), end="")
    return 0


def _reference_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("engine", choices=("pandas", "spark"), help="which reference to run")
    parser.add_argument("--source", type=Path, required=True, help="folder with the JHU files")
    parser.add_argument("--out", type=Path, required=True, help="folder for the Parquet files")


def _reference(args: argparse.Namespace, settings: Settings) -> int:
    import time

    started = time.perf_counter()
    if args.engine == "pandas":
        from jhu_warehouse.bench.reference import pandas_reference

        rows = pandas_reference.write(args.source, args.out)
    else:
        from jhu_warehouse.bench.reference import spark_reference

        rows = spark_reference.run(args.source, args.out)
    shown = ", ".join(f"{mart} {n:,} rows" for mart, n in rows.items())
    print(
        f"{args.engine} reference: {shown} in {time.perf_counter() - started:.1f} s -> {args.out}"
    )
    return 0


def _no_arguments(parser: argparse.ArgumentParser) -> None:
    """The subcommand takes no options: the settings say where from and where to."""


@dataclass(frozen=True)
class Command:
    help: str
    """One line for `jhu --help`."""
    description: str
    """What `jhu COMMAND --help` says first."""
    run: Callable[[argparse.Namespace, Settings], int]
    arguments: Callable[[argparse.ArgumentParser], None] = _no_arguments


COMMANDS = {
    "run": Command(
        "load, dbt build, export and report: the whole job",
        "Run the main job: load the JHU files into the lake, dbt build, export the marts, write "
        "the report",
        _run,
        _run_arguments,
    ),
    "load": Command(
        "validate the six JHU files and land the changed ones",
        "Load the six JHU files (from JHU_SOURCE, or downloaded from the archived upstream) into "
        "the lake's raw/jhu/: validate all, land the changed ones byte for byte, manifest last",
        _load,
        _wait_argument,
    ),
    "build": Command(
        "dbt build: seeds, models and tests",
        "Run `dbt build` (seeds, models, tests) in-process on the warehouse file, with a summary",
        _build,
        _build_arguments,
    ),
    "export": Command(
        "publish the marts to the lake as Parquet",
        "Export every mart as Parquet (zstd) to {JHU_LAKE}/marts/, published behind a manifest",
        _export,
        _export_arguments,
    ),
    "report": Command(
        "write the static report of the marts (report/index.html)",
        "Write the current export's marts as a static page, {JHU_LAKE}/report/index.html, that "
        "opens from disk with no network; published page last, nothing written when unchanged",
        _report,
        _wait_argument,
    ),
    "check": Command(
        "check the dbt project's structure, docs and tests",
        "Check the dbt project's structure, docs and tests from target/manifest.json and "
        "catalog.json (written by `make docs`)",
        _check,
        _check_arguments,
    ),
    "generate": Command(
        "write JHU-shaped files at scale k (benchmarks)",
        "Write JHU-shaped files at scale k (for the benchmark), values synthesised from a seed",
        _generate,
        _generate_arguments,
    ),
    "bench": Command(
        "benchmark the pipeline against dbt's floor, pandas, PySpark",
        "Benchmark the main job against the dbt floor, its empty build, pandas and PySpark",
        _bench,
        _bench_arguments,
    ),
    "reference": Command(
        "two marts computed outside dbt, in pandas or PySpark (bench)",
        "fct_country_daily and fct_us_county_daily from the raw JHU files, written as Parquet "
        "by the pandas or the PySpark reference implementation",
        _reference,
        _reference_arguments,
    ),
    "policy": Command(
        "print the IAM policy an S3 lake needs",
        "Print the repo's IAM policy (iam/jhu-pipeline-policy.json) filled in for one S3 lake",
        _policy,
        _policy_arguments,
    ),
}


def _chosen(argv: Sequence[str]) -> str | None:
    """The subcommand named on the command line, found before parsing so only it is imported."""
    return next((arg for arg in argv if not arg.startswith("-")), None)


def build_parser(argv: Sequence[str]) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="jhu",
        description="JHU CSSE COVID-19 warehouse: load the raw files into the lake, "
        "build the dbt models, export the marts as Parquet.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    chosen = _chosen(argv)
    for name, command in COMMANDS.items():
        sub = subparsers.add_parser(
            name,
            help=command.help,
            description=command.description,
            epilog=EPILOG,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        if name == chosen:
            command.arguments(sub)
            sub.set_defaults(handler=command.run)
    return parser


def os_error_line(exc: OSError) -> str:
    """The last resort for a file the stages did not name: which file, what, what to do."""
    where = exc.filename or "a file"
    return (
        f"error: cannot use {where}: {exc.strerror or exc}; free space or fix its permissions, "
        "or point the setting that names it (JHU_LAKE, JHU_DUCKDB, TMPDIR) elsewhere"
    )


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    args = build_parser(argv).parse_args(argv)
    previous = signal.signal(signal.SIGTERM, raise_terminated)
    try:
        settings = load_settings()
        return int(args.handler(args, settings) or 0)
    except JhuError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(os_error_line(exc), file=sys.stderr)
        return 1
    except (KeyboardInterrupt, TerminatedError) as exc:
        print("error: interrupted; nothing of this stage was published", file=sys.stderr)
        return 143 if isinstance(exc, TerminatedError) else 130
    finally:
        signal.signal(signal.SIGTERM, previous)


if __name__ == "__main__":
    raise SystemExit(main())
