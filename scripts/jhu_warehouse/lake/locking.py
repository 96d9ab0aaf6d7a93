"""One writer per lake: the lock a command holds while it writes the lake (or reads it to build).

Both lakes keep it at `_lock.json`, naming its holder (host, pid, since). A second run waits for
it, up to ``wait_s`` seconds with a progress line, then refuses with one line naming the holder.

- Local folder: an OS lock (`flock`) on the file, which the kernel drops when the holder's
  process ends, however it ends: a killed run's lock is free at once.
- S3: the object is created with a conditional PUT (`If-None-Match: *`), so only one run
  creates it; it expires ``ttl_s`` after its last renewal (renewed every quarter of that while
  the run lives) and an expired one (or one whose process is gone, on the same host) is taken
  over with `If-Match` on its ETag, so two runs cannot both take it over.

The lock is lazy (`LazyLock`, `with_lake_lock`): a run takes it at its first write, not at its
start, so a run that writes nothing (an unchanged re-run) makes no request for it. Taking it
checks that what the run read before is still the lake's, and the run starts again under the
lock when it is not. Taking over the lock of a killed run also removes what that run left
(`remove_leftovers`).
"""

from __future__ import annotations

import hashlib
import os
import secrets
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

from jhu_warehouse.errors import JhuError, StaleReadError, termination_deferred
from jhu_warehouse.lake.base import LOCK_KEY, Lake, LockHolder, ObjectInfo
from jhu_warehouse.lake.documents import utc_now_iso
from jhu_warehouse.lake.scratch import pid_alive, remove_stale_scratch
from jhu_warehouse.progress import Progress, silent

#: An S3 lock not renewed for this long is taken over (a killed run on another host).
LOCK_TTL_S = 600.0
#: How often a waiting run looks again, and says it is still waiting.
POLL_S = 2.0
#: A lock held but not yet naming its holder is looked at again this often, for up to 2 s.
UNNAMED_LOOKS = 40
UNNAMED_PAUSE_S = 0.05

T = TypeVar("T")


def new_holder(ttl_s: float = LOCK_TTL_S) -> LockHolder:
    return LockHolder(
        host=socket.gethostname(),
        pid=os.getpid(),
        since=utc_now_iso(),
        expires=time.time() + ttl_s,
        token=secrets.token_hex(8),
    )


def is_dead(holder: LockHolder, now: float | None = None) -> bool:
    """Expired, or held by a process of this host that no longer exists."""
    if (now if now is not None else time.time()) > holder.expires:
        return True
    return holder.host == socket.gethostname() and not pid_alive(holder.pid)


def _since(holder: LockHolder) -> str:
    try:
        since = datetime.fromisoformat(holder.since.replace("Z", "+00:00"))
    except ValueError:
        return holder.describe()
    age = int((datetime.now(UTC) - since).total_seconds())
    return f"{holder.describe()} ({age} s ago)"


class _Heartbeat(threading.Thread):
    """Renews the lock while the run lives, so only a dead run's lock expires."""

    def __init__(self, lake: Lake, holder: LockHolder, ttl_s: float) -> None:
        super().__init__(name="jhu-lake-lock", daemon=True)
        self.lake, self.holder, self.ttl_s = lake, holder, ttl_s
        self.stopped = threading.Event()
        self.lost = False

    def run(self) -> None:
        while not self.stopped.wait(self.ttl_s / 4):
            try:
                renewed = replace(self.holder, expires=time.time() + self.ttl_s)
                if not self.lake.renew_lock(renewed):
                    self.lost = True
                    return
            except JhuError:
                continue  # a transient failure: the next beat tries again, well before expiry


def _acquire(
    lake: Lake, holder: LockHolder, *, wait_s: float, progress: Progress, poll_s: float
) -> tuple[LockHolder | None, bool]:
    """Take the lock for ``holder``: the dead holder taken over (or None), and whether the lock
    was ever found taken (the run waited, or looked again). JhuError naming the holder after
    ``wait_s``."""
    deadline = time.monotonic() + wait_s
    vanished = 0
    contended = False
    while True:
        # The lock's write and the record its release goes by (the file's handle, the ETag)
        # must not be cut apart: a SIGTERM between the two left the lock behind.
        with termination_deferred():
            taken, other = lake.try_lock(holder)
        if taken:
            return other, contended
        contended = True
        if other is None and vanished < UNNAMED_LOOKS:
            # released as we looked, or taken a moment ago by a run still writing its name:
            # look again shortly, so the refusal can name the holder
            vanished += 1
            time.sleep(UNNAMED_PAUSE_S)
            continue
        where = lake.uri(LOCK_KEY)
        who = _since(other) if other else "another run"
        if time.monotonic() >= deadline:
            raise JhuError(
                f"the lake is locked by {who} ({where}): another run is writing it; run again "
                "when it has finished, or pass --wait SECONDS"
            )
        progress(f"  waiting for the lake lock held by {who} ({where})")
        time.sleep(min(poll_s, max(0.0, deadline - time.monotonic())) or 0.01)


class LazyLock:
    """The lake's lock, taken at a run's first write, so a run that writes nothing takes none.

    ``lake`` is the lake the run works on: its writes take the lock first, and its reads before
    that are remembered (each manifest or page read: the sha256 of what was read). A run reads
    before it holds the lock, so taking it checks that what it read is still what the lake
    holds; if not, `take` raises StaleReadError, still holding the lock, and the run starts
    again (`with_lake_lock`). The lake may have moved when:

    - the lock was found taken (the run waited, or was refused): its holder was writing;
    - a killed run's lock was taken over: it may have landed raw files its manifest does not
      name yet (the only writes a manifest does not show);
    - a document the run read (the load or the export manifest, the report's page) is no longer
      the one it read: a run came and went meanwhile. Every landing writes a new load manifest
      (its entries' loaded_at), every export a new export manifest, so a writer that came and
      went shows in one of them.

    What the run writes after that is checked again where it matters: the manifests are
    replaced by compare-and-swap, against the versions the run read.
    """

    def __init__(
        self,
        lake: Lake,
        *,
        wait_s: float = 0.0,
        ttl_s: float = LOCK_TTL_S,
        progress: Progress = silent,
        poll_s: float = POLL_S,
    ) -> None:
        lake.check_writable()
        self.inner = lake
        self.lake: Lake = _WritesTakeTheLock(lake, self)
        self.holder: LockHolder | None = None
        self._wait_s, self._ttl_s, self._progress, self._poll_s = wait_s, ttl_s, progress, poll_s
        self._heartbeat: _Heartbeat | None = None
        self._seen: dict[str, str | None] = {}
        self._read = False

    def saw(self, key: str | None, data: bytes | None = None) -> None:
        """A read before the lock (``key`` None: a stat or a list, nothing to compare later)."""
        if self.holder is not None:
            return
        self._read = True
        if key is not None and key not in self._seen:
            self._seen[key] = hashlib.sha256(data).hexdigest() if data is not None else None

    def take(self) -> LockHolder:
        """Hold the lock from now on (a no-op when held); StaleReadError when the lake moved."""
        if self.holder is not None:
            return self.holder
        holder = new_holder(self._ttl_s)
        # Named before the lock is written: a signal that stops the run while it is being taken
        # still releases it (release removes only a lock this run holds).
        self.holder = holder
        try:
            other, contended = _acquire(
                self.inner,
                holder,
                wait_s=self._wait_s,
                progress=self._progress,
                poll_s=self._poll_s,
            )
        except JhuError:
            self.holder = None
            raise
        if other is not None:
            self._progress(
                f"  took over the lake lock left by {other.describe()} (that run is gone)"
            )
        self._heartbeat = _Heartbeat(self.inner, holder, self._ttl_s)
        removed = self.inner.remove_leftovers(killed=other is not None)
        removed += remove_stale_scratch()
        if removed:
            self._progress(
                f"  removed {len(removed)} leftovers of killed runs: {', '.join(removed[:5])}"
            )
        self._heartbeat.start()
        why = self._moved(other, contended) if self._read else None
        if why:
            raise StaleReadError(f"the lake changed while this run read it ({why})")
        return holder

    def _moved(self, other: LockHolder | None, contended: bool) -> str | None:
        """Why what this run read before the lock may no longer be the lake's, or None."""
        if other is not None:
            return "a killed run's lock was taken over"
        if contended:
            return "another run held its lock"
        for key, seen in self._seen.items():
            found = self.inner.stat(key)
            # an object without a stored sha256 (written by another tool) cannot be compared
            if ((found.sha256 or "unknown") if found else None) != seen:
                return f"{self.inner.uri(key)} was replaced"
        return None

    def release(self) -> None:
        """Let the lock go, when held (DELETE on S3, only if still ours); a SIGTERM meanwhile
        waits for it."""
        with termination_deferred():
            if self._heartbeat is not None:
                self._heartbeat.stopped.set()
                self._heartbeat = None
            holder, self.holder = self.holder, None
            if holder is not None:
                self.inner.release_lock(holder)


class _WritesTakeTheLock:
    """A lake whose every write takes the lazy lock first and whose reads before it are noted."""

    def __init__(self, lake: Lake, lock: LazyLock) -> None:
        self._lake, self._lock = lake, lock
        self.root = lake.root
        self.stats = lake.stats

    def uri(self, key: str) -> str:
        return self._lake.uri(key)

    def read_bytes(self, key: str) -> bytes | None:
        data = self._lake.read_bytes(key)
        self._lock.saw(key, data)
        return data

    def read_versioned(self, key: str) -> tuple[bytes | None, str | None]:
        data, version = self._lake.read_versioned(key)
        self._lock.saw(key, data)
        return data, version

    def list(self, prefix: str) -> list[str]:
        self._lock.saw(None)
        return self._lake.list(prefix)

    def stat(self, key: str) -> ObjectInfo | None:
        self._lock.saw(None)
        return self._lake.stat(key)

    def put_bytes(self, key: str, data: bytes) -> None:
        self._lock.take()
        self._lake.put_bytes(key, data)

    def put_file(self, key: str, path: Path) -> None:
        self._lock.take()
        self._lake.put_file(key, path)

    def put_bytes_if(self, key: str, data: bytes, version: str | None) -> None:
        self._lock.take()
        self._lake.put_bytes_if(key, data, version)

    def delete(self, keys: list[str]) -> None:
        if keys:
            self._lock.take()
        self._lake.delete(keys)

    def check_writable(self) -> None:
        self._lake.check_writable()

    def try_lock(self, holder: LockHolder) -> tuple[bool, LockHolder | None]:
        return self._lake.try_lock(holder)

    def renew_lock(self, holder: LockHolder) -> bool:
        return self._lake.renew_lock(holder)

    def release_lock(self, holder: LockHolder) -> None:
        self._lake.release_lock(holder)

    def remove_leftovers(self, killed: bool) -> list[str]:
        return self._lake.remove_leftovers(killed)


def with_lake_lock(
    lake: Lake,
    work: Callable[[Lake], T],
    *,
    wait_s: float = 0.0,
    ttl_s: float = LOCK_TTL_S,
    progress: Progress = silent,
    poll_s: float = POLL_S,
) -> T:
    """``work(lake)`` with the lake's lock taken at its first write (`LazyLock`), released after.

    When taking it found the lake moved since ``work`` read it, ``work`` runs once more from the
    start, holding the lock all along: what it read then cannot move, so it cannot fail that way
    twice. ``work`` must publish only through that lake, behind its manifests, so a first
    attempt stopped at its first write has made nothing current.
    """
    lock = LazyLock(lake, wait_s=wait_s, ttl_s=ttl_s, progress=progress, poll_s=poll_s)
    try:
        try:
            return work(lock.lake)
        except StaleReadError as exc:
            progress(f"  {exc}: starting again, holding the lake's lock")
            return work(lock.lake)
    finally:
        lock.release()


@contextmanager
def lake_lock(
    lake: Lake,
    *,
    wait_s: float = 0.0,
    ttl_s: float = LOCK_TTL_S,
    progress: Progress = silent,
    poll_s: float = POLL_S,
) -> Iterator[LockHolder]:
    """Hold the lake's lock for the whole block, from its start (for a run that only reads the
    lake but needs it still, as `jhu build` does); JhuError naming the holder after ``wait_s``."""
    lock = LazyLock(lake, wait_s=wait_s, ttl_s=ttl_s, progress=progress, poll_s=poll_s)
    try:
        yield lock.take()
    finally:
        lock.release()
