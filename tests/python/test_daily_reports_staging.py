"""The two daily-report staging models built by dbt over the hand-written fixtures
(fixtures/daily): every header version's columns under one set of names, and every Last Update
format parsed. The expected values are written out here, literally, from the fixture files.
"""

from __future__ import annotations

import shutil
from datetime import date, datetime
from pathlib import Path

import duckdb
import pytest

from fixtures import copy_fixtures, run_env
from jhu_warehouse.build.dbt_build import build
from jhu_warehouse.config import Settings
from jhu_warehouse.ingest.land import load
from jhu_warehouse.lake import LocalLake

pytestmark = pytest.mark.e2e  # a dbt build (about 15 s): not in `make test-fast`

DAILY_FIXTURES = Path(__file__).resolve().parent / "fixtures" / "daily"
STAGING = "stg_jhu__daily_reports_global stg_jhu__daily_reports_us"


def built_staging(base: Path, folders: tuple[str, ...]) -> Path:
    """The fixtures (with the daily folders given) loaded, the two staging models built."""
    source = copy_fixtures(base / "src")
    for folder in folders:
        shutil.copytree(DAILY_FIXTURES / folder, source / folder)
    environ = run_env(base, source, str(base / "lake"))
    with pytest.MonkeyPatch.context() as patch:
        for name, value in environ.items():
            patch.setenv(name, value)
        settings = Settings(
            source=str(source),
            lake=str(base / "lake"),
            s3_endpoint=None,
            duckdb_path=str(base / "w.duckdb"),
            target="duckdb",
        )
        load(settings, LocalLake(settings.lake))
        # cautious: not the reconciliation tests, which also read models not built here
        build(settings, ["--select", STAGING, "--indirect-selection", "cautious"])
    return base / "w.duckdb"


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return built_staging(
        tmp_path_factory.mktemp("daily"),
        ("csse_covid_19_daily_reports", "csse_covid_19_daily_reports_us"),
    )


def rows(warehouse: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_every_global_header_version_maps_to_the_same_names(warehouse: Path) -> None:
    got = rows(
        warehouse,
        "select report_date, country_region, province_state, county_name, fips, latitude, "
        "cumulative_confirmed, cumulative_deaths, cumulative_recovered, active, incident_rate, "
        "case_fatality_ratio from staging.stg_jhu__daily_reports_global "
        "where province_state in ('Hubei', 'Tokyo') or county_name = 'Autauga' "
        "order by report_date, country_region, province_state",
    )
    assert got == [
        # v1: Province/State, Country/Region; `28.0` is 28; Mainland China is China
        (date(2020, 1, 22), "China", "Hubei", None, None, None, 444, 17, 28, None, None, None),
        (date(2020, 1, 23), "China", "Hubei", None, None, None, 444, 17, 28, None, None, None),
        (date(2020, 2, 2), "China", "Hubei", None, None, None, 11177, 350, 295, None, None, None),
        # v2: Latitude
        (
            date(2020, 3, 1),
            "China",
            "Hubei",
            None,
            None,
            30.9756,
            66907,
            2761,
            31536,
            None,
            None,
            None,
        ),
        # v3: Admin2, FIPS (unpadded 1001 -> 01001), Active
        (
            date(2020, 3, 22),
            "China",
            "Hubei",
            None,
            None,
            30.9756,
            67800,
            3144,
            59433,
            5223,
            None,
            None,
        ),
        (
            date(2020, 3, 22),
            "US",
            "Alabama",
            "Autauga",
            "01001",
            32.53952745,
            0,
            0,
            0,
            0,
            None,
            None,
        ),
        (
            date(2020, 3, 23),
            "China",
            "Hubei",
            None,
            None,
            30.9756,
            67800,
            3153,
            59882,
            4765,
            None,
            None,
        ),
        (
            date(2020, 3, 23),
            "US",
            "Alabama",
            "Autauga",
            "01001",
            32.53952745,
            0,
            0,
            0,
            0,
            None,
            None,
        ),
        # v4: Incidence_Rate, Case-Fatality_Ratio
        (date(2020, 5, 29), "Japan", "Tokyo", None, None, 35.7, 5195, 304, 4349, 542, 37.3, 5.85),
        # v5: Incident_Rate, Case_Fatality_Ratio; empty Recovered/Active are NULL
        (
            date(2021, 1, 14),
            "Japan",
            "Tokyo",
            None,
            None,
            35.7,
            86314,
            797,
            73891,
            11626,
            620.3,
            0.92,
        ),
        (
            date(2023, 3, 9),
            "Japan",
            "Tokyo",
            None,
            None,
            35.7,
            4370000,
            7000,
            None,
            None,
            31350.1,
            0.16,
        ),
    ]


def test_one_row_per_file_row_and_an_empty_count_is_null(warehouse: Path) -> None:
    """Every file's rows, whatever its line endings and byte order mark: a CRLF file after an
    LF one (01-23-2020 after 01-22-2020) loses its rows when DuckDB reads a list of files with
    one sniffed dialect, as a read by header version did (docs/performance.md)."""
    lines = {
        path.name: len(path.read_text(encoding="utf-8-sig").splitlines()) - 1
        for path in sorted((DAILY_FIXTURES / "csse_covid_19_daily_reports").glob("*.csv"))
    }
    counted = rows(
        warehouse,
        "select strftime(report_date, '%m-%d-%Y') || '.csv', count(*) "
        "from staging.stg_jhu__daily_reports_global group by all order by 1",
    )
    assert dict(counted) == lines
    assert rows(
        warehouse,
        "select cumulative_confirmed, cumulative_deaths, cumulative_recovered "
        "from staging.stg_jhu__daily_reports_global "
        "where province_state = 'Beijing' and report_date = '2020-01-22'",
    ) == [(14, None, None)]


#: (report date, country, province) -> the Last Update text of the fixture, and its value.
LAST_UPDATES = {
    (date(2020, 1, 22), "China", "Hubei"): datetime(2020, 1, 22, 17, 0),  # 1/22/2020 17:00
    (date(2020, 1, 23), "China", "Beijing"): datetime(2020, 1, 23, 9, 5),  # 1/23/20 9:05
    (date(2020, 2, 2), "China", "Hubei"): datetime(2020, 2, 2, 23, 43, 2),  # 2020-02-02T23:43:02
    (date(2020, 3, 22), "China", "Hubei"): datetime(2020, 3, 22, 9, 43),  # 3/22/20 9:43
    (date(2020, 3, 23), "China", "Hubei"): datetime(2020, 3, 23, 23, 19, 34),  # ...23 23:19:34
    (date(2021, 1, 14), "India", "Kerala"): datetime(2021, 1, 15, 17, 22),  # 2021-01-15 17:22
    (date(2021, 1, 14), "Japan", "Tokyo"): datetime(2021, 1, 15, 5, 22, 15),
}


def test_every_last_update_format_is_parsed(warehouse: Path) -> None:
    got = {
        (day, name, prov): value
        for day, name, prov, value in rows(
            warehouse,
            "select report_date, country_region, province_state, last_update "
            "from staging.stg_jhu__daily_reports_global",
        )
    }
    for key, expected in LAST_UPDATES.items():
        assert got[key] == expected, key
    assert None not in got.values()


def test_both_us_header_versions_map_and_decimal_counts_are_whole(warehouse: Path) -> None:
    got = rows(
        warehouse,
        "select report_date, state_name, state_fips, location_key, last_update, active, "
        "cumulative_recovered, cumulative_test_results, cumulative_people_tested, "
        "cumulative_hospitalized, testing_rate, mortality_rate, case_fatality_ratio "
        "from staging.stg_jhu__daily_reports_us order by report_date, state_name",
    )
    assert got == [
        (
            date(2020, 4, 12),
            "Alabama",
            "01",
            84000001,
            datetime(2020, 4, 12, 23, 18, 15),
            3470,
            None,
            21583,
            21583,
            437,
            460.3001516,
            2.610159978,
            2.610159978,
        ),
        # an empty Last_Update is NULL; FIPS 60 is American Samoa's state code
        (
            date(2020, 4, 12),
            "American Samoa",
            "60",
            16,
            None,
            0,
            None,
            3,
            3,
            None,
            5.391708795,
            None,
            None,
        ),
        (
            date(2020, 8, 11),
            "Alabama",
            "01",
            84000001,
            datetime(2020, 8, 12, 4, 34, 54),
            61625,
            37923,
            819569,
            819569,
            12070,
            16714.96,
            1.762488404,
            1.762488404,
        ),
        (
            date(2020, 8, 12),
            "Alabama",
            "01",
            84000001,
            datetime(2020, 8, 13, 4, 34, 54),
            62400,
            38000,
            825569,
            825569,
            12100,
            16837.3,
            1.76,
            1.76,
        ),
        # version 2: no People_Tested, Mortality_Rate; testing columns empty
        (
            date(2023, 3, 9),
            "Alabama",
            "01",
            84000001,
            datetime(2023, 3, 10, 4, 21, 3),
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            1.275916,
        ),
    ]


def test_a_lake_without_global_reports_builds_an_empty_global_model(tmp_path: Path) -> None:
    warehouse = built_staging(tmp_path, ("csse_covid_19_daily_reports_us",))
    assert rows(warehouse, "select count(*) from staging.stg_jhu__daily_reports_global") == [(0,)]
    assert rows(warehouse, "select count(*) from staging.stg_jhu__daily_reports_us") == [(5,)]
