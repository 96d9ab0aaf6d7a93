"""The JHU files as data: their names, where upstream keeps them, their id columns, their dates.

Every other part of the package (the fetcher, the validation, the generator, the references,
the benchmark) reads these facts from here, so a new file family (the daily reports) is added in
one place. Facts about the data's defects that more than one part mimics or handles (the
phantom Canada row, when recovered stopped) live here too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

#: The upstream repository is archived (2023-03-10), so these URLs serve frozen files.
UPSTREAM_BASE = (
    "https://raw.githubusercontent.com/CSSEGISandData/COVID-19/master/csse_covid_19_data"
)
#: Upstream's folder of the time series, below UPSTREAM_BASE.
TIME_SERIES_DIR = "csse_covid_19_time_series"

CONFIRMED_GLOBAL = "time_series_covid19_confirmed_global.csv"
DEATHS_GLOBAL = "time_series_covid19_deaths_global.csv"
RECOVERED_GLOBAL = "time_series_covid19_recovered_global.csv"
CONFIRMED_US = "time_series_covid19_confirmed_US.csv"
DEATHS_US = "time_series_covid19_deaths_US.csv"
LOOKUP_FILE = "UID_ISO_FIPS_LookUp_Table.csv"

TIME_SERIES_FILES = (CONFIRMED_GLOBAL, DEATHS_GLOBAL, RECOVERED_GLOBAL, CONFIRMED_US, DEATHS_US)
#: The six files of a load, in the order they are fetched and reported.
JHU_FILES = (*TIME_SERIES_FILES, LOOKUP_FILE)

KIND_GLOBAL = "global"
KIND_CONFIRMED_US = "confirmed_US"
KIND_DEATHS_US = "deaths_US"
KIND_LOOKUP = "lookup"

GLOBAL_ID_COLUMNS = ("Province/State", "Country/Region", "Lat", "Long")
US_ID_COLUMNS = (
    "UID",
    "iso2",
    "iso3",
    "code3",
    "FIPS",
    "Admin2",
    "Province_State",
    "Country_Region",
    "Lat",
    "Long_",
    "Combined_Key",
)

#: The columns each kind of file starts with, in JHU's order.
ID_COLUMNS: dict[str, tuple[str, ...]] = {
    KIND_GLOBAL: GLOBAL_ID_COLUMNS,
    KIND_CONFIRMED_US: US_ID_COLUMNS,
    KIND_DEATHS_US: (*US_ID_COLUMNS, "Population"),
    KIND_LOOKUP: (*US_ID_COLUMNS, "Population"),
}

#: Which kind each JHU file is; the file name is the upstream one.
FILE_KINDS: dict[str, str] = {
    CONFIRMED_GLOBAL: KIND_GLOBAL,
    DEATHS_GLOBAL: KIND_GLOBAL,
    RECOVERED_GLOBAL: KIND_GLOBAL,
    CONFIRMED_US: KIND_CONFIRMED_US,
    DEATHS_US: KIND_DEATHS_US,
    LOOKUP_FILE: KIND_LOOKUP,
}

#: A date header of the time series: M/D/YY, JHU's unpadded form (a padded one is accepted too).
DATE_HEADER = re.compile(r"([0-9]{1,2})/([0-9]{1,2})/([0-9]{2})")

#: The first and last date of the final upstream files: 1/22/20 .. 3/9/23, 1,143 columns.
FIRST_DATE = date(2020, 1, 22)
LAST_DATE = date(2023, 3, 9)

#: The last date with a global recovered count: JHU stopped after 8/4/21 (zeros afterwards).
RECOVERED_LAST = date(2021, 8, 4)
#: The last date with a US recovered count (the US row dropped it in December 2020).
US_RECOVERED_LAST = date(2020, 12, 13)

#: Rows of the confirmed and deaths files that are a placeholder for the recovered count
#: ("Recovered, Canada" in some versions): dropped by the models and by both references.
PHANTOM_PROVINCE = "Recovered"


@dataclass(frozen=True)
class JhuFile:
    """One JHU file: its upstream name, kind and place below UPSTREAM_BASE."""

    name: str

    @property
    def kind(self) -> str:
        return FILE_KINDS[self.name]

    @property
    def upstream_path(self) -> str:
        """Its path below upstream's csse_covid_19_data folder."""
        return self.name if self.name == LOOKUP_FILE else f"{TIME_SERIES_DIR}/{self.name}"


def upstream_url(name: str, base_url: str = UPSTREAM_BASE) -> str:
    """The raw URL of a JHU file under ``base_url`` (upstream's csse_covid_19_data folder)."""
    return f"{base_url.rstrip('/')}/{JhuFile(name).upstream_path}"


def parse_date_header(text: str) -> date | None:
    """The date a header like ``1/22/20`` stands for, or None when it is not one.

    JHU writes M/D/YY without padding; a padded ``01/22/20`` is accepted too, as every engine's
    date parsing does. The year is 20YY. The day must exist (``2/30/20`` is not a date).
    """
    match = DATE_HEADER.fullmatch(text)
    if match is None:
        return None
    month, day, year = (int(part) for part in match.groups())
    try:
        return date(2000 + year, month, day)
    except ValueError:
        return None


def is_date_header(text: str) -> bool:
    """Whether a header is a date column, as the staging models unpivot them.

    A duplicated header that a reader renamed (``6/29/20_1``, ``6/29/20.1``) is not one and is
    ignored, as in dbt.
    """
    return DATE_HEADER.fullmatch(text) is not None


def date_header(day: date) -> str:
    """The header JHU writes for a day: M/D/YY, unpadded."""
    return f"{day.month}/{day.day}/{day.year % 100:02d}"


# --- The daily reports --------------------------------------------------------------------------
# One file per day, named MM-DD-YYYY.csv, in two upstream folders below UPSTREAM_BASE. Each is the
# counts as JHU published them that day; the header changed over time (the versions below, with
# the dates of their first and last file in the final upstream files: ../shared/jhu/SOURCES.md).

#: Upstream's daily-report folders, below UPSTREAM_BASE; the lake mirrors them under raw/jhu/.
DAILY_GLOBAL_DIR = "csse_covid_19_daily_reports"
DAILY_US_DIR = "csse_covid_19_daily_reports_us"

#: A daily report's file name: MM-DD-YYYY.csv, zero-padded (sorting the names does not sort dates).
DAILY_REPORT_NAME = re.compile(r"([0-9]{2})-([0-9]{2})-([0-9]{4})\.csv")


@dataclass(frozen=True)
class HeaderVersion:
    """One header line a daily-report family had, and the dates of its first and last file."""

    version: int
    columns: tuple[str, ...]
    first: date
    last: date


@dataclass(frozen=True)
class DailyFamily:
    """A family of daily reports: its folder, its dates, its header versions, its count columns."""

    name: str
    folder: str
    first_date: date
    last_date: date
    versions: tuple[HeaderVersion, ...]
    count_columns: frozenset[str]
    """Columns holding counts: a whole number (``155764.0`` is whole, ``1.5`` is not) or empty."""

    @property
    def known_columns(self) -> frozenset[str]:
        return frozenset(column for version in self.versions for column in version.columns)

    def version_of(self, header: tuple[str, ...]) -> HeaderVersion | None:
        """The version whose header line this is, exactly (names and order), or None."""
        return next((v for v in self.versions if v.columns == header), None)


_GLOBAL_V1 = ("Province/State", "Country/Region", "Last Update", "Confirmed", "Deaths", "Recovered")
_GLOBAL_V3 = (
    "FIPS",
    "Admin2",
    "Province_State",
    "Country_Region",
    "Last_Update",
    "Lat",
    "Long_",
    "Confirmed",
    "Deaths",
    "Recovered",
    "Active",
    "Combined_Key",
)
_US_V2 = (
    "Province_State",
    "Country_Region",
    "Last_Update",
    "Lat",
    "Long_",
    "Confirmed",
    "Deaths",
    "Recovered",
    "Active",
    "FIPS",
    "Incident_Rate",
    "Total_Test_Results",
    "People_Hospitalized",
    "Case_Fatality_Ratio",
    "UID",
    "ISO3",
    "Testing_Rate",
    "Hospitalization_Rate",
)

DAILY_GLOBAL = DailyFamily(
    name="global",
    folder=DAILY_GLOBAL_DIR,
    first_date=date(2020, 1, 22),
    last_date=date(2023, 3, 9),
    versions=(
        HeaderVersion(1, _GLOBAL_V1, date(2020, 1, 22), date(2020, 2, 29)),
        HeaderVersion(
            2, (*_GLOBAL_V1, "Latitude", "Longitude"), date(2020, 3, 1), date(2020, 3, 21)
        ),
        HeaderVersion(3, _GLOBAL_V3, date(2020, 3, 22), date(2020, 5, 28)),
        HeaderVersion(
            4,
            (*_GLOBAL_V3, "Incidence_Rate", "Case-Fatality_Ratio"),
            date(2020, 5, 29),
            date(2020, 11, 8),
        ),
        HeaderVersion(
            5,
            (*_GLOBAL_V3, "Incident_Rate", "Case_Fatality_Ratio"),
            date(2020, 11, 9),
            date(2023, 3, 9),
        ),
    ),
    count_columns=frozenset({"Confirmed", "Deaths", "Recovered", "Active"}),
)

DAILY_US = DailyFamily(
    name="US",
    folder=DAILY_US_DIR,
    first_date=date(2020, 4, 12),
    last_date=date(2023, 3, 9),
    versions=(
        HeaderVersion(
            1,
            (*_US_V2, "Date", "People_Tested", "Mortality_Rate"),
            date(2020, 4, 12),
            date(2022, 9, 20),
        ),
        HeaderVersion(2, _US_V2, date(2022, 9, 21), date(2023, 3, 9)),
    ),
    count_columns=frozenset(
        {
            "Confirmed",
            "Deaths",
            "Recovered",
            "Active",
            "People_Hospitalized",
            "Total_Test_Results",
            "People_Tested",
        }
    ),
)

DAILY_FAMILIES = (DAILY_GLOBAL, DAILY_US)

#: The `Last Update` / `Last_Update` formats JHU used, as strptime patterns (SOURCES.md measured
#: which files use which). `M`, `D` and the hour of the first two are not zero-padded. The US files
#: also have empty values (American Samoa, Recovered, 04-12 … 04-20-2020). The staging models parse
#: every one of these (macros/staging/jhu_parse_timestamp.sql).
LAST_UPDATE_FORMATS = (
    "%m/%d/%Y %H:%M",  # 1/22/2020 17:00   global, 3 files of Jan-Feb 2020
    "%m/%d/%y %H:%M",  # 1/23/20 17:00     global, 15 files up to 04-06-2020
    "%Y-%m-%dT%H:%M:%S",  # 2020-02-02T23:43:02  global, 02-02 … 03-21-2020
    "%Y-%m-%d %H:%M:%S",  # 2020-03-23 23:19:34  global from 03-23-2020, every US file
    "%Y-%m-%d %H:%M",  # 2021-01-15 17:22   global 01-14-2021, its 37 India rows
)


def daily_family(folder: str) -> DailyFamily | None:
    """The daily-report family kept in ``folder`` (upstream's folder name), or None."""
    return next((family for family in DAILY_FAMILIES if family.folder == folder), None)


def daily_report_date(file_name: str) -> date | None:
    """The date a daily report's file name (``03-09-2023.csv``) stands for, or None."""
    match = DAILY_REPORT_NAME.fullmatch(file_name)
    if match is None:
        return None
    month, day, year = (int(part) for part in match.groups())
    try:
        return date(year, month, day)
    except ValueError:
        return None


def daily_report_name(family: DailyFamily, day: date) -> str:
    """A daily report's name as the loader and the lake know it: ``<folder>/MM-DD-YYYY.csv``."""
    return f"{family.folder}/{day:%m-%d-%Y}.csv"


def is_daily_report(name: str) -> bool:
    """Whether a load's file name is a daily report (``<daily folder>/<file>``)."""
    folder, _, rest = name.partition("/")
    return bool(rest) and daily_family(folder) is not None


def daily_report_url(name: str, base_url: str = UPSTREAM_BASE) -> str:
    """The raw URL of a daily report named ``<folder>/MM-DD-YYYY.csv``."""
    return f"{base_url.rstrip('/')}/{name}"
