"""The one exception the command line turns into a single line and a non-zero exit, and how a
SIGTERM stops a run (raised where the run is, so every `finally` runs, except inside the few
steps that must not be cut in two)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager


class JhuError(Exception):
    """A problem the user can fix: the message names the file, column or setting and what is wrong.

    Raised anywhere in the package; only the command line catches it. The message must never
    contain a credential.
    """


class LakeChangedError(JhuError):
    """A conditional write found the object replaced since it was read (another writer)."""


class StaleReadError(JhuError):
    """Taking the lake's lock at a run's first write found the lake moved since the run read it.

    Raised with the lock held, so the run can start again under it (`lake.locking`).
    """


class TerminatedError(Exception):
    """SIGTERM, raised in the main thread so every `finally` runs: scratch removed, lock freed."""


_deferring = 0
_pending = False


def raise_terminated(signum: int, frame: object) -> None:
    """The SIGTERM handler the command line installs; held back inside `termination_deferred`."""
    global _pending
    if _deferring:
        _pending = True
        return
    raise TerminatedError


@contextmanager
def termination_deferred() -> Iterator[None]:
    """A SIGTERM inside this block is raised at its end. For a write and the record of it that
    must go together: the lake's lock file and the handle (or ETag) its release goes by. Cut
    between the two, a terminated run left its lock behind (the next run took it over as a
    killed run's, but a lock was left)."""
    global _deferring, _pending
    _deferring += 1
    try:
        yield
    finally:
        _deferring -= 1
        if not _deferring and _pending:
            _pending = False
            raise TerminatedError
