"""The manifests of the lake: JSON documents that say what a set of objects is.

A manifest is written after the objects it describes, so a reader that trusts the manifest never
sees a half-written set. This module holds the shapes and their pure JSON conversions; reading
and writing them is the caller's business (through the Lake).

Load manifest (``raw/jhu/_manifest.json``), one entry per landed JHU file::

    {"files": {"<file name>": {"sha256": ..., "bytes": ..., "rows": ..., "columns": ...,
                               "first_date": "2020-01-22" | null, "last_date": ... | null,
                               "source": "<folder path or URL>", "loaded_at": "<UTC ISO>"}}}

To add another manifest (the export one), add its dataclasses and a ``dump_*``/``parse_*`` pair
beside the load ones; the helpers at the bottom are shared.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from jhu_warehouse.errors import JhuError

# --------------------------------------------------------------------------- load manifest


@dataclass(frozen=True)
class LoadEntry:
    """One landed JHU file as the load manifest records it."""

    sha256: str
    bytes: int
    rows: int
    """Data rows, the header excluded."""
    columns: int
    first_date: str | None
    """ISO date of the earliest date column; None for the lookup table."""
    last_date: str | None
    source: str
    """The folder path or URL the file was fetched from."""
    loaded_at: str
    """When it landed, UTC ISO 8601 (``2024-05-01T12:00:00Z``)."""


@dataclass(frozen=True)
class LoadManifest:
    """The files currently in ``raw/jhu/``, by upstream file name."""

    files: Mapping[str, LoadEntry] = field(default_factory=dict)


_LOAD_FIELDS: dict[str, tuple[type, ...]] = {
    "sha256": (str,),
    "bytes": (int,),
    "rows": (int,),
    "columns": (int,),
    "first_date": (str, type(None)),
    "last_date": (str, type(None)),
    "source": (str,),
    "loaded_at": (str,),
}


def dump_load_manifest(manifest: LoadManifest) -> bytes:
    """The manifest as JSON bytes: keys sorted, indented, so a diff of two loads is readable."""
    document = {"files": {name: asdict(entry) for name, entry in sorted(manifest.files.items())}}
    return _dump(document)


def parse_load_manifest(data: bytes, where: str) -> LoadManifest:
    """Read a load manifest; anything malformed is a JhuError naming ``where`` and the problem."""
    document = _load(data, where)
    files = document.get("files")
    if not isinstance(files, dict):
        raise _malformed(where, 'no "files" object')
    entries: dict[str, LoadEntry] = {}
    for name, entry in files.items():
        if not isinstance(entry, dict):
            raise _malformed(where, f"entry {name!r} is not an object")
        for key, types in _LOAD_FIELDS.items():
            # bool is an int in Python; a count that is true/false is still malformed.
            value = entry.get(key)
            if key not in entry or isinstance(value, bool) or not isinstance(value, types):
                raise _malformed(where, f"entry {name!r} has no valid {key!r}")
        entries[name] = LoadEntry(**{key: entry[key] for key in _LOAD_FIELDS})
    return LoadManifest(files=entries)


# --------------------------------------------------------------------------- shared helpers


def utc_now_iso(now: datetime | None = None) -> str:
    """A UTC timestamp to the second, as ``2024-05-01T12:00:00Z``."""
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


def sha256_file(path: Path, chunk_size: int = 1 << 20) -> str:
    """Hex sha256 of a file, read in chunks so a 1 GB file costs no 1 GB of memory."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        while chunk := handle.read(chunk_size):
            digest.update(chunk)
    return digest.hexdigest()


def _dump(document: Mapping[str, Any]) -> bytes:
    return (json.dumps(document, indent=2, sort_keys=True) + "\n").encode("utf-8")


def _load(data: bytes, where: str) -> dict[str, Any]:
    try:
        document = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise _malformed(where, f"not JSON: {exc}") from None
    if not isinstance(document, dict):
        raise _malformed(where, "not a JSON object")
    return document


def _malformed(where: str, problem: str) -> JhuError:
    return JhuError(f"{where}: not a valid manifest ({problem}); delete it to start afresh")
