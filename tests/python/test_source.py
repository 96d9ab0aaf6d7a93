"""Where the JHU files come from: a local folder, or a download, tested on loopback only.

The download code runs for real against an http.server on 127.0.0.1; "no network" is a closed
loopback port (refused) and a socket that accepts but never answers (timeout). Nothing leaves
the machine, and the backoff sleeps are recorded instead of slept.
"""

from __future__ import annotations

import hashlib
import http.server
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import pytest

from fixtures import (
    FIXTURE_DIR,
    LOOKUP,
    SIX_FILES,
    closed_port_url,
    copy_fixtures,
    serve,
    silent_server,
    upstream_layout,
)
from jhu_warehouse.errors import JhuError
from jhu_warehouse.sources.fetch import Downloader, download_files, fetch_files, local_files
from jhu_warehouse.sources.jhu_files import JHU_FILES, upstream_url

GLOBAL = "time_series_covid19_confirmed_global.csv"
OFFLINE_HINT = "set JHU_SOURCE to a local folder holding the six JHU files to run offline"


class Lines(list[str]):
    """Progress lines as the command line would print them, one after another."""

    def __call__(self, line: str) -> None:
        self.append(line)

    def getvalue(self) -> str:
        return "".join(f"{line}\n" for line in self)


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_the_six_files_are_the_upstream_ones() -> None:
    assert JHU_FILES == SIX_FILES


def test_upstream_urls() -> None:
    base = "https://raw.githubusercontent.com/CSSEGISandData/COVID-19/master/csse_covid_19_data"
    assert upstream_url(GLOBAL, base) == f"{base}/csse_covid_19_time_series/{GLOBAL}"
    assert upstream_url(LOOKUP, base + "/") == f"{base}/{LOOKUP}"


# ---------------------------------------------------------------- local folder


def test_a_local_folder_is_used_in_place() -> None:
    fetched = local_files(FIXTURE_DIR)
    assert [f.name for f in fetched] == list(SIX_FILES)
    assert all(f.path == FIXTURE_DIR / f.name and f.source == str(f.path) for f in fetched)


def test_a_missing_file_in_the_folder_is_one_line_naming_file_and_folder(tmp_path: Path) -> None:
    folder = copy_fixtures(tmp_path / "src")
    (folder / "time_series_covid19_deaths_US.csv").unlink()
    with pytest.raises(JhuError) as caught:
        local_files(folder)
    assert str(caught.value) == (
        f"JHU_SOURCE={folder}: missing time_series_covid19_deaths_US.csv in that folder"
    )


def test_several_missing_files_are_named_together(tmp_path: Path) -> None:
    folder = copy_fixtures(tmp_path / "src")
    (folder / GLOBAL).unlink()
    (folder / LOOKUP).unlink()
    with pytest.raises(JhuError) as caught:
        local_files(folder)
    assert str(caught.value) == f"JHU_SOURCE={folder}: missing {GLOBAL}, {LOOKUP} in that folder"


def test_a_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(JhuError) as caught:
        local_files(tmp_path / "nowhere")
    assert str(caught.value) == f"JHU_SOURCE={tmp_path / 'nowhere'}: no such folder"


def test_fetch_files_prefers_the_folder_over_the_url(tmp_path: Path) -> None:
    fetched = fetch_files(str(FIXTURE_DIR), tmp_path, base_url=closed_port_url())
    assert [f.path.parent for f in fetched] == [FIXTURE_DIR] * 6
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------- download


def test_download_of_the_six_files_is_byte_identical(tmp_path: Path) -> None:
    upstream = upstream_layout(FIXTURE_DIR, tmp_path / "upstream")
    dest = tmp_path / "dest"
    dest.mkdir()
    progress = Lines()
    with serve(upstream) as base:
        fetched = download_files(dest, base_url=base, progress=progress)
    assert [f.name for f in fetched] == list(SIX_FILES)
    for item in fetched:
        assert item.path == dest / item.name
        assert sha(item.path) == sha(FIXTURE_DIR / item.name)
        assert item.source == upstream_url(item.name, base)
        size = (FIXTURE_DIR / item.name).stat().st_size
        assert f"  downloaded {item.name}: {size:,} bytes\n" in progress.getvalue()
    assert sorted(p.name for p in dest.iterdir()) == sorted(SIX_FILES)  # no .part left


def test_fetch_files_downloads_when_no_folder_is_set(tmp_path: Path) -> None:
    upstream = upstream_layout(FIXTURE_DIR, tmp_path / "upstream")
    with serve(upstream) as base:
        fetched = fetch_files(None, tmp_path, base_url=base, progress=[].append)
    assert [f.path for f in fetched] == [tmp_path / name for name in SIX_FILES]


def test_a_refused_connection_fails_at_once_naming_jhu_source(tmp_path: Path) -> None:
    base = closed_port_url()
    sleeps: list[float] = []
    downloader = Downloader(timeout=2, sleep=sleeps.append, progress=[].append)
    with pytest.raises(JhuError) as caught:
        downloader.download(upstream_url(GLOBAL, base), tmp_path / GLOBAL)
    assert str(caught.value) == (
        f"network unreachable: cannot download {GLOBAL} from {upstream_url(GLOBAL, base)} "
        f"(connection refused); {OFFLINE_HINT}"
    )
    assert sleeps == []  # no retry: an unreachable network does not come back in seconds
    assert list(tmp_path.iterdir()) == []


def test_a_server_that_never_answers_times_out_as_unreachable(tmp_path: Path) -> None:
    with silent_server() as base, pytest.raises(JhuError) as caught:
        download_files(tmp_path, base_url=base, timeout=0.3, progress=[].append)
    assert str(caught.value) == (
        f"network unreachable: cannot download {GLOBAL} from {upstream_url(GLOBAL, base)} "
        f"(no answer within the timeout); {OFFLINE_HINT}"
    )
    assert list(tmp_path.iterdir()) == []


def test_once_the_network_worked_a_refused_connection_is_retried(tmp_path: Path) -> None:
    base = closed_port_url()
    sleeps: list[float] = []
    downloader = Downloader(attempts=3, backoff=0.5, sleep=sleeps.append, progress=[].append)
    downloader.reached = True
    with pytest.raises(JhuError) as caught:
        downloader.download(upstream_url(GLOBAL, base), tmp_path / GLOBAL)
    assert str(caught.value) == (
        f"download of {GLOBAL} failed after 3 attempts (connection refused): "
        f"{upstream_url(GLOBAL, base)}; {OFFLINE_HINT}"
    )
    assert sleeps == [0.5, 1.0]


def test_a_missing_upstream_file_is_not_retried(tmp_path: Path) -> None:
    upstream = upstream_layout(FIXTURE_DIR, tmp_path / "upstream")
    (upstream / LOOKUP).unlink()
    sleeps: list[float] = []
    downloader = Downloader(sleep=sleeps.append, progress=[].append)
    with serve(upstream) as base, pytest.raises(JhuError) as caught:
        downloader.download(upstream_url(LOOKUP, base), tmp_path / LOOKUP)
    assert str(caught.value) == (
        f"cannot download {LOOKUP}: HTTP 404 File not found at {upstream_url(LOOKUP, base)}"
    )
    assert sleeps == []


@contextmanager
def scripted_server(
    script: Sequence[tuple[int, bytes, int | None]],
) -> Iterator[tuple[str, list[str]]]:
    """A server answering each GET with the next (status, body, Content-Length) of ``script``.

    The last entry repeats. Yields the base URL and the list of paths requested.
    """
    requested: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            status, body, length = script[min(len(requested), len(script) - 1)]
            requested.append(self.path)
            self.send_response(status)
            self.send_header("Content-Length", str(len(body) if length is None else length))
            self.end_headers()
            self.wfile.write(body)
            self.close_connection = True

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", requested
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_server_errors_are_retried_with_backoff_then_succeed(tmp_path: Path) -> None:
    body = (FIXTURE_DIR / GLOBAL).read_bytes()
    sleeps: list[float] = []
    progress = Lines()
    downloader = Downloader(backoff=0.25, sleep=sleeps.append, progress=progress)
    script = [(503, b"busy", None), (502, b"bad gateway", None), (200, body, None)]
    with scripted_server(script) as (base, requested):
        size = downloader.download(upstream_url(GLOBAL, base), tmp_path / GLOBAL)
    assert (tmp_path / GLOBAL).read_bytes() == body
    assert size == len(body)
    assert len(requested) == 3
    assert sleeps == [0.25, 0.5]
    assert f"  {GLOBAL}: HTTP 503 Service Unavailable; retrying in 0 s\n" in progress.getvalue()


def test_a_transfer_cut_short_is_retried_and_then_reported(tmp_path: Path) -> None:
    sleeps: list[float] = []
    progress = Lines()
    downloader = Downloader(attempts=2, backoff=0, sleep=sleeps.append, progress=progress)
    script = [(200, b"Province/State,", 1000)]  # promises 1,000 bytes, sends 15
    with scripted_server(script) as (base, requested), pytest.raises(JhuError) as caught:
        downloader.download(upstream_url(GLOBAL, base), tmp_path / GLOBAL)
    message = str(caught.value)
    assert message.startswith(f"download of {GLOBAL} failed after 2 attempts (")
    assert message.endswith(f": {upstream_url(GLOBAL, base)}; {OFFLINE_HINT}")
    assert "\n" not in message
    assert len(requested) == 2
    assert list(tmp_path.iterdir()) == []  # the partial file is gone
    assert "downloaded" not in progress.getvalue()
    assert f"  {GLOBAL}: transfer cut short at 15 of 1,000 bytes; retrying" in progress.getvalue()
