"""The checks that gate the lake: each rule, on a few lines of JHU-format text.

Every failing case asserts the whole message: one line naming the file, and the line and column
where there is one.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from fixtures import FIXTURE_DIR, SIX_FILES
from jhu_warehouse.errors import JhuError
from jhu_warehouse.ingest.validation import (
    FileProfile,
    check_header,
    kind_of,
    profile_csv,
    profile_file,
)
from jhu_warehouse.sources.jhu_files import parse_date_header

GLOBAL = "time_series_covid19_confirmed_global.csv"
US_CONFIRMED = "time_series_covid19_confirmed_US.csv"
US_DEATHS = "time_series_covid19_deaths_US.csv"
LOOKUP = "UID_ISO_FIPS_LookUp_Table.csv"
GLOBAL_HEADER = "Province/State,Country/Region,Lat,Long,1/22/20,1/23/20,1/24/20"
US_ID = "UID,iso2,iso3,code3,FIPS,Admin2,Province_State,Country_Region,Lat,Long_,Combined_Key"


def lines(*text: str) -> list[str]:
    return [f"{line}\n" for line in text]


def error_of(name: str, *text: str) -> str:
    with pytest.raises(JhuError) as caught:
        profile_csv(name, lines(*text))
    message = str(caught.value)
    assert "\n" not in message
    return message


# ---------------------------------------------------------------- what passes


def test_a_global_file_profiles_rows_columns_and_dates() -> None:
    profile = profile_csv(
        GLOBAL,
        lines(
            GLOBAL_HEADER,
            ",Afghanistan,33.9,67.7,0,0,1",
            "Australian Capital Territory,Australia,-35.4,149.0,0,0,0",
            ',"Korea, South",35.9,127.7,1,1,2',
        ),
    )
    assert profile == FileProfile(
        rows=3, columns=7, first_date=date(2020, 1, 22), last_date=date(2020, 1, 24)
    )


def test_first_and_last_date_are_by_calendar_not_by_text() -> None:
    # As text, "12/31/20" sorts after "1/2/21"; as dates it comes first.
    profile = profile_csv(
        GLOBAL,
        lines("Province/State,Country/Region,Lat,Long,12/31/20,1/1/21,1/2/21", ",X,1,2,3,4,5"),
    )
    assert (profile.first_date, profile.last_date) == (date(2020, 12, 31), date(2021, 1, 2))


def test_empty_cells_and_negative_counts_are_accepted() -> None:
    profile = profile_csv(GLOBAL, lines(GLOBAL_HEADER, ",A,1,2,,-1,3", ",B,1,2,,,"))
    assert profile.rows == 2


def test_the_us_files_have_their_own_id_columns() -> None:
    confirmed = profile_csv(
        US_CONFIRMED, lines(f"{US_ID},1/22/20", '1,US,USA,840,1001.0,A,B,US,0,0,"A, B, US",7')
    )
    deaths = profile_csv(
        US_DEATHS, lines(f"{US_ID},Population,1/22/20", '1,US,USA,840,,A,B,US,0,0,"A, B, US",55,7')
    )
    assert (confirmed.columns, deaths.columns) == (12, 13)


def test_the_lookup_table_has_no_dates() -> None:
    profile = profile_csv(
        LOOKUP,
        lines(f"{US_ID},Population", "4,AF,AFG,4,,,,Afghanistan,33.9,67.7,Afghanistan,38928341"),
    )
    assert profile == FileProfile(rows=1, columns=12, first_date=None, last_date=None)


def test_crlf_line_ends_and_a_byte_order_mark_are_tolerated(tmp_path: Path) -> None:
    path = tmp_path / GLOBAL
    path.write_bytes(b"\xef\xbb\xbf" + f"{GLOBAL_HEADER}\r\n,A,1,2,3,4,5\r\n".encode())
    assert profile_file(GLOBAL, path).rows == 1


@pytest.mark.parametrize("name", SIX_FILES)
def test_every_fixture_file_passes(name: str) -> None:
    profile = profile_file(name, FIXTURE_DIR / name)
    assert profile.rows == 3


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1/22/20", date(2020, 1, 22)),
        ("12/31/20", date(2020, 12, 31)),
        ("3/9/23", date(2023, 3, 9)),
        ("01/02/21", date(2021, 1, 2)),
        ("2/29/20", date(2020, 2, 29)),
        ("2/29/21", None),
        ("13/1/20", None),
        ("1/32/20", None),
        ("1/22/2020", None),
        ("2020-01-22", None),
        ("\u0661/\u0662\u0662/\u0662\u0660", None),  # Arabic-Indic digits: not M/D/YY
        (" 1/22/20", None),
        ("Population", None),
    ],
)
def test_date_headers_parse_as_m_d_yy(text: str, expected: date | None) -> None:
    assert parse_date_header(text) == expected


def test_every_known_file_has_a_kind_and_others_are_refused() -> None:
    assert {kind_of(name) for name in SIX_FILES} == {
        "global",
        "confirmed_US",
        "deaths_US",
        "lookup",
    }
    with pytest.raises(JhuError, match="not one of the six JHU files"):
        kind_of("time_series_covid19_tested_global.csv")


# ---------------------------------------------------------------- what fails, and how it says so


def test_missing_id_column() -> None:
    message = error_of(GLOBAL, "Province/State,Country/Region,Long,1/22/20", ",A,1,2")
    assert message == f"{GLOBAL}: missing id column 'Lat' in the header (line 1)"


def test_missing_population_in_deaths_us() -> None:
    message = error_of(US_DEATHS, f"{US_ID},1/22/20", "1,US,USA,840,,A,B,US,0,0,K,7")
    assert message == f"{US_DEATHS}: missing id column 'Population' in the header (line 1)"


def test_id_columns_out_of_order() -> None:
    message = error_of(GLOBAL, "Country/Region,Province/State,Lat,Long,1/22/20", "A,,1,2,3")
    assert message == (
        f"{GLOBAL}: the header must start with the id columns Province/State, Country/Region, "
        "Lat, Long; it starts with Country/Region, Province/State, Lat, Long"
    )


def test_bad_date_header() -> None:
    message = error_of(
        GLOBAL, "Province/State,Country/Region,Lat,Long,1/22/20,1/32/20", ",A,1,2,3,4"
    )
    assert message == f"{GLOBAL}: header '1/32/20' (column 6) is not a date as M/D/YY"


def test_duplicated_date_header() -> None:
    # Upstream published 6/29/20 twice in some versions of the global files.
    message = error_of(
        GLOBAL, "Province/State,Country/Region,Lat,Long,6/28/20,6/29/20,6/29/20", ",A,1,2,3,4,4"
    )
    assert message == (
        f"{GLOBAL}: duplicated date header '6/29/20': columns 6 and 7 are both 2020-06-29"
    )


def test_the_same_date_written_two_ways_is_a_duplicate() -> None:
    message = error_of(
        GLOBAL, "Province/State,Country/Region,Lat,Long,6/29/20,06/29/20", ",A,1,2,3,4"
    )
    assert message == (
        f"{GLOBAL}: duplicated date header '06/29/20': columns 5 and 6 are both 2020-06-29"
    )


def test_a_time_series_without_dates() -> None:
    message = error_of(GLOBAL, "Province/State,Country/Region,Lat,Long", ",A,1,2")
    assert message == f"{GLOBAL}: no date columns after the id columns"


def test_an_extra_column_in_the_lookup_table() -> None:
    message = error_of(
        LOOKUP, f"{US_ID},Population,Note", "4,AF,AFG,4,,,,Afghanistan,1,2,Afghanistan,3,x"
    )
    assert message == f"{LOOKUP}: unexpected column 'Note' (column 13) after the id columns"


def test_non_numeric_cell_names_line_and_column() -> None:
    message = error_of(GLOBAL, GLOBAL_HEADER, ",A,1,2,0,1,2", ",B,1,2,0,1O,2")
    assert (
        message
        == f"{GLOBAL}: line 3, column '1/23/20': '1O' is not a count (a whole number, or empty)"
    )


def test_a_float_cell_is_refused() -> None:
    # Decision (validation.py): only integer text, so every engine casts the counts alike.
    message = error_of(GLOBAL, GLOBAL_HEADER, ",A,1,2,0,12.0,2")
    assert (
        message
        == f"{GLOBAL}: line 2, column '1/23/20': '12.0' is not a count (a whole number, or empty)"
    )


@pytest.mark.parametrize("cell", ["+3", " 3", "3 ", "1,000", "--1", "-", "\u0663", "NaN"])
def test_other_non_counts_are_refused(cell: str) -> None:
    message = error_of(GLOBAL, GLOBAL_HEADER, f',A,1,2,0,"{cell}",2')
    assert f"line 2, column '1/23/20': {cell!r} is not a count" in message


def test_empty_body() -> None:
    message = error_of(GLOBAL, GLOBAL_HEADER)
    assert message == f"{GLOBAL}: no data rows after the header (empty body)"


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / GLOBAL
    path.write_bytes(b"")
    with pytest.raises(JhuError) as caught:
        profile_file(GLOBAL, path)
    assert str(caught.value) == f"{GLOBAL}: empty file (no header line)"


def test_ragged_row_short() -> None:
    message = error_of(GLOBAL, GLOBAL_HEADER, ",A,1,2,0,1,2", ",B,1,2,0,1")
    assert message == f"{GLOBAL}: line 3 has 6 fields, the header has 7 (ragged row)"


def test_ragged_row_long() -> None:
    message = error_of(GLOBAL, GLOBAL_HEADER, ",A,1,2,0,1,2,3")
    assert message == f"{GLOBAL}: line 2 has 8 fields, the header has 7 (ragged row)"


def test_a_blank_line_in_the_body_is_a_ragged_row() -> None:
    message = error_of(GLOBAL, GLOBAL_HEADER, ",A,1,2,0,1,2", "", ",B,1,2,0,1,2")
    assert message == f"{GLOBAL}: line 3 has 0 fields, the header has 7 (ragged row)"


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / GLOBAL
    path.write_bytes(f"{GLOBAL_HEADER}\n".encode() + b",C\xf4te d'Ivoire,1,2,0,1,2\n")
    with pytest.raises(JhuError) as caught:
        profile_file(GLOBAL, path)
    assert str(caught.value).startswith(f"{GLOBAL}: not UTF-8 text")


def test_header_check_returns_the_dates_in_column_order() -> None:
    header = ["Province/State", "Country/Region", "Lat", "Long", "1/2/21", "12/31/20"]
    assert check_header(GLOBAL, "global", header) == [date(2021, 1, 2), date(2020, 12, 31)]
