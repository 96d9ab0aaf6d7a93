"""The settings of the pipeline (the JHU_* environment variables), read once, and the project root.

The configuration surface is deliberately small (README, Settings): everything else is derived,
so the same code serves a local folder and an S3 bucket.
"""

from __future__ import annotations

import os
import re
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


#: S3's bucket naming rules (general purpose buckets): 3 to 63 characters.
BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")


def check_s3_uri(uri: str) -> None:
    """Refuse what only looks like an S3 lake (`s3://`, `s3:/bucket/x`, `S3://…`, a bad bucket),
    rather than writing a local folder named `s3:`."""
    usage = "an S3 lake is written s3://bucket/prefix"
    if not uri.startswith("s3://"):
        raise JhuError(f"JHU_LAKE={uri!r}: {usage}")
    bucket, _, prefix = uri[len("s3://") :].partition("/")
    if not bucket:
        raise JhuError(f"JHU_LAKE={uri!r}: no bucket; {usage}")
    if not BUCKET_NAME.match(bucket):
        raise JhuError(
            f"JHU_LAKE={uri!r}: {bucket!r} is not an S3 bucket name (3 to 63 lowercase letters, "
            f"digits, dots and hyphens); {usage}"
        )
    if "//" in prefix.rstrip("/"):
        raise JhuError(f"JHU_LAKE={uri!r}: an empty folder name in the prefix; {usage}")


def load_settings(environ: dict[str, str] | None = None) -> Settings:
    """Read and check the settings; a bad one is a JhuError naming the variable."""
    env = os.environ if environ is None else environ
    source = env.get("JHU_SOURCE") or None
    raw_lake = env.get("JHU_LAKE") or "lake"
    lake = raw_lake.rstrip("/")
    endpoint = env.get("JHU_S3_ENDPOINT") or None
    duckdb_path = env.get("JHU_DUCKDB") or "jhu_covid.duckdb"
    target = env.get("JHU_TARGET") or "duckdb"

    if raw_lake.lower().startswith("s3:"):
        check_s3_uri(raw_lake)
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
