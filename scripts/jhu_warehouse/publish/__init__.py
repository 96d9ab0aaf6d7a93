"""The publish stage (`jhu export`): each engine's writer puts every mart in a local Parquet file
(`duckdb_writer`, `spark_writer`), and the publisher makes the set the lake's current export
behind its manifest (`publisher`, `manifest`)."""

from __future__ import annotations

from collections.abc import Callable

from jhu_warehouse.config import Settings
from jhu_warehouse.publish.publisher import ExportReport

Exporter = Callable[..., ExportReport]


def exporter_for(settings: Settings) -> Exporter:
    """The export of the settings' dbt target (both take the same arguments)."""
    if settings.target == "spark":
        from jhu_warehouse.publish import spark_writer

        return spark_writer.export
    from jhu_warehouse.publish import duckdb_writer

    return duckdb_writer.export
