"""What both references share: the files they read, the columns they write, the command line.

The rules themselves are written twice on purpose (once in pandas, once in PySpark), each from
the dbt models' definitions, so that a mistake in one implementation shows up as a difference.
"""

from __future__ import annotations

import argparse
import re
import time
from collections.abc import Callable, Sequence
from pathlib import Path

CONFIRMED_GLOBAL = "time_series_covid19_confirmed_global.csv"
DEATHS_GLOBAL = "time_series_covid19_deaths_global.csv"
RECOVERED_GLOBAL = "time_series_covid19_recovered_global.csv"
CONFIRMED_US = "time_series_covid19_confirmed_US.csv"
DEATHS_US = "time_series_covid19_deaths_US.csv"
LOOKUP = "UID_ISO_FIPS_LookUp_Table.csv"
FILES = (CONFIRMED_GLOBAL, DEATHS_GLOBAL, RECOVERED_GLOBAL, CONFIRMED_US, DEATHS_US, LOOKUP)

#: A date header as the staging models unpivot it: exactly M/D/YY (a duplicated header that a
#: reader renamed, e.g. `6/29/20_1` or `6/29/20.1`, is not one and is ignored, as in dbt).
DATE_HEADER = re.compile(r"^\d{1,2}/\d{1,2}/\d{2}$")

#: Rows of the confirmed and deaths files that are a placeholder for the recovered count
#: ("Recovered, Canada" in some versions): dropped, as in int_global_series_unioned.
PHANTOM_PROVINCE = "Recovered"

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


def is_date_header(name: str) -> bool:
    return DATE_HEADER.fullmatch(name) is not None


def run_cli(
    name: str, compute: Callable[[Path, Path], dict[str, int]], argv: Sequence[str] | None
) -> int:
    """`--source DIR --out DIR`: compute both marts into DIR as Parquet, print rows and time."""
    parser = argparse.ArgumentParser(
        prog=f"python -m jhu_warehouse.reference.{name}_reference",
        description=f"{name} reference: fct_country_daily and fct_us_county_daily from the raw "
        "JHU files, written as Parquet",
    )
    parser.add_argument("--source", type=Path, required=True, help="folder with the JHU files")
    parser.add_argument("--out", type=Path, required=True, help="folder for the Parquet files")
    args = parser.parse_args(argv)
    missing = [
        f
        for f in (
            CONFIRMED_GLOBAL,
            DEATHS_GLOBAL,
            RECOVERED_GLOBAL,
            CONFIRMED_US,
            DEATHS_US,
            LOOKUP,
        )
        if not (args.source / f).is_file()
    ]
    if missing:
        print(f"error: {args.source}: missing {', '.join(missing)}")
        return 1
    args.out.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    rows = compute(args.source, args.out)
    seconds = time.perf_counter() - start
    shown = ", ".join(f"{mart} {n:,} rows" for mart, n in rows.items())
    print(f"{name} reference: {shown} in {seconds:.1f} s -> {args.out}")
    return 0
