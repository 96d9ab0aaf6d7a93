"""What both references share: the files they read and the columns they write.

The rules themselves are written twice on purpose (once in pandas, once in PySpark), each from
the dbt models' definitions, so that a mistake in one implementation shows up as a difference.
"""

from __future__ import annotations

from pathlib import Path

from jhu_warehouse.errors import JhuError
from jhu_warehouse.sources.jhu_files import (
    CONFIRMED_GLOBAL,
    CONFIRMED_US,
    DEATHS_GLOBAL,
    DEATHS_US,
    JHU_FILES,
    PHANTOM_PROVINCE,
    RECOVERED_GLOBAL,
    is_date_header,
)
from jhu_warehouse.sources.jhu_files import LOOKUP_FILE as LOOKUP

__all__ = [
    "CONFIRMED_GLOBAL",
    "CONFIRMED_US",
    "COUNTRY_COLUMNS",
    "COUNTY_COLUMNS",
    "DEATHS_GLOBAL",
    "DEATHS_US",
    "LOOKUP",
    "MARTS",
    "PHANTOM_PROVINCE",
    "RECOVERED_GLOBAL",
    "is_date_header",
    "require_files",
]

#: The columns each reference computes, as in the marts (country_name and continent are seed
#: look-ups, not computations, and are left to the marts).
COUNTRY_COLUMNS = [
    "location_key",
    "country_region",
    "iso3",
    "report_date",
    "population",
    "cumulative_confirmed",
    "cumulative_deaths",
    "cumulative_recovered",
    "new_confirmed",
    "new_deaths",
    "new_recovered",
    "new_confirmed_7d_avg",
    "new_deaths_7d_avg",
    "confirmed_per_100k",
    "deaths_per_100k",
    "case_fatality_ratio",
    "is_confirmed_revised_down",
    "is_deaths_revised_down",
]
COUNTY_COLUMNS = [
    "location_key",
    "fips",
    "county_name",
    "state_name",
    "report_date",
    "population",
    "cumulative_confirmed",
    "cumulative_deaths",
    "new_confirmed",
    "new_deaths",
    "new_confirmed_7d_avg",
    "new_deaths_7d_avg",
    "confirmed_per_100k",
    "deaths_per_100k",
    "case_fatality_ratio",
    "is_confirmed_revised_down",
    "is_deaths_revised_down",
]
COUNTRY_KEY = ["country_region", "report_date"]
COUNTY_KEY = ["location_key", "report_date"]
MARTS = {"fct_country_daily": COUNTRY_COLUMNS, "fct_us_county_daily": COUNTY_COLUMNS}


def require_files(source: Path) -> None:
    """Both references read the six JHU files; a missing one is one JhuError naming them."""
    missing = [name for name in JHU_FILES if not (source / name).is_file()]
    if missing:
        raise JhuError(f"{source}: missing {', '.join(missing)}")
