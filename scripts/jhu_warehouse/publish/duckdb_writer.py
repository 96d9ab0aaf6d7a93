"""The DuckDB writer of `jhu export`: every mart of the warehouse file to a local Parquet file.

Each model of the dbt project's marts folder is copied to Parquet (zstd) in a total order of its
rows (`publisher.sort_order`), so identical content gives identical bytes and an unchanged mart
is recognised by its sha256 alone; the publisher then makes the set current. A mart the build
already wrote to Parquet (`parquet_file`, in its key's order) is taken as it is: writing it again
was the export's largest cost.
"""

from __future__ import annotations

import contextlib
import functools
import os
import shutil
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from jhu_warehouse.config import Settings
from jhu_warehouse.dbt_project.marts import MartSpec, parquet_file_path
from jhu_warehouse.errors import JhuError
from jhu_warehouse.lake import Lake
from jhu_warehouse.progress import Progress, silent
from jhu_warehouse.publish.manifest import KEEP_EXPORTS, MartFile
from jhu_warehouse.publish.publisher import (
    ExportReport,
    planned_marts,
    sort_order,
    write_and_publish,
)

#: DuckDB's memory limit for the export, as in profiles.yml: past it DuckDB spills to disk
#: instead of growing to its default of 80 % of RAM at the benchmark's large scales
#: (docs/performance.md).
MEMORY_LIMIT = "5GB"


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _take_built_file(built: Path, path: Path) -> None:
    """Hard-link the build's file into the scratch folder (a copy across file systems).

    The link keeps these bytes while the export hashes and uploads them, even if a build
    replaces the file meanwhile (DuckDB writes a new file and renames it over the old one).
    """
    if not built.is_file():
        raise JhuError(
            f"export: {built} is missing (the Parquet file its view in the warehouse reads); "
            "run `jhu build` first"
        )
    try:
        os.link(built, path)
    except OSError:
        shutil.copyfile(built, path)


def write_mart_parquet(con: Any, warehouse: str, spec: MartSpec, out_dir: Path) -> MartFile:
    """Copy one mart to `out_dir/<mart>.parquet` (zstd), deterministically.

    Rows are in a total order (`sort_order`), so the bytes depend only on the content (DuckDB
    writes row groups in order). A `parquet_file` mart's file is taken as the build wrote it,
    in its key's order.
    """
    columns = con.execute(
        "select column_name, data_type from information_schema.columns "
        "where table_catalog = current_database() and table_schema = ? and table_name = ? "
        "order by ordinal_position",
        [spec.schema, spec.relation],
    ).fetchall()
    if not columns:
        raise JhuError(
            f"export: mart {spec.name}: table {spec.schema}.{spec.relation} is not in the "
            "warehouse file; run `jhu build` first"
        )
    names = [name for name, _ in columns]
    missing = [c for c in spec.primary_key if c not in names]
    if missing:
        raise JhuError(f"export: mart {spec.name}: primary key column(s) {missing} not in table")
    import duckdb

    path = out_dir / f"{spec.name}.parquet"
    types = tuple((str(n), str(t)) for n, t in columns)
    if spec.parquet_file:
        _take_built_file(parquet_file_path(warehouse, spec.relation), path)
        (rows,) = con.execute(f"select count(*) from read_parquet('{path.as_posix()}')").fetchone()
        return MartFile.written(spec.name, path, int(rows), types, spec.primary_key)
    order = sort_order(names, spec.primary_key)
    relation = f"{_quote(spec.schema)}.{_quote(spec.relation)}"
    order_by = ", ".join(_quote(c) for c in order)
    try:
        con.execute(
            f"copy (select * from {relation} order by {order_by}) "
            f"to '{path.as_posix()}' (format parquet, compression zstd)"
        )
    except duckdb.IOException as exc:
        said = str(exc).strip().splitlines()[0][:200]
        raise JhuError(
            f"export: cannot write {path} in the scratch folder (TMPDIR={out_dir.parent}): "
            f"{said}; free space there or set TMPDIR to a folder with room"
        ) from None
    (rows,) = con.execute(f"select count(*) from {relation}").fetchone()
    return MartFile.written(spec.name, path, int(rows), types, spec.primary_key)


def export(
    settings: Settings,
    lake: Lake,
    *,
    dbt_invocation_id: str | None = None,
    dbt_manifest: Mapping[str, Any] | None = None,
    keep: int = KEEP_EXPORTS,
    exported_at: str | None = None,
    progress: Progress = silent,
) -> ExportReport:
    """Write every mart of the warehouse file to Parquet and publish the set to the lake.

    `dbt_manifest` and `dbt_invocation_id` default to the artefacts of the last `jhu build`.
    """
    import duckdb

    started = time.perf_counter()
    specs, dbt_invocation_id = planned_marts(dbt_manifest, dbt_invocation_id)
    if not Path(settings.duckdb_path).is_file():
        raise JhuError(f"JHU_DUCKDB={settings.duckdb_path}: no such file; run `jhu build` first")

    # read-only: analysts with the file open read-only keep it open while the export runs
    config = {"memory_limit": MEMORY_LIMIT}
    with contextlib.closing(
        duckdb.connect(settings.duckdb_path, read_only=True, config=config)
    ) as con:
        return write_and_publish(
            lake,
            specs,
            functools.partial(write_mart_parquet, con, settings.duckdb_path),
            engine="duckdb",
            dbt_invocation_id=dbt_invocation_id,
            exported_at=exported_at,
            keep=keep,
            started=started,
            progress=progress,
        )
