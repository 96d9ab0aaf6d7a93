"""The load's plan: which files a load would land, and the requests that takes, touching nothing.

Read-only: the lake's manifest is read (one GET) and its raw folder listed (one LIST) as the load
does; a local JHU_SOURCE is hashed in place. Nothing is validated, downloaded or written. From a
download source, the plan cannot hash what it has not fetched: it counts a file as landing when
the lake does not list it yet (the time series are downloaded every run and land only if changed,
so an unchanged upstream, which the archived one is, lands none of them).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from jhu_warehouse.config import Settings
from jhu_warehouse.ingest.land import read_manifest, upstream_daily_report_names
from jhu_warehouse.lake import RAW_MANIFEST, RAW_PREFIX, Lake
from jhu_warehouse.lake.documents import sha256_file
from jhu_warehouse.sources.fetch import local_daily_reports, local_files
from jhu_warehouse.sources.jhu_files import JHU_FILES


@dataclass(frozen=True)
class LoadPlan:
    """What a load would do: its files to land and the lake requests it would make."""

    landing: tuple[str, ...]
    """Names of the files that would land (a PUT each)."""
    landing_bytes: int
    """Their bytes; 0 for a file of a download source not fetched yet (its size is unknown)."""
    sizes: dict[str, int]
    """Bytes of every raw file after the load, by name, where known (the manifest's, a local
    source's)."""
    unchanged: int
    manifest_bytes: int
    """Size of the load manifest that would be written (the current one's, a close estimate)."""
    requests: dict[str, int]
    """PUT, GET, LIST the load would make."""


def plan_load(settings: Settings, lake: Lake) -> LoadPlan:
    """The load's plan against ``lake``; see the module docstring."""
    current_bytes = lake.read_bytes(RAW_MANIFEST)
    current = read_manifest(lake)
    present = set(lake.list(RAW_PREFIX)) if current.files else set()
    landing: list[str] = []
    landing_bytes = 0
    sizes = {name: entry.bytes for name, entry in current.files.items()}
    unchanged = 0
    if settings.source:
        folder = Path(settings.source)
        files = [*local_files(folder), *local_daily_reports(folder).files]
        for item in files:
            entry = current.files.get(item.name)
            if (
                entry is not None
                and f"{RAW_PREFIX}/{item.name}" in present
                and entry.sha256 == sha256_file(item.path)
            ):
                unchanged += 1
            else:
                landing.append(item.name)
                sizes[item.name] = item.path.stat().st_size
                landing_bytes += sizes[item.name]
    else:
        for name in [*JHU_FILES, *upstream_daily_report_names()]:
            if name in current.files and f"{RAW_PREFIX}/{name}" in present:
                unchanged += 1
            else:
                landing.append(name)
    puts = len(landing) + (1 if landing else 0)  # the files, then the manifest
    requests = {"PUT": puts, "GET": 1, "LIST": 1 if current.files else 0}
    return LoadPlan(
        landing=tuple(landing),
        landing_bytes=landing_bytes,
        sizes=sizes,
        unchanged=unchanged,
        manifest_bytes=len(current_bytes) if current_bytes else 0,
        requests=requests,
    )
