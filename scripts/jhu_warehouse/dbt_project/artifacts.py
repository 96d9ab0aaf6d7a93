"""The one reader of dbt's artefacts (manifest.json, run_results.json, catalog.json).

dbt writes them to DBT_TARGET_PATH, relative to the project folder (dbt runs from there), else
`target/`. Every reader goes through `target_dir` and `read_artifact`, so a missing or broken
file is the same one line wherever it is read.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from jhu_warehouse.config import PROJECT_DIR
from jhu_warehouse.errors import JhuError


def target_dir() -> Path:
    """Where dbt writes its artefacts: DBT_TARGET_PATH (relative to the project), else target/."""
    return PROJECT_DIR / os.environ.get("DBT_TARGET_PATH", "target")


def read_artifact(
    name: str, *, target: Path | None = None, made_by: str = "jhu build"
) -> dict[str, Any]:
    """One JSON artefact of dbt; a missing or broken file is a JhuError naming it.

    ``made_by`` is the command that writes it (`jhu build` for the manifest and run results,
    `make docs` for the catalog), named in the error.
    """
    path = (target if target is not None else target_dir()) / name
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise JhuError(
            f"{path}: not found; run `{made_by}` first (with the same DBT_TARGET_PATH)"
        ) from None
    except (OSError, ValueError) as exc:
        raise JhuError(
            f"{path}: not a readable dbt artefact ({exc}); run `{made_by}` again"
        ) from None
    if not isinstance(document, dict):
        raise JhuError(f"{path}: not a dbt artefact (not a JSON object); run `{made_by}` again")
    return document


def last_invocation_id(target: Path | None = None) -> str | None:
    """The invocation id of the last dbt command that built this target (run_results.json)."""
    try:
        results = read_artifact("run_results.json", target=target)
    except JhuError:
        return None
    return results.get("metadata", {}).get("invocation_id")
