"""The S3 lake against a real HTTP S3 server on loopback (moto): layout, content, request counts."""

from __future__ import annotations

import hashlib
import math
import os
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from boto3.s3.transfer import TransferConfig

from jhu_warehouse.config import load_settings
from jhu_warehouse.errors import JhuError
from jhu_warehouse.lake import open_lake
from jhu_warehouse.lake.s3 import (
    MULTIPART_THRESHOLD,
    S3Lake,
    S3Location,
    client_config,
    parse_s3_uri,
)
from s3_server import REGION, SETUP_KEY_ID, SETUP_SECRET, S3Server, running_s3_server

pytestmark = pytest.mark.s3

MIB = 1024 * 1024


@pytest.fixture(scope="module")
def server() -> Iterator[S3Server]:
    with running_s3_server() as s3:
        yield s3


@pytest.fixture
def session() -> boto3.Session:
    return boto3.Session(
        aws_access_key_id=SETUP_KEY_ID,
        aws_secret_access_key=SETUP_SECRET,
        region_name=REGION,
    )


def make_lake(
    server: S3Server,
    session: boto3.Session,
    lake: str,
    transfer_config: TransferConfig | None = None,
) -> S3Lake:
    settings = load_settings({"JHU_LAKE": lake, "JHU_S3_ENDPOINT": server.endpoint})
    return S3Lake.from_settings(settings, session=session, transfer_config=transfer_config)


@pytest.mark.parametrize(
    ("uri", "bucket", "prefix"),
    [
        ("s3://my-bucket/jhu/lake", "my-bucket", "jhu/lake"),
        ("s3://my-bucket/jhu/", "my-bucket", "jhu"),
        ("s3://my-bucket", "my-bucket", ""),
    ],
)
def test_parse_s3_uri(uri: str, bucket: str, prefix: str) -> None:
    assert parse_s3_uri(uri) == S3Location(bucket=bucket, prefix=prefix)


@pytest.mark.parametrize("uri", ["s3:///prefix", "lake", "https://bucket/prefix"])
def test_parse_s3_uri_rejects_what_is_not_a_bucket(uri: str) -> None:
    with pytest.raises(JhuError, match="JHU_LAKE"):
        parse_s3_uri(uri)


def test_client_is_bounded_and_path_style_for_a_custom_endpoint() -> None:
    config = client_config("http://127.0.0.1:9000")
    assert config.retries == {"total_max_attempts": 3, "mode": "standard"}
    assert config.connect_timeout <= 5
    assert config.s3 == {"addressing_style": "path"}
    assert client_config(None).s3 is None


def test_open_lake_gives_an_s3_lake_rooted_at_the_prefix(
    server: S3Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in server.env().items():
        if name.startswith("AWS_"):
            monkeypatch.setenv(name, value)
    settings = load_settings({"JHU_LAKE": "s3://some-bucket/a/b/", "JHU_S3_ENDPOINT": "http://x"})
    lake = open_lake(settings)
    assert isinstance(lake, S3Lake)
    assert lake.root == "s3://some-bucket/a/b"
    assert lake.uri("raw/jhu/_manifest.json") == "s3://some-bucket/a/b/raw/jhu/_manifest.json"


def test_put_and_read_back_under_the_prefix(server: S3Server, session: boto3.Session) -> None:
    bucket = server.new_bucket()
    lake = make_lake(server, session, f"s3://{bucket}/jhu/lake")
    data = b"UID,iso2\n84001001,US\n"

    lake.put_bytes("raw/jhu/UID_ISO_FIPS_LookUp_Table.csv", data)

    head = server.client().head_object(
        Bucket=bucket, Key="jhu/lake/raw/jhu/UID_ISO_FIPS_LookUp_Table.csv"
    )
    assert head["ContentLength"] == len(data)
    assert head["Metadata"]["sha256"] == hashlib.sha256(data).hexdigest()
    assert head["ContentType"] == "text/csv"
    assert lake.read_bytes("raw/jhu/UID_ISO_FIPS_LookUp_Table.csv") == data


def test_a_missing_key_reads_as_none(server: S3Server, session: boto3.Session) -> None:
    lake = make_lake(server, session, f"s3://{server.new_bucket()}/lake")
    assert lake.read_bytes("marts/_manifest.json") is None
    assert lake.stats.requests == {"GET": 1}


def test_requests_and_bytes_are_counted_per_http_verb(
    server: S3Server, session: boto3.Session
) -> None:
    lake = make_lake(server, session, f"s3://{server.new_bucket()}/lake")
    payload = os.urandom(1000)

    lake.put_bytes("marts/_manifest.json", payload)
    assert lake.stats.requests == {"PUT": 1}
    assert lake.stats.bytes_up == len(payload)

    lake.read_bytes("marts/_manifest.json")
    lake.list("marts")
    lake.delete(["marts/_manifest.json"])
    assert lake.stats.requests == {"PUT": 1, "GET": 1, "LIST": 1, "DELETE": 1}
    assert lake.stats.bytes_down == len(payload)
    summary = lake.stats.summary()
    assert "1 PUT" in summary
    assert "1 GET" in summary
    assert "1 LIST" in summary  # a GET on the wire, billed like a PUT
    assert "1 DELETE" in summary


def test_list_is_scoped_to_the_folder_and_the_lake(
    server: S3Server, session: boto3.Session
) -> None:
    bucket = server.new_bucket()
    admin = server.client()
    for key in [
        "lake/marts/_manifest.json",
        "lake/marts/dim_location/0123456789abcdef.parquet",
        "lake/marts_old/x.parquet",
        "lake/raw/jhu/time_series_covid19_deaths_US.csv",
        "lake-2/marts/_manifest.json",
        "elsewhere/marts/y.parquet",
    ]:
        admin.put_object(Bucket=bucket, Key=key, Body=b"x")
    lake = make_lake(server, session, f"s3://{bucket}/lake")

    assert lake.list("marts") == [
        "marts/_manifest.json",
        "marts/dim_location/0123456789abcdef.parquet",
    ]
    assert lake.list("marts/") == lake.list("marts")
    assert lake.list("raw/jhu") == ["raw/jhu/time_series_covid19_deaths_US.csv"]
    assert lake.list("nothing-here") == []
    assert len(lake.list("")) == 4


def test_delete_removes_exactly_the_named_keys(server: S3Server, session: boto3.Session) -> None:
    bucket = server.new_bucket()
    lake = make_lake(server, session, f"s3://{bucket}/lake")
    for name in ("a", "b", "c"):
        lake.put_bytes(f"marts/m/{name}.parquet", name.encode())

    lake.delete(["marts/m/a.parquet", "marts/m/c.parquet"])

    remaining = server.client().list_objects_v2(Bucket=bucket)["Contents"]
    assert [item["Key"] for item in remaining] == ["lake/marts/m/b.parquet"]
    assert lake.stats.requests["DELETE"] == 2


def test_a_lake_at_the_bucket_root(server: S3Server, session: boto3.Session) -> None:
    bucket = server.new_bucket()
    lake = make_lake(server, session, f"s3://{bucket}")
    lake.put_bytes("raw/jhu/_manifest.json", b"{}")
    assert lake.uri("raw/jhu/_manifest.json") == f"s3://{bucket}/raw/jhu/_manifest.json"
    assert server.client().get_object(Bucket=bucket, Key="raw/jhu/_manifest.json")
    assert lake.list("raw") == ["raw/jhu/_manifest.json"]


def test_a_small_file_goes_up_in_one_put(
    server: S3Server, session: boto3.Session, tmp_path: Path
) -> None:
    path = tmp_path / "small.csv"
    path.write_bytes(os.urandom(MIB))
    lake = make_lake(server, session, f"s3://{server.new_bucket()}/lake")

    lake.put_file("raw/jhu/small.csv", path)

    assert path.stat().st_size < MULTIPART_THRESHOLD
    assert lake.stats.requests == {"PUT": 1}
    assert lake.stats.bytes_up == MIB


def test_a_large_file_goes_up_in_parts(
    server: S3Server, session: boto3.Session, tmp_path: Path
) -> None:
    chunk = 5 * MIB  # S3's smallest part
    size = 2 * chunk + 12345
    path = tmp_path / "big.parquet"
    path.write_bytes(os.urandom(size))
    bucket = server.new_bucket()
    lake = make_lake(
        server,
        session,
        f"s3://{bucket}/lake",
        TransferConfig(multipart_threshold=chunk, multipart_chunksize=chunk),
    )

    lake.put_file("marts/fct/0123456789abcdef.parquet", path)

    parts = math.ceil(size / chunk)
    # one POST starts the upload, one PUT per part, one POST completes it
    assert lake.stats.requests == {"POST": 2, "PUT": parts}
    assert lake.stats.bytes_up == size
    obj = server.client().get_object(Bucket=bucket, Key="lake/marts/fct/0123456789abcdef.parquet")
    assert obj["ETag"].strip('"').endswith(f"-{parts}")  # S3's mark of a multipart object
    assert obj["Body"].read() == path.read_bytes()
    assert obj["Metadata"]["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
