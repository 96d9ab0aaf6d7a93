"""The IAM policy a lake needs, from the repo's template: `jhu policy s3://bucket/prefix`."""

from __future__ import annotations

from jhu_warehouse.config import PROJECT_DIR
from jhu_warehouse.errors import JhuError
from jhu_warehouse.lake.s3 import parse_s3_uri
from jhu_warehouse.lake.s3_errors import POLICY_FILE


def render_policy(template: str, lake: str) -> str:
    """The repo's IAM policy for one lake: JHU_BUCKET and JHU_PREFIX filled in.

    A lake at the bucket root (s3://bucket) gets the whole bucket: give it a prefix to keep the
    policy narrow.
    """
    location = parse_s3_uri(lake)
    text = template.replace("JHU_BUCKET", location.bucket)
    if location.prefix:
        return text.replace("JHU_PREFIX", location.prefix)
    return text.replace("JHU_PREFIX/", "")


def policy_for(lake: str) -> str:
    """The repo's policy template filled in for one lake; an unreadable template is a JhuError."""
    path = PROJECT_DIR / POLICY_FILE
    try:
        template = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise JhuError(f"{path}: cannot read the IAM policy template ({exc.strerror})") from None
    return render_policy(template, lake)
