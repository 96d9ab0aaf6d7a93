"""The marts the report reads: the exported Parquet, through the export manifest.

The report shows the export it is published beside, not the warehouse file: the figures, the
export time and the dbt invocation id then come from one manifest, and the same code serves the
DuckDB and the Spark targets (both export the same Parquet) and a lake on S3 (DuckDB reads the
Parquet there through httpfs, as `lake.duckdb_access` sets it up).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import duckdb

from jhu_warehouse.config import Settings
from jhu_warehouse.errors import JhuError
from jhu_warehouse.lake import MARTS_MANIFEST, Lake
from jhu_warehouse.lake.documents import load_json
from jhu_warehouse.report.data import MARTS, QUERIES, Export


def read_export(lake: Lake, marts: Sequence[str] = MARTS) -> tuple[dict[str, str], Export]:
    """Each mart's current Parquet file (its lake key) and what the manifest says of the export.

    A lake with no export, or an export without a mart the report needs, is a JhuError naming the
    manifest: run `jhu export` (or `jhu run`) first.
    """
    where = lake.uri(MARTS_MANIFEST)
    data = lake.read_bytes(MARTS_MANIFEST)
    if data is None:
        raise JhuError(f"{where}: no export manifest; run `jhu export` (or `jhu run`) first")
    manifest = load_json(data, where)
    entries = manifest.get("marts")
    if not isinstance(entries, dict):
        raise JhuError(f"{where}: no 'marts' object; not an export manifest")
    missing = [m for m in marts if not isinstance(entries.get(m), dict) or "file" not in entries[m]]
    if missing:
        raise JhuError(f"{where}: the export has no {', '.join(missing)}; run `jhu export` again")
    files = {m: str(entries[m]["file"]) for m in marts}
    export = Export(
        exported_at=manifest.get("exported_at"),
        dbt_invocation_id=manifest.get("dbt_invocation_id"),
        engine=manifest.get("engine"),
    )
    return files, export


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def query_marts(con: Any, lake: Lake, files: dict[str, str]) -> dict[str, list[tuple[Any, ...]]]:
    """Every query of the page over views named like the marts, each on its Parquet file."""
    for mart, key in files.items():
        source = _literal(lake.uri(key))
        con.execute(f"create or replace temp view {mart} as select * from read_parquet({source})")
    return {name: con.execute(sql).fetchall() for name, sql in QUERIES.items()}


def read_rows(settings: Settings, lake: Lake) -> tuple[dict[str, list[tuple[Any, ...]]], Export]:
    """The rows of every query of the page, from the lake's current export."""
    from jhu_warehouse.lake.duckdb_access import connect

    files, export = read_export(lake)
    con = connect(settings)
    try:
        return query_marts(con, lake, files), export
    except duckdb.Error as exc:  # a Parquet file missing or unreadable: name the manifest
        first = str(exc).splitlines()[0]
        raise JhuError(
            f"report: reading the marts of {lake.uri(MARTS_MANIFEST)}: {first}"
        ) from None
    finally:
        con.close()
