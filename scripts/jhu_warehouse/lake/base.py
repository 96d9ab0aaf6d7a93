"""The lake: one interface over a local folder and an S3 prefix, with the same layout in both.

Layout (keys are relative to the lake root):
    raw/jhu/<file>.csv            the JHU files, byte for byte
    raw/jhu/_manifest.json        the load manifest, one entry per file (written last)
    marts/<mart>/<version>.parquet  one Parquet file per export version of a mart
    marts/_manifest.json          the export manifest: the pointer to each mart's current version
    report/assets/<name>-<sha256[:16]>.<ext>  the report's scripts, shapes and data, by content
    report/index.html             the report's page: names its assets, written last
    _lock.json                    the writer's lock: who holds the lake (host, pid, since)

Every write is whole-or-nothing for one object (temp file + rename locally, a single PUT or a
completed multipart upload on S3); sets of objects are made consistent by writing a manifest last.
A manifest is replaced only if it is still the version the writer read (compare-and-swap), and
one writer at a time holds the lake (`lake.locking`).
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
REPORT_PREFIX = "report"
REPORT_INDEX = f"{REPORT_PREFIX}/index.html"
LOCK_KEY = "_lock.json"


@dataclass(frozen=True)
class ObjectInfo:
    """What the lake holds at a key: its size, and its sha256 (None when the store has none)."""

    size: int
    sha256: str | None


@dataclass(frozen=True)
class LockHolder:
    """Who holds (or held) a lake's lock, as written in the lock itself."""

    host: str
    pid: int
    since: str
    """UTC, to the second."""
    expires: float
    """Epoch seconds after which the lock may be taken over (renewed while the run lives)."""
    token: str

    def describe(self) -> str:
        return f"host {self.host}, pid {self.pid}, since {self.since}"


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

    def stat(self, key: str) -> ObjectInfo | None:
        """Size and sha256 of the object (S3: its stored metadata, one HEAD), or None."""
        ...

    def read_versioned(self, key: str) -> tuple[bytes | None, str | None]:
        """The object's content and a version token (S3: its ETag), or (None, None)."""
        ...

    def put_bytes_if(self, key: str, data: bytes, version: str | None) -> None:
        """Write only if the object is still at ``version`` (None: only if there is none).

        Raises ``LakeChangedError`` otherwise: someone else replaced it since it was read.
        """
        ...

    def check_writable(self) -> None:
        """Raise a one-line JhuError unless the lake can be written (before any work starts)."""
        ...

    def try_lock(self, holder: LockHolder) -> tuple[bool, LockHolder | None]:
        """Take the lake's lock: (True, the dead holder taken over or None) or (False, holder)."""
        ...

    def renew_lock(self, holder: LockHolder) -> bool:
        """Push the lock's expiry on; False when it is no longer ours."""
        ...

    def release_lock(self, holder: LockHolder) -> None: ...

    def remove_leftovers(self, killed: bool) -> list[str]:
        """Under the lock: remove what killed runs left (*.tmp files, incomplete uploads)."""
        ...
