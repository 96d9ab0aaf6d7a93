"""The load manifest: JSON in the documented shape, a faithful round trip, clear errors."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from jhu_warehouse.errors import JhuError
from jhu_warehouse.ingest.manifest import (
    LoadEntry,
    LoadManifest,
    dump_load_manifest,
    parse_load_manifest,
)
from jhu_warehouse.lake.documents import sha256_file, utc_now_iso

WHERE = "lake/raw/jhu/_manifest.json"
ENTRY = LoadEntry(
    sha256="ab" * 32,
    bytes=1234,
    rows=3,
    columns=9,
    first_date="2020-12-30",
    last_date="2021-01-03",
    source="/data/jhu/time_series_covid19_confirmed_global.csv",
    loaded_at="2024-05-01T12:00:00Z",
)
LOOKUP_ENTRY = LoadEntry(
    sha256="cd" * 32,
    bytes=339,
    rows=3,
    columns=12,
    first_date=None,
    last_date=None,
    source="https://example.invalid/UID_ISO_FIPS_LookUp_Table.csv",
    loaded_at="2024-05-01T12:00:00Z",
)
MANIFEST = LoadManifest(
    files={
        "time_series_covid19_confirmed_global.csv": ENTRY,
        "UID_ISO_FIPS_LookUp_Table.csv": LOOKUP_ENTRY,
    }
)


def test_the_json_has_the_documented_shape() -> None:
    document = json.loads(dump_load_manifest(MANIFEST))
    assert set(document) == {"files"}
    assert document["files"]["time_series_covid19_confirmed_global.csv"] == {
        "sha256": "ab" * 32,
        "bytes": 1234,
        "rows": 3,
        "columns": 9,
        "first_date": "2020-12-30",
        "last_date": "2021-01-03",
        "source": "/data/jhu/time_series_covid19_confirmed_global.csv",
        "loaded_at": "2024-05-01T12:00:00Z",
    }
    assert document["files"]["UID_ISO_FIPS_LookUp_Table.csv"]["first_date"] is None


def test_round_trip() -> None:
    assert parse_load_manifest(dump_load_manifest(MANIFEST), WHERE) == MANIFEST


def test_the_json_does_not_depend_on_insertion_order() -> None:
    reversed_manifest = LoadManifest(files=dict(reversed(list(MANIFEST.files.items()))))
    assert dump_load_manifest(reversed_manifest) == dump_load_manifest(MANIFEST)
    assert dump_load_manifest(MANIFEST).endswith(b"}\n")


def test_an_empty_manifest_round_trips() -> None:
    assert parse_load_manifest(dump_load_manifest(LoadManifest()), WHERE) == LoadManifest()


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b"{not json", "not JSON"),
        (b"\xff\xfe", "not JSON"),
        (b"[]", "not a JSON object"),
        (b"{}", 'no "files" object'),
        (b'{"files": {"a.csv": 3}}', "entry 'a.csv' is not an object"),
        (b'{"files": {"a.csv": {"sha256": "x"}}}', "entry 'a.csv' has no valid 'bytes'"),
    ],
)
def test_a_malformed_manifest_is_one_line_naming_it(data: bytes, problem: str) -> None:
    with pytest.raises(JhuError) as caught:
        parse_load_manifest(data, WHERE)
    message = str(caught.value)
    assert message.startswith(f"{WHERE}: not a valid manifest ({problem}")
    assert message.endswith("delete it to start afresh")
    assert "\n" not in message


@pytest.mark.parametrize(("key", "value"), [("rows", "3"), ("rows", True), ("first_date", 5)])
def test_a_field_of_the_wrong_type_is_refused(key: str, value: object) -> None:
    document = json.loads(dump_load_manifest(MANIFEST))
    document["files"]["time_series_covid19_confirmed_global.csv"][key] = value
    with pytest.raises(JhuError, match=f"has no valid '{key}'"):
        parse_load_manifest(json.dumps(document).encode(), WHERE)


def test_utc_now_iso_is_utc_to_the_second_with_z() -> None:
    paris = timezone(timedelta(hours=2))
    moment = datetime(2024, 5, 1, 14, 0, 7, 999_999, tzinfo=paris)
    assert utc_now_iso(moment) == "2024-05-01T12:00:07Z"
    assert utc_now_iso().endswith("Z")
    assert datetime.fromisoformat(utc_now_iso()).tzinfo == UTC


def test_sha256_file_matches_hashlib_across_chunks(tmp_path: Path) -> None:
    path = tmp_path / "data.bin"
    data = bytes(range(256)) * 1000  # 256,000 bytes: many chunks of 4 KiB
    path.write_bytes(data)
    assert sha256_file(path, chunk_size=4096) == hashlib.sha256(data).hexdigest()
