"""DuckDB reaches the S3 lake as dbt does: httpfs by path, a temporary secret, counted requests."""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Iterator

import pytest

from jhu_warehouse.config import load_settings
from jhu_warehouse.errors import JhuError
from jhu_warehouse.lake import LakeStats
from jhu_warehouse.lake.duckdb_access import (
    S3Access,
    connect,
    endpoint_host,
    http_log_stats,
    httpfs_extension_path,
    record_http,
    secret_sql,
)
from s3_server import SETUP_SECRET, S3Server, running_s3_server

pytestmark = pytest.mark.s3

CSV = b"UID,Population\n84001001,55869\n84001003,223234\n"


@pytest.fixture(scope="module")
def server() -> Iterator[S3Server]:
    with running_s3_server() as s3:
        yield s3


@pytest.fixture
def aws_env(server: S3Server, monkeypatch: pytest.MonkeyPatch) -> None:
    """The standard chain, as a user would set it: environment variables only."""
    for name, value in server.env().items():
        if name.startswith("AWS_"):
            monkeypatch.setenv(name, value)


class ServerLog(logging.Handler):
    """Counts the requests the S3 server itself answered, per verb, for one bucket."""

    def __init__(self, bucket: str) -> None:
        super().__init__()
        self.bucket = bucket
        self.requests: Counter[str] = Counter()

    def emit(self, record: logging.LogRecord) -> None:
        # werkzeug's access log line, possibly coloured: ... "GET /bucket/key HTTP/1.1" 206 -
        pattern = rf"(?<![A-Z])(GET|HEAD|PUT|POST|DELETE) /{self.bucket}/"
        match = re.search(pattern, record.getMessage())
        if match:
            self.requests[match.group(1)] += 1


@pytest.fixture
def server_log(request: pytest.FixtureRequest) -> Iterator[ServerLog]:
    handler = ServerLog(request.getfixturevalue("bucket"))
    logger = logging.getLogger("werkzeug")
    level = logger.level
    logger.setLevel(logging.INFO)
    logger.addHandler(handler)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


@pytest.fixture
def bucket(server: S3Server) -> str:
    name = server.new_bucket()
    server.client().put_object(Bucket=name, Key="lake/raw/jhu/lookup.csv", Body=CSV)
    return name


def test_httpfs_is_loaded_from_the_package_folder() -> None:
    path = httpfs_extension_path()
    assert path.is_file()
    assert "duckdb_extension_httpfs" in path.parts
    conn = connect(load_settings({"JHU_LAKE": "lake"}))
    try:
        loaded = conn.execute(
            "select loaded, install_path from duckdb_extensions() where extension_name = 'httpfs'"
        ).fetchone()
    finally:
        conn.close()
    assert loaded is not None
    assert loaded[0] is True


@pytest.mark.parametrize(
    ("endpoint", "host", "ssl"),
    [
        ("http://127.0.0.1:9000", "127.0.0.1:9000", False),
        ("https://minio.example.org", "minio.example.org", True),
        ("https://minio.example.org/", "minio.example.org", True),
    ],
)
def test_endpoint_is_given_to_duckdb_without_scheme(endpoint: str, host: str, ssl: bool) -> None:
    assert endpoint_host(endpoint) == (host, ssl)


def test_the_secret_is_temporary_path_style_and_quoted() -> None:
    access = S3Access(
        scope="s3://my-bucket",
        region="eu-west-1",
        endpoint="127.0.0.1:9000",
        use_ssl=False,
        key_id="KEYID",
        secret="it's/secret",
    )
    sql = secret_sql(access)
    assert sql.startswith("CREATE OR REPLACE TEMPORARY SECRET")
    assert "SECRET 'it''s/secret'" in sql
    assert "URL_STYLE 'path'" in sql
    assert "USE_SSL false" in sql
    assert "ENDPOINT '127.0.0.1:9000'" in sql
    assert "it's/secret" not in repr(access)


def test_duckdb_reads_and_writes_the_bucket_as_an_analyst_would(
    server: S3Server, aws_env: None, bucket: str
) -> None:
    settings = load_settings(
        {"JHU_LAKE": f"s3://{bucket}/lake", "JHU_S3_ENDPOINT": server.endpoint}
    )
    conn = connect(settings)
    try:
        rows = conn.execute(
            f"select sum(Population) from read_csv('s3://{bucket}/lake/raw/jhu/lookup.csv')"
        ).fetchone()
        conn.execute(
            f"copy (select 1 as x) to 's3://{bucket}/lake/marts/t/x.parquet' (format parquet)"
        )
        secrets = conn.execute("select persistent, secret_string from duckdb_secrets()").fetchall()
    finally:
        conn.close()

    assert rows == (55869 + 223234,)
    assert server.client().head_object(Bucket=bucket, Key="lake/marts/t/x.parquet")
    assert secrets
    assert all(persistent is False for persistent, _ in secrets)
    assert all(SETUP_SECRET not in text for _, text in secrets)  # DuckDB redacts it


def test_duckdb_requests_are_counted_as_the_server_saw_them(
    server: S3Server, aws_env: None, bucket: str, server_log: ServerLog
) -> None:
    settings = load_settings(
        {"JHU_LAKE": f"s3://{bucket}/lake", "JHU_S3_ENDPOINT": server.endpoint}
    )
    stats = LakeStats()
    with record_http(stats):
        for _ in range(2):  # two connections, as dbt opens and closes them
            conn = connect(settings)
            conn.execute(f"select count(*) from 's3://{bucket}/lake/raw/jhu/lookup.csv'")
            conn.close()

    assert stats.requests == server_log.requests
    assert stats.requests["GET"] >= 2
    gets = stats.requests["GET"]
    assert stats.bytes_down == gets * len(CSV)  # each GET fetched the whole small file


def test_http_log_messages_are_tallied_by_verb() -> None:
    messages = [
        "{'request': {'type': HEAD, 'url': 'x', 'request_body_length': NULL}, "
        "'response': {'status': OK_200, 'headers': {Content-Length=12}}}",
        "{'request': {'type': GET, 'url': 'x', 'request_body_length': NULL}, "
        "'response': {'status': PartialContent_206, 'headers': {Content-Length=12}}}",
        "{'request': {'type': PUT, 'url': 'y', 'request_body_length': 192}, "
        "'response': {'status': OK_200, 'headers': {Content-Length=0}}}",
        "{'request': {'type': GET, 'url': 'z', 'request_body_length': NULL}, "
        "'response': {'status': NotFound_404, 'headers': {Content-Length=300}}}",
    ]
    stats = http_log_stats(messages)
    assert stats.requests == {"HEAD": 1, "GET": 2, "PUT": 1}
    assert stats.bytes_up == 192
    assert stats.bytes_down == 12


def test_no_credentials_is_one_clear_error(
    server: S3Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent/config")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    settings = load_settings({"JHU_LAKE": "s3://b-b-b/lake", "JHU_S3_ENDPOINT": server.endpoint})
    with pytest.raises(JhuError, match="no usable AWS credentials"):
        connect(settings)
