"""The export manifest: the one document readers follow to the current version of every mart.

`marts/_manifest.json` names each mart's file (content-addressed, never rewritten), its sha256,
rows, key and columns, the dbt invocation it came from, and the exports kept before it. Pure
functions over its JSON; reading and writing it is the publisher's business.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jhu_warehouse.errors import JhuError
from jhu_warehouse.lake import MARTS_MANIFEST, MARTS_PREFIX
from jhu_warehouse.lake.documents import sha256_file

#: How many exports (the current one included) keep their files in the lake.
KEEP_EXPORTS = 3
#: Version of the export manifest's layout; bumped on an incompatible change.
MANIFEST_FORMAT_VERSION = 1

MART_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_VERSION_KEY = re.compile(rf"^{MARTS_PREFIX}/([a-z][a-z0-9_]*)/[0-9a-f]{{16}}\.parquet$")


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

    @classmethod
    def written(
        cls,
        name: str,
        path: Path,
        rows: int,
        columns: tuple[tuple[str, str], ...],
        key: tuple[str, ...],
    ) -> MartFile:
        """A mart an engine has just written to ``path``: its hash and size read from the file."""
        return cls(name, path, rows, columns, sha256_file(path), path.stat().st_size, key)


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
