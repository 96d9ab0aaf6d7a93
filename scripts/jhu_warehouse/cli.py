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

SUBCOMMANDS = {
    "run": "jhu_warehouse.pipeline",
    "load": "jhu_warehouse.loader",
    "build": "jhu_warehouse.dbt_runner",
    "export": "jhu_warehouse.export",
    "generate": "jhu_warehouse.generate",
    "bench": "jhu_warehouse.bench",
}

EPILOG = """settings (environment variables):
  JHU_SOURCE       local folder with the JHU files (default: download the archived upstream files)
  JHU_LAKE         local folder or s3://bucket/prefix (default: lake)
  JHU_S3_ENDPOINT  S3-compatible endpoint URL, e.g. http://127.0.0.1:9000 (default: AWS)
  JHU_DUCKDB       the warehouse file analysts open (default: jhu_covid.duckdb)
  JHU_TARGET       dbt target: duckdb or spark (default: duckdb)
credentials for S3 come only from the standard AWS chain (environment, ~/.aws, instance role)."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="jhu",
        description="JHU CSSE COVID-19 warehouse: load the raw files into the lake, "
        "build the dbt models, export the marts as Parquet.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, module_name in SUBCOMMANDS.items():
        module = importlib.import_module(module_name)
        sub = subparsers.add_parser(
            name,
            help=module.HELP,
            description=module.HELP,
            epilog=EPILOG,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        module.add_arguments(sub)
        sub.set_defaults(module=module)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
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
