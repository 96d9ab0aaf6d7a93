"""DuckDB's access to the lake: httpfs loaded by path, S3 settings from the same chain as boto3.

Shared by the dbt-duckdb plugin (dbt's connections) and the export (its own connections), so
both reach the same bucket the same way:
- httpfs comes from the `duckdb-extension-httpfs` package folder; nothing is downloaded at run
  time (DuckDB's own extension download needs the internet).
- credentials are resolved by boto3's standard chain (env, ~/.aws, instance role) and handed to
  DuckDB as a TEMPORARY secret: in memory only, never persisted, never printed.
- an S3-compatible endpoint (JHU_S3_ENDPOINT) is given as host:port, path-style URLs, TLS per the
  URL's scheme.

`record_http(stats)` counts DuckDB's own HTTP requests (dbt reading the raw CSVs) into the run's
LakeStats, through DuckDB's HTTP log written to a temporary folder that is removed afterwards.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import boto3
import duckdb
from botocore.exceptions import BotoCoreError

from jhu_warehouse.config import Settings
from jhu_warehouse.errors import JhuError
from jhu_warehouse.lake.base import LakeStats
from jhu_warehouse.lake.s3 import parse_s3_uri, resolve_region
from jhu_warehouse.lake.s3_errors import CREDENTIAL_CHAIN

SECRET_NAME = "jhu_lake"  # noqa: S105 (the name DuckDB files the secret under)
HTTP_LOG_ENTRIES = "duckdb_log_entries.csv"


def httpfs_extension_path() -> Path:
    """The httpfs build for the installed DuckDB, from the duckdb-extension-httpfs package."""
    try:
        import duckdb_extension_httpfs
    except ImportError as exc:
        raise JhuError(
            "the duckdb-extension-httpfs package is not installed: run `make setup` "
            "(it is pinned in requirements.txt)"
        ) from exc
    version = f"v{duckdb.__version__}"
    path = (
        Path(duckdb_extension_httpfs.__file__).parent
        / "extensions"
        / version
        / "httpfs.duckdb_extension"
    )
    if not path.is_file():
        raise JhuError(
            f"no httpfs extension for DuckDB {version} at {path}: pin duckdb and "
            "duckdb-extension-httpfs to the same version in requirements.txt"
        )
    return path


@dataclass(frozen=True)
class S3Access:
    """What DuckDB needs to reach the lake's bucket. The secret never shows in a repr."""

    scope: str
    region: str
    endpoint: str | None
    use_ssl: bool
    key_id: str = field(repr=False)
    secret: str = field(repr=False)
    session_token: str | None = field(default=None, repr=False)

    @property
    def redactions(self) -> list[str]:
        return [v for v in (self.key_id, self.secret, self.session_token) if v]


def endpoint_host(endpoint: str) -> tuple[str, bool]:
    """http://127.0.0.1:9000 -> ("127.0.0.1:9000", False): DuckDB wants no scheme."""
    parts = urlsplit(endpoint)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise JhuError(f"JHU_S3_ENDPOINT={endpoint!r}: expected http(s)://host[:port]")
    return parts.netloc + parts.path.rstrip("/"), parts.scheme == "https"


def s3_access(settings: Settings, session: boto3.Session | None = None) -> S3Access:
    """Resolve the region and credentials of the standard chain for the lake's bucket."""
    location = parse_s3_uri(settings.lake)
    session = session or boto3.Session()
    try:
        credentials = session.get_credentials()
        frozen = credentials.get_frozen_credentials() if credentials is not None else None
    except BotoCoreError as exc:
        raise JhuError(
            f"could not resolve AWS credentials for {settings.lake} (JHU_LAKE): "
            f"{type(exc).__name__}; use the standard chain ({CREDENTIAL_CHAIN})"
        ) from None
    if frozen is None or not frozen.access_key or not frozen.secret_key:
        raise JhuError(
            f"no usable AWS credentials for {settings.lake} (JHU_LAKE): provide them through "
            f"the standard chain ({CREDENTIAL_CHAIN})"
        )
    endpoint, use_ssl = (
        endpoint_host(settings.s3_endpoint) if settings.s3_endpoint else (None, True)
    )
    return S3Access(
        scope=f"s3://{location.bucket}",
        region=resolve_region(session),
        endpoint=endpoint,
        use_ssl=use_ssl,
        key_id=frozen.access_key,
        secret=frozen.secret_key,
        session_token=frozen.token,
    )


def sql_literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def secret_sql(access: S3Access) -> str:
    """CREATE TEMPORARY SECRET for the lake's bucket (TEMPORARY: held in memory only)."""
    options = [
        ("TYPE", "s3"),
        ("SCOPE", sql_literal(access.scope)),
        ("REGION", sql_literal(access.region)),
        ("KEY_ID", sql_literal(access.key_id)),
        ("SECRET", sql_literal(access.secret)),
    ]
    if access.session_token:
        options.append(("SESSION_TOKEN", sql_literal(access.session_token)))
    if access.endpoint:
        options += [
            ("ENDPOINT", sql_literal(access.endpoint)),
            ("URL_STYLE", "'path'"),
            ("USE_SSL", "true" if access.use_ssl else "false"),
        ]
    body = ", ".join(f"{name} {value}" for name, value in options)
    return f"CREATE OR REPLACE TEMPORARY SECRET {SECRET_NAME} ({body})"


def redact(text: str, secrets: list[str]) -> str:
    for value in secrets:
        text = text.replace(value, "***")
    return text


#: The folder DuckDB's HTTP log goes to while record_http() is active (one run at a time).
_http_log_dir: Path | None = None


def configure_connection(
    conn: duckdb.DuckDBPyConnection,
    settings: Settings,
    session: boto3.Session | None = None,
) -> None:
    """Load httpfs by path and, for an S3 lake, give DuckDB the bucket's region and credentials.

    The secret is created before any logging is switched on, so no log holds its SQL.
    """
    conn.execute(f"LOAD {sql_literal(str(httpfs_extension_path()))}")
    if settings.lake_is_s3:
        access = s3_access(settings, session)
        try:
            conn.execute(secret_sql(access))
        except duckdb.Error as exc:
            message = redact(str(exc), access.redactions).splitlines()[0]
            raise JhuError(
                f"DuckDB did not take the S3 settings for {access.scope}: {message}"
            ) from None
        conn.execute("SET enable_http_metadata_cache = true")
    if _http_log_dir is not None:
        conn.execute(
            "CALL enable_logging('HTTP', storage = 'file', storage_path = "
            f"{sql_literal(str(_http_log_dir))})"
        )


def connect(settings: Settings, database: str = ":memory:", *, read_only: bool = False):
    """A DuckDB connection configured like dbt's: httpfs by path and the lake's S3 secret."""
    conn = duckdb.connect(database, read_only=read_only)
    try:
        configure_connection(conn, settings)
    except BaseException:
        conn.close()
        raise
    return conn


_REQUEST_TYPE = re.compile(r"'request': \{'type': (\w+)")
_BODY_LENGTH = re.compile(r"'request_body_length': (\d+)")
_STATUS = re.compile(r"'response': \{'status': (\w+?)_(\d+)")
_CONTENT_LENGTH = re.compile(r"'response': \{.*?[{ ]Content-Length=(\d+)", re.IGNORECASE)
#: A ListObjectsV2 request (a GET on the bucket with `list-type=`, as DuckDB lists a glob): billed
#: and counted as a LIST, as S3 and the loader's own listing count it.
_LIST_QUERY = re.compile(r"'url': '[^']*[?&]list-type=")


def http_log_stats(messages: list[str]) -> LakeStats:
    """Requests by verb and bytes moved, from the messages of DuckDB's HTTP log.

    Bytes down are the bodies of successful GETs (HEAD responses announce a length, move none).
    """
    stats = LakeStats(requests=Counter())
    for message in messages:
        verb = _REQUEST_TYPE.search(message)
        if verb is None:
            continue
        method = verb.group(1).upper()
        if method == "GET" and _LIST_QUERY.search(message):
            method = "LIST"
        stats.requests[method] += 1
        body = _BODY_LENGTH.search(message)
        if method == "PUT" and body:
            stats.bytes_up += int(body.group(1))
        status = _STATUS.search(message)
        length = _CONTENT_LENGTH.search(message)
        if method == "GET" and status and status.group(2).startswith("2") and length:
            stats.bytes_down += int(length.group(1))
    return stats


def read_http_log(folder: Path) -> list[str]:
    path = folder / HTTP_LOG_ENTRIES
    if not path.is_file():
        return []
    conn = duckdb.connect()
    try:
        rows = conn.execute(
            "select message from read_csv(?, header = true, all_varchar = true) "
            "where type = 'HTTP'",
            [str(path)],
        ).fetchall()
    finally:
        conn.close()
    return [str(row[0]) for row in rows]


def add_stats(total: LakeStats, part: LakeStats) -> None:
    total.requests.update(part.requests)
    total.bytes_up += part.bytes_up
    total.bytes_down += part.bytes_down


@contextmanager
def record_http(stats: LakeStats) -> Iterator[None]:
    """Count the HTTP requests of DuckDB connections configured inside this block into stats.

    DuckDB writes its HTTP log to a temporary folder (it holds signed request headers, never the
    secret); the counts are added when the block ends and the folder is removed.
    """
    global _http_log_dir
    folder = Path(tempfile.mkdtemp(prefix="jhu-duckdb-http-"))
    previous, _http_log_dir = _http_log_dir, folder
    try:
        yield
    finally:
        _http_log_dir = previous
        try:
            add_stats(stats, http_log_stats(read_http_log(folder)))
        finally:
            shutil.rmtree(folder, ignore_errors=True)
