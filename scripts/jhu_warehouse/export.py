"""`jhu export`: every mart as Parquet (zstd) in the lake, published behind one manifest.

Two halves, so another engine can reuse the second one:

1. Write (DuckDB-specific): each model of the dbt project's ``marts`` folder is copied from the
   warehouse file to a local Parquet file, in a total order of its rows (`sort_order`), so
   identical content gives identical bytes and an unchanged mart is recognised by its sha256
   alone.
2. Publish (engine-agnostic, `publish`): takes already-written local Parquet files and makes them
   the lake's current export, safely and frugally:

   - each version goes to ``marts/<mart>/<sha256[:16]>.parquet``, a key that is never rewritten;
     a version the lake already holds is not uploaded again;
   - ``marts/_manifest.json`` is written LAST, in one small write: it is the only thing readers
     follow, so a failure or a kill before it leaves the previous export current and complete;
   - when every mart is byte-identical to the current export nothing is written at all;
   - after the new manifest is in place, versions not named by the last ``keep`` exports (and
     files orphaned by interrupted exports) are deleted.

   One export at a time per lake: two concurrent exports could delete each other's new files.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import json
import re
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jhu_warehouse.config import Settings
from jhu_warehouse.dbt_runner import target_dir
from jhu_warehouse.errors import JhuError
from jhu_warehouse.lake import MARTS_MANIFEST, MARTS_PREFIX, Lake, open_lake
from jhu_warehouse.manifest import sha256_file, utc_now_iso

HELP = "Export every mart as Parquet (zstd) to {JHU_LAKE}/marts/, published behind a manifest"

#: How many exports (the current one included) keep their files in the lake.
KEEP_EXPORTS = 3
#: Version of the export manifest's layout; bumped on an incompatible change.
MANIFEST_FORMAT_VERSION = 1
#: The dbt project folder whose models are the marts.
MARTS_FOLDER = "marts"

_MART_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_VERSION_KEY = re.compile(rf"^{MARTS_PREFIX}/([a-z][a-z0-9_]*)/[0-9a-f]{{16}}\.parquet$")


# --------------------------------------------------------------------------------------------
# Publish: engine-agnostic (local Parquet files in, a consistent export in the lake out)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MartFile:
    """One mart already written as a local Parquet file, ready to publish."""

    name: str
    path: Path
    rows: int
    columns: tuple[tuple[str, str], ...]
    """(column name, SQL type) in table order."""
    sha256: str
    bytes: int
    primary_key: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        """The lake key of this version: content-addressed, so never rewritten in place."""
        return version_key(self.name, self.sha256)


@dataclass
class PublishReport:
    """What `publish` did to the lake."""

    uploaded: list[str] = field(default_factory=list)
    """Marts whose new version was uploaded."""
    reused: list[str] = field(default_factory=list)
    """Marts whose new version was already in the lake (an older export or an interrupted one)."""
    unchanged: list[str] = field(default_factory=list)
    """Marts identical to the current export."""
    removed: list[str] = field(default_factory=list)
    """Keys deleted: versions no longer named by the last `keep` exports."""
    manifest_written: bool = False
    bytes_uploaded: int = 0


def version_key(mart: str, sha256: str) -> str:
    return f"{MARTS_PREFIX}/{mart}/{sha256[:16]}.parquet"


def parse_export_manifest(data: bytes | None) -> dict[str, Any] | None:
    """The current export manifest, or None when the lake has none yet.

    A manifest that is not what this code writes is an error, not an empty lake: publishing over
    it would orphan (and later delete) files someone may depend on.
    """
    if data is None:
        return None
    try:
        manifest = json.loads(data)
    except ValueError as exc:
        raise JhuError(f"{MARTS_MANIFEST}: not valid JSON ({exc}); fix or remove it") from exc
    if not isinstance(manifest, dict) or not isinstance(manifest.get("marts"), dict):
        raise JhuError(f"{MARTS_MANIFEST}: no 'marts' object; not an export manifest")
    version = manifest.get("format_version")
    if version != MANIFEST_FORMAT_VERSION:
        raise JhuError(
            f"{MARTS_MANIFEST}: format_version {version!r}, this code reads version "
            f"{MANIFEST_FORMAT_VERSION}; upgrade the package or remove the manifest"
        )
    return manifest


def is_current(manifest: Mapping[str, Any] | None, marts: Sequence[MartFile]) -> bool:
    """True when the manifest already names exactly these marts with exactly this content."""
    if manifest is None:
        return False
    current = manifest["marts"]
    return set(current) == {m.name for m in marts} and all(
        current[m.name].get("sha256") == m.sha256 and current[m.name].get("file") == m.key
        for m in marts
    )


def _export_summary(manifest: Mapping[str, Any]) -> dict[str, Any]:
    """A past export as kept in `previous_exports`: enough to find and roll back to its files."""
    return {
        "exported_at": manifest.get("exported_at"),
        "dbt_invocation_id": manifest.get("dbt_invocation_id"),
        "marts": {
            name: {"file": entry["file"], "sha256": entry["sha256"], "rows": entry.get("rows")}
            for name, entry in sorted(manifest["marts"].items())
        },
    }


def build_export_manifest(
    marts: Sequence[MartFile],
    *,
    previous: Mapping[str, Any] | None,
    dbt_invocation_id: str | None,
    exported_at: str,
    engine: str,
    keep: int = KEEP_EXPORTS,
) -> dict[str, Any]:
    """The new export manifest: this export in full, then the `keep - 1` exports before it."""
    earlier: list[dict[str, Any]] = []
    if previous is not None:
        earlier = [_export_summary(previous), *previous.get("previous_exports", [])]
    return {
        "format_version": MANIFEST_FORMAT_VERSION,
        "exported_at": exported_at,
        "dbt_invocation_id": dbt_invocation_id,
        "engine": engine,
        "marts": {
            m.name: {
                "file": m.key,
                "sha256": m.sha256,
                "bytes": m.bytes,
                "rows": m.rows,
                "primary_key": list(m.primary_key),
                "columns": [{"name": name, "type": type_} for name, type_ in m.columns],
            }
            for m in sorted(marts, key=lambda m: m.name)
        },
        "previous_exports": earlier[: keep - 1],
    }


def referenced_keys(manifest: Mapping[str, Any]) -> set[str]:
    """Every file the manifest's exports (current and kept previous ones) name."""
    exports = [manifest, *manifest.get("previous_exports", [])]
    return {entry["file"] for export in exports for entry in export["marts"].values()}


def stale_keys(existing: Iterable[str], manifest: Mapping[str, Any]) -> list[str]:
    """Mart versions in the lake that no kept export names (only keys this module writes)."""
    keep = referenced_keys(manifest)
    return sorted(k for k in existing if _VERSION_KEY.match(k) and k not in keep)


def _check_marts(marts: Sequence[MartFile], keep: int) -> None:
    if not marts:
        raise JhuError("export: no marts to publish (is the dbt project's marts folder empty?)")
    if keep < 1:
        raise JhuError(f"export: keep={keep}; at least the current export must be kept")
    names = [m.name for m in marts]
    for name in names:
        if not _MART_NAME.match(name):
            raise JhuError(f"export: mart name {name!r} is not lowercase snake_case")
        if names.count(name) > 1:
            raise JhuError(f"export: mart {name!r} given twice")


def publish(
    lake: Lake,
    marts: Sequence[MartFile],
    *,
    dbt_invocation_id: str | None,
    engine: str,
    exported_at: str | None = None,
    keep: int = KEEP_EXPORTS,
) -> PublishReport:
    """Make these local Parquet files the lake's current export (see the module docstring).

    Requests: one read of the manifest; when anything changed, one list of ``marts/``, one
    upload per new version, one write of the manifest and the deletes of stale versions.
    """
    _check_marts(marts, keep)
    report = PublishReport()
    current = parse_export_manifest(lake.read_bytes(MARTS_MANIFEST))
    if is_current(current, marts):
        report.unchanged = sorted(m.name for m in marts)
        return report

    existing = set(lake.list(f"{MARTS_PREFIX}/"))
    current_marts = current["marts"] if current else {}
    for mart in sorted(marts, key=lambda m: m.name):
        if mart.key in existing:
            same = current_marts.get(mart.name, {}).get("sha256") == mart.sha256
            (report.unchanged if same else report.reused).append(mart.name)
            continue
        lake.put_file(mart.key, mart.path)
        report.uploaded.append(mart.name)
        report.bytes_uploaded += mart.bytes

    manifest = build_export_manifest(
        marts,
        previous=current,
        dbt_invocation_id=dbt_invocation_id,
        exported_at=exported_at or utc_now_iso(),
        engine=engine,
        keep=keep,
    )
    lake.put_bytes(MARTS_MANIFEST, (json.dumps(manifest, indent=2) + "\n").encode())
    report.manifest_written = True

    report.removed = stale_keys(existing, manifest)
    if report.removed:
        lake.delete(report.removed)
    return report


# --------------------------------------------------------------------------------------------
# Write: the marts of the dbt project, from the DuckDB warehouse file to local Parquet
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MartSpec:
    """A mart as the dbt project defines it: where it lives and what identifies a row."""

    name: str
    schema: str
    relation: str
    primary_key: tuple[str, ...]


def _primary_key(node: Mapping[str, Any], tests: Sequence[Mapping[str, Any]]) -> tuple[str, ...]:
    """The model's primary key: its contract's constraint, else its uniqueness test."""
    for constraint in node.get("constraints") or []:
        if constraint.get("type") == "primary_key" and constraint.get("columns"):
            return tuple(constraint["columns"])
    columns = node.get("columns") or {}
    column_pk = tuple(
        name
        for name, column in columns.items()
        if any(c.get("type") == "primary_key" for c in column.get("constraints") or [])
    )
    if column_pk:
        return column_pk
    for test in tests:
        kwargs = (test.get("test_metadata") or {}).get("kwargs") or {}
        if isinstance(kwargs.get("combination_of_columns"), list):
            return tuple(kwargs["combination_of_columns"])
    for test in tests:
        metadata = test.get("test_metadata") or {}
        if metadata.get("name") == "unique" and test.get("column_name"):
            return (test["column_name"],)
    return ()


def marts_from_dbt_manifest(manifest: Mapping[str, Any]) -> list[MartSpec]:
    """The enabled models of the project's marts folder, from dbt's manifest.json.

    The folder is the definition of a mart: nothing lists them a second time.
    """
    nodes = manifest.get("nodes") or {}
    tests_by_model: dict[str, list[Mapping[str, Any]]] = {}
    for node in nodes.values():
        if node.get("resource_type") == "test" and node.get("attached_node"):
            tests_by_model.setdefault(node["attached_node"], []).append(node)
    specs = []
    for unique_id, node in nodes.items():
        if node.get("resource_type") != "model":
            continue
        if Path(node.get("path", "")).parts[:1] != (MARTS_FOLDER,):
            continue
        specs.append(
            MartSpec(
                name=node["name"],
                schema=node["schema"],
                relation=node.get("alias") or node["name"],
                primary_key=_primary_key(node, tests_by_model.get(unique_id, [])),
            )
        )
    return sorted(specs, key=lambda s: s.name)


def read_dbt_artifact(name: str) -> dict[str, Any]:
    """A JSON artefact of the last dbt command (manifest.json, run_results.json)."""
    path = target_dir() / name
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        raise JhuError(f"{path}: not found; run `jhu build` first (same DBT_TARGET_PATH)") from None
    except ValueError as exc:
        raise JhuError(f"{path}: not valid JSON ({exc}); run `jhu build` again") from exc


def last_invocation_id() -> str | None:
    """The invocation id of the last dbt command that built this target (run_results.json)."""
    try:
        return read_dbt_artifact("run_results.json").get("metadata", {}).get("invocation_id")
    except JhuError:
        return None


def sort_order(columns: Sequence[str], primary_key: Sequence[str]) -> list[str]:
    """The columns a mart's rows are written in order of, by every engine: a total order.

    The primary key alone when the mart has one: the build's uniqueness test makes it a total
    order, and a sort on two columns is cheaper than on all of them (the k=10 county mart of
    `jhu bench`, 36 M rows x 17 columns: 12.3 s against 13.4-18.8 s). A mart exported after a
    failed key test may then differ in bytes from one export to the next, never in content. A
    mart without a key is ordered by every column.
    """
    return list(primary_key) if primary_key else list(columns)


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def write_mart_parquet(con: Any, spec: MartSpec, out_dir: Path) -> MartFile:
    """Copy one mart to `out_dir/<mart>.parquet` (zstd), deterministically.

    Rows are in a total order (`sort_order`), so the bytes depend only on the content (DuckDB
    writes row groups in order).
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
    order = sort_order(names, spec.primary_key)
    path = out_dir / f"{spec.name}.parquet"
    relation = f"{_quote(spec.schema)}.{_quote(spec.relation)}"
    order_by = ", ".join(_quote(c) for c in order)
    con.execute(
        f"copy (select * from {relation} order by {order_by}) "
        f"to '{path.as_posix()}' (format parquet, compression zstd)"
    )
    (rows,) = con.execute(f"select count(*) from {relation}").fetchone()
    return MartFile(
        name=spec.name,
        path=path,
        rows=int(rows),
        columns=tuple((str(n), str(t)) for n, t in columns),
        sha256=sha256_file(path),
        bytes=path.stat().st_size,
        primary_key=spec.primary_key,
    )


# --------------------------------------------------------------------------------------------
# The stage: write every mart, publish, report
# --------------------------------------------------------------------------------------------


@dataclass
class ExportReport:
    marts: list[MartFile]
    publish: PublishReport
    seconds: float

    @property
    def rows(self) -> int:
        return sum(m.rows for m in self.marts)

    def summary(self) -> str:
        p = self.publish
        head = (
            f"{len(self.marts)} marts, {self.rows:,} rows: {len(p.uploaded)} uploaded "
            f"({p.bytes_uploaded:,} bytes), {len(p.reused)} reused, {len(p.unchanged)} unchanged"
        )
        if p.manifest_written:
            tail = f"manifest written, {len(p.removed)} old versions removed"
        else:
            tail = "nothing written (identical to the current export)"
        return f"{head}; {tail}; {self.seconds:.1f} s"


#: DuckDB's memory limit for the export, as in profiles.yml: past it DuckDB spills to disk. Its
#: default (80 % of RAM) let the k=100 export of `jhu bench` grow past 14 GB; 2 GB cost the k=10
#: county mart 1 s more and 6 GB less.
MEMORY_LIMIT = "5GB"


def planned_marts(
    dbt_manifest: Mapping[str, Any] | None, dbt_invocation_id: str | None
) -> tuple[list[MartSpec], str | None]:
    """The marts to export and the dbt invocation they come from (default: the last build's)."""
    manifest = dbt_manifest if dbt_manifest is not None else read_dbt_artifact("manifest.json")
    if dbt_invocation_id is None:
        dbt_invocation_id = last_invocation_id()
    specs = marts_from_dbt_manifest(manifest)
    if not specs:
        raise JhuError(f"export: the dbt project has no models under models/{MARTS_FOLDER}/")
    return specs, dbt_invocation_id


def write_and_publish(
    lake: Lake,
    specs: Sequence[MartSpec],
    write_mart: Callable[[MartSpec, Path], MartFile],
    *,
    engine: str,
    dbt_invocation_id: str | None,
    exported_at: str | None,
    keep: int,
    started: float,
) -> ExportReport:
    """Write each mart with the engine's writer into a scratch folder, then publish the set.

    Shared by every engine, so the lake layout and the publish rules cannot drift apart.
    """
    with tempfile.TemporaryDirectory(prefix=f"jhu-{engine}-export-") as tmp:
        files = []
        for spec in specs:
            written = time.perf_counter()
            mart = write_mart(spec, Path(tmp))
            print(
                f"  {mart.name}: {mart.rows:,} rows, {len(mart.columns)} columns, "
                f"{mart.bytes:,} bytes, sha256 {mart.sha256[:16]} "
                f"({time.perf_counter() - written:.1f} s)",
                flush=True,
            )
            files.append(mart)
        report = publish(
            lake,
            files,
            dbt_invocation_id=dbt_invocation_id,
            engine=engine,
            exported_at=exported_at,
            keep=keep,
        )
    return ExportReport(marts=files, publish=report, seconds=time.perf_counter() - started)


def export(
    settings: Settings,
    lake: Lake,
    *,
    dbt_invocation_id: str | None = None,
    dbt_manifest: Mapping[str, Any] | None = None,
    keep: int = KEEP_EXPORTS,
    exported_at: str | None = None,
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
            functools.partial(write_mart_parquet, con),
            engine="duckdb",
            dbt_invocation_id=dbt_invocation_id,
            exported_at=exported_at,
            keep=keep,
            started=started,
        )


Exporter = Callable[..., ExportReport]


def exporter_for(settings: Settings) -> Exporter:
    """The export of the settings' dbt target: this module's, or the Spark one (same signature)."""
    if settings.target == "spark":
        from jhu_warehouse import spark_export

        return spark_export.export
    return export


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--keep",
        type=int,
        default=KEEP_EXPORTS,
        metavar="N",
        help="how many exports keep their files in the lake, the current one included "
        f"(default {KEEP_EXPORTS})",
    )


def main(args: argparse.Namespace, settings: Settings) -> int:
    lake = open_lake(settings)
    print(f"export: marts of {settings.duckdb_path} -> {lake.uri(MARTS_PREFIX)}", flush=True)
    report = exporter_for(settings)(settings, lake, keep=args.keep)
    print(f"export: {report.summary()}")
    print(f"lake: {lake.stats.summary()}")
    return 0
