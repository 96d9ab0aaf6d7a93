"""The pandas reference: fct_country_daily and fct_us_county_daily as a pandas script would.

Read (pandas.read_csv, pyarrow engine), melt the date columns to rows, group, diff, roll: the
same rules as the dbt models, written from their definitions:

- a cell is NULL when empty; text is trimmed and blank is NULL (`jhu_blank_to_null`);
- confirmed/deaths rows whose Province/State is "Recovered" are placeholders: dropped;
- recovered is NULL after the last date whose worldwide sum is above 0, and, per row, after that
  row's last date with a count above 0 (int_global_series_unioned);
- a country sums its rows per series, skipping NULLs, NULL when all are NULL;
- the US marts full-outer-join confirmed and deaths on (UID, date); a location's fips, names and
  population are the lookup's (fct_us_county_daily);
- new_x = x - x on the location's previous date (NULL on its first date); the 7-day average is
  the mean of the 7 changes ending on the date, NULL unless all 7 are known (jhu_measures.sql);
- per 100k and ratios are NULL when the denominator is 0 or NULL; revision flags are false when
  the change is unknown.

Where it is cheap and idiomatic, the script groups before it melts (a country's provinces are
summed in the wide frame) and computes the changes and windows over one sorted frame instead of
per group: the vectorised form of groupby().diff() and groupby().rolling().
"""

from __future__ import annotations

import csv
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from jhu_warehouse.bench.reference import common as c


def read_jhu(path: Path, text_columns: Sequence[str]) -> tuple[pd.DataFrame, list[str]]:
    """A JHU file: the given id columns as trimmed text (blank is NaN), date columns as float64
    renamed to Timestamps. Returns the frame and the id column names.

    Read with Arrow's CSV reader (what pandas.read_csv(engine="pyarrow") uses), told the type of
    every column up front: pandas' own per-column conversion of 1,143 columns costs more than
    the parse.
    """
    with path.open(encoding="utf-8-sig", newline="") as handle:
        header = next(csv.reader(handle))
    dates = [name for name in header if c.is_date_header(name)]
    types = {name: pa.float64() for name in dates} | {name: pa.string() for name in text_columns}
    table = pa_csv.read_csv(
        path,
        convert_options=pa_csv.ConvertOptions(
            column_types=types,
            include_columns=[*text_columns, *dates],
            null_values=[""],
            strings_can_be_null=True,
        ),
    )
    frame = table.to_pandas()
    for name in text_columns:
        stripped = frame[name].str.strip()
        frame[name] = stripped.mask(stripped == "")
    renamed = dict(zip(dates, pd.to_datetime(dates, format="%m/%d/%y"), strict=True))
    return frame.rename(columns=renamed), list(text_columns)


def date_columns(frame: pd.DataFrame) -> list:
    return [name for name in frame.columns if isinstance(name, pd.Timestamp)]


def melt_dates(wide: pd.DataFrame, key: str, measure: str) -> pd.DataFrame:
    """Wide (index: the location key, one column per date) to long (key, report_date, measure)."""
    wide = wide.set_axis(pd.DatetimeIndex(wide.columns), axis=1)
    long = wide.melt(ignore_index=False, var_name="report_date", value_name=measure)
    long[measure] = long[measure].astype("float64")
    return long.reset_index(names=key)


def as_number(frame: pd.DataFrame) -> pd.DataFrame:
    """Counts as float64 (NaN for NULL): exact for every count below 2**53."""
    return frame.astype("float64")


# --- fct_country_daily ---------------------------------------------------------------------------


def global_wide(source: Path, name: str) -> pd.DataFrame:
    frame, _ = read_jhu(source / name, ["Province/State", "Country/Region"])
    frame = frame.rename(columns={"Province/State": "province", "Country/Region": "country"})
    if name != c.RECOVERED_GLOBAL:
        frame = frame[frame["province"].fillna("") != c.PHANTOM_PROVINCE]
    return frame


def recovered_cleaned(frame: pd.DataFrame) -> pd.DataFrame:
    """NULL after the worldwide last reported date and after each row's own last positive date."""
    dates = date_columns(frame)
    values = as_number(frame[dates]).to_numpy()
    world = pd.DataFrame(values).sum(axis=0, min_count=1).to_numpy()
    reported = np.nonzero(world > 0)[0]
    world_last = reported.max() if len(reported) else -1
    cols = np.arange(len(dates))
    positive = values > 0
    has_positive = positive.any(axis=1)
    row_last = np.where(has_positive, len(dates) - 1 - np.argmax(positive[:, ::-1], axis=1), -1)
    after_own_last = has_positive[:, None] & (cols[None, :] > row_last[:, None])
    unknown = (cols[None, :] > world_last) | after_own_last
    cleaned = frame.copy()
    cleaned[dates] = np.where(unknown, np.nan, values)
    return cleaned


def country_long(frame: pd.DataFrame, measure: str) -> pd.DataFrame:
    """Sum a series per country (NULL when every row is NULL), then melt to (country, date)."""
    dates = date_columns(frame)
    summed = as_number(frame[dates]).groupby(frame["country"]).sum(min_count=1)
    return melt_dates(summed, "country_region", measure)


def country_daily(source: Path, lookup: pd.DataFrame) -> pd.DataFrame:
    confirmed = country_long(global_wide(source, c.CONFIRMED_GLOBAL), "cumulative_confirmed")
    deaths = country_long(global_wide(source, c.DEATHS_GLOBAL), "cumulative_deaths")
    recovered = country_long(
        recovered_cleaned(global_wide(source, c.RECOVERED_GLOBAL)), "cumulative_recovered"
    )
    daily = confirmed.merge(deaths, on=c.COUNTRY_KEY, how="outer").merge(
        recovered, on=c.COUNTRY_KEY, how="outer"
    )
    countries = lookup[lookup["Admin2"].isna() & lookup["Province_State"].isna()]
    countries = countries.rename(
        columns={"UID": "location_key", "Country_Region": "country_region", "iso3": "iso3"}
    )[["location_key", "country_region", "iso3", "population"]]
    daily = daily.merge(countries, on="country_region", how="left")
    daily = daily.sort_values(c.COUNTRY_KEY, ignore_index=True)
    measures(daily, "country_region", ["confirmed", "deaths", "recovered"])
    return finish(daily, c.COUNTRY_COLUMNS)


# --- fct_us_county_daily -------------------------------------------------------------------------


def us_wide(source: Path, name: str) -> pd.DataFrame:
    """A US file as a wide frame: index location_key (UID), one float64 column per date."""
    frame, _ = read_jhu(source / name, ["UID"])
    wide = frame[date_columns(frame)]
    wide.index = pd.Index(frame["UID"].astype("int64"), name="location_key")
    return wide.set_axis(pd.DatetimeIndex(wide.columns), axis=1)


def clean_fips(fips: pd.Series, county: pd.Series) -> pd.Series:
    """jhu_clean_fips: NULL when blank; 2 characters for a state-level code below 100, else 5."""
    number = pd.to_numeric(fips, errors="raise").astype("Int64")
    text = number.astype("string")
    short = county.isna() & (number < 100)
    return text.str.zfill(5).mask(short.fillna(False), text.str.zfill(2)).mask(number.isna())


#: Locations per batch of fct_us_county_daily: every measure is per location, so the long frame
#: is built and finished a batch at a time and memory stays flat as the locations grow.
BATCH_LOCATIONS = 4096


def us_county_batches(source: Path, lookup: pd.DataFrame) -> Iterator[pd.DataFrame]:
    """fct_us_county_daily, a batch of locations at a time, sorted by (location_key, date).

    The full outer join of the two long series is done on the wide frames: both are aligned on
    the union of locations and dates, stacked (wide to long, in location-then-date order, so no
    sort is needed), and a (location, date) pair is kept when either file has it.
    """
    confirmed = us_wide(source, c.CONFIRMED_US)
    deaths = us_wide(source, c.DEATHS_US)
    keys = confirmed.index.union(deaths.index).sort_values()
    dates = confirmed.columns.union(deaths.columns).sort_values()
    locations = lookup.rename(
        columns={"UID": "location_key", "Admin2": "county_name", "Province_State": "state_name"}
    )[["location_key", "fips", "county_name", "state_name", "population"]]
    for name in ("fips", "county_name", "state_name"):
        locations[name] = locations[name].astype("category")
    locations = locations.set_index("location_key")
    for start in range(0, len(keys), BATCH_LOCATIONS):
        batch = keys[start : start + BATCH_LOCATIONS]
        columns = {}
        present = np.zeros(len(batch) * len(dates), dtype=bool)
        for measure, wide in (("cumulative_confirmed", confirmed), ("cumulative_deaths", deaths)):
            aligned = wide.reindex(index=batch, columns=dates)
            columns[measure] = aligned.stack(future_stack=True)
            present |= np.outer(batch.isin(wide.index), dates.isin(wide.columns)).ravel()
        daily = pd.DataFrame(columns)[present]
        daily.index = daily.index.set_names(["location_key", "report_date"])
        daily = daily.reset_index().join(locations, on="location_key")
        measures(daily, "location_key", ["confirmed", "deaths"])
        yield finish(daily, c.COUNTY_COLUMNS)


def us_county_daily(source: Path, lookup: pd.DataFrame) -> pd.DataFrame:
    return pd.concat(us_county_batches(source, lookup), ignore_index=True)


# --- shared measures -----------------------------------------------------------------------------


def measures(daily: pd.DataFrame, location: str, series: list[str]) -> None:
    """Add changes, 7-day averages, ratios and flags to a frame sorted by (location, date)."""
    first = daily[location].ne(daily[location].shift())
    # The 7-row window may only span one location: rows within 6 of a location's first row.
    position = daily.groupby(location, sort=False).cumcount()
    for name in series:
        change = daily[f"cumulative_{name}"].diff().mask(first)
        daily[f"new_{name}"] = change
        if name != "recovered":
            # min_periods=7 counts known values: NULL unless all 7 changes are known.
            mean = change.rolling(7, min_periods=7).mean()
            daily[f"new_{name}_7d_avg"] = mean.mask(position < 6)
            daily[f"is_{name}_revised_down"] = change.lt(0)  # NaN < 0 is False
    population = daily["population"].astype("float64").mask(daily["population"] == 0)
    daily["confirmed_per_100k"] = daily["cumulative_confirmed"] * 100000 / population
    daily["deaths_per_100k"] = daily["cumulative_deaths"] * 100000 / population
    confirmed = daily["cumulative_confirmed"].mask(daily["cumulative_confirmed"] == 0)
    daily["case_fatality_ratio"] = daily["cumulative_deaths"] / confirmed


def finish(daily: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """The mart's columns with its types: counts as nullable BIGINT (report_date stays a
    datetime64 here; it is written as a Parquet DATE)."""
    out = daily[columns].copy()
    counts = [
        name
        for name in columns
        if name in ("location_key", "population")
        or (name.startswith(("cumulative_", "new_")) and not name.endswith("_7d_avg"))
    ]
    for name in counts:
        out[name] = out[name].round().astype("Int64")
    return out


def read_lookup(source: Path) -> pd.DataFrame:
    text = ["UID", "iso3", "FIPS", "Admin2", "Province_State", "Country_Region", "Population"]
    frame = pd.read_csv(
        source / c.LOOKUP,
        engine="pyarrow",
        dtype=dict.fromkeys(text, "string"),
        keep_default_na=False,
        na_values=[""],
        usecols=text,
    )
    for name in text:
        stripped = frame[name].str.strip()
        frame[name] = stripped.mask(stripped == "")
    frame["UID"] = frame["UID"].astype("int64")
    frame["population"] = pd.to_numeric(frame["Population"]).astype("float64")
    frame["fips"] = clean_fips(frame["FIPS"], frame["Admin2"])
    return frame


def compute(source: Path) -> dict[str, pd.DataFrame]:
    """Both marts from the files in `source`, in memory (for the real files and tests)."""
    lookup = read_lookup(source)
    return {
        "fct_country_daily": country_daily(source, lookup),
        "fct_us_county_daily": us_county_daily(source, lookup),
    }


def arrow_table(frame: pd.DataFrame) -> pa.Table:
    """A mart frame as Arrow, report_date as DATE."""
    table = pa.Table.from_pandas(frame, preserve_index=False)
    index = table.schema.get_field_index("report_date")
    return table.set_column(index, "report_date", table["report_date"].cast(pa.date32()))


def write(source: Path, out: Path) -> dict[str, int]:
    """Both marts written as Parquet into `out`; the county mart batch by batch."""
    c.require_files(source)
    out.mkdir(parents=True, exist_ok=True)
    lookup = read_lookup(source)
    country = country_daily(source, lookup)
    pq.write_table(arrow_table(country), out / "fct_country_daily.parquet")
    rows = {"fct_country_daily": len(country), "fct_us_county_daily": 0}
    writer: pq.ParquetWriter | None = None
    try:
        for batch in us_county_batches(source, lookup):
            table = arrow_table(batch)
            if writer is None:
                writer = pq.ParquetWriter(out / "fct_us_county_daily.parquet", table.schema)
            writer.write_table(table.cast(writer.schema))
            rows["fct_us_county_daily"] += len(batch)
    finally:
        if writer is not None:
            writer.close()
    return rows
