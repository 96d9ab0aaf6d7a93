"""Scratch folders in the temp dir, named after their run's pid, so a killed run's are found.

A run removes its own on the way out (a context manager, SIGTERM included: the command line
turns it into an exit); a killed run's (`kill -9`) are removed by the next run on this host.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from jhu_warehouse.errors import JhuError

_SCRATCH = re.compile(r"^jhu-(?P<stage>[a-z]+(?:-[a-z]+)*)-(?P<pid>\d+)-")


@contextmanager
def scratch_dir(stage: str) -> Iterator[Path]:
    """A fresh folder `$TMPDIR/jhu-<stage>-<pid>-XXXX`, removed on the way out."""
    base = tempfile.gettempdir()
    try:
        path = Path(tempfile.mkdtemp(prefix=f"jhu-{stage}-{os.getpid()}-", dir=base))
    except OSError as exc:
        raise JhuError(
            f"cannot make a scratch folder in {base} (TMPDIR): {exc.strerror}; free space "
            "there or set TMPDIR to a writable folder with room"
        ) from None
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def pid_alive(pid: int) -> bool:
    """Whether a process of this host with this pid exists."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale_scratch(base: Path | None = None) -> list[str]:
    """Remove scratch folders whose run's process is gone; their paths."""
    folder = Path(base or tempfile.gettempdir())
    removed = []
    try:
        entries = list(folder.iterdir())
    except OSError:
        return []
    for entry in entries:
        match = _SCRATCH.match(entry.name)
        if match and entry.is_dir() and not pid_alive(int(match["pid"])):
            shutil.rmtree(entry, ignore_errors=True)
            removed.append(str(entry))
    return removed
