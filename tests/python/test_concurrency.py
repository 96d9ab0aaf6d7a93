"""Two runs on one lake at once, on a folder and on S3: nothing mixed, lost or dangling.

Each trial starts two `jhu load` processes from two sources with different edits, then two
more, one from the source the lake holds (nothing to land: it must write nothing, not even the
lock) and one from a third, then two `jhu export` processes from two warehouses with different
content, at the same moment, with every upload slowed (one run starts late and then overtakes
the other midway, if it can). After each trial: the raw manifest matches every landed file and
all of them come from one source; every export manifest kept (the current one and its previous
exports) names files that exist, whose content comes from one warehouse; and every export that
said it wrote a manifest is still in the lake's history. A run that did not get the lake says so
in one line naming the holder.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest

from fixtures import SIX_FILES, TIME_SERIES, copy_fixtures, edit_rows, small_warehouse
from jhu_warehouse.config import PROJECT_DIR
from s3_server import S3Server, running_s3_server

TRIALS = 3
SLOW_UPLOAD = Path(__file__).resolve().parent / "slow_upload"
JHU = [sys.executable, "-m", "jhu_warehouse"]
MARTS = ("dim_a", "fct_b", "fct_c")
#: The two runs' upload delays (before the first file, before each later one): the second run
#: starts uploading late but then goes fast, so it overtakes the first one midway.
DELAYS = ("0.3,0.3", "0.8,0.05")


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def edited_source(base: Path, bump: int) -> Path:
    """The fixture files with the last cell of every time series' first row raised by ``bump``."""
    source = copy_fixtures(base)

    def change(rows: list[list[str]]) -> list[list[str]]:
        rows[1][-1] = str(int(float(rows[1][-1] or 0)) + bump)
        return rows

    for name in TIME_SERIES:
        edit_rows(source / name, change)
    return source


def start(command: str, env: dict[str, str], delay: str) -> subprocess.Popen[str]:
    environ = env | {
        "PYTHONPATH": os.pathsep.join([str(SLOW_UPLOAD), env.get("PYTHONPATH", "")]),
        "JHU_TEST_SLOW_UPLOAD": delay,
        "DBT_PROFILES_DIR": str(PROJECT_DIR),
    }
    return subprocess.Popen(
        [*JHU, command],
        env=environ,
        cwd=PROJECT_DIR,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def race(command: str, envs: list[dict[str, str]]) -> list[tuple[int, str, str]]:
    """Start the two runs together; their exit codes and outputs."""
    runs = [start(command, env, delay) for env, delay in zip(envs, DELAYS, strict=True)]
    results = []
    for run in runs:
        out, err = run.communicate(timeout=120)
        results.append((run.returncode, out, err))
    return results


def check_outcomes(results: list[tuple[int, str, str]]) -> None:
    assert any(code == 0 for code, _, _ in results), results
    for code, _, err in results:
        if code != 0:
            # the run that found the lake taken: one line naming the holder, no traceback
            assert err.count("\n") == 1, err
            assert "the lake is locked by host " in err and ", pid " in err, err


Reader = Callable[[str], bytes | None]


def check_raw(read: Reader, sources: list[Path]) -> None:
    manifest = json.loads(read("raw/jhu/_manifest.json") or b"{}")
    landed = {name: sha256(read(f"raw/jhu/{name}") or b"") for name in SIX_FILES}
    assert {name: e["sha256"] for name, e in manifest["files"].items()} == landed
    inputs = [{name: sha256((s / name).read_bytes()) for name in SIX_FILES} for s in sources]
    assert landed in inputs  # every file from one source, not some from each


def check_exports(read: Reader, written: list[str]) -> None:
    manifest = json.loads(read("marts/_manifest.json") or b"{}")
    exports = [manifest, *manifest["previous_exports"]]
    for export in exports:
        tags = set()
        for mart, entry in export["marts"].items():
            data = read(entry["file"])
            assert data is not None, f"{mart}: {entry['file']} is named but missing"
            assert sha256(data) == entry["sha256"]
            tags |= parquet_tags(data)
        assert len(tags) == 1, f"export {export['dbt_invocation_id']} mixes {tags}"
        assert tags == {export["dbt_invocation_id"]}
    kept = [export["dbt_invocation_id"] for export in exports]
    assert set(written) <= set(kept), f"an export that wrote its manifest is lost: {kept}"


def parquet_tags(data: bytes) -> set[str]:
    with duckdb.connect() as con:
        path = Path(os.environ.get("TMPDIR", "/tmp")) / f"jhu-test-{sha256(data)[:12]}.parquet"
        path.write_bytes(data)
        try:
            return {row[0] for row in con.execute(f"select distinct tag from '{path}'").fetchall()}
        finally:
            path.unlink()


def landed_source(read: Reader, sources: list[Path]) -> Path:
    """The source whose files the lake holds."""
    landed = {name: sha256(read(f"raw/jhu/{name}") or b"") for name in SIX_FILES}
    (source,) = [
        s for s in sources if landed == {n: sha256((s / n).read_bytes()) for n in SIX_FILES}
    ]
    return source


def check_unchanged(results: list[tuple[int, str, str]]) -> None:
    """A load that found nothing to land wrote nothing, not even the lock: no PUT, no DELETE."""
    for code, out, _ in results:
        if code == 0 and "nothing landed" in out:
            (line,) = [x for x in out.splitlines() if x.startswith("lake requests: ")]
            verbs = set(
                line.removeprefix("lake requests: ").split(";")[0].replace(",", " ").split()
            )
            assert not verbs & {"PUT", "POST", "DELETE", "write", "delete"}, line


def one_trial(tmp: Path, lake_env: dict[str, str], read: Reader, trial: int) -> None:
    sources = [edited_source(tmp / f"source-{i}", bump=trial * 10 + i + 1) for i in (0, 1)]
    loads = race("load", [lake_env | {"JHU_SOURCE": str(s)} for s in sources])
    check_outcomes(loads)
    check_raw(read, sources)

    # one run with nothing to land (the lake's source again), one with a new source: the first
    # writes nothing and takes no lock, or is refused or starts again if it saw the other write
    unchanged, new = landed_source(read, sources), edited_source(tmp / "source-2", trial * 10 + 3)
    loads = race("load", [lake_env | {"JHU_SOURCE": str(s)} for s in (unchanged, new)])
    check_outcomes(loads)
    check_unchanged(loads)
    check_raw(read, [unchanged, new])

    tags = [f"trial{trial}-input{i}" for i in (0, 1)]
    envs = [lake_env | small_warehouse(tmp / f"warehouse-{t}", t, MARTS) for t in tags]
    exports = race("export", envs)
    check_outcomes(exports)
    written = [
        t
        for t, (code, out, _) in zip(tags, exports, strict=True)
        if code == 0 and "manifest written" in out
    ]
    check_exports(read, written)


def base_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(("JHU_", "AWS_"))}


def test_two_runs_at_once_on_a_folder_never_mix_lose_or_dangle(tmp_path: Path) -> None:
    lake = tmp_path / "lake"
    env = base_env() | {"JHU_LAKE": str(lake)}

    def read(key: str) -> bytes | None:
        path = lake / key
        return path.read_bytes() if path.is_file() else None

    for trial in range(TRIALS):
        one_trial(tmp_path / f"trial-{trial}", env, read, trial)
    assert not list(lake.rglob("*.tmp"))
    assert not (lake / "_lock.json").exists()  # released by both


@pytest.fixture(scope="module")
def server() -> Iterator[S3Server]:
    with running_s3_server() as s3:
        yield s3


@pytest.mark.s3
def test_two_runs_at_once_on_s3_never_mix_lose_or_dangle(server: S3Server, tmp_path: Path) -> None:
    bucket = server.new_bucket()
    env = server.env() | {"JHU_LAKE": f"s3://{bucket}/lake"}
    client = server.client()

    def read(key: str) -> bytes | None:
        try:
            body: Any = client.get_object(Bucket=bucket, Key=f"lake/{key}")["Body"]
        except client.exceptions.NoSuchKey:
            return None
        data: bytes = body.read()
        return data

    for trial in range(TRIALS):
        one_trial(tmp_path / f"trial-{trial}", env, read, trial)
    assert client.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []
    assert read("_lock.json") is None  # released by both
