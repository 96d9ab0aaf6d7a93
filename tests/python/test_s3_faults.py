"""Each S3 fault gives one clear line and a non-zero exit, and never shows a credential.

Faults: endpoint unreachable (bounded retries), no credentials, wrong credentials, missing bucket
(created only on request), access denied (naming the IAM action and the key), and an upload that
fails midway (aborted: nothing half-written). Against moto on loopback, over real HTTP.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from boto3.s3.transfer import TransferConfig
from botocore.exceptions import ConnectionClosedError

from jhu_warehouse.config import load_settings
from jhu_warehouse.errors import JhuError
from jhu_warehouse.lake.duckdb_access import s3_access
from jhu_warehouse.lake.s3 import S3Lake, create_bucket_if_missing
from s3_server import REGION, SETUP_KEY_ID, SETUP_SECRET, S3Server, closed_port, running_s3_server

pytestmark = pytest.mark.s3

FIXTURE_JHU = Path(__file__).parent / "fixtures" / "jhu"
MIB = 1024 * 1024
FULL_S3 = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}],
}


@pytest.fixture(scope="module")
def server() -> Iterator[S3Server]:
    with running_s3_server() as s3:
        yield s3


def session(key_id: str = SETUP_KEY_ID, secret: str = SETUP_SECRET) -> boto3.Session:
    return boto3.Session(aws_access_key_id=key_id, aws_secret_access_key=secret, region_name=REGION)


def lake_at(endpoint: str, lake: str, sess: boto3.Session, **kwargs: Any) -> S3Lake:
    settings = load_settings({"JHU_LAKE": lake, "JHU_S3_ENDPOINT": endpoint})
    return S3Lake.from_settings(settings, session=sess, **kwargs)


def jhu(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """The real command line, in a child process, as a user would run it."""
    return subprocess.run(
        [sys.executable, "-m", "jhu_warehouse", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def one_error_line(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    return lines[0]


@pytest.fixture
def iam(server: S3Server) -> Iterator[S3Server]:
    """The server, for a test that sets up users then calls enforce_iam(); relaxed afterwards."""
    try:
        yield server
    finally:
        server.relax_iam()


# -- endpoint unreachable ------------------------------------------------------------------------


def test_unreachable_endpoint_is_retried_a_bounded_number_of_times() -> None:
    endpoint = f"http://127.0.0.1:{closed_port()}"
    lake = lake_at(endpoint, "s3://jhu-bucket/lake", session())

    with pytest.raises(JhuError) as caught:
        lake.read_bytes("raw/jhu/_manifest.json")

    message = str(caught.value)
    assert "cannot reach the S3 endpoint" in message
    assert endpoint in message
    assert "JHU_S3_ENDPOINT" in message
    # the README: "three attempts with exponential backoff"; every attempt counted, then stop
    assert lake.stats.requests == {"GET": 3}


def test_unreachable_endpoint_from_the_command_line(server: S3Server, tmp_path: Path) -> None:
    env = server.env() | {
        "JHU_S3_ENDPOINT": f"http://127.0.0.1:{closed_port()}",
        "JHU_LAKE": "s3://jhu-bucket/lake",
        "JHU_SOURCE": str(FIXTURE_JHU),
        "JHU_DUCKDB": str(tmp_path / "w.duckdb"),
    }
    line = one_error_line(jhu(["load"], env))
    assert "cannot reach the S3 endpoint" in line


# -- credentials ---------------------------------------------------------------------------------


def test_no_credentials_anywhere_in_the_chain(
    server: S3Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent/config")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    settings = load_settings(
        {"JHU_LAKE": f"s3://{server.new_bucket()}/lake", "JHU_S3_ENDPOINT": server.endpoint}
    )

    with pytest.raises(JhuError, match="no usable AWS credentials"):
        S3Lake.from_settings(settings).read_bytes("raw/jhu/_manifest.json")
    with pytest.raises(JhuError, match="no usable AWS credentials"):
        s3_access(settings)


@pytest.mark.parametrize("wrong", ["secret", "key id"])
def test_wrong_credentials_are_named_but_never_shown(
    server: S3Server, iam: S3Server, wrong: str
) -> None:
    bucket = server.new_bucket()
    key_id, secret = server.create_user(f"user-wrong-{wrong.replace(' ', '-')}", FULL_S3)
    iam.enforce_iam()
    bad_secret = "Wr0ngSecretWr0ngSecretWr0ngSecret/xyz"
    bad_key_id = "TESTWRONGKEYID000001"
    used = (key_id, bad_secret) if wrong == "secret" else (bad_key_id, secret)
    lake = lake_at(server.endpoint, f"s3://{bucket}/lake", session(*used))

    with pytest.raises(JhuError) as caught:
        lake.read_bytes("raw/jhu/_manifest.json")

    message = str(caught.value)
    assert "rejected the AWS credentials" in message
    for credential in (key_id, secret, bad_secret, bad_key_id):
        assert credential not in message


def test_wrong_credentials_from_the_command_line(
    server: S3Server, iam: S3Server, tmp_path: Path
) -> None:
    bucket = server.new_bucket()
    key_id, secret = server.create_user("user-wrong-cli", FULL_S3)
    iam.enforce_iam()
    bad_secret = "N0tTheRightSecretN0tTheRightSecret/abc"
    env = server.env(key_id=key_id, secret=bad_secret) | {
        "JHU_LAKE": f"s3://{bucket}/lake",
        "JHU_SOURCE": str(FIXTURE_JHU),
        "JHU_DUCKDB": str(tmp_path / "w.duckdb"),
    }

    result = jhu(["load"], env)

    line = one_error_line(result)
    assert "rejected the AWS credentials" in line
    everything = result.stdout + result.stderr
    assert bad_secret not in everything
    assert secret not in everything
    assert key_id not in everything


# -- missing bucket ------------------------------------------------------------------------------


def test_missing_bucket_is_an_error_and_is_not_created(server: S3Server) -> None:
    lake = lake_at(server.endpoint, "s3://jhu-no-such-bucket/lake", session())

    with pytest.raises(JhuError) as caught:
        lake.read_bytes("raw/jhu/_manifest.json")

    assert "'jhu-no-such-bucket' does not exist" in str(caught.value)
    assert "--create-bucket" in str(caught.value)
    buckets = [b["Name"] for b in server.client().list_buckets()["Buckets"]]
    assert "jhu-no-such-bucket" not in buckets


def test_create_bucket_only_when_asked_and_only_once(
    server: S3Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in server.env().items():
        if name.startswith("AWS_"):
            monkeypatch.setenv(name, value)
    settings = load_settings(
        {"JHU_LAKE": "s3://jhu-created-on-request/lake", "JHU_S3_ENDPOINT": server.endpoint}
    )

    first = create_bucket_if_missing(settings)
    second = create_bucket_if_missing(settings)

    assert first is not None
    assert "created" in first
    assert second is not None
    assert "exists" in second
    buckets = [b["Name"] for b in server.client().list_buckets()["Buckets"]]
    assert buckets.count("jhu-created-on-request") == 1


def test_missing_bucket_from_the_command_line(server: S3Server, tmp_path: Path) -> None:
    env = server.env() | {
        "JHU_LAKE": "s3://jhu-missing-cli/lake",
        "JHU_SOURCE": str(FIXTURE_JHU),
        "JHU_DUCKDB": str(tmp_path / "w.duckdb"),
    }
    line = one_error_line(jhu(["load"], env))
    assert "'jhu-missing-cli' does not exist" in line


# -- access denied -------------------------------------------------------------------------------


def read_only_policy(bucket: str) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": f"arn:aws:s3:::{bucket}"},
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/*"},
        ],
    }


def test_access_denied_names_the_action_and_the_key(server: S3Server, iam: S3Server) -> None:
    bucket = server.new_bucket()
    server.client().put_object(
        Bucket=bucket, Key="lake/marts/m/0123456789abcdef.parquet", Body=b"x"
    )
    key_id, secret = server.create_user("user-read-only", read_only_policy(bucket))
    iam.enforce_iam()
    lake = lake_at(server.endpoint, f"s3://{bucket}/lake", session(key_id, secret))

    assert lake.read_bytes("marts/m/0123456789abcdef.parquet") == b"x"  # allowed
    with pytest.raises(JhuError) as put_denied:
        lake.put_bytes("raw/jhu/_manifest.json", b"{}")
    with pytest.raises(JhuError) as delete_denied:
        lake.delete(["marts/m/0123456789abcdef.parquet"])

    assert "denied s3:PutObject" in str(put_denied.value)
    assert f"s3://{bucket}/lake/raw/jhu/_manifest.json" in str(put_denied.value)
    assert "denied s3:DeleteObject" in str(delete_denied.value)
    assert f"s3://{bucket}/lake/marts/m/0123456789abcdef.parquet" in str(delete_denied.value)
    assert secret not in str(put_denied.value)


def test_access_denied_from_the_command_line(
    server: S3Server, iam: S3Server, tmp_path: Path
) -> None:
    bucket = server.new_bucket()
    key_id, secret = server.create_user("user-read-only-cli", read_only_policy(bucket))
    iam.enforce_iam()
    env = server.env(key_id=key_id, secret=secret) | {
        "JHU_LAKE": f"s3://{bucket}/lake",
        "JHU_SOURCE": str(FIXTURE_JHU),
        "JHU_DUCKDB": str(tmp_path / "w.duckdb"),
    }

    result = jhu(["load"], env)

    line = one_error_line(result)
    assert "denied s3:PutObject" in line
    # the lake's lock is taken at the first write, before it: a lake that cannot be written
    # fails there, before anything lands
    assert f"s3://{bucket}/lake/_lock.json" in line
    assert secret not in result.stdout + result.stderr
    iam.relax_iam()
    assert server.client().list_objects_v2(Bucket=bucket).get("KeyCount", 0) == 0  # nothing landed


def test_a_missing_key_reads_as_none_even_without_list_permission_on_get(
    server: S3Server, iam: S3Server
) -> None:
    """AWS answers 403, not 404, for a missing key when ListBucket does not apply: still None."""
    bucket = server.new_bucket()
    server.client().put_object(Bucket=bucket, Key="lake/raw/jhu/present.csv", Body=b"a")
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": f"arn:aws:s3:::{bucket}"}
        ],
    }
    key_id, secret = server.create_user("user-list-only", policy)
    iam.enforce_iam()
    lake = lake_at(server.endpoint, f"s3://{bucket}/lake", session(key_id, secret))

    assert lake.read_bytes("raw/jhu/_manifest.json") is None
    with pytest.raises(JhuError, match=r"denied s3:GetObject on s3://.*/lake/raw/jhu/present\.csv"):
        lake.read_bytes("raw/jhu/present.csv")


# -- an upload that fails midway -----------------------------------------------------------------


def test_a_multipart_upload_that_fails_midway_leaves_nothing(
    server: S3Server, tmp_path: Path
) -> None:
    bucket = server.new_bucket()
    chunk = 5 * MIB
    path = tmp_path / "big.parquet"
    path.write_bytes(b"\x01" * (2 * chunk + 1))
    lake = lake_at(
        server.endpoint,
        f"s3://{bucket}/lake",
        session(),
        transfer_config=TransferConfig(
            multipart_threshold=chunk, multipart_chunksize=chunk, max_concurrency=1
        ),
    )

    def drop_part_two(request: Any, **_: Any) -> None:
        if request.method == "PUT" and "partNumber=2" in request.url:
            raise ConnectionClosedError(endpoint_url=request.url)

    lake._client.meta.events.register("before-send.s3.UploadPart", drop_part_two)

    with pytest.raises(JhuError, match="cannot reach the S3 endpoint"):
        lake.put_file("marts/m/0123456789abcdef.parquet", path)

    admin = server.client()
    assert admin.list_objects_v2(Bucket=bucket).get("KeyCount", 0) == 0
    assert admin.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []
    assert lake.stats.requests["DELETE"] == 1  # the abort
