"""The lake in a local folder (the default, `lake/`): every write atomic, by rename.

A failed write (disk full, a read-only folder, a path through a file) is one line naming the
path and JHU_LAKE; the lake's lock is an OS lock (`flock`) on `_lock.json`, which the kernel
drops when the holder's process ends; a compare-and-swap holds an OS lock on the folder of the
object while it compares and renames.
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from jhu_warehouse.errors import JhuError, LakeChangedError
from jhu_warehouse.lake.base import LOCK_KEY, LakeStats, LockHolder, ObjectInfo
from jhu_warehouse.lake.documents import sha256_file

_UMASK = os.umask(0)
os.umask(_UMASK)

#: What to do about a failed write, by errno.
_ADVICE = {
    errno.ENOSPC: "free space on that disk, or set JHU_LAKE to a folder on another one",
    errno.EDQUOT: "free space (quota), or set JHU_LAKE to a folder on another disk",
    errno.EROFS: "the file system is read-only: set JHU_LAKE to a writable folder",
    errno.EACCES: "make it writable for this user, or set JHU_LAKE to a writable folder",
    errno.EPERM: "make it writable for this user, or set JHU_LAKE to a writable folder",
    errno.ENOTDIR: "a part of that path is a file: set JHU_LAKE to a folder",
    errno.EEXIST: "a part of that path is a file: set JHU_LAKE to a folder",
}


def write_error(root: str, path: Path | str, exc: OSError) -> JhuError:
    """One line for a write the lake could not make."""
    advice = _ADVICE.get(exc.errno or 0, "check that folder, or set JHU_LAKE to another one")
    return JhuError(f"cannot write {path} (JHU_LAKE={root}): {exc.strerror or exc}; {advice}")


class LocalLake:
    """A lake in a local folder; each write is atomic (temp file in the same folder, rename)."""

    def __init__(self, root: str | Path) -> None:
        self.root = str(root)
        self._root = Path(root)
        self.stats = LakeStats()
        self._lock_handle: BinaryIO | None = None

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

    def _mkdir(self, folder: Path) -> None:
        if self._root.exists() and not self._root.is_dir():
            raise JhuError(
                f"JHU_LAKE={self.root}: is a file, not a folder; set JHU_LAKE to a folder "
                "(it is created when missing)"
            )
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise write_error(self.root, folder, exc) from None

    def _write_atomically(self, key: str, write: Callable[[BinaryIO], None]) -> None:
        path = self._path(key)
        self._mkdir(path.parent)
        try:
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        except OSError as exc:
            raise write_error(self.root, path.parent, exc) from None
        try:
            with os.fdopen(fd, "wb") as handle:
                write(handle)
            # mkstemp creates 0600; a lake file is read by analysts and other tools like any file.
            Path(tmp).chmod(0o666 & ~_UMASK)
            Path(tmp).replace(path)
        except OSError as exc:
            Path(tmp).unlink(missing_ok=True)
            raise write_error(self.root, path, exc) from None
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
            try:
                self._path(key).unlink(missing_ok=True)
            except OSError as exc:
                raise write_error(self.root, self._path(key), exc) from None
            self.stats.requests["delete"] += 1

    # -- checks and compare-and-swap ----------------------------------------------------------

    def stat(self, key: str) -> ObjectInfo | None:
        path = self._path(key)
        if not path.is_file():
            return None
        self.stats.requests["stat"] += 1
        return ObjectInfo(size=path.stat().st_size, sha256=sha256_file(path))

    def read_versioned(self, key: str) -> tuple[bytes | None, str | None]:
        data = self.read_bytes(key)
        return data, (hashlib.sha256(data).hexdigest() if data is not None else None)

    @contextmanager
    def _folder_locked(self, folder: Path) -> Iterator[None]:
        """An OS lock on a folder of the lake: compare-and-swaps in it go one at a time."""
        self._mkdir(folder)
        fd = os.open(folder, os.O_RDONLY)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)

    def put_bytes_if(self, key: str, data: bytes, version: str | None) -> None:
        path = self._path(key)
        with self._folder_locked(path.parent):
            _, now = self.read_versioned(key)
            if now != version:
                raise LakeChangedError(
                    f"{path} changed while this run was working (another writer?): nothing of "
                    "this run was made current; run again"
                )
            self.put_bytes(key, data)

    def check_writable(self) -> None:
        """The lake folder (and raw/, marts/ when present) take a new file: probe each."""
        self._mkdir(self._root)
        folders = [self._root, *(p for p in self._root.glob("*/**") if p.is_dir())]
        for folder in folders:
            probe = folder / f".jhu-probe-{os.getpid()}.tmp"
            try:
                probe.write_bytes(b"")
                probe.unlink()
            except OSError as exc:
                raise write_error(self.root, folder, exc) from None

    # -- the writer's lock --------------------------------------------------------------------

    def try_lock(self, holder: LockHolder) -> tuple[bool, LockHolder | None]:
        """flock `_lock.json`; a run that ends removes it, so the file's inode is checked after
        the flock (the file may have been removed and made again meanwhile)."""
        path = self._path(LOCK_KEY)
        self._mkdir(self._root)
        while True:
            try:
                handle = path.open("a+b")
            except OSError as exc:
                raise write_error(self.root, path, exc) from None
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                handle.seek(0)
                other = _holder(handle.read())
                handle.close()
                return False, other
            try:
                same = path.stat().st_ino == os.fstat(handle.fileno()).st_ino
            except FileNotFoundError:
                same = False
            if same:
                break
            handle.close()  # its holder removed it as we opened it: take the new one
        handle.seek(0)
        previous = _holder(handle.read())  # still there: its run was killed
        handle.seek(0)
        handle.truncate()
        handle.write(json.dumps(holder.__dict__).encode() + b"\n")
        handle.flush()
        self._lock_handle = handle
        return True, previous

    def renew_lock(self, holder: LockHolder) -> bool:
        return self._lock_handle is not None  # the kernel holds it for as long as we live

    def release_lock(self, holder: LockHolder) -> None:
        """Remove the lock file while still holding it, then let go."""
        handle, self._lock_handle = self._lock_handle, None
        if handle is None:
            return
        try:
            self._path(LOCK_KEY).unlink(missing_ok=True)
        except OSError:
            pass  # a read-only folder now: the OS lock still goes with the handle
        finally:
            handle.close()

    def remove_leftovers(self, killed: bool) -> list[str]:
        """Every *.tmp file in the lake: half-written objects of killed runs (we hold the lock)."""
        removed = []
        for path in sorted(self._root.rglob("*.tmp")):
            path.unlink(missing_ok=True)
            removed.append(path.relative_to(self._root).as_posix())
        return removed


def _holder(data: bytes) -> LockHolder | None:
    """The holder a lock file names; None when it is empty (just created)."""
    try:
        document = json.loads(data or b"null")
        return LockHolder(**document) if isinstance(document, dict) else None
    except (ValueError, TypeError):
        return None
