"""An S3 and IAM server on loopback for the tests: moto's ThreadedMotoServer, spoken to over HTTP.

The tests start it on a free port and stop it themselves, so `make test` needs nothing running
beforehand. IAM enforcement is off until `enforce_iam()` is called: moto then checks every
request's signature and policy (its INITIAL_NO_AUTH_ACTION_COUNT, reset through moto's own API).
"""

from __future__ import annotations

import json
import os
import socket
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.config import Config
from moto.server import ThreadedMotoServer

#: Credentials of the unauthenticated set-up phase (moto accepts anything until IAM is enforced).
SETUP_KEY_ID = "TESTSETUPKEYID000000"
SETUP_SECRET = "setup-secret-not-a-real-one"
REGION = "us-east-1"


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def closed_port() -> int:
    """A loopback port that refuses connections (for the unreachable-endpoint test)."""
    return free_port()


@dataclass
class S3Server:
    endpoint: str

    def client(
        self,
        service: str = "s3",
        key_id: str = SETUP_KEY_ID,
        secret: str = SETUP_SECRET,
    ) -> Any:
        return boto3.client(
            service,
            endpoint_url=self.endpoint,
            aws_access_key_id=key_id,
            aws_secret_access_key=secret,
            region_name=REGION,
            config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}),
        )

    def new_bucket(self, prefix: str = "jhu-test") -> str:
        name = f"{prefix}-{uuid.uuid4().hex[:12]}"
        self.client().create_bucket(Bucket=name)
        return name

    def create_user(self, name: str, policy: dict[str, Any] | str) -> tuple[str, str]:
        """An IAM user holding exactly this inline policy; returns its key id and secret.

        Call before enforce_iam(): creating users is itself an IAM action.
        """
        iam = self.client("iam")
        iam.create_user(UserName=name)
        document = policy if isinstance(policy, str) else json.dumps(policy)
        iam.put_user_policy(UserName=name, PolicyName=f"{name}-policy", PolicyDocument=document)
        key = iam.create_access_key(UserName=name)["AccessKey"]
        return str(key["AccessKeyId"]), str(key["SecretAccessKey"])

    def _post(self, path: str, body: bytes = b"") -> dict[str, Any]:
        request = urllib.request.Request(
            f"{self.endpoint}{path}",
            data=body,
            method="POST",
            headers={"Content-Type": "application/octet-stream"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            result: dict[str, Any] = json.loads(response.read() or b"{}")
        return result

    def enforce_iam(self) -> None:
        """From the next request on, moto authenticates and authorises every request."""
        self._post("/moto-api/reset-auth", b"0")

    def relax_iam(self) -> None:
        self._post("/moto-api/reset-auth", b"inf")

    def env(self, key_id: str = SETUP_KEY_ID, secret: str = SETUP_SECRET) -> dict[str, str]:
        """Environment for a subprocess that should reach this server through the standard chain.

        Shared config files and the instance-metadata lookup are switched off, so nothing of the
        machine running the tests leaks in.
        """
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("AWS_", "JHU_")) and k != "DBT_PROFILES_DIR"
        }
        env.update(
            {
                "AWS_ACCESS_KEY_ID": key_id,
                "AWS_SECRET_ACCESS_KEY": secret,
                "AWS_DEFAULT_REGION": REGION,
                "AWS_CONFIG_FILE": os.devnull,
                "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
                "AWS_EC2_METADATA_DISABLED": "true",
                "JHU_S3_ENDPOINT": self.endpoint,
            }
        )
        return env


@contextmanager
def running_s3_server() -> Iterator[S3Server]:
    """Start moto on a free loopback port; stop it (and drop IAM enforcement) afterwards."""
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    s3 = S3Server(endpoint=f"http://127.0.0.1:{port}")
    try:
        yield s3
    finally:
        try:
            s3.relax_iam()
        finally:
            server.stop()
