"""S3's failures as one line each: what went wrong, on which key, and what to fix.

Kept apart from the lake itself because the same wording serves every S3 caller (the lake's own
requests, the bucket check of `--create-bucket`). A message never contains a credential: server
messages are left out for credential errors, since they can echo the key id.
"""

from __future__ import annotations

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    PartialCredentialsError,
    ReadTimeoutError,
)

from jhu_warehouse.errors import JhuError

#: Total attempts per request, the first included (botocore "standard" retry mode: exponential
#: backoff with jitter, so three attempts wait at most a few seconds in all).
MAX_ATTEMPTS = 3
#: The repo's IAM policy template (`jhu policy` fills it in for one lake).
POLICY_FILE = "iam/jhu-pipeline-policy.json"
CREDENTIAL_CHAIN = (
    "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE with ~/.aws, or an instance role"
)

#: The IAM action S3 checks for each API operation the lake calls (named in access-denied errors).
IAM_ACTIONS = {
    "GetObject": "s3:GetObject",
    "HeadObject": "s3:GetObject",
    "PutObject": "s3:PutObject",
    "CreateMultipartUpload": "s3:PutObject",
    "UploadPart": "s3:PutObject",
    "CompleteMultipartUpload": "s3:PutObject",
    "AbortMultipartUpload": "s3:AbortMultipartUpload",
    "ListObjectsV2": "s3:ListBucket",
    "DeleteObject": "s3:DeleteObject",
    "HeadBucket": "s3:ListBucket",
    "CreateBucket": "s3:CreateBucket",
}
CREDENTIAL_ERRORS = frozenset(
    {
        "InvalidAccessKeyId",
        "SignatureDoesNotMatch",
        "InvalidToken",
        "ExpiredToken",
        "TokenRefreshRequired",
    }
)
ACCESS_DENIED_ERRORS = frozenset({"AccessDenied", "AllAccessDisabled", "403", "Forbidden"})
#: Only S3's own answer counts as "no such key": a bare 404 may come from something that is not S3.
MISSING_KEY_ERRORS = frozenset({"NoSuchKey"})


def location_text(bucket: str, key: str | None) -> str:
    return f"s3://{bucket}/{key}" if key else f"s3://{bucket}"


def describe_error(
    exc: BaseException,
    *,
    operation: str,
    bucket: str,
    key: str | None,
    endpoint: str,
) -> JhuError:
    """Turn a boto3/botocore failure into one line that says what to fix; never a credential.

    Server messages are left out on purpose for credential errors (they can echo the key id).
    """
    where = location_text(bucket, key)
    operation = getattr(exc, "operation_name", None) or operation
    if isinstance(exc, NoCredentialsError | PartialCredentialsError):
        return JhuError(
            f"no usable AWS credentials for {where} (JHU_LAKE): provide them through the "
            f"standard chain ({CREDENTIAL_CHAIN})"
        )
    if isinstance(
        exc,
        EndpointConnectionError | ConnectTimeoutError | ReadTimeoutError | ConnectionClosedError,
    ):
        return JhuError(
            f"cannot reach the S3 endpoint {endpoint} (JHU_S3_ENDPOINT) for {operation} on "
            f"{where}: {type(exc).__name__} after {MAX_ATTEMPTS} attempts with backoff"
        )
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        code = str(error.get("Code", "Unknown"))
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        action = IAM_ACTIONS.get(operation, f"s3:{operation}")
        if code == "NoSuchBucket":
            return JhuError(
                f"S3 bucket {bucket!r} does not exist (JHU_LAKE): create it, "
                "or run `jhu run --create-bucket`"
            )
        if code in CREDENTIAL_ERRORS:
            return JhuError(
                f"S3 rejected the AWS credentials ({code}) for {operation} on {where}: check the "
                f"standard chain ({CREDENTIAL_CHAIN})"
            )
        if code in ACCESS_DENIED_ERRORS or status == 403:
            return JhuError(
                f"S3 denied {action} on {where} ({code}): the credentials' IAM policy must allow "
                f"it (see {POLICY_FILE})"
            )
        message = str(error.get("Message", "")).strip()
        detail = f": {message}" if message else ""
        return JhuError(f"S3 {operation} on {where} failed with {code} (HTTP {status}){detail}")
    if isinstance(exc, BotoCoreError):
        return JhuError(f"S3 {operation} on {where} failed: {type(exc).__name__}: {exc}")
    return JhuError(f"S3 {operation} on {where} failed: {type(exc).__name__}")


def error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))
