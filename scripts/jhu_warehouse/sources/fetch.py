"""Where the six JHU files come from: a local folder (JHU_SOURCE), or the archived upstream.

The upstream repository is archived, so its raw GitHub URLs serve frozen files. A download goes
into a temporary folder the caller owns, never into the lake: the loader validates every file
before it lands any. The download uses only the standard library (urllib), with a timeout,
retries with backoff for transient failures, and progress lines through the caller's `Progress`.

An unreachable network (no DNS, connection refused, nothing answering) is not retried: it fails
at once with one line naming JHU_SOURCE, the offline alternative. Retries are for the failures
that pass (a 5xx, a reset or truncated transfer) once the network has been seen to work.
"""

from __future__ import annotations

import errno
import http.client
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from jhu_warehouse import __version__
from jhu_warehouse.errors import JhuError
from jhu_warehouse.progress import Progress, silent
from jhu_warehouse.sources.jhu_files import (
    DAILY_FAMILIES,
    JHU_FILES,
    UPSTREAM_BASE,
    daily_report_date,
    daily_report_url,
    upstream_url,
)

#: Seconds between two progress lines of one download.
PROGRESS_INTERVAL_S = 5.0
#: Seconds a connection or a read may stall before the attempt is given up.
DEFAULT_TIMEOUT = 10.0
#: Attempts per file for transient failures; waits between them grow as backoff * 2**n.
DEFAULT_ATTEMPTS = 4
DEFAULT_BACKOFF = 1.0

_CHUNK = 1 << 16
_RETRIED_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})
_UNREACHABLE_ERRNOS = frozenset(
    {errno.ECONNREFUSED, errno.ENETUNREACH, errno.EHOSTUNREACH, errno.ENETDOWN, errno.EHOSTDOWN}
)
_OFFLINE_HINT = "set JHU_SOURCE to a local folder holding the six JHU files to run offline"


@dataclass(frozen=True)
class FetchedFile:
    """A JHU file on local disk, ready to validate and land."""

    name: str
    """The upstream file name, which is also its name in the lake."""
    path: Path
    source: str
    """Where it came from, for the manifest: the folder's file path or the URL."""
    seconds: float
    """Time spent fetching it (0 for a file read in place from a folder)."""


def local_files(folder: Path) -> list[FetchedFile]:
    """The six files in a local folder, used in place; any missing is one JhuError."""
    folder = Path(folder).resolve()
    if not folder.is_dir():
        raise JhuError(f"JHU_SOURCE={folder}: no such folder")
    missing = [name for name in JHU_FILES if not (folder / name).is_file()]
    if missing:
        raise JhuError(f"JHU_SOURCE={folder}: missing {', '.join(missing)} in that folder")
    return [FetchedFile(name, folder / name, str(folder / name), 0.0) for name in JHU_FILES]


class RemoteFileMissingError(JhuError):
    """The server answered that the file does not exist (HTTP 404)."""


class _UnreachableError(Exception):
    """The network did not answer at all (DNS, refused, silent): retrying will not help."""


class _TransientError(Exception):
    """A failure that may pass: worth another attempt after a pause."""


@dataclass
class Downloader:
    """Downloads files over HTTP(S) with urllib; one instance per load.

    ``reached`` turns true once any server has answered: from then on a connection failure is
    a glitch worth retrying, whereas before it, it means there is no network and we stop at once.
    """

    timeout: float = DEFAULT_TIMEOUT
    attempts: int = DEFAULT_ATTEMPTS
    backoff: float = DEFAULT_BACKOFF
    progress: Progress = silent
    sleep: Callable[[float], None] = time.sleep
    reached: bool = False

    def download(self, url: str, dest: Path) -> int:
        """Fetch ``url`` into ``dest`` (written as ``dest.part``, renamed when complete)."""
        name = dest.name
        for attempt in range(1, self.attempts + 1):
            try:
                size = self._attempt(url, dest)
            except _UnreachableError as exc:
                if not self.reached:
                    raise JhuError(
                        f"network unreachable: cannot download {name} from {url} ({exc}); "
                        f"{_OFFLINE_HINT}"
                    ) from None
                failure = str(exc)
            except _TransientError as exc:
                failure = str(exc)
            else:
                return size
            if attempt == self.attempts:
                raise JhuError(
                    f"download of {name} failed after {self.attempts} attempts ({failure}): "
                    f"{url}; {_OFFLINE_HINT}"
                )
            wait = self.backoff * 2 ** (attempt - 1)
            self.progress(f"  {name}: {failure}; retrying in {wait:.0f} s")
            self.sleep(wait)
        raise AssertionError("unreachable")  # pragma: no cover

    def _attempt(self, url: str, dest: Path) -> int:
        part = dest.with_name(dest.name + ".part")
        request = urllib.request.Request(  # noqa: S310 - the scheme is http(s) by construction
            url, headers={"User-Agent": f"jhu-covid-warehouse/{__version__}"}
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                self.reached = True
                expected = _content_length(response)
                received = self._copy(response, part, dest.name, expected)
        except urllib.error.HTTPError as exc:
            self.reached = True
            part.unlink(missing_ok=True)
            if exc.code in _RETRIED_STATUSES:
                raise _TransientError(f"HTTP {exc.code} {exc.reason}") from None
            if exc.code == 404:
                raise RemoteFileMissingError(
                    f"cannot download {dest.name}: HTTP 404 {exc.reason} at {url}"
                ) from None
            raise JhuError(
                f"cannot download {dest.name}: HTTP {exc.code} {exc.reason} at {url}"
            ) from None
        except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
            part.unlink(missing_ok=True)
            raise _classify(exc) from None
        if expected is not None and received != expected:
            part.unlink(missing_ok=True)
            raise _TransientError(f"transfer cut short at {received:,} of {expected:,} bytes")
        part.replace(dest)
        self.progress(f"  downloaded {dest.name}: {received:,} bytes")
        return received

    def _copy(
        self, response: http.client.HTTPResponse, part: Path, name: str, total: int | None
    ) -> int:
        """Stream the body to ``part``, with a progress line every few seconds."""
        of_total = f" of {total:,}" if total is not None else ""
        received = 0
        last_shown = time.monotonic()
        with part.open("wb") as handle:
            while chunk := response.read(_CHUNK):
                handle.write(chunk)
                received += len(chunk)
                now = time.monotonic()
                if now - last_shown >= PROGRESS_INTERVAL_S:
                    self.progress(f"  downloading {name}: {received:,}{of_total} bytes")
                    last_shown = now
        return received


def _content_length(response: http.client.HTTPResponse) -> int | None:
    value = response.headers.get("Content-Length")
    return int(value) if value is not None and value.isdigit() else None


def _classify(exc: BaseException) -> Exception:
    """Sort a urllib/socket failure: no network at all, or one worth retrying."""
    reason: object = exc.reason if isinstance(exc, urllib.error.URLError) else exc
    if isinstance(reason, socket.gaierror):
        return _UnreachableError(f"no DNS answer: {reason.strerror or reason}")
    if isinstance(reason, ConnectionRefusedError):
        return _UnreachableError("connection refused")
    if isinstance(reason, TimeoutError):
        return _UnreachableError("no answer within the timeout")
    if isinstance(reason, OSError) and reason.errno in _UNREACHABLE_ERRNOS:
        return _UnreachableError(reason.strerror or str(reason))
    return _TransientError(str(reason) or type(reason).__name__)


def download_files(
    dest: Path,
    *,
    base_url: str = UPSTREAM_BASE,
    timeout: float = DEFAULT_TIMEOUT,
    attempts: int = DEFAULT_ATTEMPTS,
    backoff: float = DEFAULT_BACKOFF,
    progress: Progress = silent,
) -> list[FetchedFile]:
    """Download the six files from ``base_url`` into the folder ``dest``."""
    downloader = Downloader(timeout=timeout, attempts=attempts, backoff=backoff, progress=progress)
    fetched = []
    for name in JHU_FILES:
        url = upstream_url(name, base_url)
        started = time.perf_counter()
        downloader.download(url, Path(dest) / name)
        fetched.append(FetchedFile(name, Path(dest) / name, url, time.perf_counter() - started))
    return fetched


def fetch_files(
    source: str | None,
    dest: Path,
    *,
    base_url: str = UPSTREAM_BASE,
    timeout: float = DEFAULT_TIMEOUT,
    progress: Progress = silent,
) -> list[FetchedFile]:
    """The six files from the local folder ``source`` or, when it is None, from ``base_url``.

    ``dest`` is a scratch folder for downloads; local files are used in place.
    """
    if source:
        return local_files(Path(source))
    return download_files(dest, base_url=base_url, timeout=timeout, progress=progress)


# --- The daily reports ------------------------------------------------------------------------

#: Concurrent downloads of daily reports: a few, to be polite to the server and still not wait
#: on ~2,200 round trips one after the other.
DAILY_DOWNLOADS = 4


@dataclass(frozen=True)
class DailyFetch:
    """The daily reports of a load: the files to validate and land, and what was not there."""

    files: list[FetchedFile]
    missing_folders: list[str]
    """Daily-report folders the local JHU_SOURCE does not have (the time series still load)."""
    not_found: list[str]
    """Names upstream answered 404 for (a missing date, allowed)."""
    skipped: list[str]
    """Names not downloaded because the lake already holds them (see the load manifest)."""


def local_daily_reports(folder: Path) -> DailyFetch:
    """Every ``MM-DD-YYYY.csv``-like file of the daily-report folders of a local JHU_SOURCE.

    Every ``.csv`` of the folder is taken (validation refuses a name that is not a date); other
    files (upstream's README.md, .gitignore) are not JHU data and are left out.
    """
    folder = Path(folder).resolve()
    files: list[FetchedFile] = []
    missing: list[str] = []
    for family in DAILY_FAMILIES:
        directory = folder / family.folder
        if not directory.is_dir():
            missing.append(family.folder)
            continue
        for path in sorted(directory.glob("*.csv"), key=_by_date):
            files.append(FetchedFile(f"{family.folder}/{path.name}", path, str(path), 0.0))
    return DailyFetch(files, missing, [], [])


def download_daily_reports(
    dest: Path,
    names: list[str],
    *,
    base_url: str = UPSTREAM_BASE,
    timeout: float = DEFAULT_TIMEOUT,
    attempts: int = DEFAULT_ATTEMPTS,
    backoff: float = DEFAULT_BACKOFF,
    workers: int = DAILY_DOWNLOADS,
    progress: Progress = silent,
) -> tuple[list[FetchedFile], list[str]]:
    """Download daily reports (``<folder>/MM-DD-YYYY.csv``) into ``dest``, a few at a time.

    Returns the files fetched, in the order of ``names``, and the names upstream does not have
    (HTTP 404: a missing date). Any other failure is the Downloader's one JhuError.
    """
    downloader = Downloader(timeout=timeout, attempts=attempts, backoff=backoff, progress=progress)

    def one(name: str) -> FetchedFile | None:
        target = Path(dest) / name
        target.parent.mkdir(parents=True, exist_ok=True)
        url = daily_report_url(name, base_url)
        started = time.perf_counter()
        try:
            downloader.download(url, target)
        except RemoteFileMissingError:
            return None
        return FetchedFile(name, target, url, time.perf_counter() - started)

    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        outcomes = list(pool.map(one, names))
    fetched = [item for item in outcomes if item is not None]
    missing = [name for name, item in zip(names, outcomes, strict=True) if item is None]
    return fetched, missing


def _by_date(path: Path) -> tuple[str, str]:
    """Sort key of a daily report: its date as ISO text (names that are no date last)."""
    day = daily_report_date(path.name)
    return (day.isoformat() if day else "9999", path.name)
