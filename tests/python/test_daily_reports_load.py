"""The daily reports in the load: the hand-written fixtures of fixtures/daily land byte for byte
under raw/jhu/<upstream folder>/, each in the load manifest; a bad one stops the whole load.

Expected figures are read off the fixture files here (bytes, lines, the date in the name), never
from the loader's own report.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from fixtures import copy_fixtures, serve, snapshot, upstream_layout
from jhu_warehouse.config import Settings
from jhu_warehouse.errors import JhuError
from jhu_warehouse.ingest.land import load
from jhu_warehouse.lake import LocalLake

DAILY_FIXTURES = Path(__file__).resolve().parent / "fixtures" / "daily"
GLOBAL_DIR = "csse_covid_19_daily_reports"
US_DIR = "csse_covid_19_daily_reports_us"
CLOCK = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)


def daily_source(dest: Path, folders: tuple[str, ...] = (GLOBAL_DIR, US_DIR)) -> Path:
    """The six time-series fixtures plus the daily-report fixtures of ``folders``, in ``dest``."""
    copy_fixtures(dest)
    for folder in folders:
        shutil.copytree(DAILY_FIXTURES / folder, dest / folder)
    return dest


def fixture_reports(source: Path) -> dict[str, Path]:
    return {
        f"{folder}/{path.name}": path
        for folder in (GLOBAL_DIR, US_DIR)
        if (source / folder).is_dir()
        for path in (source / folder).glob("*.csv")
    }


def run(source: Path | None, lake: Path, **kwargs: object) -> tuple[list[str], list[str]]:
    """One load; returns the names landed and the progress lines."""
    settings = Settings(
        source=str(source) if source else None,
        lake=str(lake),
        s3_endpoint=None,
        duckdb_path=str(lake.parent / "w.duckdb"),
        target="duckdb",
    )
    lines: list[str] = []
    report = load(settings, LocalLake(lake), progress=lines.append, now=lambda: CLOCK, **kwargs)  # type: ignore[arg-type]
    return [f.name for f in report.landed], lines


def manifest(lake: Path) -> dict[str, dict[str, object]]:
    files: dict[str, dict[str, object]] = json.loads((lake / "raw/jhu/_manifest.json").read_text())[
        "files"
    ]
    return files


def test_every_fixture_report_lands_byte_for_byte_in_upstreams_layout(tmp_path: Path) -> None:
    source = daily_source(tmp_path / "src")
    reports = fixture_reports(source)
    assert len(reports) == 13
    landed, _ = run(source, tmp_path / "lake")
    assert set(reports) <= set(landed)
    entries = manifest(tmp_path / "lake")
    for name, path in reports.items():
        raw = path.read_bytes()
        assert (tmp_path / "lake/raw/jhu" / name).read_bytes() == raw, name
        entry = entries[name]
        day = datetime.strptime(path.name, "%m-%d-%Y.csv").date().isoformat()
        assert entry["sha256"] == hashlib.sha256(raw).hexdigest(), name
        assert entry["bytes"] == len(raw), name
        # rows: the lines after the header, a last line without its newline included
        assert entry["rows"] == len(raw.decode("utf-8-sig").splitlines()) - 1, name
        assert (entry["first_date"], entry["last_date"]) == (day, day), name
        # the header line, without its BOM and line ending, for the staging models
        first_line = raw.decode("utf-8-sig").splitlines()[0]
        assert entry["header"] == first_line, name
    # the six files' entries have no header
    assert not [name for name, entry in entries.items() if "/" not in name and "header" in entry]


def test_a_bom_crlf_and_a_missing_final_newline_are_accepted(tmp_path: Path) -> None:
    source = daily_source(tmp_path / "src")
    raw = {name: path.read_bytes() for name, path in fixture_reports(source).items()}
    # the fixtures really hold those cases
    assert raw[f"{GLOBAL_DIR}/01-22-2020.csv"].startswith(b"\xef\xbb\xbf")
    assert b"\r\n" in raw[f"{GLOBAL_DIR}/01-23-2020.csv"]
    assert not raw[f"{GLOBAL_DIR}/02-02-2020.csv"].endswith(b"\n")
    landed, _ = run(source, tmp_path / "lake")
    assert {f"{GLOBAL_DIR}/01-22-2020.csv", f"{GLOBAL_DIR}/01-23-2020.csv"} <= set(landed)
    assert f"{GLOBAL_DIR}/02-02-2020.csv" in landed


def test_the_summary_names_the_range_and_the_missing_dates(tmp_path: Path) -> None:
    _, lines = run(daily_source(tmp_path / "src"), tmp_path / "lake")
    # global: 9 files from 01-22-2020 to 03-09-2023 (1,143 days); US: 4 of 1,062 days
    assert (
        "global daily reports: 9 dates, 01-22-2020 to 03-09-2023, 1,134 dates missing inside "
        "that range"
    ) in lines
    assert (
        "US daily reports: 4 dates, 04-12-2020 to 03-09-2023, 1,058 dates missing inside that range"
    ) in lines


def test_a_second_run_lands_nothing(tmp_path: Path) -> None:
    source = daily_source(tmp_path / "src")
    run(source, tmp_path / "lake")
    before = snapshot(tmp_path / "lake")
    landed, _ = run(source, tmp_path / "lake")
    assert landed == []
    assert snapshot(tmp_path / "lake") == before


def test_a_source_without_the_folders_loads_the_time_series_and_says_so(tmp_path: Path) -> None:
    source = daily_source(tmp_path / "src", folders=(US_DIR,))
    landed, lines = run(source, tmp_path / "lake")
    assert len([name for name in landed if "/" not in name]) == 6
    assert not (tmp_path / "lake/raw/jhu" / GLOBAL_DIR).exists()
    assert f"  no {GLOBAL_DIR}/ in JHU_SOURCE: those daily reports are not loaded" in lines
    assert f"global daily reports: none (no {GLOBAL_DIR}/ in the source)" in lines


def test_a_changed_report_lands_alone(tmp_path: Path) -> None:
    source = daily_source(tmp_path / "src")
    run(source, tmp_path / "lake")
    path = source / US_DIR / "03-09-2023.csv"
    path.write_bytes(path.read_bytes().replace(b"1648385", b"1648386"))
    landed, _ = run(source, tmp_path / "lake")
    assert landed == [f"{US_DIR}/03-09-2023.csv"]


def write(path: Path, text: str) -> None:
    path.write_bytes(text.encode("utf-8"))


V5 = (
    "FIPS,Admin2,Province_State,Country_Region,Last_Update,Lat,Long_,Confirmed,Deaths,"
    "Recovered,Active,Combined_Key,Incident_Rate,Case_Fatality_Ratio"
)
ROW = ',,Tokyo,Japan,2021-01-15 05:22:15,35.7,139.4,{confirmed},797,,,"Tokyo, Japan",620.3,0.9'

#: case -> (file to write below the source, its text, the one error line expected)
BAD_REPORTS = {
    "unknown_header": (
        f"{GLOBAL_DIR}/01-15-2021.csv",
        V5.replace("Incident_Rate", "Incidence_Ratio").replace("Active", "Activ")
        + "\n"
        + ROW.format(confirmed=1)
        + "\n",
        f"{GLOBAL_DIR}/01-15-2021.csv: unknown header: the global daily reports have no column "
        "'Activ', 'Incidence_Ratio'",
    ),
    "known_columns_unknown_order": (
        f"{GLOBAL_DIR}/01-15-2021.csv",
        V5.replace("Lat,Long_", "Long_,Lat") + "\n" + ROW.format(confirmed=1) + "\n",
        f"{GLOBAL_DIR}/01-15-2021.csv: unknown header: its 14 columns match none of the 5 known "
        f"global header versions ({V5.replace('Lat,Long_', 'Long_,Lat').replace(',', ', ')})",
    ),
    "name_not_a_date": (
        f"{GLOBAL_DIR}/2021-01-15.csv",
        V5 + "\n" + ROW.format(confirmed=1) + "\n",
        f"{GLOBAL_DIR}/2021-01-15.csv: the file name is not a date as MM-DD-YYYY.csv",
    ),
    "impossible_date": (
        f"{US_DIR}/02-30-2021.csv",
        V5 + "\n" + ROW.format(confirmed=1) + "\n",
        f"{US_DIR}/02-30-2021.csv: the file name is not a date as MM-DD-YYYY.csv",
    ),
    "fractional_count": (
        f"{GLOBAL_DIR}/01-15-2021.csv",
        V5 + "\n" + ROW.format(confirmed="1.5") + "\n",
        f"{GLOBAL_DIR}/01-15-2021.csv: line 2, column 'Confirmed': '1.5' is not a count "
        "(a whole number, or empty)",
    ),
    "empty_body": (
        f"{GLOBAL_DIR}/01-15-2021.csv",
        V5 + "\n",
        f"{GLOBAL_DIR}/01-15-2021.csv: no data rows after the header (empty body)",
    ),
    "ragged_row": (
        f"{GLOBAL_DIR}/01-15-2021.csv",
        V5 + "\n" + ROW.format(confirmed=1) + ",extra\n",
        f"{GLOBAL_DIR}/01-15-2021.csv: line 2 has 15 fields, the header has 14 (ragged row)",
    ),
}


@pytest.mark.parametrize("case", list(BAD_REPORTS))
def test_a_bad_report_is_one_line_and_nothing_of_the_run_lands(tmp_path: Path, case: str) -> None:
    source = daily_source(tmp_path / "src")
    name, text, expected = BAD_REPORTS[case]
    write(source / name, text)
    with pytest.raises(JhuError) as caught:
        run(source, tmp_path / "lake")
    assert str(caught.value) == f"{expected}; nothing was landed"
    assert snapshot(tmp_path / "lake") == {}


def test_a_whole_count_written_with_a_zero_fraction_is_accepted(tmp_path: Path) -> None:
    source = daily_source(tmp_path / "src")
    write(
        source / GLOBAL_DIR / "01-15-2021.csv", V5 + "\n" + ROW.format(confirmed="155764.0") + "\n"
    )
    landed, _ = run(source, tmp_path / "lake")
    assert f"{GLOBAL_DIR}/01-15-2021.csv" in landed


def upstream_with_reports(dest: Path) -> Path:
    """A folder laid out as upstream's csse_covid_19_data, with the daily-report fixtures."""
    source = daily_source(dest / "files")
    upstream = upstream_layout(source, dest / "upstream")
    for folder in (GLOBAL_DIR, US_DIR):
        shutil.copytree(source / folder, upstream / folder)
    return upstream


def test_the_download_fetches_the_reports_upstream_has_and_only_once(tmp_path: Path) -> None:
    upstream = upstream_with_reports(tmp_path)
    reports = fixture_reports(upstream)
    with serve(upstream) as base:
        landed, lines = run(None, tmp_path / "lake", base_url=base)
        assert set(reports) <= set(landed)
        entries = manifest(tmp_path / "lake")
        for name, path in reports.items():
            assert entries[name]["source"] == f"{base}/{name}"
            assert (tmp_path / "lake/raw/jhu" / name).read_bytes() == path.read_bytes()
        # 1,143 + 1,062 names from the date ranges, the others answered 404: missing dates
        assert "downloading 2,205 daily reports (0 already in the lake)" in lines
        again, lines = run(None, tmp_path / "lake", base_url=base)
    assert again == []
    assert "downloading 2,192 daily reports (13 already in the lake)" in lines
    # the manifest still lists the reports the second run did not download
    assert set(reports) <= set(manifest(tmp_path / "lake"))


def test_a_downloaded_report_damaged_in_the_lake_is_downloaded_and_landed_again(
    tmp_path: Path,
) -> None:
    upstream = upstream_with_reports(tmp_path)
    name = sorted(fixture_reports(upstream))[0]
    copy = tmp_path / "lake/raw/jhu" / name
    with serve(upstream) as base:
        run(None, tmp_path / "lake", base_url=base)
        copy.write_bytes(copy.read_bytes()[:-10])  # truncated in the lake
        again, lines = run(None, tmp_path / "lake", base_url=base)
        assert again == [name]
        assert copy.read_bytes() == (upstream / name).read_bytes()
        assert "downloading 2,193 daily reports (12 already in the lake)" in lines
        assert [line for line in lines if line.startswith("  damaged    ")] == [
            f"  damaged    {name}: {copy.stat().st_size - 10:,} bytes in the lake, "
            f"{copy.stat().st_size:,} in the manifest; landing it again from the source"
        ]
        # gone upstream too: then nothing can repair it, and the load says so naming it
        copy.write_bytes(b"x")
        (upstream / name).unlink()
        with pytest.raises(JhuError, match=f"the source no longer has {name} to land it again"):
            run(None, tmp_path / "lake", base_url=base)


# ------------------------------------------------------------- the header versions, one by one

#: Every header line of SOURCES.md's tables, written out here (global v1-v5, US v1-v2).
KNOWN_HEADERS = {
    GLOBAL_DIR: [
        "Province/State,Country/Region,Last Update,Confirmed,Deaths,Recovered",
        "Province/State,Country/Region,Last Update,Confirmed,Deaths,Recovered,Latitude,Longitude",
        "FIPS,Admin2,Province_State,Country_Region,Last_Update,Lat,Long_,Confirmed,Deaths,"
        "Recovered,Active,Combined_Key",
        "FIPS,Admin2,Province_State,Country_Region,Last_Update,Lat,Long_,Confirmed,Deaths,"
        "Recovered,Active,Combined_Key,Incidence_Rate,Case-Fatality_Ratio",
        V5,
    ],
    US_DIR: [
        "Province_State,Country_Region,Last_Update,Lat,Long_,Confirmed,Deaths,Recovered,Active,"
        "FIPS,Incident_Rate,Total_Test_Results,People_Hospitalized,Case_Fatality_Ratio,UID,ISO3,"
        "Testing_Rate,Hospitalization_Rate,Date,People_Tested,Mortality_Rate",
        "Province_State,Country_Region,Last_Update,Lat,Long_,Confirmed,Deaths,Recovered,Active,"
        "FIPS,Incident_Rate,Total_Test_Results,People_Hospitalized,Case_Fatality_Ratio,UID,ISO3,"
        "Testing_Rate,Hospitalization_Rate",
    ],
}


@pytest.mark.parametrize(
    ("folder", "header"),
    [(folder, header) for folder, headers in KNOWN_HEADERS.items() for header in headers],
)
@pytest.mark.parametrize("ending", ["\n", "\r\n", ""])
def test_every_known_header_is_accepted_with_any_line_ending(
    folder: str, header: str, ending: str
) -> None:
    from jhu_warehouse.ingest.validation import profile_csv

    width = header.count(",") + 1
    row = ",".join(["7"] * width)
    profile = profile_csv(f"{folder}/03-09-2023.csv", [header + ending, row + ending])
    assert (profile.rows, profile.columns) == (1, width)
    assert profile.first_date == profile.last_date == datetime(2023, 3, 9).date()


def test_a_header_of_the_other_family_is_unknown() -> None:
    from jhu_warehouse.ingest.validation import profile_csv

    with pytest.raises(JhuError) as caught:
        profile_csv(f"{US_DIR}/03-09-2023.csv", [V5 + "\n", ",".join(["1"] * 14) + "\n"])
    assert str(caught.value) == (
        f"{US_DIR}/03-09-2023.csv: unknown header: the US daily reports have no column 'Admin2', "
        "'Combined_Key'"
    )
