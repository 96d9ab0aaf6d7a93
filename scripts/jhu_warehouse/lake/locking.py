"""One writer per lake: the lock every command that writes the lake (or reads it to build) holds.

Both lakes keep it at `_lock.json`, naming its holder (host, pid, since). A second run waits for
it, up to ``wait_s`` seconds with a progress line, then refuses with one line naming the holder.

- Local folder: an OS lock (`flock`) on the file, which the kernel drops when the holder's
  process ends, however it ends: a killed run's lock is free at once.
- S3: the object is created with a conditional PUT (`If-None-Match: *`), so only one run
  creates it; it expires ``ttl_s`` after its last renewal (renewed every quarter of that while
  the run lives) and an expired one (or one whose process is gone, on the same host) is taken
  over with `If-Match` on its ETag, so two runs cannot both take it over.

Taking over the lock of a killed run also removes what that run left (`remove_leftovers`).
"""

from __future__ import annotations

import os
import secrets
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime

from jhu_warehouse.errors import JhuError
from jhu_warehouse.lake.base import LOCK_KEY, Lake, LockHolder
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


@contextmanager
def lake_lock(
    lake: Lake,
    *,
    wait_s: float = 0.0,
    ttl_s: float = LOCK_TTL_S,
    progress: Progress = silent,
    poll_s: float = POLL_S,
) -> Iterator[LockHolder]:
    """Hold the lake's lock for the block; refuse (JhuError naming the holder) after ``wait_s``."""
    lake.check_writable()
    holder = new_holder(ttl_s)
    deadline = time.monotonic() + wait_s
    vanished = 0
    while True:
        taken, other = lake.try_lock(holder)
        if taken:
            break
        if other is None and vanished < UNNAMED_LOOKS:
            # released as we looked, or taken a moment ago by a run still writing its name:
            # look again shortly, so the refusal can name the holder
            vanished += 1
            time.sleep(UNNAMED_PAUSE_S)
            continue
        where = lake.uri(LOCK_KEY)
        if time.monotonic() >= deadline:
            who = _since(other) if other else "another run"
            raise JhuError(
                f"the lake is locked by {who} ({where}): another run is writing it; run again "
                "when it has finished, or pass --wait SECONDS"
            )
        who = _since(other) if other else "another run"
        progress(f"  waiting for the lake lock held by {who} ({where})")
        time.sleep(min(poll_s, max(0.0, deadline - time.monotonic())) or 0.01)
    if other is not None:
        progress(f"  took over the lake lock left by {other.describe()} (that run is gone)")
    heartbeat = _Heartbeat(lake, holder, ttl_s)
    try:
        removed = lake.remove_leftovers(killed=other is not None)
        removed += remove_stale_scratch()
        if removed:
            progress(f"  removed {len(removed)} leftovers of killed runs: {', '.join(removed[:5])}")
        heartbeat.start()
        yield holder
    finally:
        heartbeat.stopped.set()
        lake.release_lock(holder)
