"""Publishing: already-written local Parquet files become the lake's current export, safely.

Engine-agnostic, shared by the DuckDB and the Spark writers so the layout and the rules cannot
drift apart:

- each version goes to ``marts/<mart>/<sha256[:16]>.parquet``, a key that is never rewritten;
  a version the lake already holds is not uploaded again;
- ``marts/_manifest.json`` is written LAST, in one small write: it is the only thing readers
  follow, so a failure or a kill before it leaves the previous export current and complete;
- when every mart is byte-identical to the current export nothing is written at all;
- after the new manifest is in place, versions not named by the last ``keep`` exports (and
  files orphaned by interrupted exports) are deleted.

- before "identical to the current export" is trusted, every file the current export names is
  checked in the lake (size and sha256: one HEAD each on S3); a missing or damaged one is
  uploaded again from this export's identical local file;
- the manifest is replaced only if it is still the one this export read (compare-and-swap: a
  conditional PUT on S3), and nothing is deleted before that write succeeded.

One export at a time per lake: the command line takes the lake's lock at the export's first
write (`lake.locking`), so an unchanged export takes none; the compare-and-swap keeps even an
export without it from losing another's manifest.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jhu_warehouse.dbt_project.artifacts import last_invocation_id, read_artifact
from jhu_warehouse.dbt_project.marts import MARTS_FOLDER, MartSpec, marts_from_manifest
from jhu_warehouse.errors import JhuError
from jhu_warehouse.lake import MARTS_MANIFEST, MARTS_PREFIX, Lake
from jhu_warehouse.lake.documents import utc_now_iso
from jhu_warehouse.lake.scratch import scratch_dir
from jhu_warehouse.progress import Progress, silent
from jhu_warehouse.publish.manifest import (
    KEEP_EXPORTS,
    MART_NAME,
    MartFile,
    build_export_manifest,
    is_current,
    parse_export_manifest,
    stale_keys,
)


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
    repaired: list[str] = field(default_factory=list)
    """Marts of the current export whose file was missing or damaged in the lake: uploaded again."""
    manifest_written: bool = False
    bytes_uploaded: int = 0


def _check_marts(marts: Sequence[MartFile], keep: int) -> None:
    if not marts:
        raise JhuError("export: no marts to publish (is the dbt project's marts folder empty?)")
    if keep < 1:
        raise JhuError(f"export: keep={keep}; at least the current export must be kept")
    names = [m.name for m in marts]
    for name in names:
        if not MART_NAME.match(name):
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
    data, version = lake.read_versioned(MARTS_MANIFEST)
    current = parse_export_manifest(data)
    if is_current(current, marts):
        report.unchanged = sorted(m.name for m in marts)
        for mart in sorted(marts, key=lambda m: m.name):
            if not intact(lake, mart):
                lake.put_file(mart.key, mart.path)
                report.repaired.append(mart.name)
                report.bytes_uploaded += mart.bytes
        return report

    existing = set(lake.list(f"{MARTS_PREFIX}/"))
    current_marts = current["marts"] if current else {}
    for mart in sorted(marts, key=lambda m: m.name):
        if mart.key in existing and intact(lake, mart):
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
    lake.put_bytes_if(MARTS_MANIFEST, (json.dumps(manifest, indent=2) + "\n").encode(), version)
    report.manifest_written = True

    report.removed = stale_keys(existing, manifest)
    if report.removed:
        lake.delete(report.removed)
    return report


def intact(lake: Lake, mart: MartFile) -> bool:
    """The lake holds this version whole: its size and sha256 (S3: the stored one, one HEAD)."""
    found = lake.stat(mart.key)
    return found is not None and found.size == mart.bytes and found.sha256 == mart.sha256


def intact_export(lake: Lake) -> dict[str, str] | None:
    """The current export's marts (name -> sha256) when every file it names is whole in the lake.

    None when there is no export, or when a file it names is missing or differs from the
    manifest (size or sha256: one HEAD per mart on S3): the caller then exports, which repairs
    it. `jhu run` asks before it skips an unchanged re-run (pipeline.py).
    """
    data = lake.read_versioned(MARTS_MANIFEST)[0]
    try:
        current = parse_export_manifest(data)
    except JhuError:
        return None
    if current is None:
        return None
    marts: dict[str, str] = {}
    for name, entry in sorted(current["marts"].items()):
        key, sha256, size = entry.get("file"), entry.get("sha256"), entry.get("bytes")
        found = lake.stat(key) if isinstance(key, str) else None
        if found is None or found.size != size or found.sha256 != sha256:
            return None
        marts[name] = sha256
    return marts


def sort_order(columns: Sequence[str], primary_key: Sequence[str]) -> list[str]:
    """The columns a mart's rows are written in order of, by every engine: a total order.

    The primary key alone when the mart has one: the build's uniqueness test makes it a total
    order, and a sort on two columns is cheaper than on all of them (docs/performance.md). A
    mart exported after a failed key test may then differ in bytes from one export to the next,
    never in content. A mart without a key is ordered by every column.
    """
    return list(primary_key) if primary_key else list(columns)


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
            + (f", {len(p.repaired)} repaired" if p.repaired else "")
        )
        if p.manifest_written:
            tail = f"manifest written, {len(p.removed)} old versions removed"
        elif p.repaired:
            tail = (
                f"the current export's files of {', '.join(p.repaired)} were missing or damaged "
                "in the lake: uploaded again"
            )
        else:
            tail = "nothing written (identical to the current export)"
        return f"{head}; {tail}; {self.seconds:.1f} s"


def planned_marts(
    dbt_manifest: Mapping[str, Any] | None, dbt_invocation_id: str | None
) -> tuple[list[MartSpec], str | None]:
    """The marts to export and the dbt invocation they come from (default: the last build's)."""
    manifest = dbt_manifest if dbt_manifest is not None else read_artifact("manifest.json")
    if dbt_invocation_id is None:
        dbt_invocation_id = last_invocation_id()
    specs = marts_from_manifest(manifest)
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
    progress: Progress = silent,
) -> ExportReport:
    """Write each mart with the engine's writer into a scratch folder, then publish the set.

    Shared by every engine, so the lake layout and the publish rules cannot drift apart.
    """
    with scratch_dir(f"{engine}-export") as tmp:
        files = []
        for spec in specs:
            written = time.perf_counter()
            mart = write_mart(spec, tmp)
            progress(
                f"  {mart.name}: {mart.rows:,} rows, {len(mart.columns)} columns, "
                f"{mart.bytes:,} bytes, sha256 {mart.sha256[:16]} "
                f"({time.perf_counter() - written:.1f} s)"
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
