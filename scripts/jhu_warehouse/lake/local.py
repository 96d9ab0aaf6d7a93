"""The lake in a local folder (the default, `lake/`): every write atomic, by rename."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from jhu_warehouse.lake.base import LakeStats

_UMASK = os.umask(0)
os.umask(_UMASK)


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
