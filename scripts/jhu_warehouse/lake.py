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

import os
import shutil
import tempfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, Protocol

from jhu_warehouse.config import Settings

_UMASK = os.umask(0)
os.umask(_UMASK)

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


class LocalLake:
    """A lake in a local folder; each write is atomic (temp file in the same folder, rename)."""

    def __init__(self, root: str | Path) -> None:
        self.root = str(root)
        self._root = Path(root)
        self.stats = LakeStats()

    def _path(self, key: str) -> Path:
        return self._root / key

    def uri(self, key: str) -> str:
        return str(self._path(key))

    def read_bytes(self, key: str) -> bytes | None:
        path = self._path(key)
        if not path.is_file():
            return None
        data = path.read_bytes()
        self.stats.requests["read"] += 1
        self.stats.bytes_down += len(data)
        return data

    def _write_atomically(self, key: str, write: Callable[[BinaryIO], None]) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as handle:
                write(handle)
            # mkstemp creates 0600; a lake file is read by analysts and other tools like any file.
            Path(tmp).chmod(0o666 & ~_UMASK)
            Path(tmp).replace(path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        self.stats.requests["write"] += 1
        self.stats.bytes_up += path.stat().st_size

    def put_bytes(self, key: str, data: bytes) -> None:
        self._write_atomically(key, lambda handle: handle.write(data))

    def put_file(self, key: str, path: Path) -> None:
        # Streamed: benchmark files reach gigabytes, which must not pass through memory.
        def copy(handle: BinaryIO) -> None:
            with Path(path).open("rb") as source:
                shutil.copyfileobj(source, handle, length=1 << 20)

        self._write_atomically(key, copy)

    def list(self, prefix: str) -> list[str]:
        base = self._path(prefix)
        if not base.exists():
            return []
        self.stats.requests["list"] += 1
        return sorted(
            p.relative_to(self._root).as_posix()
            for p in base.rglob("*")
            if p.is_file() and not p.name.endswith(".tmp")
        )

    def delete(self, keys: list[str]) -> None:
        for key in keys:
            self._path(key).unlink(missing_ok=True)
            self.stats.requests["delete"] += 1


def open_lake(settings: Settings) -> Lake:
    """The lake the settings name; S3 support is imported only when used."""
    if settings.lake_is_s3:
        from jhu_warehouse.s3 import S3Lake

        return S3Lake.from_settings(settings)
    return LocalLake(settings.lake)
