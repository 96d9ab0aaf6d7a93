"""How a stage reports while it works, without printing: it calls the `Progress` it was given.

Only the command line decides where those lines go (the terminal, for `jhu`); a test or another
caller passes its own list, or nothing. Stages return what they did as dataclasses; these lines
are the running commentary on long work (a download, a dbt node, a mart written).
"""

from __future__ import annotations

from collections.abc import Callable

Progress = Callable[[str], None]
"""One finished line of progress, without a trailing newline."""


def silent(_line: str) -> None:
    """The default `Progress`: a stage called from code says nothing."""
