"""How dbt is called for this project: its folders and the flags every caller shares."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from jhu_warehouse.config import PROJECT_DIR

#: dbt's flag that leaves the unit tests out of a build. dbt recommends it for production runs:
#: a unit test checks the SQL against fixed rows, so it says nothing new about a new load
#: (`make test` runs them; docs/performance.md has what they cost).
SKIP_UNIT_TESTS = ("--exclude-resource-type", "unit_test")


def profiles_dir() -> Path:
    """profiles.yml lives in the repo (no secrets in it); DBT_PROFILES_DIR may point elsewhere."""
    return Path(os.environ.get("DBT_PROFILES_DIR") or PROJECT_DIR)


def dbt_args(command: str, extra: Sequence[str] = (), project_dir: Path = PROJECT_DIR) -> list[str]:
    """A dbt command line for this project: its folder, the repo's profiles, dbt's quiet mode.

    Nothing of dbt's reaches the terminal (the stages report progress through callbacks and
    failures as one line); all of it goes to dbt's log file, at debug level.
    """
    return [
        command,
        "--project-dir",
        str(project_dir),
        "--profiles-dir",
        str(profiles_dir()),
        "--quiet",
        "--log-level",
        "none",
        "--log-level-file",
        "debug",
        *extra,
    ]
