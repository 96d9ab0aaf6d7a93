"""Every mart against the raw files, by a path that shares none of the project's SQL.

The expected figures are computed here, in plain Python, from the real JHU CSVs read with the
csv module: a country is the sum of its rows, a change is today's cumulative minus the previous
date's, a 7-day average the mean of the 7 changes ending on the date, a week runs Monday to
Sunday. The rules are the documented meaning of each column (models/docs/, the marts' yml),
implemented again here, never the models' SQL or the package's constants. Each mart is compared
on every date where that is cheap, and on dates spread over the whole range where it is not (the
US county mart), column family by column family.

The pipeline runs once per session (conftest.py `pipeline_run`).
"""

from __future__ import annotations

import csv
import itertools
import math
import re
import shutil
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from pathlib import Path

import duckdb
import pytest

pytestmark = pytest.mark.e2e

DATE_HEADER = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{2})$")
#: Doubles agree when equal to 9 significant digits (sums run in a different order).
REL = 1e-9
#: How many differences a failure lists.
SHOWN = 8
GLOBAL = {
    "confirmed": "time_series_covid19_confirmed_global.csv",
    "deaths": "time_series_covid19_deaths_global.csv",
    "recovered": "time_series_covid19_recovered_global.csv",
}
US = {
    "confirmed": "time_series_covid19_confirmed_US.csv",
    "deaths": "time_series_covid19_deaths_US.csv",
}
LOOKUP = "UID_ISO_FIPS_LookUp_Table.csv"

Count = int | None


# ------------------------------------------------------------------------------- the raw files


def parse_date(header: str) -> date:
    month, day, year = DATE_HEADER.fullmatch(header).groups()
    return date(2000 + int(year), int(month), int(day))


def cell(text: str) -> Count:
    """A count cell: empty is unknown (None)."""
    text = text.strip()
    return int(float(text)) if text else None


def blank(text: str) -> str | None:
    return text.strip() or None


@dataclass(frozen=True)
class Series:
    """One time-series file: its id columns per row and one count per date column."""

    dates: list[date]
    ids: list[dict[str, str]]
    values: list[list[Count]]


@cache
def read_series(path: Path) -> Series:
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        positions = [i for i, h in enumerate(header) if DATE_HEADER.fullmatch(h)]
        first = positions[0]
        ids, values = [], []
        for row in reader:
            ids.append(dict(zip(header[:first], row[:first], strict=True)))
            values.append([cell(row[i]) for i in positions])
    return Series([parse_date(header[i]) for i in positions], ids, values)


@cache
def read_lookup(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def global_series(source: Path, series: str) -> Series:
    """A global file without the phantom "Recovered" rows of confirmed and deaths (models/docs/:
    a placeholder for a count that belongs to the recovered file, dropped)."""
    raw = read_series(source / GLOBAL[series])
    if series == "recovered":
        return masked_recovered(raw)
    keep = [i for i, ids in enumerate(raw.ids) if ids["Province/State"].strip() != "Recovered"]
    return Series(raw.dates, [raw.ids[i] for i in keep], [raw.values[i] for i in keep])


def masked_recovered(raw: Series) -> Series:
    """Recovered as models/docs/ defines it: unknown after the last date whose worldwide sum is
    above 0, and for a row after its own last date above 0."""
    world = [sum(v[i] or 0 for v in raw.values) for i in range(len(raw.dates))]
    world_end = max(i for i, total in enumerate(world) if total > 0)
    masked = []
    for values in raw.values:
        positive = [i for i, v in enumerate(values) if v is not None and v > 0]
        end = min(world_end, positive[-1]) if positive else world_end
        masked.append([v if i <= end else None for i, v in enumerate(values)])
    return Series(raw.dates, raw.ids, masked)


# ------------------------------------------------------------------------------- the measures


def total(counts: list[Count]) -> Count:
    """A sum skips unknown counts and is unknown only when every count is."""
    known = [c for c in counts if c is not None]
    return sum(known) if known else None


def changes(cumulative: list[Count]) -> list[Count]:
    """Today's cumulative minus the previous date's; unknown on the first date or next to an
    unknown count; negative when kept so."""
    out: list[Count] = [None]
    for before, today in itertools.pairwise(cumulative):
        out.append(today - before if today is not None and before is not None else None)
    return out


def averages_7d(cumulative: list[Count]) -> list[float | None]:
    """The mean of the 7 daily changes ending on each date; unknown unless all 7 are known."""
    daily = changes(cumulative)
    out: list[float | None] = []
    for i in range(len(daily)):
        window = daily[i - 6 : i + 1] if i >= 6 else []
        known = len(window) == 7 and all(v is not None for v in window)
        out.append(sum(window) / 7 if known else None)
    return out


def ratio(numerator: Count, denominator: Count, scale: int = 1) -> float | None:
    if numerator is None or not denominator:
        return None
    return numerator * scale / denominator


def revised_down(change: Count) -> bool:
    return change is not None and change < 0


# ------------------------------------------------------------------------------- comparison


def same(a: object, b: object) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        if a is None or b is None:
            return a is b
        return math.isclose(a, b, rel_tol=REL, abs_tol=1e-9)
    return a == b


def differences(
    expected: dict[tuple, tuple], got: dict[tuple, tuple], columns: list[str]
) -> list[str]:
    """Keys on one side only, then cells that differ, column by column (empty when equal)."""
    problems = []
    missing, extra = sorted(set(expected) - set(got)), sorted(set(got) - set(expected))
    if missing:
        problems.append(f"{len(missing)} rows missing from the mart, e.g. {missing[:SHOWN]}")
    if extra:
        problems.append(f"{len(extra)} rows in the mart not in the files, e.g. {extra[:SHOWN]}")
    for index, name in enumerate(columns):
        wrong = [
            (key, got[key][index], expected[key][index])
            for key in sorted(set(expected) & set(got))
            if not same(got[key][index], expected[key][index])
        ]
        if wrong:
            shown = "; ".join(f"{k}: mart {m!r}, files {e!r}" for k, m, e in wrong[:SHOWN])
            problems.append(f"{name}: {len(wrong)} rows differ, e.g. {shown}")
    return problems


def mart_rows(pipeline_run, sql: str, keys: int, params: list | None = None) -> dict:
    """The rows of a query as {key columns: other columns}."""
    with pipeline_run.connect() as con:
        rows = con.execute(sql, params or []).fetchall()
    return {tuple(row[:keys]): tuple(row[keys:]) for row in rows}


def spread_dates(dates: list[date], extra: list[date]) -> list[date]:
    """About a dozen dates over the whole range, plus the edge cases named."""
    step = max(1, len(dates) // 10)
    chosen = set(dates[::step]) | {dates[0], dates[1], dates[6], dates[7], dates[-1]}
    return sorted(chosen | {d for d in extra if d in dates})


# ------------------------------------------------------------------------------- the lookup


@dataclass(frozen=True)
class Place:
    uid: int
    fips: str | None
    county: str | None
    province: str | None
    country: str
    iso3: str | None
    population: Count
    combined_key: str


def places(source: Path) -> list[Place]:
    return [
        Place(
            int(row["UID"]),
            fips(row),
            blank(row["Admin2"]),
            blank(row["Province_State"]),
            row["Country_Region"].strip(),
            blank(row["iso3"]),
            cell(row["Population"]),
            row["Combined_Key"].strip(),
        )
        for row in read_lookup(source / LOOKUP)
    ]


def fips(row: dict[str, str]) -> str | None:
    """models/docs/: zero-padded text, 5 characters for county rows and ships, 2 for states and
    territories; JHU also published FIPS as floats (`1001.0`)."""
    text = row.get("FIPS", "").strip()
    if not text:
        return None
    number = int(float(text))
    state_level = not row.get("Admin2", "").strip() and number < 100
    return f"{number:02d}" if state_level else f"{number:05d}"


def country_places(source: Path) -> dict[str, Place]:
    """The country-level lookup row (no province, no county) of each Country/Region."""
    return {p.country: p for p in places(source) if p.province is None and p.county is None}


def province_places(source: Path) -> dict[tuple[str | None, str], Place]:
    return {(p.province, p.country): p for p in places(source) if p.county is None}


# ------------------------------------------------------------------------------- dim_location


def dim_location_problems(pipeline_run) -> list[str]:
    expected = {}
    for row in read_lookup(pipeline_run.source / LOOKUP):
        lat, long = cell_float(row["Lat"]), cell_float(row["Long_"])
        if lat == 0 and long == 0:  # models/docs/: the 0,0 placeholder is no position
            lat = long = None
        county, province = blank(row["Admin2"]), blank(row["Province_State"])
        level = "county" if county else "province_state" if province else "country"
        code3 = blank(row["code3"])
        expected[(int(row["UID"]),)] = (
            blank(row["iso2"]),
            blank(row["iso3"]),
            int(float(code3)) if code3 else None,
            fips(row),
            county,
            province,
            row["Country_Region"].strip(),
            lat,
            long,
            cell(row["Population"]),
            row["Combined_Key"].strip(),
            level,
        )
    columns = [
        "iso2",
        "iso3",
        "code3",
        "fips",
        "county_name",
        "province_state",
        "country_region",
        "latitude",
        "longitude",
        "population",
        "combined_key",
        "location_level",
    ]
    got = mart_rows(
        pipeline_run, f"select location_key, {', '.join(columns)} from marts.dim_location", 1
    )
    assert len(expected) == 4321  # SOURCES.md: the lookup's rows
    problems = differences(expected, got, columns)
    return problems


def cell_float(text: str) -> float | None:
    text = text.strip()
    return float(text) if text else None


# ------------------------------------------------------------------------------- countries


@dataclass(frozen=True)
class CountryDays:
    """Per Country/Region, one cumulative list per series over the global files' dates."""

    dates: list[date]
    cumulative: dict[str, dict[str, list[Count]]]  # series -> country -> counts by date


@cache
def country_days(source: Path) -> CountryDays:
    cumulative: dict[str, dict[str, list[Count]]] = {}
    dates: list[date] = []
    for series in GLOBAL:
        raw = global_series(source, series)
        dates = dates or raw.dates
        assert raw.dates == dates, f"{series}: dates differ from the confirmed file"
        rows: dict[str, list[list[Count]]] = defaultdict(list)
        for ids, values in zip(raw.ids, raw.values, strict=True):
            rows[ids["Country/Region"].strip()].append(values)
        cumulative[series] = {
            country: [total([r[i] for r in group]) for i in range(len(dates))]
            for country, group in rows.items()
        }
    return CountryDays(dates, cumulative)


COUNTRY_COLUMNS = [
    "location_key",
    "iso3",
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


def expected_country_daily(source: Path) -> dict[tuple, tuple]:
    days = country_days(source)
    lookup = country_places(source)
    countries = set().union(*(days.cumulative[s] for s in GLOBAL))
    unknown = [None] * len(days.dates)
    expected = {}
    for country in countries:
        confirmed = days.cumulative["confirmed"].get(country, unknown)
        deaths = days.cumulative["deaths"].get(country, unknown)
        recovered = days.cumulative["recovered"].get(country, unknown)
        new_c, new_d, new_r = changes(confirmed), changes(deaths), changes(recovered)
        avg_c, avg_d = averages_7d(confirmed), averages_7d(deaths)
        place = lookup.get(country)
        population = place.population if place else None
        for i, day in enumerate(days.dates):
            expected[(country, day)] = (
                place.uid if place else None,
                place.iso3 if place else None,
                population,
                confirmed[i],
                deaths[i],
                recovered[i],
                new_c[i],
                new_d[i],
                new_r[i],
                avg_c[i],
                avg_d[i],
                ratio(confirmed[i], population, 100_000),
                ratio(deaths[i], population, 100_000),
                ratio(deaths[i], confirmed[i]),
                revised_down(new_c[i]),
                revised_down(new_d[i]),
            )
    return expected


def country_daily_problems(pipeline_run) -> list[str]:
    expected = expected_country_daily(pipeline_run.source)
    got = mart_rows(
        pipeline_run,
        f"select country_region, report_date, {', '.join(COUNTRY_COLUMNS)} "
        "from marts.fct_country_daily",
        2,
    )
    assert len({k[1] for k in expected}) == 1143  # DESIGN.md: 1/22/20 ... 3/9/23
    problems = differences(expected, got, COUNTRY_COLUMNS)
    return problems


def test_the_country_figures_hold_at_the_published_spot_values(pipeline_run):
    """SOURCES.md's figures, so the computation above is itself anchored in the files' docs:
    the world and the US on the last day, and recovered known exactly up to 8/4/21."""
    days = country_days(pipeline_run.source)
    last = days.dates.index(date(2023, 3, 9))
    assert days.cumulative["confirmed"]["US"][last] == 103_802_702
    assert days.cumulative["deaths"]["US"][last] == 1_123_836
    world = sum(c[last] or 0 for c in days.cumulative["confirmed"].values())
    assert world == 676_570_149
    reported = [
        i
        for i in range(len(days.dates))
        if total([c[i] for c in days.cumulative["recovered"].values()])
    ]
    assert days.dates[reported[-1]] == date(2021, 8, 4)
    assert total([c[reported[-1]] for c in days.cumulative["recovered"].values()]) == 130_899_061
    assert total([c[reported[-1] + 1] for c in days.cumulative["recovered"].values()]) is None


# ------------------------------------------------------------------------------- the world


def global_daily_problems(pipeline_run) -> list[str]:
    days = country_days(pipeline_run.source)
    n = len(days.dates)
    world = {
        s: [total([c[i] for c in days.cumulative[s].values()]) for i in range(n)] for s in GLOBAL
    }
    reporting = [
        sum(1 for c in days.cumulative["confirmed"].values() if (c[i] or 0) > 0) for i in range(n)
    ]
    new = {s: changes(world[s]) for s in GLOBAL}
    avg = {s: averages_7d(world[s]) for s in ("confirmed", "deaths")}
    expected = {
        (day,): (
            world["confirmed"][i],
            world["deaths"][i],
            world["recovered"][i],
            new["confirmed"][i],
            new["deaths"][i],
            new["recovered"][i],
            avg["confirmed"][i],
            avg["deaths"][i],
            ratio(world["deaths"][i], world["confirmed"][i]),
            reporting[i],
        )
        for i, day in enumerate(days.dates)
    }
    columns = [
        "cumulative_confirmed",
        "cumulative_deaths",
        "cumulative_recovered",
        "new_confirmed",
        "new_deaths",
        "new_recovered",
        "new_confirmed_7d_avg",
        "new_deaths_7d_avg",
        "case_fatality_ratio",
        "countries_reporting",
    ]
    got = mart_rows(
        pipeline_run, f"select report_date, {', '.join(columns)} from marts.fct_global_daily", 1
    )
    problems = differences(expected, got, columns)
    return problems


# ------------------------------------------------------------------------------- weeks


WEEKLY_COLUMNS = [
    "location_key",
    "iso3",
    "iso_year",
    "iso_week",
    "days_in_week",
    "new_confirmed",
    "new_deaths",
    "new_confirmed_prev_week",
    "new_deaths_prev_week",
    "new_confirmed_wow_change",
    "new_deaths_wow_change",
    "new_confirmed_wow_pct",
    "new_deaths_wow_pct",
]


def country_weekly_problems(pipeline_run) -> list[str]:
    """ISO weeks from Monday; a week sums the known daily changes and counts its dates; the
    previous week is the calendar week before; the percent is NULL when that week is 0."""
    daily = expected_country_daily(pipeline_run.source)
    weeks: dict[tuple[str, date], list[tuple]] = defaultdict(list)
    for (country, day), row in daily.items():
        weeks[(country, day - timedelta(days=day.weekday()))].append(row)

    def week_sum(rows: list[tuple], column: str) -> Count:
        return total([r[COUNTRY_COLUMNS.index(column)] for r in rows])

    expected = {}
    for (country, monday), rows in weeks.items():
        before = weeks.get((country, monday - timedelta(days=7)))
        first = rows[0]
        year, week, _ = monday.isocalendar()
        values = []
        for series in ("new_confirmed", "new_deaths"):
            now = week_sum(rows, series)
            previous = week_sum(before, series) if before else None
            change = now - previous if now is not None and previous is not None else None
            values.append((now, previous, change, ratio(change, previous, 100)))
        (nc, pc, cc, pctc), (nd, pd, cd, pctd) = values
        expected[(country, monday)] = (
            first[COUNTRY_COLUMNS.index("location_key")],
            first[COUNTRY_COLUMNS.index("iso3")],
            year,
            week,
            len(rows),
            nc,
            nd,
            pc,
            pd,
            cc,
            cd,
            pctc,
            pctd,
        )
    got = mart_rows(
        pipeline_run,
        f"select country_region, week_start_date, {', '.join(WEEKLY_COLUMNS)} "
        "from marts.fct_country_weekly",
        2,
    )
    # the data's first and last weeks are partial: 1/22/20 is a Wednesday, 3/9/23 a Thursday
    assert expected[("US", date(2020, 1, 20))][WEEKLY_COLUMNS.index("days_in_week")] == 5
    assert expected[("US", date(2023, 3, 6))][WEEKLY_COLUMNS.index("days_in_week")] == 4
    problems = differences(expected, got, WEEKLY_COLUMNS)
    return problems


# ------------------------------------------------------------------------------- US


@dataclass(frozen=True)
class UsDays:
    dates: list[date]
    """Every date either US file has (they end on different dates)."""
    cumulative: dict[str, dict[int, list[Count]]]  # series -> UID -> counts over `dates`
    state_of: dict[int, str]  # UID -> the file's Province_State


@cache
def us_days(source: Path) -> UsDays:
    files = {s: read_series(source / name) for s, name in US.items()}
    dates = sorted(set().union(*(f.dates for f in files.values())))
    cumulative: dict[str, dict[int, list[Count]]] = {}
    state_of: dict[int, str] = {}
    for series, raw in files.items():
        position = {d: i for i, d in enumerate(raw.dates)}
        cumulative[series] = {}
        for ids, values in zip(raw.ids, raw.values, strict=True):
            uid = int(float(ids["UID"]))
            state_of[uid] = ids["Province_State"].strip()
            cumulative[series][uid] = [
                values[position[d]] if d in position else None for d in dates
            ]
    return UsDays(dates, cumulative, state_of)


MEASURE_COLUMNS = [
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


def measures(confirmed: list[Count], deaths: list[Count], population: Count) -> list[tuple]:
    new_c, new_d = changes(confirmed), changes(deaths)
    avg_c, avg_d = averages_7d(confirmed), averages_7d(deaths)
    return [
        (
            population,
            confirmed[i],
            deaths[i],
            new_c[i],
            new_d[i],
            avg_c[i],
            avg_d[i],
            ratio(confirmed[i], population, 100_000),
            ratio(deaths[i], population, 100_000),
            ratio(deaths[i], confirmed[i]),
            revised_down(new_c[i]),
            revised_down(new_d[i]),
        )
        for i in range(len(confirmed))
    ]


def us_check_dates(days: UsDays, source: Path) -> list[date]:
    ends = [read_series(source / name).dates[-1] for name in US.values()]
    return spread_dates(days.dates, [*ends, *(e + timedelta(days=1) for e in ends)])


def us_state_daily_problems(pipeline_run) -> list[str]:
    source = pipeline_run.source
    days = us_days(source)
    in_lookup = {p.uid for p in places(source)}
    states = {p.province: p for p in places(source) if p.country == "US" and p.county is None}
    by_state: dict[str, dict[str, list[list[Count]]]] = defaultdict(lambda: defaultdict(list))
    for series in US:
        for uid, counts in days.cumulative[series].items():
            if uid in in_lookup:  # a row whose UID is not in the lookup has no state
                by_state[days.state_of[uid]][series].append(counts)
    check = us_check_dates(days, source)
    expected = {}
    for state, series in by_state.items():
        # a state's sum on a date, over its rows of that file (unknown if it has none)
        confirmed, deaths = (
            [total([c[i] for c in series[s]]) for i in range(len(days.dates))] for s in US
        )
        place = states.get(state)
        rows = measures(confirmed, deaths, place.population if place else None)
        for i, day in enumerate(days.dates):
            if day in check:
                key = place.uid if place else None
                expected[(state, day)] = (key, place.fips if place else None, *rows[i])
    columns = ["location_key", "state_fips", *MEASURE_COLUMNS]
    got = mart_rows(
        pipeline_run,
        f"select state_name, report_date, {', '.join(columns)} from marts.fct_us_state_daily "
        "where report_date in (select unnest(?))",
        2,
        [check],
    )
    assert len(check) >= 10
    problems = differences(expected, got, columns)
    return problems


def us_county_daily_problems(pipeline_run) -> list[str]:
    source = pipeline_run.source
    days = us_days(source)
    lookup = {p.uid: p for p in places(source)}
    unknown = [None] * len(days.dates)
    check = us_check_dates(days, source)
    expected = {}
    for uid in set(days.cumulative["confirmed"]) | set(days.cumulative["deaths"]):
        place = lookup.get(uid)
        rows = measures(
            days.cumulative["confirmed"].get(uid, unknown),
            days.cumulative["deaths"].get(uid, unknown),
            place.population if place else None,
        )
        for i, day in enumerate(days.dates):
            if day in check:
                names = (place.fips, place.county, place.province) if place else (None,) * 3
                expected[(uid, day)] = (*names, *rows[i])
    columns = ["fips", "county_name", "state_name", *MEASURE_COLUMNS]
    got = mart_rows(
        pipeline_run,
        f"select location_key, report_date, {', '.join(columns)} from marts.fct_us_county_daily "
        "where report_date in (select unnest(?))",
        2,
        [check],
    )
    problems = differences(expected, got, columns)
    return problems


# ------------------------------------------------------------------------------- revisions


REVISION_COLUMNS = [
    "series",
    "location_key",
    "combined_key",
    "country_region",
    "province_state",
    "county_name",
    "previous_cumulative",
    "cumulative",
    "revision_amount",
]


def drops(counts: list[Count], dates: list[date]) -> list[tuple[date, int, int]]:
    """Every date whose known count is below the known count of the date before."""
    return [
        (dates[i], before, today)
        for i, (before, today) in enumerate(itertools.pairwise(counts), start=1)
        if before is not None and today is not None and today < before
    ]


def revisions_problems(pipeline_run) -> list[str]:
    source = pipeline_run.source
    expected = {}
    provinces = province_places(source)
    for series, name in GLOBAL.items():
        raw = global_series(source, series)
        for ids, values in zip(raw.ids, raw.values, strict=True):
            province, country = blank(ids["Province/State"]), ids["Country/Region"].strip()
            place = provinces.get((province, country))
            combined = place.combined_key if place else ", ".join(filter(None, [province, country]))
            for day, before, today in drops(values, raw.dates):
                expected[(name, combined, day)] = (
                    series,
                    place.uid if place else None,
                    combined,
                    country,
                    province,
                    None,
                    before,
                    today,
                    today - before,
                )
    lookup = {p.uid: p for p in places(source)}
    days = us_days(source)
    for series, name in US.items():
        for uid, counts in days.cumulative[series].items():
            place = lookup.get(uid)
            for day, before, today in drops(counts, days.dates):
                key = place.combined_key if place else None
                expected[(name, key, day)] = (
                    series,
                    uid,
                    key,
                    place.country if place else None,
                    place.province if place else None,
                    place.county if place else None,
                    before,
                    today,
                    today - before,
                )
    got = mart_rows(
        pipeline_run,
        "select source_file, combined_key, report_date, "
        f"{', '.join(REVISION_COLUMNS)} from marts.fct_downward_revisions",
        3,
    )
    files = {key[0] for key in expected}
    assert files == set(GLOBAL.values()) | set(US.values()), "a file with no revision at all?"
    problems = differences(expected, got, REVISION_COLUMNS)
    return problems


def flag_problems(pipeline_run) -> list[str]:
    """The days flagged `is_*_revised_down` against the falls found in the raw files."""
    source = pipeline_run.source
    days = us_days(source)
    expected_us = {
        (uid, day, series)
        for series in US
        for uid, counts in days.cumulative[series].items()
        for day, _, _ in drops(counts, days.dates)
    }
    country = country_days(source)
    expected_countries = {
        (name, day, series)
        for series in ("confirmed", "deaths")
        for name, counts in country.cumulative[series].items()
        for day, _, _ in drops(counts, country.dates)
    }
    with pipeline_run.connect() as con:
        flagged_us = {
            (uid, day, series)
            for series in US
            for uid, day in con.execute(
                "select location_key, report_date from marts.fct_us_county_daily "
                f"where is_{series}_revised_down"
            ).fetchall()
        }
        flagged_countries = {
            (name, day, series)
            for series in ("confirmed", "deaths")
            for name, day in con.execute(
                "select country_region, report_date from marts.fct_country_daily "
                f"where is_{series}_revised_down"
            ).fetchall()
        }
    assert expected_us and expected_countries
    return [
        f"{mart}: flagged but no fall in the files {sorted(got - want)[:SHOWN]}; "
        f"a fall in the files not flagged {sorted(want - got)[:SHOWN]}"
        for mart, got, want in (
            ("fct_us_county_daily", flagged_us, expected_us),
            ("fct_country_daily", flagged_countries, expected_countries),
        )
        if got != want
    ]


def test_dim_location_is_the_lookup_table_row_for_row(pipeline_run):
    problems = dim_location_problems(pipeline_run)
    assert not problems, "dim_location vs the lookup table:\n" + "\n".join(problems)


def test_fct_country_daily_equals_the_files_on_every_date(pipeline_run):
    problems = country_daily_problems(pipeline_run)
    assert not problems, "fct_country_daily vs the files:\n" + "\n".join(problems)


def test_fct_global_daily_equals_the_files_on_every_date(pipeline_run):
    problems = global_daily_problems(pipeline_run)
    assert not problems, "fct_global_daily vs the files:\n" + "\n".join(problems)


def test_fct_country_weekly_equals_the_files_every_week(pipeline_run):
    problems = country_weekly_problems(pipeline_run)
    assert not problems, "fct_country_weekly vs the files:\n" + "\n".join(problems)


def test_fct_us_state_daily_equals_the_files_on_dates_across_the_range(pipeline_run):
    problems = us_state_daily_problems(pipeline_run)
    assert not problems, "fct_us_state_daily vs the files:\n" + "\n".join(problems)


def test_fct_us_county_daily_equals_the_files_on_dates_across_the_range(pipeline_run):
    problems = us_county_daily_problems(pipeline_run)
    assert not problems, "fct_us_county_daily vs the files:\n" + "\n".join(problems)


def test_fct_downward_revisions_lists_every_fall_of_the_raw_series_and_nothing_else(pipeline_run):
    problems = revisions_problems(pipeline_run)
    assert not problems, "fct_downward_revisions vs the files:\n" + "\n".join(problems)


def test_the_revision_flags_of_the_daily_marts_are_the_falls_of_the_files(pipeline_run):
    """Replaces assert_revisions_match_flags, which compared fct_downward_revisions with the
    flags of the rows it is built from: here both are checked against the raw files."""
    problems = flag_problems(pipeline_run)
    assert not problems, "revision flags vs the files:\n" + "\n".join(problems)


# ------------------------------------------------------------------------------- proof


@dataclass(frozen=True)
class ScratchWarehouse:
    """A changed copy of the session's warehouse file, read as the checks read the real one."""

    source: Path
    path: Path

    def connect(self) -> duckdb.DuckDBPyConnection:
        return duckdb.connect(str(self.path), read_only=True)


#: One wrong cell (or row) per mart, and what its check must report: the column that differs.
MUTATIONS = {
    "dim_location": (
        "update marts.dim_location set population = population + 1 "
        "where location_key = (select min(location_key) from marts.dim_location "
        "where population > 0)",
        "population:",
    ),
    "fct_country_daily": (
        "update marts.fct_country_daily set new_deaths_7d_avg = new_deaths_7d_avg + 0.5 "
        "where country_region = 'Germany' and report_date = date '2021-06-01'",
        # and the flag changed below, for the flags' check, in the same mart
        ("new_deaths_7d_avg:", "is_deaths_revised_down:"),
    ),
    "fct_global_daily": (
        "update marts.fct_global_daily set cumulative_recovered = 0 "
        "where report_date = date '2021-08-05'",
        "cumulative_recovered:",
    ),
    "fct_country_weekly": (
        "update marts.fct_country_weekly set new_confirmed_wow_pct = new_confirmed_wow_pct * 2 "
        "where country_region = 'Brazil' and week_start_date = date '2022-01-10'",
        "new_confirmed_wow_pct:",
    ),
    "fct_us_state_daily": (
        "update marts.fct_us_state_daily set deaths_per_100k = deaths_per_100k + 1e-3 "
        "where state_name = 'Texas' and report_date = (select max(report_date) "
        "from marts.fct_us_state_daily)",
        "deaths_per_100k:",
    ),
    "fct_us_county_daily": (
        "update marts.fct_us_county_daily set cumulative_confirmed = cumulative_confirmed + 1 "
        "where fips = '01001' and report_date = date '2020-01-22'",
        "cumulative_confirmed:",
    ),
    "fct_downward_revisions": (
        "delete from marts.fct_downward_revisions where rowid = 0",
        "1 rows missing from the mart",
    ),
    "flags": (
        "update marts.fct_country_daily set is_deaths_revised_down = not is_deaths_revised_down "
        "where country_region = 'Japan' and report_date = date '2020-04-01'",
        "fct_country_daily: flagged",
    ),
}
CHECKS = {
    "dim_location": dim_location_problems,
    "fct_country_daily": country_daily_problems,
    "fct_global_daily": global_daily_problems,
    "fct_country_weekly": country_weekly_problems,
    "fct_us_state_daily": us_state_daily_problems,
    "fct_us_county_daily": us_county_daily_problems,
    "fct_downward_revisions": revisions_problems,
    "flags": flag_problems,
}


def tables_in_place_of_views(con) -> None:
    """A mart built as `parquet_file` is a view over the build's file: in a copy of the
    warehouse, a table of its rows takes the view's place, so the copy can be changed without
    touching the session's file."""
    views = con.execute(
        "select view_name from duckdb_views() where not internal and schema_name = 'marts'"
    ).fetchall()
    for (name,) in views:
        con.execute(f'create table marts."{name}__rows" as select * from marts."{name}"')
        con.execute(f'drop view marts."{name}"')
        con.execute(f'alter table marts."{name}__rows" rename to "{name}"')


def test_each_check_reports_one_changed_cell_of_its_mart(pipeline_run, tmp_path):
    """The comparisons above can fail: in a copy of the warehouse with one cell changed in each
    mart, each check reports exactly that column (the marts' other columns still agree)."""
    copy = tmp_path / "changed.duckdb"
    shutil.copyfile(pipeline_run.duckdb_path, copy)
    with duckdb.connect(str(copy)) as con:
        tables_in_place_of_views(con)
        for name, (sql, _) in MUTATIONS.items():
            changed = con.execute(sql).fetchone()[0]
            assert changed == 1, f"{name}: the mutation changed {changed} rows"
    scratch = ScratchWarehouse(pipeline_run.source, copy)
    for name, (_, reported) in MUTATIONS.items():
        expected = reported if isinstance(reported, tuple) else (reported,)
        problems = CHECKS[name](scratch)
        assert len(problems) == len(expected), f"{name}: {problems}"
        for problem, start in zip(problems, expected, strict=True):
            assert problem.startswith(start), f"{name}: {problems}"
