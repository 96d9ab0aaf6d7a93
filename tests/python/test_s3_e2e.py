"""The main job with S3 at both ends, on the real JHU files, against a loopback S3 server.

`jhu run --create-bucket` runs twice in a child process, as a user would run it: the first run
creates the bucket, lands the six raw files and exports the marts; the second, with nothing
changed, must make no PUT, DELETE or POST at all, not even for the lake's lock (the README: an
unchanged re-run makes no PUT). Requests are counted on the server side (moto's access log),
independently of the counts the run prints, which must agree with them.
Then an analyst reads the marts back from S3 with plain DuckDB and finds the warehouse file's
content.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pytest

from fixtures import CONTRACT_MARTS, SIX_FILES, run_env
from jhu_warehouse.config import PROJECT_DIR
from jhu_warehouse.lake import MARTS_MANIFEST, RAW_MANIFEST, RAW_PREFIX
from jhu_warehouse.lake.duckdb_access import httpfs_extension_path
from s3_server import REGION, SETUP_KEY_ID, SETUP_SECRET, S3Server, running_s3_server

pytestmark = [pytest.mark.s3, pytest.mark.e2e]

BUCKET = "jhu-e2e-lake"
PREFIX = "warehouse/v1"
#: Request counts as the run prints them: in the closing "lake" line, and in the line of
#: --create-bucket (its own requests): "requests: 2 GET, 1 PUT; 10 bytes up, ..."
REQUESTS = re.compile(r"requests: (?P<requests>[^;]*);")


class ServerLog(logging.Handler):
    """What the S3 server answered for one bucket: requests per verb, the keys PUT to and read."""

    def __init__(self, bucket: str) -> None:
        super().__init__()
        # werkzeug's access log, possibly coloured: ... "PUT /bucket/key?uploadId=... HTTP/1.1"
        self.pattern = re.compile(
            rf"(?<![A-Z])(GET|HEAD|PUT|POST|DELETE) /{bucket}(/[^ ?]*)?(\?[^ ]*)? HTTP/"
        )
        self.requests: Counter[str] = Counter()
        self.put_keys: list[str] = []
        self.get_keys: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        match = self.pattern.search(record.getMessage())
        if match:
            verb, path, query = match.group(1), (match.group(2) or "").lstrip("/"), match.group(3)
            if verb == "GET" and not path and "list-type=" in (query or ""):
                verb = "LIST"  # ListObjectsV2: a GET on the bucket, billed like a PUT
            self.requests[verb] += 1
            if verb == "PUT":
                self.put_keys.append(path)
            elif verb == "GET":
                self.get_keys.append(path)


@dataclass(frozen=True)
class Run:
    result: subprocess.CompletedProcess[str]
    seen: ServerLog

    @property
    def printed_requests(self) -> Counter[str]:
        """The request counts the run printed, all lines together."""
        matches = list(REQUESTS.finditer(self.result.stdout))
        assert matches, self.result.stdout[-2000:]
        counts: Counter[str] = Counter()
        for match in matches:
            for part in match.group("requests").split(","):
                if part.strip() != "none":
                    number, verb = part.split()
                    counts[verb] += int(number)
        return counts


@dataclass(frozen=True)
class S3Runs:
    server: S3Server
    first: Run
    second: Run
    duckdb_path: Path


def run_jhu(server: S3Server, env: dict[str, str], args: list[str]) -> Run:
    seen = ServerLog(BUCKET)
    logger = logging.getLogger("werkzeug")
    level = logger.level
    logger.setLevel(logging.INFO)
    logger.addHandler(seen)
    try:
        result = subprocess.run(
            [sys.executable, "-m", "jhu_warehouse", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=1200,
            check=False,
        )
    finally:
        logger.removeHandler(seen)
        logger.setLevel(level)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return Run(result, seen)


@pytest.fixture(scope="module")
def s3_runs(tmp_path_factory: pytest.TempPathFactory, jhu_source: Path) -> Iterator[S3Runs]:
    base = tmp_path_factory.mktemp("s3-e2e")
    with running_s3_server() as server:
        env = server.env() | run_env(base, jhu_source, f"s3://{BUCKET}/{PREFIX}")
        first = run_jhu(server, env, ["run", "--create-bucket"])
        second = run_jhu(server, env, ["run", "--create-bucket"])
        yield S3Runs(server, first, second, base / "jhu_covid.duckdb")


def get(runs: S3Runs, key: str) -> bytes:
    body = runs.server.client().get_object(Bucket=BUCKET, Key=f"{PREFIX}/{key}")["Body"]
    data: bytes = body.read()
    return data


def test_the_first_run_creates_the_bucket_and_lands_the_raw_files_byte_for_byte(
    s3_runs: S3Runs, jhu_source: Path
) -> None:
    assert f"bucket s3://{BUCKET}: created" in s3_runs.first.result.stdout
    for name in SIX_FILES:
        landed = get(s3_runs, f"{RAW_PREFIX}/{name}")
        assert (
            hashlib.sha256(landed).digest()
            == hashlib.sha256((jhu_source / name).read_bytes()).digest()
        ), name
    manifest = json.loads(get(s3_runs, RAW_MANIFEST))
    assert {name for name in manifest["files"] if "/" not in name} == set(SIX_FILES)
    # and every daily report of the source, under its upstream folder
    reports = {
        f"{path.parent.name}/{path.name}"
        for path in jhu_source.glob("csse_covid_19_daily_reports*/*.csv")
    }
    assert {name for name in manifest["files"] if "/" in name} == reports
    some = sorted(reports)[0]
    assert get(s3_runs, f"{RAW_PREFIX}/{some}") == (jhu_source / some).read_bytes()


def test_the_first_run_exports_every_mart_behind_the_manifest(s3_runs: S3Runs) -> None:
    manifest = json.loads(get(s3_runs, MARTS_MANIFEST))
    assert set(manifest["marts"]) >= CONTRACT_MARTS
    for name, entry in manifest["marts"].items():
        data = get(s3_runs, entry["file"])
        assert hashlib.sha256(data).hexdigest() == entry["sha256"], name


def test_a_second_run_with_unchanged_inputs_writes_nothing_not_even_the_lock(
    s3_runs: S3Runs,
) -> None:
    """The README: an unchanged re-run makes no PUT. It writes nothing, so it takes no lock
    (docs/reliability.md: the lock is taken at a run's first write): no PUT, no DELETE."""
    seen = s3_runs.second.seen
    assert seen.put_keys == []
    assert seen.requests["PUT"] == 0
    assert seen.requests["DELETE"] == 0
    assert seen.requests["POST"] == 0  # no multipart upload, no multi-object delete
    assert seen.requests["HEAD"] > 0  # it did check the lake: one HEAD per raw file and mart
    # the first run wrote, so it took the lock and let it go: a PUT of the lock, its DELETE
    first = s3_runs.first.seen
    assert f"{PREFIX}/_lock.json" in first.put_keys
    assert first.requests["DELETE"] >= 1
    assert first.requests["PUT"] >= len(SIX_FILES) + 1 + len(CONTRACT_MARTS) + 1  # files, manifests


def test_a_second_run_with_unchanged_inputs_reads_no_raw_file(s3_runs: S3Runs) -> None:
    assert "build      0.0 s  skipped: inputs unchanged" in s3_runs.second.result.stdout
    raw = f"{PREFIX}/{RAW_PREFIX}/"
    assert [k for k in s3_runs.first.seen.get_keys if k.startswith(raw)]  # the build read them
    assert [k for k in s3_runs.second.seen.get_keys if k.startswith(raw)] == [
        f"{PREFIX}/{RAW_MANIFEST}"
    ]


def test_every_run_prints_the_requests_the_server_saw(s3_runs: S3Runs) -> None:
    for run in (s3_runs.first, s3_runs.second):
        assert run.printed_requests == run.seen.requests


def test_an_analyst_reads_the_marts_from_s3_with_plain_duckdb(s3_runs: S3Runs) -> None:
    """Plain DuckDB, as in docs/s3.md: httpfs by path, a secret, the manifest, read_parquet."""
    endpoint = s3_runs.server.endpoint.removeprefix("http://")
    analyst = duckdb.connect()
    try:
        analyst.execute(f"load '{httpfs_extension_path()}'")
        analyst.execute(
            f"create temporary secret lake (type s3, key_id '{SETUP_KEY_ID}', "
            f"secret '{SETUP_SECRET}', region '{REGION}', endpoint '{endpoint}', "
            "url_style 'path', use_ssl false)"
        )
        analyst.execute(f"attach '{s3_runs.duckdb_path}' as warehouse (read_only)")
        manifest: dict[str, Any] = json.loads(
            analyst.execute(
                "select content from read_text(?)", [f"s3://{BUCKET}/{PREFIX}/{MARTS_MANIFEST}"]
            ).fetchone()[0]
        )
        for name in sorted(CONTRACT_MARTS):
            url = f"s3://{BUCKET}/{PREFIX}/{manifest['marts'][name]['file']}"
            in_s3 = f"read_parquet('{url}')"
            in_file = f"warehouse.marts.{name}"
            (rows,) = analyst.execute(f"select count(*) from {in_s3}").fetchone()
            (expected_rows,) = analyst.execute(f"select count(*) from {in_file}").fetchone()
            assert rows == expected_rows == manifest["marts"][name]["rows"], name
            assert rows > 0, name
            for left, right in ((in_s3, in_file), (in_file, in_s3)):
                (differences,) = analyst.execute(
                    f"select count(*) from (select * from {left} except all select * from {right})"
                ).fetchone()
                assert differences == 0, name
    finally:
        analyst.close()


def readme_s3_sql() -> list[str]:
    """The statements of the SQL example in docs/s3.md (reading the marts from S3)."""
    text = (PROJECT_DIR / "docs" / "s3.md").read_text(encoding="utf-8")
    (block,) = re.findall(r"```sql\n(.*?)```", text, flags=re.DOTALL)
    return [s.strip() for s in block.split(";\n") if s.strip()]


def test_the_readme_s3_query_runs_as_written(s3_runs: S3Runs) -> None:
    """Only the docs' placeholders change: the store, the keys, the bucket and prefix."""
    endpoint = s3_runs.server.endpoint.removeprefix("http://")
    replacements = {
        "load httpfs": f"load '{httpfs_extension_path()}'",  # offline: by path
        "'jhu-analyst'": f"'{SETUP_KEY_ID}'",
        "'analyst-password'": f"'{SETUP_SECRET}'",
        "127.0.0.1:9000": endpoint,
        "s3://jhu/lake/": f"s3://{BUCKET}/{PREFIX}/",
    }
    statements = readme_s3_sql()
    assert len(statements) == 4
    analyst = duckdb.connect()
    try:
        for statement in statements:
            for placeholder, value in replacements.items():
                statement = statement.replace(placeholder, value)
            rows = analyst.execute(statement).fetchall()
    finally:
        analyst.close()
    with duckdb.connect(str(s3_runs.duckdb_path), read_only=True) as warehouse:
        expected = warehouse.execute(
            "select country_name, max(cumulative_deaths) as deaths from marts.fct_country_daily "
            "group by country_name order by deaths desc limit 5"
        ).fetchall()
    assert rows == expected
    assert len(rows) == 5
