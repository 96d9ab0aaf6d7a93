"""The data each chart of the report gets: pure functions from the marts' query rows.

Each query below reads one mart (as a view named like it, see `marts.py`); each function turns
its rows into exactly what one part of the page needs, already aggregated and rounded, so the
page carries no more than it draws. Rows are tuples in the order of the query's columns; dates
are `datetime.date`, written to the page as ISO strings.
"""

from __future__ import annotations

import calendar
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

#: The marts the report reads (models/exposures.yml names the same, a test holds it).
MARTS = (
    "dim_location",
    "fct_country_daily",
    "fct_downward_revisions",
    "fct_global_daily",
    "fct_us_state_daily",
)

GLOBAL_SQL = """
select report_date, cumulative_confirmed, cumulative_deaths, cumulative_recovered,
       new_confirmed_7d_avg, new_deaths_7d_avg
from fct_global_daily order by report_date"""

COUNTRY_SQL = """
select country_name, iso3, population, report_date, cumulative_confirmed, cumulative_deaths,
       new_confirmed, new_deaths, new_confirmed_7d_avg, new_deaths_7d_avg,
       confirmed_per_100k, deaths_per_100k, case_fatality_ratio,
       is_confirmed_revised_down, is_deaths_revised_down
from fct_country_daily order by country_name, report_date"""

SHAPE_IDS_SQL = """
select distinct iso3, code3 from dim_location
where location_level = 'country' and iso3 is not null and code3 is not null
order by iso3"""

US_STATES_SQL = """
select state_name, state_fips, report_date, population, cumulative_confirmed, cumulative_deaths,
       deaths_per_100k, cumulative_tests, test_positivity_7d
from fct_us_state_daily order by state_name, report_date"""

REVISIONS_SQL = """
select source_file, series, combined_key, report_date, previous_cumulative, cumulative,
       revision_amount
from fct_downward_revisions"""


@dataclass(frozen=True)
class Export:
    """What the export manifest says of the marts the report shows."""

    exported_at: str | None
    dbt_invocation_id: str | None
    engine: str | None


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day is not None else None


def _num(value: float | None, digits: int) -> float | int | None:
    """A value rounded for the page: an integer when it is one, so the page stays small."""
    if value is None:
        return None
    rounded = round(float(value), digits)
    return int(rounded) if rounded == int(rounded) else rounded


# --- the headline and the world's curves ------------------------------------------------------


def headline(global_rows: Sequence[tuple[Any, ...]], export: Export) -> dict[str, Any]:
    """The world's totals on the last day, the data's date range, and which export it is."""
    if not global_rows:
        raise ValueError("fct_global_daily has no rows")
    last = global_rows[-1]
    return {
        "confirmed": last[1],
        "deaths": last[2],
        "first_date": _iso(global_rows[0][0]),
        "last_date": _iso(last[0]),
        "exported_at": export.exported_at,
        "dbt_invocation_id": export.dbt_invocation_id,
        "engine": export.engine,
    }


def world_series(global_rows: Sequence[tuple[Any, ...]]) -> dict[str, list[Any]]:
    """New cases and new deaths, 7-day averages, per day: the world chart."""
    return {
        "dates": [_iso(r[0]) for r in global_rows],
        "cases_7d": [_num(r[4], 0) for r in global_rows],
        "deaths_7d": [_num(r[5], 0) for r in global_rows],
    }


# --- one country at a time --------------------------------------------------------------------


def countries(
    country_rows: Iterable[tuple[Any, ...]], dates: Sequence[str]
) -> list[dict[str, Any]]:
    """Every country's curves on the world's date axis, its last day, its downward revisions.

    Series are aligned to `dates` (null where the country has no row); a revision is the index
    of its day on that axis and the day's new count (negative: the cumulative count fell).
    """
    index = {day: i for i, day in enumerate(dates)}
    by_country: dict[str, dict[str, Any]] = {}
    for row in country_rows:
        (name, iso3, population, day, cum_c, cum_d, new_c, new_d, c7, d7, c100, d100, cfr) = row[
            :13
        ]
        revised_c, revised_d = row[13], row[14]
        entry = by_country.get(name)
        if entry is None:
            empty = [None] * len(dates)
            entry = by_country[name] = {
                "name": name,
                "iso3": iso3,
                "population": population,
                "cases_7d": list(empty),
                "deaths_7d": list(empty),
                "deaths_per_100k": list(empty),
                "cfr_pct": list(empty),
                "revisions": {"confirmed": [], "deaths": []},
                "last": None,
            }
        i = index.get(_iso(day) or "")
        if i is None:
            continue
        entry["cases_7d"][i] = _num(c7, 1)
        entry["deaths_7d"][i] = _num(d7, 2)
        entry["deaths_per_100k"][i] = _num(d100, 1)
        entry["cfr_pct"][i] = _num(cfr * 100 if cfr is not None else None, 2)
        if revised_c:
            entry["revisions"]["confirmed"].append([i, new_c])
        if revised_d:
            entry["revisions"]["deaths"].append([i, new_d])
        entry["last"] = {
            "date": _iso(day),
            "confirmed": cum_c,
            "deaths": cum_d,
            "confirmed_per_100k": _num(c100, 1),
            "deaths_per_100k": _num(d100, 1),
            "cfr_pct": _num(cfr * 100 if cfr is not None else None, 2),
        }
    return sorted(by_country.values(), key=lambda c: c["name"])


def default_country(country_list: Sequence[Mapping[str, Any]]) -> str:
    """The country shown first: the one with the most deaths on its last day."""
    return max(
        country_list,
        key=lambda c: ((c["last"] or {}).get("deaths") or 0, c["name"]),
    )["name"]


# --- the world map ----------------------------------------------------------------------------


def snapshot_dates(dates: Sequence[str]) -> list[str]:
    """The map's dates: the last day of every month in the data, and the data's last day."""
    chosen = []
    for day in dates:
        d = date.fromisoformat(day)
        if d.day == calendar.monthrange(d.year, d.month)[1]:
            chosen.append(day)
    if dates and (not chosen or chosen[-1] != dates[-1]):
        chosen.append(dates[-1])
    return chosen


def world_map(
    country_rows: Iterable[tuple[Any, ...]],
    shape_ids: Iterable[tuple[str, int]],
    snapshots: Sequence[str],
    drawn: Collection[str],
) -> dict[str, Any]:
    """Deaths per 100k by map shape (ISO 3166 numeric code, as world-atlas names its shapes)
    on each snapshot date. `drawn` are the shapes the map has; the countries none of them
    stands for (no ISO code, or no shape at this scale) are listed by name."""
    code_of = {iso3: f"{int(code3):03d}" for iso3, code3 in shape_ids}
    at = {day: i for i, day in enumerate(snapshots)}
    values: dict[str, list[Any]] = {}
    names: dict[str, str] = {}
    unmapped: set[str] = set()
    for row in country_rows:
        name, iso3, day, d100 = row[0], row[1], _iso(row[3]), row[11]
        code = code_of.get(iso3) if iso3 else None
        if code is None or code not in drawn:
            unmapped.add(name)
            continue
        names[code] = name
        i = at.get(day or "")
        if i is not None:
            values.setdefault(code, [None] * len(snapshots))[i] = _num(d100, 1)
    known = [v for series in values.values() for v in series if v is not None]
    return {
        "dates": list(snapshots),
        "max": max(known) if known else None,
        "values": dict(sorted(values.items())),
        "names": dict(sorted(names.items())),
        "unmapped": sorted(unmapped),
    }


# --- US states --------------------------------------------------------------------------------


def us_states(state_rows: Sequence[tuple[Any, ...]]) -> dict[str, Any]:
    """Deaths per 100k by state on the last day the US deaths series has, ranked; beside them,
    each state's tests and 7-day test positivity on the last day the US daily reports give a
    positivity (NULL when the lake holds no US daily report)."""
    with_deaths = [r for r in state_rows if r[5] is not None]
    if not with_deaths:
        return {"date": None, "tests_date": None, "states": []}
    last = max(r[2] for r in with_deaths)
    on_last = [r for r in with_deaths if r[2] == last]
    ranked = sorted(on_last, key=lambda r: (-(r[6] if r[6] is not None else -1), r[0]))
    with_positivity = [r for r in state_rows if len(r) > 8 and r[8] is not None]
    tests_last = max((r[2] for r in with_positivity), default=None)
    testing = {r[0]: r for r in with_positivity if r[2] == tests_last}
    return {
        "date": _iso(last),
        "tests_date": _iso(tests_last),
        "states": [
            {
                "name": r[0],
                "fips": r[1],
                "population": r[3],
                "deaths": r[5],
                "deaths_per_100k": _num(r[6], 1),
                "tests": testing[r[0]][7] if r[0] in testing else None,
                "positivity_pct": _num(100 * testing[r[0]][8], 1) if r[0] in testing else None,
            }
            for r in ranked
        ],
    }


# --- data quality -----------------------------------------------------------------------------


def _last_with(rows: Iterable[tuple[Any, ...]], column: int, date_column: int) -> str | None:
    days = [r[date_column] for r in rows if r[column] is not None]
    return _iso(max(days)) if days else None


def quality(
    global_rows: Sequence[tuple[Any, ...]],
    state_rows: Sequence[tuple[Any, ...]],
    revision_rows: Sequence[tuple[Any, ...]],
    country_list: Sequence[Mapping[str, Any]],
    unmapped: Sequence[str],
) -> dict[str, Any]:
    """What is NULL and why, and the downward revisions, as facts the page puts in words."""
    by_series: dict[str, int] = {}
    largest: dict[str, dict[str, Any]] = {}
    for source_file, series, key, day, previous, cumulative, amount in revision_rows:
        by_series[series] = by_series.get(series, 0) + 1
        best = largest.get(series)
        if best is None or (amount, key, _iso(day)) < (
            best["amount"],
            best["location"],
            best["date"],
        ):
            largest[series] = {
                "series": series,
                "source_file": source_file,
                "location": key,
                "date": _iso(day),
                "previous": previous,
                "cumulative": cumulative,
                "amount": amount,
            }
    return {
        "recovered_last_date": _last_with(global_rows, 3, 0),
        "last_date": _iso(global_rows[-1][0]) if global_rows else None,
        "us_confirmed_last_date": _last_with(state_rows, 4, 2),
        "us_deaths_last_date": _last_with(state_rows, 5, 2),
        "revisions": len(revision_rows),
        "revisions_by_series": dict(sorted(by_series.items())),
        "largest_revisions": [largest[s] for s in sorted(largest)],
        "countries": len(country_list),
        "without_iso3": sorted(c["name"] for c in country_list if not c["iso3"]),
        "not_on_map": list(unmapped),
    }


def report_data(
    rows: Mapping[str, Sequence[tuple[Any, ...]]], export: Export, drawn: Collection[str]
) -> dict[str, Any]:
    """The whole page's data from each query's rows (keyed as `QUERIES`); `drawn` are the ids
    of the world map's shapes."""
    world = world_series(rows["global"])
    country_list = countries(rows["country"], world["dates"])
    world_map_data = world_map(
        rows["country"], rows["shape_ids"], snapshot_dates(world["dates"]), drawn
    )
    return {
        "headline": headline(rows["global"], export),
        "world": world,
        "countries": country_list,
        "default_country": default_country(country_list) if country_list else None,
        "map": world_map_data,
        "us_states": us_states(rows["us_states"]),
        "quality": quality(
            rows["global"],
            rows["us_states"],
            rows["revisions"],
            country_list,
            world_map_data["unmapped"],
        ),
    }


#: Each query the page needs, by the name `report_data` reads its rows under.
QUERIES = {
    "global": GLOBAL_SQL,
    "country": COUNTRY_SQL,
    "shape_ids": SHAPE_IDS_SQL,
    "us_states": US_STATES_SQL,
    "revisions": REVISIONS_SQL,
}
