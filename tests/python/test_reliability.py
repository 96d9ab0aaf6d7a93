"""Reliability (docs/reliability.md): what the lake holds is checked, one writer holds the lake,
a broken export is repaired, faults end in one line, and runs clean up after themselves.

Each test breaks one thing the way an operator (or a `kill -9`) would, then runs the code as a
user runs it: the stage's function, or `jhu` in a subprocess when the exit and the output are the
point. Disk-full and read-only cases mount a tiny tmpfs or a read-only bind in a private mount
namespace (`unshare -m`, root as in CI); where that is not allowed they are skipped, saying so.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import boto3
import duckdb
import pytest

from fixtures import (
    FIXTURE_DIR,
    SIX_FILES,
    copy_fixtures,
    dead_pid,
    edit_rows,
    small_warehouse,
)
from jhu_warehouse.config import PROJECT_DIR, Settings, load_settings
from jhu_warehouse.errors import (
    JhuError,
    LakeChangedError,
    TerminatedError,
    raise_terminated,
    termination_deferred,
)
from jhu_warehouse.ingest.land import load
from jhu_warehouse.lake import MARTS_MANIFEST, RAW_MANIFEST, Lake, LocalLake
from jhu_warehouse.lake.base import LOCK_KEY, LockHolder
from jhu_warehouse.lake.locking import lake_lock, with_lake_lock
from jhu_warehouse.lake.s3 import S3Lake
from jhu_warehouse.publish.manifest import MartFile
from jhu_warehouse.publish.publisher import publish
from s3_server import REGION, SETUP_KEY_ID, SETUP_SECRET, S3Server, running_s3_server

DEATHS = "time_series_covid19_deaths_global.csv"
JHU = [sys.executable, "-m", "jhu_warehouse"]
SLOW_UPLOAD = Path(__file__).resolve().parent / "slow_upload"


# --------------------------------------------------------------------------- helpers


def settings_for(lake: str, source: Path = FIXTURE_DIR, **extra: str):  # type: ignore[no-untyped-def]
    return load_settings({"JHU_SOURCE": str(source), "JHU_LAKE": lake, **extra})


def jhu(
    *args: str, env: dict[str, str], cwd: Path = PROJECT_DIR, prefix: tuple[str, ...] = ()
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*prefix, *JHU, *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=300
    )


def clean_env(tmp: Path, **values: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JHU_", "AWS_"))}
    return env | {
        "JHU_SOURCE": str(FIXTURE_DIR),
        "JHU_LAKE": str(tmp / "lake"),
        "JHU_DUCKDB": str(tmp / "warehouse.duckdb"),
        "DBT_TARGET_PATH": str(tmp / "target"),
        "DBT_LOG_PATH": str(tmp / "logs"),
        "DBT_PROFILES_DIR": str(PROJECT_DIR),
        **values,
    }


def one_line_error(result: subprocess.CompletedProcess[str], *words: str) -> str:
    """The run failed with exactly one line on stderr, no traceback, naming ``words``."""
    assert result.returncode != 0, result.stdout
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    assert "Traceback" not in result.stdout + result.stderr
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


def manifest_of(lake: Path) -> dict:  # type: ignore[type-arg]
    return json.loads((lake / RAW_MANIFEST).read_text())


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture(scope="module")
def server() -> Iterator[S3Server]:
    with running_s3_server() as s3:
        yield s3


def s3_lake(server: S3Server, bucket: str) -> S3Lake:
    settings = load_settings(
        {"JHU_LAKE": f"s3://{bucket}/lake", "JHU_S3_ENDPOINT": server.endpoint}
    )
    session = boto3.Session(
        aws_access_key_id=SETUP_KEY_ID, aws_secret_access_key=SETUP_SECRET, region_name=REGION
    )
    return S3Lake.from_settings(settings, session=session)


def plant_lock(server: S3Server, bucket: str, holder: LockHolder) -> None:
    """A lock object in the bucket, as another run (live, expired or killed) left it."""
    body = json.dumps(holder.__dict__)
    server.client().put_object(Bucket=bucket, Key=f"lake/{LOCK_KEY}", Body=body)


def s3_reader(server: S3Server, bucket: str) -> Callable[[str], bytes | None]:
    """Reads a lake key of the bucket as the server holds it."""
    admin = server.client()

    def read(key: str) -> bytes | None:
        try:
            data: bytes = admin.get_object(Bucket=bucket, Key=f"lake/{key}")["Body"].read()
        except admin.exceptions.NoSuchKey:
            return None
        return data

    return read


def mart_files(folder: Path, data: bytes) -> list[MartFile]:
    marts = []
    for name in ("dim_a", "fct_b"):
        body = data + name.encode()
        path = folder / f"{name}.parquet"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(body)
        marts.append(MartFile(name, path, 1, (("id", "BIGINT"),), sha256(body), len(body)))
    return marts


# ------------------------------------------------ 1. what is in the lake is checked, not trusted


def test_a_truncated_raw_file_in_the_lake_is_landed_again(tmp_path: Path) -> None:
    lake = tmp_path / "lake"
    load(settings_for(str(lake)), LocalLake(lake))
    landed = lake / "raw/jhu" / DEATHS
    landed.write_bytes(landed.read_bytes()[: landed.stat().st_size // 2])

    report = load(settings_for(str(lake)), LocalLake(lake))

    assert [f.name for f in report.landed] == [DEATHS]
    assert landed.read_bytes() == (FIXTURE_DIR / DEATHS).read_bytes()


def test_an_edited_raw_file_of_the_same_size_is_landed_again(tmp_path: Path) -> None:
    lake = tmp_path / "lake"
    load(settings_for(str(lake)), LocalLake(lake))
    landed = lake / "raw/jhu" / DEATHS
    data = landed.read_bytes()
    edited = data[:-2] + (b"8" if data[-2:-1] != b"8" else b"9") + data[-1:]  # one count changed
    landed.write_bytes(edited)

    lines: list[str] = []
    report = load(settings_for(str(lake)), LocalLake(lake), progress=lines.append)

    assert [f.name for f in report.landed] == [DEATHS]
    assert landed.read_bytes() == data
    assert any(line.startswith(f"  damaged    {DEATHS}: its sha256") for line in lines)


def test_a_damaged_file_the_source_no_longer_has_stops_the_load_naming_it(tmp_path: Path) -> None:
    lake = tmp_path / "lake"
    load(settings_for(str(lake)), LocalLake(lake))
    manifest = manifest_of(lake)
    manifest["files"]["retired.csv"] = manifest["files"][DEATHS]  # in the manifest, not the lake
    (lake / RAW_MANIFEST).write_text(json.dumps(manifest))

    with pytest.raises(JhuError) as caught:
        load(settings_for(str(lake)), LocalLake(lake))

    assert "retired.csv" in str(caught.value)
    assert "missing from the lake" in str(caught.value)
    assert "the source no longer has" in str(caught.value)


@pytest.mark.s3
def test_on_s3_a_replaced_raw_object_is_landed_again_for_one_head_per_file(
    server: S3Server,
) -> None:
    bucket = server.new_bucket()
    settings = settings_for(f"s3://{bucket}/lake", JHU_S3_ENDPOINT=server.endpoint)
    load(settings, s3_lake(server, bucket))
    again = s3_lake(server, bucket)
    load(settings, again)
    # the check of an unchanged re-run: the manifest, one listing, one HEAD per landed file
    assert again.stats.requests == {"GET": 1, "LIST": 1, "HEAD": len(SIX_FILES)}

    admin = server.client()
    key = f"lake/raw/jhu/{DEATHS}"
    original = admin.get_object(Bucket=bucket, Key=key)["Body"].read()
    admin.put_object(Bucket=bucket, Key=key, Body=original.replace(b",", b";", 1))  # by hand

    report = load(settings, s3_lake(server, bucket))

    assert [f.name for f in report.landed] == [DEATHS]
    assert admin.get_object(Bucket=bucket, Key=key)["Body"].read() == original


# ------------------------------------------------------------- 2. one writer per lake at a time


def test_a_second_run_is_refused_with_one_line_naming_the_holder(tmp_path: Path) -> None:
    lake = LocalLake(tmp_path / "lake")
    with lake_lock(lake) as holder:
        result = jhu("load", env=clean_env(tmp_path))
    line = one_line_error(result, "the lake is locked by", holder.describe(), "--wait")
    assert f"pid {os.getpid()}" in line
    assert not (tmp_path / "lake" / RAW_MANIFEST).exists()


def test_a_waiting_run_goes_on_once_the_holder_lets_go(tmp_path: Path) -> None:
    first, second = LocalLake(tmp_path / "lake"), LocalLake(tmp_path / "lake")
    held, waiting, done = threading.Event(), threading.Event(), threading.Event()

    def hold() -> None:
        with lake_lock(first):
            held.set()
            waiting.wait(timeout=60)
        done.set()

    holder = threading.Thread(target=hold)
    holder.start()
    lines: list[str] = []

    def progress(line: str) -> None:
        lines.append(line)
        waiting.set()  # the second run said it waits: now the first lets go

    assert held.wait(timeout=60)
    with lake_lock(second, wait_s=60, progress=progress, poll_s=0.05):
        assert done.is_set()
    holder.join()
    assert lines[0].startswith("  waiting for the lake lock held by host ")


def test_a_killed_runs_lock_is_taken_over_and_its_leftovers_removed(tmp_path: Path) -> None:
    root = tmp_path / "lake"
    code = (
        "import os, signal, sys\n"
        "from jhu_warehouse.lake import LocalLake\n"
        "from jhu_warehouse.lake.locking import lake_lock\n"
        "with lake_lock(LocalLake(sys.argv[1])):\n"
        "    (LocalLake(sys.argv[1])._root / 'raw/jhu').mkdir(parents=True)\n"
        "    open(sys.argv[1] + '/raw/jhu/.half.csv.x.tmp', 'w').write('half')\n"
        "    os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    killed = subprocess.run([sys.executable, "-c", code, str(root)], check=False)
    assert killed.returncode == -signal.SIGKILL
    assert (root / LOCK_KEY).exists()

    lines: list[str] = []
    with lake_lock(LocalLake(root), progress=lines.append):
        assert not (root / "raw/jhu/.half.csv.x.tmp").exists()
    assert any("took over the lake lock left by" in line for line in lines)
    assert not (root / LOCK_KEY).exists()


@pytest.mark.s3
def test_on_s3_a_live_lock_is_refused_and_an_expired_one_taken_over_once(
    server: S3Server,
) -> None:
    bucket = server.new_bucket()
    admin = server.client()
    elsewhere = LockHolder("build-host-7", 4242, "2024-05-01T12:00:00Z", 4e9, "abc")
    plant_lock(server, bucket, elsewhere)
    with pytest.raises(JhuError) as caught, lake_lock(s3_lake(server, bucket)):
        pass
    assert "host build-host-7, pid 4242, since 2024-05-01T12:00:00Z" in str(caught.value)

    expired = LockHolder("build-host-7", 4242, "2024-05-01T12:00:00Z", 1.0, "abc")
    plant_lock(server, bucket, expired)
    upload = admin.create_multipart_upload(Bucket=bucket, Key="lake/marts/fct_b/x.parquet")
    lines: list[str] = []
    with lake_lock(s3_lake(server, bucket), progress=lines.append):
        second = s3_lake(server, bucket)  # taken over once: a second run finds a live holder
        with pytest.raises(JhuError, match="the lake is locked by host "), lake_lock(second):
            pass
    assert any("took over the lake lock left by host build-host-7" in line for line in lines)
    # the killed run's incomplete upload was aborted
    uploads = admin.list_multipart_uploads(Bucket=bucket).get("Uploads", [])
    assert upload["UploadId"] not in [u["UploadId"] for u in uploads]
    assert "Contents" not in admin.list_objects_v2(Bucket=bucket, Prefix="lake/_lock")


@pytest.mark.s3
def test_on_s3_a_lock_whose_process_is_gone_on_this_host_is_taken_over_at_once(
    server: S3Server,
) -> None:
    bucket = server.new_bucket()
    gone = LockHolder(socket.gethostname(), dead_pid(), "2024-05-01T12:00:00Z", 4e9, "abc")
    plant_lock(server, bucket, gone)
    lines: list[str] = []
    with lake_lock(s3_lake(server, bucket), progress=lines.append):
        pass
    assert any(f"left by host {gone.host}, pid {gone.pid}" in line for line in lines)


@pytest.mark.s3
def test_on_s3_the_manifest_is_replaced_only_if_it_is_still_the_one_read(
    server: S3Server,
) -> None:
    bucket = server.new_bucket()
    lake = s3_lake(server, bucket)
    lake.put_bytes_if("marts/_manifest.json", b"{}", None)  # If-None-Match: *
    with pytest.raises(LakeChangedError):
        lake.put_bytes_if("marts/_manifest.json", b"{}", None)  # a second first one
    _, version = lake.read_versioned("marts/_manifest.json")
    server.client().put_object(Bucket=bucket, Key="lake/marts/_manifest.json", Body=b"theirs")
    with pytest.raises(LakeChangedError):
        lake.put_bytes_if("marts/_manifest.json", b"mine", version)  # If-Match on the ETag
    assert lake.read_bytes("marts/_manifest.json") == b"theirs"


def test_locally_the_manifest_is_replaced_only_if_it_is_still_the_one_read(
    tmp_path: Path,
) -> None:
    lake = LocalLake(tmp_path / "lake")
    publish(lake, mart_files(tmp_path / "a", b"first"), dbt_invocation_id="a", engine="duckdb")
    _, version = lake.read_versioned(MARTS_MANIFEST)
    (tmp_path / "lake" / MARTS_MANIFEST).write_bytes(b"theirs")
    with pytest.raises(LakeChangedError):
        lake.put_bytes_if(MARTS_MANIFEST, b"mine", version)
    assert (tmp_path / "lake" / MARTS_MANIFEST).read_bytes() == b"theirs"


# ------------------------------------- 2b. the lock is taken at the first write, and checked then


def edited_source(dest: Path, bump: int) -> Path:
    """The fixture files with the last cell of the deaths series' first row raised by ``bump``."""
    source = copy_fixtures(dest)

    def change(rows: list[list[str]]) -> list[list[str]]:
        rows[1][-1] = str(int(float(rows[1][-1] or 0)) + bump)
        return rows

    edit_rows(source / DEATHS, change)
    return source


def lake_line(stdout: str) -> str:
    """The closing line of `jhu load`: the lake's requests by verb."""
    (line,) = [line for line in stdout.splitlines() if line.startswith("lake requests: ")]
    return line


def check_raw(read: Callable[[str], bytes | None], source: Path) -> None:
    """The load manifest names every landed file as it is in the lake, and each is ``source``'s."""
    manifest = json.loads(read(RAW_MANIFEST) or b"{}")
    for name in SIX_FILES:
        landed = read(f"raw/jhu/{name}") or b""
        assert manifest["files"][name]["sha256"] == sha256(landed), name
        assert landed == (source / name).read_bytes(), name


def test_an_unchanged_run_takes_no_lock_and_goes_on_while_another_run_holds_it(
    tmp_path: Path,
) -> None:
    env = clean_env(tmp_path)
    assert jhu("load", env=env).returncode == 0
    lock = tmp_path / "lake" / LOCK_KEY
    with lake_lock(LocalLake(tmp_path / "lake")):
        held = lock.read_bytes()
        unchanged = jhu("load", env=env)
        assert lock.read_bytes() == held  # the holder's, untouched
        changed = jhu("load", env=env | {"JHU_SOURCE": str(edited_source(tmp_path / "s", 1))})
    assert unchanged.returncode == 0, unchanged.stderr
    assert "nothing landed" in unchanged.stdout
    assert not {"write", "delete"} & set(lake_line(unchanged.stdout).replace(",", " ").split())
    # a run with something to write is refused at its first write, having landed nothing
    one_line_error(changed, "the lake is locked by", "--wait")
    check_raw(lambda key: (tmp_path / "lake" / key).read_bytes(), FIXTURE_DIR)


@pytest.mark.s3
def test_on_s3_an_unchanged_run_makes_no_request_for_the_lock_held_by_another(
    server: S3Server, tmp_path: Path
) -> None:
    bucket = server.new_bucket()
    settings = settings_for(f"s3://{bucket}/lake", JHU_S3_ENDPOINT=server.endpoint)
    load(settings, s3_lake(server, bucket))
    admin = server.client()
    live = LockHolder("build-host-7", 4242, "2024-05-01T12:00:00Z", 4e9, "abc")
    plant_lock(server, bucket, live)
    etag = admin.head_object(Bucket=bucket, Key="lake/_lock.json")["ETag"]

    lake = s3_lake(server, bucket)
    report = with_lake_lock(lake, lambda locked: load(settings, locked))

    assert report.landed == []
    assert lake.stats.requests == {"GET": 1, "LIST": 1, "HEAD": len(SIX_FILES)}
    assert admin.head_object(Bucket=bucket, Key="lake/_lock.json")["ETag"] == etag
    edited = replace(settings, source=str(edited_source(tmp_path / "s", 1)))
    with pytest.raises(JhuError, match="the lake is locked by host build-host-7, pid 4242"):
        with_lake_lock(s3_lake(server, bucket), lambda locked: load(edited, locked))


def overtaken_load(
    lake: Lake, settings: Settings, other: Lake, theirs: Settings
) -> tuple[list[str], list[str]]:
    """A load under the lazy lock, overtaken by a whole load of ``theirs`` (holding its lock)
    once it has read the lake and validated its first file, before its first write.
    Returns the names it landed and its progress lines."""
    lines: list[str] = []

    def progress(line: str) -> None:
        lines.append(line)
        if line.startswith("  valid ") and sum(x.startswith("  valid ") for x in lines) == 1:
            with lake_lock(other):
                load(theirs, other)

    report = with_lake_lock(
        lake, lambda locked: load(settings, locked, progress=progress), progress=progress
    )
    return [f.name for f in report.landed], lines


def started_again(why: str) -> str:
    """The line of a run whose first write found the lake moved since it read it."""
    return (
        f"  the lake changed while this run read it ({why}): starting again, holding the lake's "
        "lock"
    )


def test_a_run_overtaken_before_its_first_write_loads_again_under_the_lock(tmp_path: Path) -> None:
    root = tmp_path / "lake"
    load(settings_for(str(root)), LocalLake(root))
    mine, theirs = edited_source(tmp_path / "mine", 1), edited_source(tmp_path / "theirs", 2)

    landed, lines = overtaken_load(
        LocalLake(root),
        settings_for(str(root), mine),
        LocalLake(root),
        settings_for(str(root), theirs),
    )

    # it read the manifest before the other run replaced it: its first write noticed, and it
    # loaded again holding the lock, against the other run's manifest (no compare-and-swap lost)
    where = root / RAW_MANIFEST
    assert started_again(f"{where} was replaced") in lines
    assert landed == [DEATHS]
    check_raw(lambda key: (root / key).read_bytes(), mine)
    assert not (root / LOCK_KEY).exists()


@pytest.mark.s3
def test_on_s3_a_run_overtaken_before_its_first_write_loads_again_under_the_lock(
    server: S3Server, tmp_path: Path
) -> None:
    bucket = server.new_bucket()
    settings = settings_for(f"s3://{bucket}/lake", JHU_S3_ENDPOINT=server.endpoint)
    load(settings, s3_lake(server, bucket))
    mine = replace(settings, source=str(edited_source(tmp_path / "mine", 1)))
    theirs = replace(settings, source=str(edited_source(tmp_path / "theirs", 2)))

    landed, lines = overtaken_load(s3_lake(server, bucket), mine, s3_lake(server, bucket), theirs)

    where = f"s3://{bucket}/lake/{RAW_MANIFEST}"
    assert started_again(f"{where} was replaced") in lines
    assert landed == [DEATHS]
    check_raw(s3_reader(server, bucket), Path(str(mine.source)))
    assert s3_reader(server, bucket)(LOCK_KEY) is None


def test_marts_built_from_raw_files_another_run_replaced_are_not_published(
    tmp_path: Path,
) -> None:
    """As `jhu run` when its load lands nothing: it builds from the raw files behind the manifest
    it read, unlocked, and another run lands new ones meanwhile. The export's first write sees
    the manifest replaced, and the run starts again holding the lock: the stale marts are not
    published, the ones built from the current raw files are."""
    root = tmp_path / "lake"
    load(settings_for(str(root)), LocalLake(root))
    theirs = settings_for(str(root), edited_source(tmp_path / "theirs", 2))
    built_from: list[str] = []

    def run(lake: Lake) -> None:
        built_from.append(sha256(lake.read_bytes(RAW_MANIFEST) or b""))
        if len(built_from) == 1:
            other = LocalLake(root)
            with lake_lock(other):
                load(theirs, other)
        marts = mart_files(tmp_path / f"marts-{len(built_from)}", built_from[-1].encode())
        publish(lake, marts, dbt_invocation_id=built_from[-1], engine="duckdb")

    lines: list[str] = []
    with_lake_lock(LocalLake(root), run, progress=lines.append)

    current = sha256((root / RAW_MANIFEST).read_bytes())
    assert built_from[0] != current == built_from[1]
    exported = json.loads((root / MARTS_MANIFEST).read_text())
    assert exported["dbt_invocation_id"] == current
    assert exported["previous_exports"] == []  # the stale attempt published nothing
    named = {entry["file"] for entry in exported["marts"].values()}
    assert {p.relative_to(root).as_posix() for p in (root / "marts").rglob("*.parquet")} == named
    assert started_again(f"{root / RAW_MANIFEST} was replaced") in lines


def test_a_run_that_waited_at_its_first_write_starts_again_once_it_holds_the_lock(
    tmp_path: Path,
) -> None:
    root = tmp_path / "lake"
    load(settings_for(str(root)), LocalLake(root))
    held, waiting = threading.Event(), threading.Event()

    def hold() -> None:
        with lake_lock(LocalLake(root)):
            held.set()
            waiting.wait(timeout=60)

    holder = threading.Thread(target=hold)
    holder.start()
    assert held.wait(timeout=60)
    lines: list[str] = []

    def progress(line: str) -> None:
        lines.append(line)
        if "waiting for the lake lock" in line:
            waiting.set()  # the holder lets go (it may have written while this run read)

    attempts: list[bytes | None] = []

    def work(lake: Lake) -> None:
        attempts.append(lake.read_bytes(RAW_MANIFEST))
        lake.put_bytes("report/note.txt", b"written under the lock")

    with_lake_lock(LocalLake(root), work, wait_s=60, progress=progress, poll_s=0.05)
    holder.join()

    assert len(attempts) == 2
    assert lines[0].startswith("  waiting for the lake lock held by host ")
    assert started_again("another run held its lock") in lines
    assert (root / "report/note.txt").read_bytes() == b"written under the lock"


def test_a_run_killed_holding_the_lock_is_taken_over_by_the_next_writer_which_loads_again(
    tmp_path: Path,
) -> None:
    env = clean_env(tmp_path)
    assert jhu("load", env=env).returncode == 0
    root = tmp_path / "lake"
    code = (
        "import os, signal, sys\n"
        "from jhu_warehouse.lake import LocalLake\n"
        "from jhu_warehouse.lake.locking import with_lake_lock\n"
        "def work(lake):\n"
        "    lake.read_bytes('raw/jhu/_manifest.json')\n"
        "    lake.put_bytes('raw/jhu/' + sys.argv[2], b'the first bytes of a new version')\n"
        "    os.kill(os.getpid(), signal.SIGKILL)  # before its manifest: the lake is damaged\n"
        "with_lake_lock(LocalLake(sys.argv[1]), work)\n"
    )
    killed = subprocess.run([sys.executable, "-c", code, str(root), DEATHS], check=False)
    assert killed.returncode == -signal.SIGKILL
    assert (root / LOCK_KEY).exists()

    # the next run reads the damaged lake unlocked; its first write takes the killed run's lock
    # over, and it loads again under the lock, since the killed run wrote behind its manifest
    again = jhu("load", env=env)

    assert again.returncode == 0, again.stderr
    out = again.stdout
    assert "  took over the lake lock left by host " in out
    assert started_again("a killed run's lock was taken over") in out.splitlines()
    assert f"  damaged    {DEATHS}: " in out
    check_raw(lambda key: (root / key).read_bytes(), FIXTURE_DIR)
    assert not (root / LOCK_KEY).exists()


@pytest.mark.s3
def test_on_s3_a_run_killed_holding_the_lock_on_this_host_is_taken_over_by_the_next_writer(
    server: S3Server,
) -> None:
    bucket = server.new_bucket()
    settings = settings_for(f"s3://{bucket}/lake", JHU_S3_ENDPOINT=server.endpoint)
    load(settings, s3_lake(server, bucket))
    admin = server.client()
    # what a run killed while landing leaves: its lock, a raw object its manifest does not name
    # and an incomplete multipart upload
    gone = LockHolder(socket.gethostname(), dead_pid(), "2024-05-01T12:00:00Z", 4e9, "abc")
    plant_lock(server, bucket, gone)
    admin.put_object(Bucket=bucket, Key=f"lake/raw/jhu/{DEATHS}", Body=b"half a new version")
    upload = admin.create_multipart_upload(Bucket=bucket, Key=f"lake/raw/jhu/{DEATHS}")

    lines: list[str] = []
    report = with_lake_lock(
        s3_lake(server, bucket),
        lambda lake: load(settings, lake, progress=lines.append),
        progress=lines.append,
    )

    assert [f.name for f in report.landed] == [DEATHS]
    assert any(f"left by host {gone.host}, pid {gone.pid}" in line for line in lines)
    assert started_again("a killed run's lock was taken over") in lines
    uploads = admin.list_multipart_uploads(Bucket=bucket).get("Uploads", [])
    assert upload["UploadId"] not in [u["UploadId"] for u in uploads]

    check_raw(s3_reader(server, bucket), FIXTURE_DIR)
    assert "Contents" not in admin.list_objects_v2(Bucket=bucket, Prefix="lake/_lock")


# ----------------------------------------------------- 3. a broken current export is repaired


@pytest.mark.parametrize("damage", ["delete", "truncate"])
def test_an_export_whose_manifest_names_a_broken_file_is_repaired(
    tmp_path: Path, damage: str
) -> None:
    lake = LocalLake(tmp_path / "lake")
    marts = mart_files(tmp_path / "a", b"content")
    publish(lake, marts, dbt_invocation_id="a", engine="duckdb")
    broken = tmp_path / "lake" / marts[1].key
    if damage == "delete":
        broken.unlink()
    else:
        broken.write_bytes(broken.read_bytes()[:3])

    report = publish(LocalLake(tmp_path / "lake"), marts, dbt_invocation_id="b", engine="duckdb")

    assert report.repaired == ["fct_b"]
    assert broken.read_bytes() == marts[1].path.read_bytes()


@pytest.mark.s3
def test_on_s3_an_export_whose_manifest_names_a_missing_file_is_repaired(
    server: S3Server, tmp_path: Path
) -> None:
    bucket = server.new_bucket()
    marts = mart_files(tmp_path / "a", b"content")
    publish(s3_lake(server, bucket), marts, dbt_invocation_id="a", engine="duckdb")
    server.client().delete_object(Bucket=bucket, Key=f"lake/{marts[0].key}")

    report = publish(s3_lake(server, bucket), marts, dbt_invocation_id="b", engine="duckdb")

    assert report.repaired == ["dim_a"]
    body = server.client().get_object(Bucket=bucket, Key=f"lake/{marts[0].key}")["Body"].read()
    assert body == marts[0].path.read_bytes()


# ------------------------------------------------------------- 4. every fault is one line


def test_a_lake_that_is_a_file_is_one_line(tmp_path: Path) -> None:
    result = jhu("load", env=clean_env(tmp_path, JHU_LAKE="/etc/passwd"))
    one_line_error(result, "JHU_LAKE=/etc/passwd", "is a file, not a folder")


def test_a_warehouse_in_a_missing_folder_is_one_line_before_the_load(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-folder" / "w.duckdb"
    result = jhu("run", env=clean_env(tmp_path, JHU_DUCKDB=str(missing)))
    one_line_error(result, f"JHU_DUCKDB={missing}", "does not exist")
    assert not (tmp_path / "lake" / RAW_MANIFEST).exists()  # checked before anything landed


def test_a_warehouse_held_by_an_analysts_session_is_one_line_before_the_load(
    tmp_path: Path,
) -> None:
    path = tmp_path / "warehouse.duckdb"
    duckdb.connect(str(path)).close()
    analyst = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys; c = duckdb.connect(sys.argv[1], read_only=True); "
            "print('open', flush=True); sys.stdin.read()",
            str(path),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert analyst.stdout is not None and analyst.stdout.readline() == "open\n"
        result = jhu("run", env=clean_env(tmp_path))
    finally:
        analyst.communicate("")
    line = one_line_error(result, f"JHU_DUCKDB={path}", "open in another process")
    assert f"pid {analyst.pid}" in line
    assert "read-only mode" not in line  # DuckDB's advice, wrong for a writer
    assert not (tmp_path / "lake" / RAW_MANIFEST).exists()


def namespace(*mounts: str, after: str = "") -> tuple[str, ...]:
    """A prefix running the command in a private mount namespace after ``mounts`` (shell), then
    ``after`` (the command's exit status kept)."""
    if shutil.which("unshare") is None or os.geteuid() != 0:
        pytest.skip("needs root and unshare(1) for a private tmpfs or read-only bind")
    probe = subprocess.run(["unshare", "-m", "true"], capture_output=True, check=False)
    if probe.returncode != 0:
        pytest.skip("mount namespaces are not allowed here")
    run = f'"$@"; status=$?; {after}; exit $status' if after else 'exec "$@"'
    script = " && ".join([*mounts, run])
    return ("unshare", "-m", "sh", "-c", script, "sh")


def test_a_full_disk_under_the_lake_is_one_line_and_leaves_no_tmp(tmp_path: Path) -> None:
    lake = tmp_path / "lake"
    lake.mkdir()
    left = tmp_path / "left-in-the-lake.txt"
    after = f"find {lake} -name '*.tmp' > {left}"  # seen inside the namespace, where it is full
    prefix = namespace(f"mount -t tmpfs -o size=8k tmpfs {lake}", after=after)
    result = jhu("load", env=clean_env(tmp_path), prefix=prefix)
    one_line_error(result, f"(JHU_LAKE={lake})", "No space left on device", "free space")
    assert left.read_text() == ""


def test_a_read_only_marts_folder_is_one_line_before_the_load(tmp_path: Path) -> None:
    marts = tmp_path / "lake" / "marts"
    marts.mkdir(parents=True)
    prefix = namespace(f"mount --bind {marts} {marts}", f"mount -o remount,bind,ro {marts}")
    result = jhu("load", env=clean_env(tmp_path), prefix=prefix)
    one_line_error(result, str(marts), "Read-only file system", "JHU_LAKE")
    assert not (tmp_path / "lake" / RAW_MANIFEST).exists()


def test_a_warehouse_in_a_read_only_folder_is_one_line_before_the_load(tmp_path: Path) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    prefix = namespace(f"mount --bind {folder} {folder}", f"mount -o remount,bind,ro {folder}")
    env = clean_env(tmp_path, JHU_DUCKDB=str(folder / "w.duckdb"))
    result = jhu("run", env=env, prefix=prefix)
    one_line_error(result, f"JHU_DUCKDB={folder / 'w.duckdb'}", "Read-only file system")
    assert not (tmp_path / "lake" / RAW_MANIFEST).exists()


def test_a_full_scratch_disk_during_the_export_is_one_line_and_publishes_nothing(
    tmp_path: Path,
) -> None:
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    env = clean_env(tmp_path, TMPDIR=str(scratch))
    env |= small_warehouse(tmp_path / "w", "big", ("dim_a",), rows=200_000)
    prefix = namespace(f"mount -t tmpfs -o size=64k tmpfs {scratch}")
    result = jhu("export", env=env, prefix=prefix)
    one_line_error(result, "scratch folder (TMPDIR=", "free space")
    assert not (tmp_path / "lake" / MARTS_MANIFEST).exists()


def test_a_failed_build_keeps_dbts_output_in_its_log_and_says_where(tmp_path: Path) -> None:
    result = jhu("build", env=clean_env(tmp_path))  # nothing loaded: every staging view fails
    log = tmp_path / "logs" / "dbt.log"
    one_line_error(result, "dbt build: ", "node(s) failed", f"details: {log})")
    ours = ("  [", "build: ")  # the node progress lines and the summary
    theirs = [
        line for line in result.stdout.splitlines() if line.strip() and not line.startswith(ours)
    ]
    assert theirs == []
    assert "No files found that match the pattern" in log.read_text()


# ------------------------------------------- 5. settings that must be refused are refused


@pytest.mark.parametrize("uri", ["s3://", "s3:/bucket/x", "s3://a/x", "s3://B_ad/x"])
def test_a_malformed_s3_lake_is_refused_and_no_local_folder_made(tmp_path: Path, uri: str) -> None:
    result = jhu("load", env=clean_env(tmp_path, JHU_LAKE=uri), cwd=tmp_path)
    one_line_error(result, f"JHU_LAKE={uri!r}", "s3://bucket/prefix")
    assert list(tmp_path.iterdir()) == []


def test_generate_refuses_a_non_empty_folder_it_did_not_make(tmp_path: Path) -> None:
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    result = jhu(
        "generate", "--out", str(out), "--template", str(FIXTURE_DIR), env=clean_env(tmp_path)
    )
    one_line_error(result, f"--out {out}", "not empty", "jhu generate")
    assert (out / "notes.txt").read_text() == "keep me"


def test_make_docs_without_a_warehouse_says_to_run_make_run_and_creates_nothing(
    tmp_path: Path,
) -> None:
    missing = tmp_path / "never-built.duckdb"
    result = subprocess.run(
        ["make", "--no-print-directory", "docs"],
        env=clean_env(tmp_path, JHU_DUCKDB=str(missing)),
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode != 0
    assert "run `make run` first" in result.stderr
    assert not missing.exists()


# ------------------------------------------------------------ 6. nothing is left behind


def test_a_run_removes_killed_runs_scratch_and_tmp_files(tmp_path: Path) -> None:
    scratch = tmp_path / "scratch"
    stale = scratch / f"jhu-duckdb-export-{dead_pid()}-abcd"
    live = scratch / f"jhu-duckdb-export-{os.getpid()}-efgh"
    for folder in (stale, live):
        folder.mkdir(parents=True)
        (folder / "dim_a.parquet").write_bytes(b"x" * 100)
    half = tmp_path / "lake" / "marts" / "fct_b" / ".abc.parquet.x1.tmp"
    half.parent.mkdir(parents=True)
    half.write_bytes(b"half")

    result = jhu("load", env=clean_env(tmp_path, TMPDIR=str(scratch)))

    assert result.returncode == 0, result.stderr
    assert not stale.exists() and not half.exists()
    assert live.exists()  # a running process's scratch is its own
    assert "removed 2 leftovers of killed runs" in result.stdout


def test_a_terminated_export_removes_its_scratch_and_frees_the_lake(tmp_path: Path) -> None:
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    env = clean_env(tmp_path, TMPDIR=str(scratch)) | small_warehouse(
        tmp_path / "w", "t", ("dim_a",)
    )
    path = os.pathsep.join([str(SLOW_UPLOAD), env.get("PYTHONPATH", "")])
    env |= {"PYTHONPATH": path, "JHU_TEST_SLOW_UPLOAD": "60,0"}
    run = subprocess.Popen(
        [*JHU, "export"],
        env=env,
        cwd=PROJECT_DIR,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert run.stdout is not None
    for line in run.stdout:  # until the mart is written to scratch and its upload waits
        if line.startswith("  dim_a: "):
            break
    else:
        pytest.fail(f"the export ended first: {run.communicate()}")
    assert list(scratch.iterdir())
    run.send_signal(signal.SIGTERM)
    _, err = run.communicate(timeout=60)
    assert run.returncode == 143
    assert err.splitlines() == ["error: interrupted; nothing of this stage was published"]
    assert list(scratch.iterdir()) == []
    assert not (tmp_path / "lake" / LOCK_KEY).exists()


# A SIGTERM right after the lock's write and before the run recorded what its release goes by
# (the local handle, the S3 ETag) left the lock behind: the race the export test above hit in
# CI now and then. Here the signal's handler runs at exactly that point, every time.


def test_a_sigterm_while_the_local_lock_is_taken_still_frees_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import jhu_warehouse.lake.local as local_module

    lake = LocalLake(tmp_path / "lake")
    flock = local_module.fcntl.flock

    def flock_then_sigterm(fd: int, operation: int) -> None:
        flock(fd, operation)
        raise_terminated(signal.SIGTERM, None)  # what the command line's handler does

    monkeypatch.setattr(local_module.fcntl, "flock", flock_then_sigterm)
    with pytest.raises(TerminatedError), lake_lock(lake):
        pytest.fail("the run went on past the signal")
    assert not (tmp_path / "lake" / LOCK_KEY).exists()


@pytest.mark.s3
def test_a_sigterm_while_the_s3_lock_is_taken_still_frees_it(
    server: S3Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    bucket = server.new_bucket()
    lake = s3_lake(server, bucket)
    put = lake._put_conditional

    def put_then_sigterm(key: str, data: bytes, version: str | None) -> str | None:
        etag = put(key, data, version)
        raise_terminated(signal.SIGTERM, None)
        return etag

    monkeypatch.setattr(lake, "_put_conditional", put_then_sigterm)
    with pytest.raises(TerminatedError), lake_lock(lake):
        pytest.fail("the run went on past the signal")
    listed = server.client().list_objects_v2(Bucket=bucket, Prefix="lake/_lock")
    assert "Contents" not in listed


def test_a_sigterm_outside_a_deferred_block_is_raised_at_once() -> None:
    with pytest.raises(TerminatedError):
        raise_terminated(signal.SIGTERM, None)
    reached = []
    with pytest.raises(TerminatedError), termination_deferred():
        raise_terminated(signal.SIGTERM, None)
        reached.append("end of the block")
    assert reached == ["end of the block"]
