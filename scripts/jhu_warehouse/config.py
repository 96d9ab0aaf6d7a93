"""The settings of the pipeline (the JHU_* environment variables), read once, and the project root.

The configuration surface is deliberately small (README, Settings): everything else is derived,
so the same code serves a local folder and an S3 bucket.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from jhu_warehouse.errors import JhuError

#: Project root: the folder holding dbt_project.yml.
PROJECT_DIR = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Settings:
    source: str | None
    """Local folder with the JHU files, or None for the upstream download."""
    lake: str
    """Local folder or s3://bucket/prefix (no trailing slash)."""
    s3_endpoint: str | None
    """S3-compatible endpoint URL, or None for AWS."""
    duckdb_path: str
    """The warehouse file analysts open."""
    target: str
    """dbt target: duckdb (default) or spark."""

    @property
    def lake_is_s3(self) -> bool:
        return self.lake.startswith("s3://")


def load_settings(environ: dict[str, str] | None = None) -> Settings:
    """Read and check the settings; a bad one is a JhuError naming the variable."""
    env = os.environ if environ is None else environ
    source = env.get("JHU_SOURCE") or None
    lake = (env.get("JHU_LAKE") or "lake").rstrip("/")
    endpoint = env.get("JHU_S3_ENDPOINT") or None
    duckdb_path = env.get("JHU_DUCKDB") or "jhu_covid.duckdb"
    target = env.get("JHU_TARGET") or "duckdb"

    if lake.startswith("s3://"):
        bucket = lake[len("s3://") :].split("/", 1)[0]
        if not bucket:
            raise JhuError(f"JHU_LAKE={lake!r}: an S3 lake needs a bucket, as s3://bucket/prefix")
    elif "://" in lake:
        raise JhuError(f"JHU_LAKE={lake!r}: use a local folder or s3://bucket/prefix")
    if endpoint and not endpoint.startswith(("http://", "https://")):
        raise JhuError(f"JHU_S3_ENDPOINT={endpoint!r}: must start with http:// or https://")
    if target not in ("duckdb", "spark"):
        raise JhuError(f"JHU_TARGET={target!r}: must be duckdb or spark")
    if source and source.startswith(("http://", "https://")):
        raise JhuError(
            f"JHU_SOURCE={source!r}: give a local folder, or leave it unset to download upstream"
        )
    return Settings(
        source=source,
        lake=lake,
        s3_endpoint=endpoint,
        duckdb_path=duckdb_path,
        target=target,
    )
