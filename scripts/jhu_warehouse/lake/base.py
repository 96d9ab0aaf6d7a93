"""The lake: one interface over a local folder and an S3 prefix, with the same layout in both.

Layout (keys are relative to the lake root):
    raw/jhu/<file>.csv            the JHU files, byte for byte
    raw/jhu/_manifest.json        the load manifest, one entry per file (written last)
    marts/<mart>/<version>.parquet  one Parquet file per export version of a mart
    marts/_manifest.json          the export manifest: the pointer to each mart's current version

Every write is whole-or-nothing for one object (temp file + rename locally, a single PUT or a
completed multipart upload on S3); sets of objects are made consistent by writing a manifest last.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

RAW_PREFIX = "raw/jhu"
RAW_MANIFEST = f"{RAW_PREFIX}/_manifest.json"
MARTS_PREFIX = "marts"
MARTS_MANIFEST = f"{MARTS_PREFIX}/_manifest.json"


@dataclass
class LakeStats:
    """What a run cost: requests by verb and bytes moved, printed at the end of every run."""

    requests: Counter[str] = field(default_factory=Counter)
    bytes_up: int = 0
    bytes_down: int = 0

    def summary(self) -> str:
        verbs = ", ".join(f"{n} {verb}" for verb, n in sorted(self.requests.items())) or "none"
        return f"requests: {verbs}; {self.bytes_up:,} bytes up, {self.bytes_down:,} bytes down"


class Lake(Protocol):
    root: str
    stats: LakeStats

    def uri(self, key: str) -> str:
        """The address DuckDB or dbt reads the object at."""
        ...

    def read_bytes(self, key: str) -> bytes | None:
        """The object's content, or None when there is none."""
        ...

    def put_bytes(self, key: str, data: bytes) -> None: ...

    def put_file(self, key: str, path: Path) -> None:
        """Upload a local file (in parts when large)."""
        ...

    def list(self, prefix: str) -> list[str]:
        """Keys under prefix, sorted."""
        ...

    def delete(self, keys: list[str]) -> None: ...
