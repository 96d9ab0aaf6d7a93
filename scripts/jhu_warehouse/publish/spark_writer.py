"""The Spark writer of `jhu export`: each mart from Spark to one local zstd Parquet file, then the
engine-agnostic `publisher`, so the lake gets the same layout and manifest as a DuckDB
run (`marts/<mart>/<sha256[:16]>.parquet` behind `marts/_manifest.json`).

Spark writes a folder of part files per DataFrame; a mart is brought to one partition and sorted
within it (`publisher.sort_order`: by the primary key, else by every column; nulls last as in
DuckDB) so each mart is one file whose bytes depend only on its content: an unchanged mart keeps
its sha256 and is not uploaded again.

The Spark session is the one dbt-spark (`method: session`) opened in this process when `jhu run`
built the models; a standalone `jhu export` opens one from the `spark` output of profiles.yml, so
the metastore and warehouse folders are configured in exactly one place.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import time
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jhu_warehouse.config import Settings
from jhu_warehouse.dbt_project.invocation import profiles_dir
from jhu_warehouse.dbt_project.marts import MartSpec
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

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

#: The dbt profile and its output that describe the local Spark session.
DBT_PROFILE = "jhu_covid"
SPARK_OUTPUT = "spark"

#: Spark's simple type names -> the SQL type names a DuckDB export records in the manifest, so
#: the manifest of a mart does not depend on the engine that built it.
_SQL_TYPES = {
    "boolean": "BOOLEAN",
    "tinyint": "TINYINT",
    "smallint": "SMALLINT",
    "int": "INTEGER",
    "bigint": "BIGINT",
    "float": "FLOAT",
    "double": "DOUBLE",
    "string": "VARCHAR",
    "date": "DATE",
    "timestamp": "TIMESTAMP WITH TIME ZONE",
    "timestamp_ntz": "TIMESTAMP",
    "binary": "BLOB",
}
_DECIMAL = re.compile(r"^decimal\((\d+),(\d+)\)$")


def sql_type(spark_type: str, *, where: str) -> str:
    """The DuckDB-style SQL name of a Spark column type (`bigint` -> `BIGINT`).

    A type outside the marts' contract vocabulary (arrays, maps, structs, char/varchar) is an
    error naming the column: the contract would not hold for users of the Parquet files.
    """
    name = spark_type.strip().lower()
    if name in _SQL_TYPES:
        return _SQL_TYPES[name]
    decimal = _DECIMAL.match(name)
    if decimal:
        return f"DECIMAL({decimal.group(1)},{decimal.group(2)})"
    raise JhuError(f"export: {where} has Spark type {spark_type!r}, which the marts do not use")


def quote(identifier: str) -> str:
    """A Spark SQL identifier in backticks."""
    return "`" + identifier.replace("`", "``") + "`"


# --------------------------------------------------------------------------------------------
# The session
# --------------------------------------------------------------------------------------------


def profile_spark_conf(target: str = SPARK_OUTPUT) -> dict[str, str]:
    """The Spark settings of the `spark` output of profiles.yml, rendered as dbt renders them.

    Includes what dbt-spark adds itself (it forces `spark.sql.ansi.enabled=false`), so a session
    opened here behaves as the one dbt opened.
    """
    from dbt.config.profile import Profile, read_profile
    from dbt.config.renderer import ProfileRenderer
    from dbt_common.context import set_invocation_context

    folder = profiles_dir()
    raw = read_profile(str(folder))
    if DBT_PROFILE not in raw:
        raise JhuError(f"{folder / 'profiles.yml'}: no profile {DBT_PROFILE!r}")
    set_invocation_context(dict(os.environ))  # what env_var() in profiles.yml reads
    try:
        _, data = Profile.render_profile(raw[DBT_PROFILE], DBT_PROFILE, target, ProfileRenderer({}))
    except Exception as exc:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise JhuError(f"{folder / 'profiles.yml'}: output {target!r}: {first}") from exc
    if data.get("type") != "spark" or data.get("method") != "session":
        raise JhuError(
            f"{folder / 'profiles.yml'}: output {target!r} is not a dbt-spark `method: session` "
            "output; the export reads the marts through a Spark session in this process"
        )
    conf = {str(k): str(v) for k, v in (data.get("server_side_parameters") or {}).items()}
    conf["spark.sql.ansi.enabled"] = "false"
    return conf


def spark_session(conf: Mapping[str, str] | None = None) -> SparkSession:
    """The session dbt opened in this process, else a new one from the profile's settings."""
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise JhuError(
            "JHU_TARGET=spark: pyspark is not installed; run `make run` with JHU_TARGET=spark, "
            "which installs requirements-spark.txt"
        ) from None
    active = SparkSession.getActiveSession()
    if active is not None:
        return active
    builder = SparkSession.builder.enableHiveSupport()
    for key, value in (profile_spark_conf() if conf is None else conf).items():
        builder = builder.config(key, value)
    return builder.getOrCreate()


# --------------------------------------------------------------------------------------------
# Write: one mart -> one local Parquet file
# --------------------------------------------------------------------------------------------


def mart_frame(spark: SparkSession, spec: MartSpec) -> DataFrame:
    """The mart's table in the Spark catalog; a missing one says to build first."""
    if not spark.catalog.tableExists(f"{quote(spec.schema)}.{quote(spec.relation)}"):
        raise JhuError(
            f"export: mart {spec.name}: table {spec.schema}.{spec.relation} is not in the Spark "
            "catalog; run `jhu build` with JHU_TARGET=spark first (same JHU_SPARK_DIR)"
        )
    return spark.table(f"{quote(spec.schema)}.{quote(spec.relation)}")


#: Rows per row group of the published file (DuckDB's default: both engines' files read alike).
ROW_GROUP_ROWS = 122_880


def write_single_parquet(frame: DataFrame, order: list[str], path: Path) -> None:
    """Write `frame` sorted by `order` (nulls last) as exactly one zstd Parquet file at `path`.

    Spark writes a folder of part files, here exactly one. Its bytes are not a function of the
    rows: parquet-mr lists each column chunk's encodings in hash-set order, which changes from
    one JVM to the next, so the same mart would get a new sha256 (and a new upload) on every
    run. The part is therefore streamed, row group by row group, through pyarrow's writer
    (zstd), whose output depends only on the rows; the folder is removed either way, so
    nothing half-written is left beside the result.
    """
    from pyspark.sql import functions as F  # noqa: N812

    folder = path.with_name(f".{path.stem}.spark")
    shutil.rmtree(folder, ignore_errors=True)
    try:
        (
            frame.repartition(1)
            .sortWithinPartitions(*(F.col(quote(c)).asc_nulls_last() for c in order))
            .write.option("compression", "none")
            .mode("overwrite")
            .parquet(folder.as_uri())
        )
        parts = sorted(folder.glob("part-*.parquet"))
        if len(parts) != 1:
            raise JhuError(f"export: {path.stem}: Spark wrote {len(parts)} part files, not one")
        rewrite_parquet(parts[0], path)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def rewrite_parquet(source: Path, target: Path, *, row_group_rows: int = ROW_GROUP_ROWS) -> None:
    """Copy a Parquet file's rows, in order, to `target` as zstd Parquet, in bounded memory.

    The writer's own metadata (Spark's schema JSON and version) is not carried over: the file
    says what its columns are in Parquet's own terms, as DuckDB's export does.
    """
    import pyarrow.parquet as pq

    reader = pq.ParquetFile(source)
    schema = reader.schema_arrow.remove_metadata()
    try:
        with pq.ParquetWriter(target, schema, compression="zstd") as writer:
            for batch in reader.iter_batches(batch_size=row_group_rows):
                writer.write_batch(
                    batch.replace_schema_metadata(None), row_group_size=row_group_rows
                )
    except BaseException:
        target.unlink(missing_ok=True)
        raise


def parquet_rows(path: Path) -> int:
    """Rows of a Parquet file, from its footer (counts what was written, not what was meant)."""
    import pyarrow.parquet as pq

    return int(pq.ParquetFile(path).metadata.num_rows)


def write_mart_parquet(spark: SparkSession, spec: MartSpec, out_dir: Path) -> MartFile:
    """Copy one mart from Spark to `out_dir/<mart>.parquet` (zstd), deterministically."""
    frame = mart_frame(spark, spec)
    names = [f.name for f in frame.schema.fields]
    missing = [c for c in spec.primary_key if c not in names]
    if missing:
        raise JhuError(f"export: mart {spec.name}: primary key column(s) {missing} not in table")
    columns = tuple(
        (f.name, sql_type(f.dataType.simpleString(), where=f"mart {spec.name} column {f.name}"))
        for f in frame.schema.fields
    )
    path = out_dir / f"{spec.name}.parquet"
    write_single_parquet(frame, sort_order(names, spec.primary_key), path)
    return MartFile.written(spec.name, path, parquet_rows(path), columns, spec.primary_key)


# --------------------------------------------------------------------------------------------
# The stage
# --------------------------------------------------------------------------------------------


def export(
    settings: Settings,
    lake: Lake,
    *,
    dbt_invocation_id: str | None = None,
    dbt_manifest: Mapping[str, Any] | None = None,
    keep: int = KEEP_EXPORTS,
    exported_at: str | None = None,
    spark: SparkSession | None = None,
    progress: Progress = silent,
) -> ExportReport:
    """Write every mart from Spark to Parquet and publish the set to the lake.

    Same signature and report as `duckdb_writer.export` (the settings are not needed
    here: the Spark session knows its catalog); `dbt_manifest` and `dbt_invocation_id` default
    to the artefacts of the last `jhu build`.
    """
    started = time.perf_counter()
    specs, dbt_invocation_id = planned_marts(dbt_manifest, dbt_invocation_id)
    session = spark if spark is not None else spark_session()
    return write_and_publish(
        lake,
        specs,
        functools.partial(write_mart_parquet, session),
        engine="spark",
        dbt_invocation_id=dbt_invocation_id,
        exported_at=exported_at,
        keep=keep,
        started=started,
        progress=progress,
    )
