"""The export's publish on S3: safe to break midway, frugal when unchanged, old versions pruned.

publish() is engine- and lake-agnostic (tests/python/test_export.py covers it on a folder); here it
runs on the S3 lake over real HTTP, with the network cut in the middle of an export by a botocore
hook, and the bucket inspected with a separate client.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from boto3.s3.transfer import TransferConfig
from botocore.exceptions import ConnectionClosedError

from jhu_warehouse.config import load_settings
from jhu_warehouse.errors import JhuError
from jhu_warehouse.lake import MARTS_MANIFEST
from jhu_warehouse.lake.s3 import S3Lake
from jhu_warehouse.publish.manifest import KEEP_EXPORTS, MartFile
from jhu_warehouse.publish.publisher import publish
from s3_server import REGION, SETUP_KEY_ID, SETUP_SECRET, S3Server, running_s3_server

pytestmark = pytest.mark.s3

MARTS = ("dim_a", "fct_b", "fct_c")
MIB = 1024 * 1024


@pytest.fixture(scope="module")
def server() -> Iterator[S3Server]:
    with running_s3_server() as s3:
        yield s3


def make_lake(server: S3Server, bucket: str, **kwargs: Any) -> S3Lake:
    settings = load_settings(
        {"JHU_LAKE": f"s3://{bucket}/lake", "JHU_S3_ENDPOINT": server.endpoint}
    )
    session = boto3.Session(
        aws_access_key_id=SETUP_KEY_ID, aws_secret_access_key=SETUP_SECRET, region_name=REGION
    )
    return S3Lake.from_settings(settings, session=session, **kwargs)


def stand_in(folder: Path, name: str, data: bytes) -> MartFile:
    path = folder / f"{name}-{hashlib.sha256(data).hexdigest()[:8]}.parquet"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return MartFile(
        name=name,
        path=path,
        rows=1,
        columns=(("id", "BIGINT"),),
        sha256=hashlib.sha256(data).hexdigest(),
        bytes=len(data),
        primary_key=("id",),
    )


def export_set(folder: Path, version: int, size: int = 100) -> list[MartFile]:
    """One file per mart whose content depends on the version."""
    return [
        stand_in(folder, name, f"{name} v{version} ".encode().ljust(size, b".")) for name in MARTS
    ]


def run_publish(lake: S3Lake, marts: list[MartFile], n: int) -> Any:
    return publish(
        lake, marts, dbt_invocation_id=f"inv-{n}", engine="test", exported_at=f"2024-01-0{n + 1}"
    )


def current_manifest(server: S3Server, bucket: str) -> dict[str, Any]:
    body = server.client().get_object(Bucket=bucket, Key=f"lake/{MARTS_MANIFEST}")["Body"]
    manifest: dict[str, Any] = json.loads(body.read())
    return manifest


def assert_complete(server: S3Server, bucket: str) -> None:
    """Every file the current manifest names is in the bucket with the sha256 it records."""
    admin = server.client()
    for name, entry in current_manifest(server, bucket)["marts"].items():
        data = admin.get_object(Bucket=bucket, Key=f"lake/{entry['file']}")["Body"].read()
        assert hashlib.sha256(data).hexdigest() == entry["sha256"], name


def cut_network_at(lake: S3Lake, key_fragment: str) -> None:
    """From now on, every request for a key containing key_fragment dies on the wire."""

    def drop(request: Any, **_: Any) -> None:
        if key_fragment in request.url:
            raise ConnectionClosedError(endpoint_url=request.url)

    lake._client.meta.events.register("before-send.s3", drop)


def test_an_unchanged_export_costs_one_get_a_head_per_mart_and_no_put(
    server: S3Server, tmp_path: Path
) -> None:
    bucket = server.new_bucket()
    marts = export_set(tmp_path, 1)
    run_publish(make_lake(server, bucket), marts, 0)

    again = make_lake(server, bucket)
    report = run_publish(again, marts, 1)

    assert report.unchanged == list(MARTS)
    # the manifest, then each current file's size and stored sha256 (checked, not trusted)
    assert again.stats.requests == {"GET": 1, "HEAD": len(MARTS)}


def test_an_export_broken_midway_leaves_the_previous_one_current_and_complete(
    server: S3Server, tmp_path: Path
) -> None:
    bucket = server.new_bucket()
    first = export_set(tmp_path, 1)
    run_publish(make_lake(server, bucket), first, 0)
    before = current_manifest(server, bucket)

    second = export_set(tmp_path, 2)
    broken = make_lake(server, bucket)
    cut_network_at(broken, "/fct_b/")  # dim_a goes up, then the network fails
    with pytest.raises(JhuError, match="cannot reach the S3 endpoint"):
        run_publish(broken, second, 1)

    # dim_a, then fct_b's three attempts (the README: "three attempts with exponential backoff")
    assert broken.stats.requests["PUT"] == 1 + 3
    assert current_manifest(server, bucket) == before
    assert_complete(server, bucket)

    retry = make_lake(server, bucket)
    report = run_publish(retry, second, 2)
    assert report.reused == ["dim_a"]
    assert report.uploaded == ["fct_b", "fct_c"]
    assert {e["sha256"] for e in current_manifest(server, bucket)["marts"].values()} == {
        m.sha256 for m in second
    }
    assert_complete(server, bucket)


def test_a_large_mart_broken_between_its_parts_leaves_no_upload_behind(
    server: S3Server, tmp_path: Path
) -> None:
    bucket = server.new_bucket()
    chunk = 5 * MIB
    parts = TransferConfig(multipart_threshold=chunk, multipart_chunksize=chunk, max_concurrency=1)
    run_publish(make_lake(server, bucket, transfer_config=parts), export_set(tmp_path, 1), 0)
    before = current_manifest(server, bucket)

    broken = make_lake(server, bucket, transfer_config=parts)
    cut_network_at(broken, "partNumber=2")
    with pytest.raises(JhuError):
        run_publish(broken, export_set(tmp_path / "big", 2, size=2 * chunk + 1), 1)

    admin = server.client()
    assert admin.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []
    assert current_manifest(server, bucket) == before
    assert_complete(server, bucket)


def test_only_the_last_exports_keep_their_files(server: S3Server, tmp_path: Path) -> None:
    bucket = server.new_bucket()
    exports = [export_set(tmp_path / f"v{v}", v) for v in range(5)]
    for n, marts in enumerate(exports):
        run_publish(make_lake(server, bucket), marts, n)

    listed = server.client().list_objects_v2(Bucket=bucket, Prefix="lake/marts/")["Contents"]
    keys = {item["Key"] for item in listed} - {f"lake/{MARTS_MANIFEST}"}
    assert keys == {f"lake/{m.key}" for marts in exports[-KEEP_EXPORTS:] for m in marts}
    assert_complete(server, bucket)
