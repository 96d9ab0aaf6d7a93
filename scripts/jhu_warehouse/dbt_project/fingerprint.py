"""What a build depends on, as sha256s, and the record of the last run that built from them.

`jhu run` skips the build, the export and the report when nothing a build depends on changed
since the run that wrote the record (docs/performance.md, the unchanged re-run). The project's
side of those inputs is here: the dbt project's files (models, macros, seeds, tests,
dbt_project.yml, profiles.yml), the package code that runs in the build, the export and the
report, the versions of dbt, dbt-duckdb and DuckDB, and the settings a build reads. The
pipeline adds the load manifest's sha256s (the raw files the build reads).

Reading is cheap on purpose: a few hundred small files hashed, versions from the installed
packages' metadata (nothing of dbt is imported), no request to the lake.
"""

from __future__ import annotations

import hashlib
import json
import platform
from collections.abc import Iterable, Mapping
from importlib import metadata
from pathlib import Path
from typing import Any

from jhu_warehouse.config import PROJECT_DIR, Settings
from jhu_warehouse.dbt_project.artifacts import target_dir
from jhu_warehouse.dbt_project.invocation import profiles_dir
from jhu_warehouse.dbt_project.marts import parquet_file_folder

#: The dbt project's own files and folders (relative to the project), as dbt_project.yml names them.
PROJECT_PATHS = ("dbt_project.yml", "models", "macros", "seeds", "tests/dbt")
#: The package: the code of the build, the export and the report (and their static assets).
PACKAGE_DIR = Path(__file__).resolve().parents[1]
#: The distributions whose version changes what a build does.
DISTRIBUTIONS = ("dbt-core", "dbt-duckdb", "duckdb")
#: The record of the last run that built, exported and reported, beside dbt's artefacts.
RECORD_NAME = "jhu_run_record.json"
RECORD_FORMAT = 1


def _hash_files(paths: Iterable[Path], root: Path) -> str:
    """One sha256 over the files' paths (relative to ``root``) and contents, in sorted order."""
    digest = hashlib.sha256()
    for path in sorted(paths):
        digest.update(str(path.relative_to(root)).encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def _files_under(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    return [p for p in path.rglob("*") if p.is_file() and "__pycache__" not in p.parts]


def _version(distribution: str) -> str | None:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return None


def project_inputs(settings: Settings, *, unit_tests: bool) -> dict[str, Any]:
    """The project's side of a build's inputs: each part's sha256, the versions, the settings."""
    project_files = [f for p in PROJECT_PATHS for f in _files_under(PROJECT_DIR / p)]
    profiles = profiles_dir() / "profiles.yml"
    profiles_sha256 = (
        hashlib.sha256(profiles.read_bytes()).hexdigest() if profiles.is_file() else None
    )
    return {
        "project": _hash_files(project_files, PROJECT_DIR),
        "profiles": profiles_sha256,
        "package": _hash_files(_files_under(PACKAGE_DIR), PACKAGE_DIR),
        "versions": {
            **{name: _version(name) for name in DISTRIBUTIONS},
            "python": platform.python_version(),
        },
        "settings": {
            "target": settings.target,
            "warehouse": str(Path(settings.duckdb_path).resolve()),
            "lake": settings.lake,
            "s3_endpoint": settings.s3_endpoint,
            "unit_tests": unit_tests,
        },
    }


def build_inputs(
    settings: Settings, raw_sha256: Mapping[str, str], *, unit_tests: bool
) -> dict[str, Any]:
    """Everything a build depends on: the project's inputs and the landed files' sha256s."""
    raw = dict(sorted(raw_sha256.items()))
    return {**project_inputs(settings, unit_tests=unit_tests), "raw": raw}


def changed_parts(before: Mapping[str, Any], now: Mapping[str, Any]) -> list[str]:
    """The names of the parts that differ (``raw`` as the files that changed), for one line."""
    parts = []
    for key in sorted(set(before) | set(now)):
        if key == "raw" and isinstance(before.get(key), dict) and isinstance(now.get(key), dict):
            old, new = before[key], now[key]
            parts += [f"raw {n}" for n in sorted(set(old) | set(new)) if old.get(n) != new.get(n)]
        elif before.get(key) != now.get(key):
            parts.append(key)
    return parts


def file_stat(path: str | Path) -> dict[str, int] | None:
    """A file's size and mtime_ns (None when it is gone): the warehouse file as a build left it."""
    try:
        stat = Path(path).stat()
    except FileNotFoundError:
        return None
    return {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns}


def warehouse_state(settings: Settings) -> dict[str, Any]:
    """The warehouse file's stat, its write-ahead log's (DuckDB's `.wal`, when there is one) and
    those of the Parquet files its `parquet_file` views read (beside it, in `<name>.marts/`)."""
    marts = parquet_file_folder(settings.duckdb_path)
    files = sorted(marts.glob("*.parquet")) if marts.is_dir() else []
    return {
        "file": file_stat(settings.duckdb_path),
        "wal": file_stat(f"{settings.duckdb_path}.wal"),
        "parquet_files": {path.name: file_stat(path) for path in files},
    }


def record_path(target: Path | None = None) -> Path:
    return (target if target is not None else target_dir()) / RECORD_NAME


def read_record(target: Path | None = None) -> dict[str, Any] | None:
    """The last record, or None when there is none or it is not readable (then the run builds)."""
    try:
        document = json.loads(record_path(target).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(document, dict) or document.get("format_version") != RECORD_FORMAT:
        return None
    return document


def write_record(record: Mapping[str, Any], target: Path | None = None) -> None:
    """Write the record whole or not at all (a temporary file renamed over it)."""
    path = record_path(target)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps({"format_version": RECORD_FORMAT, **record}, indent=2) + "\n")
    tmp.replace(path)


def forget_record(target: Path | None = None) -> None:
    """Remove the record before a build starts: a build that fails leaves nothing to skip on."""
    record_path(target).unlink(missing_ok=True)
