"""The load manifest: the JSON document that says what the raw files in the lake are.

A manifest is written after the objects it describes, so a reader that trusts the manifest never
sees a half-written set. This module holds the load manifest's shape and its pure JSON
conversions; reading and writing it is the caller's business (through the Lake).

Load manifest (``raw/jhu/_manifest.json``), one entry per landed JHU file::

    {"files": {"<file name>": {"sha256": ..., "bytes": ..., "rows": ..., "columns": ...,
                               "first_date": "2020-01-22" | null, "last_date": ... | null,
                               "source": "<folder path or URL>", "loaded_at": "<UTC ISO>",
                               "header": "<a daily report's header line>"}}}

``header`` is there for the daily reports only: the staging models read the columns the lake's
files have from it, instead of opening every file once more (one GET per file on S3).

The JSON helpers it shares with the export manifest live in the lake (`lake.documents`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field

from jhu_warehouse.lake.documents import dump_json, load_json, malformed


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
    header: str | None = None
    """A daily report's header line; None (and left out of the JSON) for the six files."""


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
    document = {
        "files": {
            name: {
                key: value
                for key, value in asdict(entry).items()
                if key != "header" or value is not None
            }
            for name, entry in sorted(manifest.files.items())
        }
    }
    return dump_json(document)


def parse_load_manifest(data: bytes, where: str) -> LoadManifest:
    """Read a load manifest; anything malformed is a JhuError naming ``where`` and the problem."""
    document = load_json(data, where)
    files = document.get("files")
    if not isinstance(files, dict):
        raise malformed(where, 'no "files" object')
    entries: dict[str, LoadEntry] = {}
    for name, entry in files.items():
        if not isinstance(entry, dict):
            raise malformed(where, f"entry {name!r} is not an object")
        for key, types in _LOAD_FIELDS.items():
            # bool is an int in Python; a count that is true/false is still malformed.
            value = entry.get(key)
            if key not in entry or isinstance(value, bool) or not isinstance(value, types):
                raise malformed(where, f"entry {name!r} has no valid {key!r}")
        header = entry.get("header")
        if header is not None and not isinstance(header, str):
            raise malformed(where, f"entry {name!r} has no valid 'header'")
        entries[name] = LoadEntry(**{key: entry[key] for key in _LOAD_FIELDS}, header=header)
    return LoadManifest(files=entries)
