"""What the lake's JSON documents share: content hashes, UTC timestamps, JSON in and out.

Both manifests (the load manifest of `ingest`, the export manifest of `publish`) and both lakes
use these, so they live in the shared lake layer rather than in either stage.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from jhu_warehouse.errors import JhuError


def utc_now_iso(now: datetime | None = None) -> str:
    """A UTC timestamp to the second, as ``2024-05-01T12:00:00Z``."""
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


def sha256_file(path: Path, chunk_size: int = 1 << 20) -> str:
    """Hex sha256 of a file, read in chunks so a 1 GB file costs no 1 GB of memory."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        while chunk := handle.read(chunk_size):
            digest.update(chunk)
    return digest.hexdigest()


def dump_json(document: Mapping[str, Any]) -> bytes:
    """Sorted keys, indented, a final newline: a diff of two versions is readable."""
    return (json.dumps(document, indent=2, sort_keys=True) + "\n").encode("utf-8")


def load_json(data: bytes, where: str) -> dict[str, Any]:
    """A JSON object; anything else is a JhuError naming ``where``."""
    try:
        document = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise malformed(where, f"not JSON: {exc}") from None
    if not isinstance(document, dict):
        raise malformed(where, "not a JSON object")
    return document


def malformed(where: str, problem: str) -> JhuError:
    return JhuError(f"{where}: not a valid manifest ({problem}); delete it to start afresh")
