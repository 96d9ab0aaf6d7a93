"""dbt-duckdb plugin: every connection dbt opens can read and write the lake, local or S3.

profiles.yml lists it under the duckdb output
(`plugins: [{module: jhu_warehouse.build.duckdb_plugin}]`).
On each new DuckDB connection it loads httpfs from the duckdb-extension-httpfs package (by path:
nothing is downloaded at run time) and, when JHU_LAKE is s3://, creates a TEMPORARY secret with
the region and credentials of boto3's standard chain and the JHU_S3_ENDPOINT, if any. Settings
are read from the environment with the same rules as the `jhu` command line. It also creates the
folder beside the warehouse file where `parquet_file` models are written: DuckDB's COPY does not
create folders, and plain `dbt build` runs without the `jhu` command line.
"""

from __future__ import annotations

from typing import Any

from dbt.adapters.duckdb.plugins import BasePlugin
from duckdb import DuckDBPyConnection

from jhu_warehouse.config import load_settings
from jhu_warehouse.dbt_project.marts import parquet_file_folder
from jhu_warehouse.lake.duckdb_access import configure_connection


class Plugin(BasePlugin):
    def initialize(self, plugin_config: dict[str, Any]) -> None:
        """No options: the lake is configured by the JHU_* settings alone."""

    def configure_connection(self, conn: DuckDBPyConnection) -> None:
        configure_connection(conn, load_settings())
        (database,) = conn.execute(
            "select path from duckdb_databases() where database_name = current_database()"
        ).fetchone() or ("",)
        if database:
            parquet_file_folder(database).mkdir(parents=True, exist_ok=True)
