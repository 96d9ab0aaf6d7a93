"""Reliability (docs/reliability.md): what the lake holds is checked, one writer holds the lake,
a broken export is repaired, faults end in one line, and runs clean up after themselves.

Each test breaks one thing the way an operator (or a `kill -9`) would, then runs the code as a
user runs it: the stage's function, or `jhu` in a subprocess when the exit and the output are the
point. Disk-full and read-only cases mount a tiny tmpfs or a read-only bind in a private mount
namespace (`unshare -m`, root as in CI); where that is not allowed they are skipped, saying so.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import boto3
import duckdb
import pytest

from fixtures import FIXTURE_DIR, SIX_FILES, small_warehouse
from jhu_warehouse.config import PROJECT_DIR, load_settings
from jhu_warehouse.errors import JhuError, LakeChangedError
from jhu_warehouse.ingest.land import load
from jhu_warehouse.lake import MARTS_MANIFEST, RAW_MANIFEST, LocalLake
from jhu_warehouse.lake.base import LOCK_KEY, LockHolder
from jhu_warehouse.lake.locking import lake_lock
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


def dead_pid() -> int:
    """The pid of a process that has ended."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


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


def mart_files(folder: Path, data: bytes) -> list[MartFile]:
    import hashlib

    marts = []
    for name in ("dim_a", "fct_b"):
        body = data + name.encode()
        path = folder / f"{name}.parquet"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(body)
        marts.append(
            MartFile(
                name, path, 1, (("id", "BIGINT"),), hashlib.sha256(body).hexdigest(), len(body)
            )
        )
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
    admin.put_object(Bucket=bucket, Key="lake/_lock.json", Body=json.dumps(elsewhere.__dict__))
    with pytest.raises(JhuError) as caught, lake_lock(s3_lake(server, bucket)):
        pass
    assert "host build-host-7, pid 4242, since 2024-05-01T12:00:00Z" in str(caught.value)

    expired = LockHolder("build-host-7", 4242, "2024-05-01T12:00:00Z", 1.0, "abc")
    admin.put_object(Bucket=bucket, Key="lake/_lock.json", Body=json.dumps(expired.__dict__))
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
    server.client().put_object(Bucket=bucket, Key="lake/_lock.json", Body=json.dumps(gone.__dict__))
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
