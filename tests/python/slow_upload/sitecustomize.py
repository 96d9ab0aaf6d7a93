"""Slows the lake's file uploads in the tests' subprocesses: JHU_TEST_SLOW_UPLOAD="FIRST,REST"
waits FIRST seconds before the first upload and REST before each later one.

Put on PYTHONPATH by tests/python/test_concurrency.py only: it widens the window in which two
runs on one lake overlap, so a race that is possible at all shows up in a few trials.
"""

from __future__ import annotations

import os
import time
from typing import Any


def _slow_down(first: float, rest: float) -> None:
    from jhu_warehouse.lake import local, s3

    uploads = [0]
    for lake_class in (local.LocalLake, s3.S3Lake):
        upload: Any = lake_class.put_file

        def slow(self: Any, key: str, path: Any, _upload: Any = upload) -> None:
            time.sleep(first if uploads[0] == 0 else rest)
            uploads[0] += 1
            _upload(self, key, path)

        lake_class.put_file = slow  # type: ignore[method-assign]


if os.environ.get("JHU_TEST_SLOW_UPLOAD"):
    _first, _rest = (float(x) for x in os.environ["JHU_TEST_SLOW_UPLOAD"].split(","))
    _slow_down(_first, _rest)
