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
