"""Landing: fetch the six JHU files, validate them all, land the changed ones, manifest last.

The order is what makes a load safe to interrupt and cheap to repeat:

1. fetch every file to local disk (a local folder is read in place; a download goes to a
   temporary folder, never to the lake);
2. validate every file (`ingest.validation`); one bad file stops the load before anything lands;
3. compare each file's sha256 with the lake's manifest and land only the files that changed
   (or that are missing from the lake);
4. write the manifest last, and only if something landed.

A crash during step 3 leaves the old manifest, which no longer matches the landed bytes, so the
next load lands those files again. A re-run with unchanged inputs reads the manifest, lists the
raw folder, and writes nothing.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from collections.abc import Callable, Collection, Mapping
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path
from typing import Literal

from jhu_warehouse.config import Settings
from jhu_warehouse.errors import JhuError
from jhu_warehouse.ingest.manifest import (
    LoadEntry,
    LoadManifest,
    dump_load_manifest,
    parse_load_manifest,
)
from jhu_warehouse.ingest.validation import FileProfile, profile_file
from jhu_warehouse.lake import RAW_MANIFEST, RAW_PREFIX, Lake
from jhu_warehouse.lake.documents import sha256_file, utc_now_iso
from jhu_warehouse.lake.scratch import scratch_dir
from jhu_warehouse.progress import Progress, silent
from jhu_warehouse.sources.fetch import (
    DEFAULT_TIMEOUT,
    DailyFetch,
    FetchedFile,
    download_daily_reports,
    fetch_files,
    local_daily_reports,
)
from jhu_warehouse.sources.jhu_files import (
    DAILY_FAMILIES,
    UPSTREAM_BASE,
    daily_family,
    daily_report_date,
    daily_report_name,
    is_daily_report,
)

Status = Literal["landed", "unchanged"]


@dataclass(frozen=True)
class FileReport:
    """What the load did with one file."""

    name: str
    status: Status
    bytes: int
    rows: int
    seconds: float
    """Fetch, validation, hashing and (when landed) upload time for this file."""


@dataclass(frozen=True)
class LoadReport:
    """What a load did: one line per file, and whether a new manifest was written."""

    files: tuple[FileReport, ...]
    manifest_written: bool
    seconds: float
    held: Mapping[str, str] = field(default_factory=dict)
    """Every raw file the lake holds after the load, by name: its sha256 (the manifest's), the
    skipped daily reports of a download included. What a build reads."""

    @property
    def landed(self) -> list[FileReport]:
        return [f for f in self.files if f.status == "landed"]

    @property
    def unchanged(self) -> list[FileReport]:
        return [f for f in self.files if f.status == "unchanged"]

    def summary(self) -> str:
        """One line: what landed, what did not, how long it took."""
        if not self.landed:
            return f"{len(self.files):,} files unchanged, nothing landed ({self.seconds:.1f} s)"
        landed_bytes = sum(f.bytes for f in self.landed)
        landed_rows = sum(f.rows for f in self.landed)
        return (
            f"{len(self.landed):,} {_files(len(self.landed))} landed ({landed_bytes:,} bytes, "
            f"{landed_rows:,} rows), {len(self.unchanged):,} unchanged, manifest written "
            f"({self.seconds:.1f} s)"
        )


def raw_key(name: str) -> str:
    """The lake key of a JHU file."""
    return f"{RAW_PREFIX}/{name}"


def changed_files(
    new: Mapping[str, LoadEntry], current: LoadManifest, present_keys: set[str]
) -> list[str]:
    """Names of the files to land: a new sha256, no manifest entry, or no object in the lake."""
    return [
        name
        for name, entry in new.items()
        if name not in current.files
        or current.files[name].sha256 != entry.sha256
        or raw_key(name) not in present_keys
    ]


def next_manifest(
    current: LoadManifest, new: Mapping[str, LoadEntry], landed: list[str]
) -> LoadManifest:
    """The manifest after landing ``landed``: their new entries; the others' entries as they were.

    An unchanged file keeps its entry, loaded_at and source included: those bytes landed then.
    """
    files = {
        name: entry if name in landed else current.files.get(name, entry)
        for name, entry in new.items()
    }
    return LoadManifest(files=files)


def read_manifest(lake: Lake) -> LoadManifest:
    """The lake's current load manifest; an empty one when there is none yet."""
    return read_manifest_versioned(lake)[0]


def read_manifest_versioned(lake: Lake) -> tuple[LoadManifest, str | None]:
    """The load manifest and its version: the new one replaces only that (compare-and-swap)."""
    data, version = lake.read_versioned(RAW_MANIFEST)
    if data is None:
        return LoadManifest(), None
    return parse_load_manifest(data, lake.uri(RAW_MANIFEST)), version


# -- what is in the lake: checked before "unchanged" is trusted ------------------------------


def damaged_files(lake: Lake, current: LoadManifest, names: list[str]) -> dict[str, str]:
    """The landed files (of ``names``) whose size or sha256 in the lake differ from the manifest.

    One stat per file: locally the file's size and sha256; on S3 one HEAD (the object's size and
    the sha256 stored in its metadata at upload). Returns name -> what is wrong.
    """
    damaged = {}
    for name in names:
        entry = current.files[name]
        found = lake.stat(raw_key(name))
        if found is None:
            damaged[name] = "missing from the lake"
        elif found.size != entry.bytes:
            damaged[name] = f"{found.size:,} bytes in the lake, {entry.bytes:,} in the manifest"
        elif found.sha256 != entry.sha256:
            damaged[name] = "its sha256 in the lake differs from the manifest's"
    return damaged


def check_lake_against_manifest(
    lake: Lake,
    current: LoadManifest,
    new: Mapping[str, LoadEntry],
    progress: Progress,
    intact: Collection[str] = (),
) -> list[str]:
    """Names to land again although their source is unchanged: the lake's copy is damaged.

    ``intact`` names files already found whole in the lake this load (the daily reports a
    download skipped): not looked at twice. A manifest entry the source no longer has cannot be
    repaired: one line naming it.
    """
    same = [n for n in new if n in current.files and current.files[n].sha256 == new[n].sha256]
    checked = set(intact)
    gone = [n for n in current.files if n not in new and n not in checked]
    damaged = damaged_files(lake, current, [*same, *gone])
    for name, problem in damaged.items():
        if name not in new:
            raise JhuError(
                f"{lake.uri(raw_key(name))}: {problem}, and the source no longer has "
                f"{name} to land it again; restore it in JHU_SOURCE and run again"
            )
        progress(f"  damaged    {name}: {problem}; landing it again from the source")
    return list(damaged)


def _entry(fetched: FetchedFile, profile: FileProfile, sha256: str, loaded_at: str) -> LoadEntry:
    return LoadEntry(
        sha256=sha256,
        bytes=fetched.path.stat().st_size,
        rows=profile.rows,
        columns=profile.columns,
        first_date=profile.first_date.isoformat() if profile.first_date else None,
        last_date=profile.last_date.isoformat() if profile.last_date else None,
        source=fetched.source,
        loaded_at=loaded_at,
    )


#: From this many bytes in all, the files are validated in worker processes, one per core: the
#: csv module holds the GIL, so big files validated one after the other leave a core idle. Below
#: it, starting the workers costs more than it saves (docs/performance.md, the load).
PARALLEL_VALIDATION_BYTES = 64 * 1024 * 1024


#: Files per task sent to a validation worker: the full source is 2,211 files, most of them
#: daily reports of about 270 KB, and with one file per task the workers wait on the passing of
#: tasks and results (validating the full source on two cores: 3.4 s, 2.8 s with 16 per task).
FILES_PER_TASK = 16


@dataclass(frozen=True)
class Validated:
    """A valid file's profile and sha256, and the seconds both took."""

    profile: FileProfile
    sha256: str
    seconds: float


def _profile(name: str, path: Path) -> Validated | JhuError:
    """One file's profile and sha256, or what is wrong with it (in a worker). Hashed here, by
    the worker that has just read the file, so that the hashing is spread over the cores too."""
    started = time.perf_counter()
    try:
        profile = profile_file(name, path)
    except JhuError as exc:
        return exc
    return Validated(profile, sha256_file(path), time.perf_counter() - started)


def _profile_all(fetched: list[FetchedFile]) -> list[Validated | JhuError]:
    """Every file's outcome, in the given order; in worker processes when the files are big."""
    names = [item.name for item in fetched]
    paths = [item.path for item in fetched]
    workers = min(len(fetched), os.cpu_count() or 1)
    if workers < 2 or sum(path.stat().st_size for path in paths) < PARALLEL_VALIDATION_BYTES:
        return [_profile(name, path) for name, path in zip(names, paths, strict=True)]
    # fork where there is one (Linux): the worker starts at once with the module loaded
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else None)
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        return list(pool.map(_profile, names, paths, chunksize=FILES_PER_TASK))


def _validate_all(fetched: list[FetchedFile], progress: Progress) -> dict[str, Validated]:
    """Profile every file; if any is bad, one JhuError for the first, naming the others."""
    profiles: dict[str, Validated] = {}
    errors: list[tuple[str, JhuError]] = []
    outcomes = _profile_all(fetched)
    for item, outcome in zip(fetched, outcomes, strict=True):
        if isinstance(outcome, JhuError):
            errors.append((item.name, outcome))
            continue
        profiles[item.name] = outcome
        profile, seconds = outcome.profile, outcome.seconds
        if is_daily_report(item.name):
            continue  # thousands of them: one line for all, below
        dates = (
            f", {profile.first_date.isoformat()} to {profile.last_date.isoformat()}"
            if profile.first_date and profile.last_date
            else ""
        )
        progress(
            f"  valid      {item.name}: {profile.rows:,} rows, {profile.columns:,} columns"
            f"{dates} ({seconds:.2f} s)"
        )
    daily = [
        profiles[i.name].profile for i in fetched if i.name in profiles and is_daily_report(i.name)
    ]
    if daily:
        progress(f"  valid      {len(daily):,} daily reports: {sum(d.rows for d in daily):,} rows")
    if errors:
        first = str(errors[0][1])
        others = [name for name, _ in errors[1:]]
        also = f" (also invalid: {', '.join(others)})" if others else ""
        raise JhuError(f"{first}{also}; nothing was landed")
    return profiles


def load(
    settings: Settings,
    lake: Lake,
    *,
    base_url: str = UPSTREAM_BASE,
    timeout: float = DEFAULT_TIMEOUT,
    progress: Progress = silent,
    now: Callable[[], datetime] | None = None,
) -> LoadReport:
    """Load the six JHU files into ``lake``; see the module docstring for the order of steps.

    ``base_url`` is where the files are downloaded from when ``settings.source`` is unset (tests
    point it at a server on loopback). A line per file, and the download's progress, go to
    ``progress``. Raises JhuError, with nothing landed, when a file is missing, unreadable or
    invalid.
    """
    started = time.perf_counter()
    current, manifest_version = read_manifest_versioned(lake)
    where = settings.source or base_url
    progress(f"loading the JHU files from {where}")
    with scratch_dir("load") as scratch:
        fetched = fetch_files(
            settings.source, scratch, base_url=base_url, timeout=timeout, progress=progress
        )
        daily = fetch_daily_reports(
            settings.source,
            Path(scratch),
            current,
            lake,
            base_url=base_url,
            timeout=timeout,
            progress=progress,
        )
        fetched = [*fetched, *daily.files]
        profiles = _validate_all(fetched, progress)

        loaded_at = utc_now_iso(now() if now else None)
        seconds: dict[str, float] = {}
        new: dict[str, LoadEntry] = {}
        for item in fetched:
            valid = profiles[item.name]
            new[item.name] = _entry(item, valid.profile, valid.sha256, loaded_at)
            seconds[item.name] = item.seconds + valid.seconds

        present = set(lake.list(RAW_PREFIX)) if current.files else set()
        landing = changed_files(new, current, present)
        repairs = check_lake_against_manifest(lake, current, new, progress, daily.skipped)
        landing += [name for name in repairs if name not in landing]
        daily_landed: list[LoadEntry] = []
        daily_unchanged = 0
        for item in fetched:
            entry = new[item.name]
            report = is_daily_report(item.name)  # thousands of them: one line for all, below
            if item.name in landing:
                put_started = time.perf_counter()
                lake.put_file(raw_key(item.name), item.path)
                seconds[item.name] += time.perf_counter() - put_started
                if report:
                    daily_landed.append(entry)
                    continue
                progress(
                    f"  landed     {item.name}: {entry.bytes:,} bytes, {entry.rows:,} rows "
                    f"({seconds[item.name]:.2f} s)"
                )
            elif report:
                daily_unchanged += 1
            else:
                progress(f"  unchanged  {item.name}: same sha256 as in the manifest, not landed")
        if daily_landed:
            progress(
                f"  landed     {len(daily_landed):,} daily reports: "
                f"{sum(e.bytes for e in daily_landed):,} bytes, "
                f"{sum(e.rows for e in daily_landed):,} rows"
            )
        if daily_unchanged:
            progress(
                f"  unchanged  {daily_unchanged:,} daily reports: same sha256 as in the manifest"
            )

    if landing:
        manifest = keep_landed_daily_reports(
            current, with_report_headers(next_manifest(current, new, landing), profiles)
        )
        lake.put_bytes_if(RAW_MANIFEST, dump_load_manifest(manifest), manifest_version)
    held = (manifest if landing else current).files
    for line in daily_report_coverage(
        [*(item.name for item in fetched), *daily.skipped], daily.missing_folders
    ):
        progress(line)
    return LoadReport(
        files=tuple(
            FileReport(
                name=item.name,
                status="landed" if item.name in landing else "unchanged",
                bytes=new[item.name].bytes,
                rows=new[item.name].rows,
                seconds=seconds[item.name],
            )
            for item in fetched
        ),
        manifest_written=bool(landing),
        seconds=time.perf_counter() - started,
        held={name: entry.sha256 for name, entry in sorted(held.items())},
    )


def _files(count: int) -> str:
    return "file" if count == 1 else "files"


# --- The daily reports ------------------------------------------------------------------------
# They join every load: from the two folders of a local JHU_SOURCE, or downloaded from upstream
# (the names follow from each family's date range), and land under raw/jhu/<upstream folder>/,
# each in the load manifest under that name. A download fetches only the reports the lake does
# not hold yet; a local folder is read in place and hashed, so only changed files land.


def fetch_daily_reports(
    source: str | None,
    scratch: Path,
    current: LoadManifest,
    lake: Lake,
    *,
    base_url: str = UPSTREAM_BASE,
    timeout: float = DEFAULT_TIMEOUT,
    progress: Progress = silent,
) -> DailyFetch:
    """The daily reports of this load: a local source's folders, or the upstream download.

    A download skips the reports the lake already holds whole; one whose copy in the lake is
    damaged (the same check as every landed file's, one stat each) is downloaded again, so the
    load can land it again instead of finding no source for it. ``skipped`` names only the whole
    ones: the load need not look at them again.
    """
    if source:
        daily = local_daily_reports(Path(source))
        for folder in daily.missing_folders:
            progress(f"  no {folder}/ in JHU_SOURCE: those daily reports are not loaded")
        return daily
    wanted = upstream_daily_report_names()
    damaged = damaged_files(lake, current, [name for name in wanted if name in current.files])
    skipped = [name for name in wanted if name in current.files and name not in damaged]
    todo = [name for name in wanted if name not in current.files or name in damaged]
    progress(f"downloading {len(todo):,} daily reports ({len(skipped):,} already in the lake)")
    files, not_found = download_daily_reports(
        scratch, todo, base_url=base_url, timeout=timeout, progress=progress
    )
    return DailyFetch(files, [], not_found, skipped)


def upstream_daily_report_names() -> list[str]:
    """Every daily report upstream published: one per day of each family's date range."""
    names = []
    for family in DAILY_FAMILIES:
        day = family.first_date
        while day <= family.last_date:
            names.append(daily_report_name(family, day))
            day = date.fromordinal(day.toordinal() + 1)
    return names


def keep_landed_daily_reports(current: LoadManifest, manifest: LoadManifest) -> LoadManifest:
    """``manifest`` plus the daily reports ``current`` lists that this load did not see.

    Those files are in the lake (a download skips what is landed; a partial local mirror may
    lack a date landed before) and dbt reads every file of the folder, so they stay listed.
    """
    kept = {
        name: entry
        for name, entry in current.files.items()
        if is_daily_report(name) and name not in manifest.files
    }
    return LoadManifest(files={**manifest.files, **kept}) if kept else manifest


def with_report_headers(manifest: LoadManifest, profiles: Mapping[str, Validated]) -> LoadManifest:
    """``manifest`` with each daily report's header line, as this load validated it.

    A report that did not land is the same bytes as its entry's (same sha256), so the header is
    recorded for it too: an entry written before headers were recorded gains one.
    """
    files = {
        name: replace(entry, header=profiles[name].profile.header)
        if name in profiles and profiles[name].profile.header is not None
        else entry
        for name, entry in manifest.files.items()
    }
    return LoadManifest(files=files)


def daily_report_coverage(names: list[str], missing_folders: list[str]) -> list[str]:
    """One line per family: how many reports, the range they span, the dates missing inside it."""
    lines = []
    for family in DAILY_FAMILIES:
        if family.folder in missing_folders:
            lines.append(f"{family.name} daily reports: none (no {family.folder}/ in the source)")
            continue
        days = sorted(
            {
                day
                for name in names
                if daily_family(name.partition("/")[0]) is family
                and (day := daily_report_date(name.rpartition("/")[2])) is not None
            }
        )
        if not days:
            lines.append(f"{family.name} daily reports: none")
            continue
        span = days[-1].toordinal() - days[0].toordinal() + 1
        gaps = span - len(days)
        lines.append(
            f"{family.name} daily reports: {len(days):,} dates, {days[0]:%m-%d-%Y} to "
            f"{days[-1]:%m-%d-%Y}, {gaps:,} {'date' if gaps == 1 else 'dates'} missing inside "
            "that range"
        )
    return lines
