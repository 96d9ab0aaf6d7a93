"""The S3 lake: the lake interface over s3://bucket/prefix, with boto3.

Why it looks the way it does:
- Frugal: every real HTTP request (retries and multipart parts included) is counted by a botocore
  event hook, so the summary a run prints is what the bill counts. Deletes go one key at a time
  (DELETE requests are free on AWS, a multi-object delete is a billed POST).
- Bounded: a few attempts with backoff and short connect timeouts, so an unreachable endpoint
  fails in seconds, not minutes.
- One clear line per fault: unreachable endpoint, missing or rejected credentials, missing bucket,
  access denied (naming the IAM action and the key). Messages never contain a credential.
- Large files go up in parts (a multipart upload, completed or aborted: never half visible).
"""

from __future__ import annotations

import hashlib
import json
import mimetypes
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
from boto3.s3.transfer import TransferConfig, create_transfer_manager
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from jhu_warehouse.config import Settings, check_s3_uri
from jhu_warehouse.errors import JhuError, LakeChangedError
from jhu_warehouse.lake.base import LOCK_KEY, LakeStats, LockHolder, ObjectInfo
from jhu_warehouse.lake.documents import sha256_file
from jhu_warehouse.lake.locking import is_dead
from jhu_warehouse.lake.s3_errors import (
    ACCESS_DENIED_ERRORS,
    MAX_ATTEMPTS,
    MISSING_KEY_ERRORS,
    PRECONDITION_ERRORS,
    describe_error,
    error_code,
    location_text,
)

MIB = 1024 * 1024
#: Files from this size up are uploaded in parts (S3's smallest part is 5 MiB).
MULTIPART_THRESHOLD = 8 * MIB
MULTIPART_CHUNKSIZE = 8 * MIB
CONNECT_TIMEOUT_S = 3.0
READ_TIMEOUT_S = 60.0
DEFAULT_REGION = "us-east-1"


@dataclass(frozen=True)
class S3Location:
    bucket: str
    prefix: str
    """Key prefix of the lake root, without leading or trailing slash ("" for the bucket root)."""


def parse_s3_uri(uri: str) -> S3Location:
    """Split s3://bucket/some/prefix into its bucket and prefix."""
    if not uri.startswith("s3://"):
        raise JhuError(f"JHU_LAKE={uri!r}: an S3 lake is written s3://bucket/prefix")
    bucket, _, prefix = uri[len("s3://") :].partition("/")
    if not bucket:
        raise JhuError(f"JHU_LAKE={uri!r}: an S3 lake needs a bucket, as s3://bucket/prefix")
    check_s3_uri(uri)
    return S3Location(bucket=bucket, prefix=prefix.strip("/"))


def client_config(endpoint: str | None) -> Config:
    """Bounded retries and timeouts; path-style addressing for S3-compatible stores.

    Checksums only when an operation requires them: MinIO and other S3-compatible stores do not
    all accept the newer trailing-checksum uploads that botocore sends by default.
    """
    options: dict[str, Any] = {
        "retries": {"total_max_attempts": MAX_ATTEMPTS, "mode": "standard"},
        "connect_timeout": CONNECT_TIMEOUT_S,
        "read_timeout": READ_TIMEOUT_S,
        "signature_version": "s3v4",
        "user_agent_extra": "jhu-warehouse",
    }
    if endpoint:
        options["s3"] = {"addressing_style": "path"}
        options["request_checksum_calculation"] = "when_required"
        options["response_checksum_validation"] = "when_required"
    return Config(**options)


def resolve_region(session: boto3.Session) -> str:
    """The region of the standard chain (AWS_REGION, AWS_DEFAULT_REGION, ~/.aws), or us-east-1."""
    return session.region_name or DEFAULT_REGION


def default_transfer_config() -> TransferConfig:
    return TransferConfig(
        multipart_threshold=MULTIPART_THRESHOLD,
        multipart_chunksize=MULTIPART_CHUNKSIZE,
        max_concurrency=4,
    )


def content_type(key: str) -> str:
    """A Content-Type for an object, so browsers and consoles show it sensibly."""
    if key.endswith(".parquet"):
        return "application/vnd.apache.parquet"
    return mimetypes.guess_type(key)[0] or "application/octet-stream"


def request_label(method: str, event_name: str) -> str:
    """The HTTP verb, except LIST for a listing: a GET, but billed with PUT, COPY and POST."""
    if event_name.endswith((".ListObjectsV2", ".ListObjects")):
        return "LIST"
    return method


def payload_bytes(method: str, headers: Any) -> int:
    """Bytes of object data an HTTP request carries: PUT bodies (PutObject, UploadPart) only.

    With aws-chunked encoding Content-Length includes the chunk framing, so the decoded length
    is preferred when present.
    """
    if method != "PUT":
        return 0
    length = headers.get("X-Amz-Decoded-Content-Length") or headers.get("Content-Length")
    try:
        return int(length) if length is not None else 0
    except ValueError:
        return 0


class S3Lake:
    """A lake under s3://bucket/prefix; keys are relative to the prefix, as in LocalLake."""

    def __init__(
        self,
        location: S3Location,
        client: Any,
        *,
        region: str = DEFAULT_REGION,
        transfer_config: TransferConfig | None = None,
    ) -> None:
        self.location = location
        self.root = location_text(location.bucket, location.prefix or None)
        self.region = region
        self.stats = LakeStats()
        self._client = client
        self._transfer_config = transfer_config or default_transfer_config()
        self._lock = threading.Lock()
        self._endpoint = str(client.meta.endpoint_url)
        self._lock_etag: str | None = None
        client.meta.events.register("before-send.s3", self._count_request)

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        *,
        session: boto3.Session | None = None,
        transfer_config: TransferConfig | None = None,
    ) -> S3Lake:
        """The lake JHU_LAKE names, through JHU_S3_ENDPOINT if set, with the standard chain."""
        location = parse_s3_uri(settings.lake)
        session = session or boto3.Session()
        region = resolve_region(session)
        client = session.client(
            "s3",
            endpoint_url=settings.s3_endpoint,
            region_name=region,
            config=client_config(settings.s3_endpoint),
        )
        return cls(location, client, region=region, transfer_config=transfer_config)

    # -- accounting -------------------------------------------------------------------------

    def _count_request(self, request: Any, event_name: str = "", **_: Any) -> None:
        """botocore calls this before every HTTP attempt: retries and parts count, as billed."""
        method = str(request.method).upper()
        with self._lock:
            self.stats.requests[request_label(method, event_name)] += 1
            self.stats.bytes_up += payload_bytes(method, request.headers)

    # -- addressing -------------------------------------------------------------------------

    def object_key(self, key: str) -> str:
        """The full object key of a lake key."""
        key = key.lstrip("/")
        return f"{self.location.prefix}/{key}" if self.location.prefix else key

    def uri(self, key: str) -> str:
        return f"s3://{self.location.bucket}/{self.object_key(key)}"

    def _error(self, exc: BaseException, operation: str, key: str | None) -> JhuError:
        """The one-line error for a failed request on a lake key (or on the bucket: None)."""
        return describe_error(
            exc,
            operation=operation,
            bucket=self.location.bucket,
            key=self.object_key(key) if key is not None else None,
            endpoint=self._endpoint,
        )

    @contextmanager
    def _translated(self, operation: str, key: str | None) -> Iterator[None]:
        try:
            yield
        except (ClientError, BotoCoreError) as exc:
            raise self._error(exc, operation, key) from None

    # -- the lake interface -----------------------------------------------------------------

    def read_bytes(self, key: str) -> bytes | None:
        """The object's content, or None when there is none (one GET; see `read_versioned`)."""
        return self.read_versioned(key)[0]

    def _exists(self, key: str) -> bool:
        object_key = self.object_key(key)
        with self._translated("ListObjectsV2", key):
            response = self._client.list_objects_v2(
                Bucket=self.location.bucket, Prefix=object_key, MaxKeys=1
            )
        return any(item["Key"] == object_key for item in response.get("Contents", []))

    def put_bytes(self, key: str, data: bytes) -> None:
        """One PUT; S3 makes it visible whole or not at all. The sha256 goes in the metadata."""
        self._put(key, data)

    def _put(self, key: str, data: bytes, **condition: str) -> str:
        """One PUT (conditional with IfMatch / IfNoneMatch); the new ETag."""
        with self._translated("PutObject", key):
            response = self._client.put_object(
                Bucket=self.location.bucket,
                Key=self.object_key(key),
                Body=data,
                ContentType=content_type(key),
                Metadata={"sha256": hashlib.sha256(data).hexdigest()},
                **condition,
            )
        return str(response.get("ETag", ""))

    def _put_conditional(self, key: str, data: bytes, version: str | None) -> str | None:
        """A PUT only if the object is still at ETag ``version`` (None: only if there is none);
        the new ETag, or None when the condition failed (HTTP 412, or 409 for a race)."""
        condition = {"IfMatch": version} if version else {"IfNoneMatch": "*"}
        try:
            response = self._client.put_object(
                Bucket=self.location.bucket,
                Key=self.object_key(key),
                Body=data,
                ContentType=content_type(key),
                Metadata={"sha256": hashlib.sha256(data).hexdigest()},
                **condition,
            )
        except ClientError as exc:
            if error_code(exc) in PRECONDITION_ERRORS:
                return None
            raise self._error(exc, "PutObject", key) from None
        except BotoCoreError as exc:
            raise self._error(exc, "PutObject", key) from None
        return str(response.get("ETag", ""))

    # -- checks and compare-and-swap ----------------------------------------------------------

    def stat(self, key: str) -> ObjectInfo | None:
        """One HEAD: the object's size and the sha256 stored in its metadata at upload."""
        try:
            response = self._client.head_object(
                Bucket=self.location.bucket, Key=self.object_key(key)
            )
        except ClientError as exc:
            if error_code(exc) in ("404", "NoSuchKey", "NotFound"):
                return None
            raise self._error(exc, "HeadObject", key) from None
        except BotoCoreError as exc:
            raise self._error(exc, "HeadObject", key) from None
        metadata = response.get("Metadata") or {}
        return ObjectInfo(size=int(response["ContentLength"]), sha256=metadata.get("sha256"))

    def read_versioned(self, key: str) -> tuple[bytes | None, str | None]:
        """The object's content and its ETag (one GET), or (None, None) when there is none.

        Without s3:ListBucket on the key's prefix, AWS answers a missing key with 403, not 404:
        on a denial we ask ListBucket (scoped to the prefix by the policy) whether the key exists,
        so a first run, with no manifest yet, works under the least-privilege policy.
        """
        object_key = self.object_key(key)
        try:
            response = self._client.get_object(Bucket=self.location.bucket, Key=object_key)
            data: bytes = response["Body"].read()
        except ClientError as exc:
            code = error_code(exc)
            if code in MISSING_KEY_ERRORS:
                return None, None
            if code in ACCESS_DENIED_ERRORS and not self._exists(key):
                return None, None
            raise self._error(exc, "GetObject", key) from None
        except BotoCoreError as exc:
            raise self._error(exc, "GetObject", key) from None
        with self._lock:
            self.stats.bytes_down += len(data)
        return data, str(response.get("ETag", ""))

    def put_bytes_if(self, key: str, data: bytes, version: str | None) -> None:
        """A conditional PUT: If-Match on the ETag read, If-None-Match: * for the first one."""
        if self._put_conditional(key, data, version) is None:
            raise LakeChangedError(
                f"{self.uri(key)} changed while this run was working (another writer?): "
                "nothing of this run was made current; run again"
            )

    def check_writable(self) -> None:
        """Nothing to probe: the lock's conditional PUT is the first write, and says why not."""

    # -- the writer's lock --------------------------------------------------------------------

    def _lock_document(self, holder: LockHolder) -> bytes:
        return json.dumps(holder.__dict__).encode() + b"\n"

    def try_lock(self, holder: LockHolder) -> tuple[bool, LockHolder | None]:
        """Create the lock (If-None-Match: *), or take over a dead one (If-Match on its ETag)."""
        etag = self._put_conditional(LOCK_KEY, self._lock_document(holder), None)
        if etag is not None:
            self._lock_etag = etag
            return True, None
        data, version = self.read_versioned(LOCK_KEY)
        if data is None:
            return False, None  # released meanwhile: the caller tries again
        other = _lock_holder(data)
        if other is not None and not is_dead(other):
            return False, other
        etag = self._put_conditional(LOCK_KEY, self._lock_document(holder), version)
        if etag is None:
            return False, other  # another run took it over first
        self._lock_etag = etag
        return True, other or LockHolder("unknown", 0, "unknown", 0.0, "")

    def renew_lock(self, holder: LockHolder) -> bool:
        etag = self._put_conditional(LOCK_KEY, self._lock_document(holder), self._lock_etag)
        if etag is None:
            return False
        self._lock_etag = etag
        return True

    def release_lock(self, holder: LockHolder) -> None:
        """One DELETE, only if the lock is still ours (If-Match)."""
        etag, self._lock_etag = self._lock_etag, None
        if not etag:
            return
        # taken over meanwhile, or unreachable: then it expires on its own
        with suppress(ClientError, BotoCoreError):
            self._client.delete_object(
                Bucket=self.location.bucket, Key=self.object_key(LOCK_KEY), IfMatch=etag
            )

    def remove_leftovers(self, killed: bool) -> list[str]:
        """After taking over a killed run's lock: abort its incomplete multipart uploads."""
        if not killed:
            return []
        search = f"{self.location.prefix}/" if self.location.prefix else ""
        removed = []
        try:
            response = self._client.list_multipart_uploads(
                Bucket=self.location.bucket, Prefix=search
            )
            for upload in response.get("Uploads", []):
                self._client.abort_multipart_upload(
                    Bucket=self.location.bucket, Key=upload["Key"], UploadId=upload["UploadId"]
                )
                removed.append(f"s3://{self.location.bucket}/{upload['Key']} (upload)")
        except ClientError as exc:
            if error_code(exc) not in ACCESS_DENIED_ERRORS:
                raise self._error(exc, "ListMultipartUploads", None) from None
            # without s3:ListBucketMultipartUploads: the bucket's lifecycle rule aborts them
        except BotoCoreError as exc:
            raise self._error(exc, "ListMultipartUploads", None) from None
        return removed

    def put_file(self, key: str, path: Path) -> None:
        """Upload a local file; from MULTIPART_THRESHOLD up in parts (aborted if it fails)."""
        path = Path(path)
        extra_args = {
            "ContentType": content_type(key),
            "Metadata": {"sha256": sha256_file(path)},
        }
        operation = (
            "UploadPart"
            if path.stat().st_size >= self._transfer_config.multipart_threshold
            else "PutObject"
        )
        with (
            self._translated(operation, key),
            create_transfer_manager(self._client, self._transfer_config) as manager,
        ):
            future = manager.upload(
                str(path), self.location.bucket, self.object_key(key), extra_args=extra_args
            )
            future.result()

    def list(self, prefix: str) -> list[str]:
        """Keys under prefix (a folder of the lake), relative to the lake root, sorted."""
        folder = self.object_key(prefix).rstrip("/")
        search = f"{folder}/" if folder else ""
        root = f"{self.location.prefix}/" if self.location.prefix else ""
        keys: list[str] = []
        with self._translated("ListObjectsV2", prefix):
            paginator = self._client.get_paginator("list_objects_v2")
            for page in paginator.paginate(Bucket=self.location.bucket, Prefix=search):
                keys.extend(item["Key"][len(root) :] for item in page.get("Contents", []))
        return sorted(keys)

    def delete(self, keys: list[str]) -> None:
        """One DELETE per key: free on AWS, and checked by IAM against each key."""
        for key in keys:
            with self._translated("DeleteObject", key):
                self._client.delete_object(Bucket=self.location.bucket, Key=self.object_key(key))

    # -- the bucket ---------------------------------------------------------------------------

    def ensure_bucket(self) -> bool:
        """Create the bucket when it is missing (only on --create-bucket); True if created."""
        try:
            self._client.head_bucket(Bucket=self.location.bucket)
            return False
        except ClientError as exc:
            if error_code(exc) not in ("404", "NoSuchBucket", "NotFound"):
                raise self._error(exc, "HeadBucket", None) from None
        except BotoCoreError as exc:
            raise self._error(exc, "HeadBucket", None) from None
        options: dict[str, Any] = {"Bucket": self.location.bucket}
        if self.region != DEFAULT_REGION:
            options["CreateBucketConfiguration"] = {"LocationConstraint": self.region}
        with self._translated("CreateBucket", None):
            self._client.create_bucket(**options)
        return True


def _lock_holder(data: bytes) -> LockHolder | None:
    try:
        return LockHolder(**json.loads(data))
    except (ValueError, TypeError):
        return None


def create_bucket_if_missing(settings: Settings) -> str | None:
    """For `--create-bucket`: make sure JHU_LAKE's bucket exists; a line to print, or None.

    Returns None for a local lake (nothing to create).
    """
    if not settings.lake_is_s3:
        return None
    lake = S3Lake.from_settings(settings)
    created = lake.ensure_bucket()
    state = "created" if created else "exists"
    return f"bucket s3://{lake.location.bucket}: {state} ({lake.stats.summary()})"
