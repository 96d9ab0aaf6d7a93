"""The `jhu` command line: one subcommand per stage, plus `run` for the whole job.

Each subcommand lives in its own module, which provides HELP, add_arguments(parser) and
main(args, settings) -> exit code. This module only wires them together and turns a JhuError
into one line on stderr and a non-zero exit.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from jhu_warehouse.config import load_settings
from jhu_warehouse.errors import JhuError

#: name -> (module, one-line help). The help is kept here so that `jhu --help` and a subcommand
#: import only what they use: the dbt, DuckDB and boto3 imports cost most of a second.
SUBCOMMANDS = {
    "run": ("jhu_warehouse.pipeline", "load, dbt build and export: the whole job"),
    "load": ("jhu_warehouse.loader", "validate the six JHU files and land the changed ones"),
    "build": ("jhu_warehouse.dbt_runner", "dbt build: seeds, models and tests"),
    "export": ("jhu_warehouse.export", "publish the marts to the lake as Parquet"),
    "generate": ("jhu_warehouse.generate", "write JHU-shaped files at scale k (benchmarks)"),
    "bench": ("jhu_warehouse.bench", "benchmark the pipeline against dbt's floor, pandas, PySpark"),
    "check": ("jhu_warehouse.project_check", "check the dbt project's structure, docs and tests"),
}

EPILOG = """settings (environment variables):
  JHU_SOURCE       local folder with the JHU files (default: download the archived upstream files)
  JHU_LAKE         local folder or s3://bucket/prefix (default: lake)
  JHU_S3_ENDPOINT  S3-compatible endpoint URL, e.g. http://127.0.0.1:9000 (default: AWS)
  JHU_DUCKDB       the warehouse file analysts open (default: jhu_covid.duckdb)
  JHU_TARGET       dbt target: duckdb or spark (default: duckdb)
credentials for S3 come only from the standard AWS chain (environment, ~/.aws, instance role)."""


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
    for name, (module_name, help_text) in SUBCOMMANDS.items():
        sub = subparsers.add_parser(
            name,
            help=help_text,
            description=help_text,
            epilog=EPILOG,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        if name == chosen:
            module = importlib.import_module(module_name)
            sub.description = module.HELP
            module.add_arguments(sub)
            sub.set_defaults(module=module)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    args = build_parser(argv).parse_args(argv)
    try:
        settings = load_settings()
        return int(args.module.main(args, settings) or 0)
    except JhuError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("error: interrupted; nothing of this stage was published", file=sys.stderr)
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
