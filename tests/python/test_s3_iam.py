"""Least privilege: the repo's IAM policy is enough for the whole pipeline, and nothing more.

The policy document (iam/jhu-pipeline-policy.json) is checked as text, then the main job runs
against a loopback S3 server with IAM enforced (moto: every request's signature and policy are
checked once INITIAL_NO_AUTH_ACTION_COUNT requests have passed, here zero), as a user holding
exactly that policy. Actions outside it are then shown to be denied.

moto does not evaluate the s3:prefix condition on ListBucket (it ignores StringLike), so the
listing scope is checked on the document only.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from fixtures import dead_pid, run_env
from jhu_warehouse.config import PROJECT_DIR, load_settings
from jhu_warehouse.errors import JhuError
from jhu_warehouse.lake import MARTS_MANIFEST, RAW_MANIFEST
from jhu_warehouse.lake.base import LockHolder
from jhu_warehouse.lake.iam import render_policy
from jhu_warehouse.lake.locking import lake_lock
from jhu_warehouse.lake.s3 import S3Lake
from jhu_warehouse.lake.s3_errors import IAM_ACTIONS, POLICY_FILE
from s3_server import REGION, S3Server, running_s3_server

pytestmark = [pytest.mark.s3, pytest.mark.e2e]

BUCKET = "jhu-iam-lake"
PREFIX = "jhu/lake"
NEIGHBOUR = "jhu-iam-neighbour"
#: What the pipeline does on S3: read, write (in parts too, aborted on failure), list, delete,
#: and list the unfinished uploads of a killed run whose lock it takes over, to abort them.
PIPELINE_ACTIONS = {
    "s3:GetObject",
    "s3:PutObject",
    "s3:AbortMultipartUpload",
    "s3:ListBucket",
    "s3:ListBucketMultipartUploads",
    "s3:DeleteObject",
}
#: The actions on the bucket itself: the listing of its keys, under the lake's prefix only, and
#: of its unfinished uploads (the pipeline asks only for those under its prefix, and may abort
#: only those: AbortMultipartUpload is an action on the prefix's objects).
BUCKET_ACTIONS = {"s3:ListBucket", "s3:ListBucketMultipartUploads"}


def policy_for(bucket: str, prefix: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(
        render_policy((PROJECT_DIR / POLICY_FILE).read_text(), f"s3://{bucket}/{prefix}")
    )
    return document


def as_list(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


# -- the document --------------------------------------------------------------------------------


def test_the_policy_is_a_template_for_one_bucket_and_prefix() -> None:
    text = (PROJECT_DIR / POLICY_FILE).read_text()
    assert "JHU_BUCKET" in text
    assert "JHU_PREFIX" in text
    rendered = json.dumps(policy_for("my-bucket", "some/prefix"))
    assert "JHU_" not in rendered


def test_the_policy_reaches_only_the_lake_prefix() -> None:
    document = policy_for("my-bucket", "some/prefix")
    for statement in document["Statement"]:
        assert statement["Effect"] == "Allow"
        assert "NotAction" not in statement
        assert "NotResource" not in statement
        for resource in as_list(statement["Resource"]):
            if resource == "arn:aws:s3:::my-bucket":  # the bucket itself: listings only
                actions = as_list(statement["Action"])
                assert len(actions) == 1 and actions[0] in BUCKET_ACTIONS
                if actions == ["s3:ListBucket"]:
                    condition = {"StringLike": {"s3:prefix": ["some/prefix/*"]}}
                    assert statement["Condition"] == condition
            else:
                assert resource == "arn:aws:s3:::my-bucket/some/prefix/*"


def test_the_policy_allows_only_actions_the_pipeline_uses() -> None:
    document = policy_for("my-bucket", "some/prefix")
    actions = {a for s in document["Statement"] for a in as_list(s["Action"])}
    assert actions == PIPELINE_ACTIONS
    assert all("*" not in action for action in actions)
    assert actions <= set(IAM_ACTIONS.values())  # each one is named in access-denied errors


# -- the pipeline under IAM ----------------------------------------------------------------------


@dataclass(frozen=True)
class IamRun:
    server: S3Server
    key_id: str
    secret: str
    result: subprocess.CompletedProcess[str]

    def client(self) -> Any:
        return boto3.client(
            "s3",
            endpoint_url=self.server.endpoint,
            aws_access_key_id=self.key_id,
            aws_secret_access_key=self.secret,
            region_name=REGION,
            config=Config(s3={"addressing_style": "path"}, retries={"total_max_attempts": 1}),
        )


@pytest.fixture(scope="module")
def iam_run(tmp_path_factory: pytest.TempPathFactory, jhu_source: Path) -> Iterator[IamRun]:
    base = tmp_path_factory.mktemp("s3-iam")
    with running_s3_server() as server:
        admin = server.client()
        for bucket in (BUCKET, NEIGHBOUR):
            admin.create_bucket(Bucket=bucket)
        admin.put_object(Bucket=BUCKET, Key="outside/keep.txt", Body=b"not the pipeline's")
        key_id, secret = server.create_user("jhu-pipeline", policy_for(BUCKET, PREFIX))
        server.enforce_iam()
        try:
            env = server.env(key_id=key_id, secret=secret) | run_env(
                base, jhu_source, f"s3://{BUCKET}/{PREFIX}"
            )
            result = subprocess.run(
                [sys.executable, "-m", "jhu_warehouse", "run"],
                env=env,
                capture_output=True,
                text=True,
                timeout=1200,
                check=False,
            )
            yield IamRun(server, key_id, secret, result)
        finally:
            server.relax_iam()


def denied(call: Any) -> bool:
    try:
        call()
    except ClientError as exc:
        return exc.response["Error"]["Code"] == "AccessDenied"
    return False


def test_the_whole_pipeline_runs_holding_exactly_the_policy(iam_run: IamRun) -> None:
    result = iam_run.result
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    s3 = iam_run.client()
    for manifest in (RAW_MANIFEST, MARTS_MANIFEST):
        body = s3.get_object(Bucket=BUCKET, Key=f"{PREFIX}/{manifest}")["Body"].read()
        assert json.loads(body)


def test_actions_outside_the_policy_are_denied(iam_run: IamRun) -> None:
    s3 = iam_run.client()
    outside = {"Bucket": BUCKET, "Key": "outside/keep.txt"}
    assert denied(lambda: s3.put_object(Bucket=BUCKET, Key="outside/new.txt", Body=b"x"))
    assert denied(lambda: s3.get_object(**outside))
    assert denied(lambda: s3.delete_object(**outside))
    assert denied(lambda: s3.delete_bucket(Bucket=BUCKET))
    assert denied(lambda: s3.put_object(Bucket=NEIGHBOUR, Key=f"{PREFIX}/x", Body=b"x"))
    assert denied(lambda: s3.create_bucket(Bucket="jhu-iam-another"))
    assert denied(lambda: s3.put_bucket_policy(Bucket=BUCKET, Policy="{}"))


def test_the_lake_names_the_denied_action_and_key(iam_run: IamRun) -> None:
    settings = load_settings(
        {"JHU_LAKE": f"s3://{BUCKET}/outside", "JHU_S3_ENDPOINT": iam_run.server.endpoint}
    )
    session = boto3.Session(
        aws_access_key_id=iam_run.key_id,
        aws_secret_access_key=iam_run.secret,
        region_name=REGION,
    )
    lake = S3Lake.from_settings(settings, session=session)
    with pytest.raises(JhuError) as caught:
        lake.put_bytes("raw/jhu/_manifest.json", b"{}")
    assert str(caught.value).startswith(
        f"S3 denied s3:PutObject on s3://{BUCKET}/outside/raw/jhu/_manifest.json"
    )
    assert iam_run.secret not in str(caught.value)


def test_a_killed_runs_unfinished_upload_is_aborted_holding_exactly_the_policy(
    iam_run: IamRun,
) -> None:
    """Taking over a killed run's lock aborts its unfinished multipart uploads under the prefix
    (docs/reliability.md): the policy allows listing them and aborting them there, no more."""
    server = iam_run.server
    server.relax_iam()
    admin = server.client()
    mine = admin.create_multipart_upload(Bucket=BUCKET, Key=f"{PREFIX}/marts/m/half.parquet")
    theirs = admin.create_multipart_upload(Bucket=BUCKET, Key="outside/half.bin")
    gone = LockHolder(socket.gethostname(), dead_pid(), "2024-05-01T12:00:00Z", 4e9, "abc")
    admin.put_object(Bucket=BUCKET, Key=f"{PREFIX}/_lock.json", Body=json.dumps(gone.__dict__))
    server.enforce_iam()
    settings = load_settings(
        {"JHU_LAKE": f"s3://{BUCKET}/{PREFIX}", "JHU_S3_ENDPOINT": server.endpoint}
    )
    session = boto3.Session(
        aws_access_key_id=iam_run.key_id, aws_secret_access_key=iam_run.secret, region_name=REGION
    )
    lines: list[str] = []
    with lake_lock(S3Lake.from_settings(settings, session=session), progress=lines.append):
        pass
    uploads = iam_run.client().list_multipart_uploads(Bucket=BUCKET).get("Uploads", [])
    left = {upload["UploadId"] for upload in uploads}
    assert mine["UploadId"] not in left
    assert theirs["UploadId"] in left  # outside the lake: not the pipeline's to abort
    removed = f"removed 1 leftovers of killed runs: s3://{BUCKET}/{PREFIX}/marts/m/half.parquet"
    assert f"  {removed} (upload)" in lines
