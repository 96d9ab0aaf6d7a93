"""The lake: one interface over a local folder and an S3 prefix, with the same layout in both.

A shared lower layer: every stage reads and writes the lake through `open_lake(settings)`. The
interface and the layout are in `base`, the folder in `local`, S3 in `s3` (with its errors in
`s3_errors` and its IAM policy in `iam`), and DuckDB's own access to an S3 lake in
`duckdb_access`.
"""

from __future__ import annotations

from jhu_warehouse.config import Settings
from jhu_warehouse.lake.base import (
    MARTS_MANIFEST,
    MARTS_PREFIX,
    RAW_MANIFEST,
    RAW_PREFIX,
    REPORT_INDEX,
    REPORT_PREFIX,
    Lake,
    LakeStats,
)
from jhu_warehouse.lake.local import LocalLake

__all__ = [
    "MARTS_MANIFEST",
    "MARTS_PREFIX",
    "RAW_MANIFEST",
    "RAW_PREFIX",
    "REPORT_INDEX",
    "REPORT_PREFIX",
    "Lake",
    "LakeStats",
    "LocalLake",
    "open_lake",
]


def open_lake(settings: Settings) -> Lake:
    """The lake the settings name; S3 support is imported only when used."""
    if settings.lake_is_s3:
        from jhu_warehouse.lake.s3 import S3Lake

        return S3Lake.from_settings(settings)
    return LocalLake(settings.lake)
