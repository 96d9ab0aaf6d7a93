"""The daily-report marts on the real JHU files (the session's pipeline run over ../shared/jhu):
their figures against the raw daily reports and time series, read here with the csv module.

Nothing here takes a figure from the output under test: every expected value is a sum or a
difference of raw cells computed below (and, where SOURCES.md states one, checked against it).
"""

from __future__ import annotations

import csv
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

GLOBAL_DIR = "csse_covid_19_daily_reports"
US_DIR = "csse_covid_19_daily_reports_us"
#: Early names of the global reports and the time series' spelling (SOURCES.md, Country names).
RENAMED = {"Mainland China": "China"}


def report_rows(source: Path, folder: str, day: date) -> list[dict[str, str]]:
    path = source / folder / f"{day:%m-%d-%Y}.csv"
    with path.open(newline="", encoding="utf-8-sig") as handle:
        return list(csv.DictReader(handle))


def count(cell: str | None) -> int:
    return int(float(cell)) if cell else 0


def country(row: dict[str, str]) -> str:
    name = (row.get("Country_Region") or row.get("Country/Region") or "").strip()
    return RENAMED.get(name, name)


def province(row: dict[str, str]) -> str | None:
    return (row.get("Province_State") or row.get("Province/State") or "").strip() or None


def country_totals(source: Path, day: date, column: str) -> dict[str, int]:
    totals: dict[str, int] = defaultdict(int)
    for row in report_rows(source, GLOBAL_DIR, day):
        totals[country(row)] += count(row[column])
    return dict(totals)


def province_totals(source: Path, day: date, column: str) -> dict[tuple[str, str | None], int]:
    """Per (country, province) of the countries broken down that day, `Recovered` left out."""
    rows = report_rows(source, GLOBAL_DIR, day)
    broken_down = {country(r) for r in rows if province(r) not in (None, "Recovered")}
    totals: dict[tuple[str, str | None], int] = defaultdict(int)
    for row in rows:
        if country(row) in broken_down and province(row) != "Recovered":
            totals[(country(row), province(row))] += count(row[column])
    return dict(totals)


def time_series_totals(source: Path, series: str, day: date) -> dict[str, int]:
    header = f"{day.month}/{day.day}/{day.year % 100}"
    totals: dict[str, int] = defaultdict(int)
    with (source / f"time_series_covid19_{series}_global.csv").open(newline="") as handle:
        for row in csv.DictReader(handle):
            totals[row["Country/Region"]] += count(row[header])
    return dict(totals)


def query(pipeline_run, sql: str, params: list | None = None) -> list[tuple]:
    with pipeline_run.connect() as con:
        return con.execute(sql, params or []).fetchall()


LAST = date(2023, 3, 9)


@pytest.mark.parametrize(("series", "column"), [("confirmed", "Confirmed"), ("deaths", "Deaths")])
@pytest.mark.parametrize("day", [date(2020, 3, 22), date(2021, 1, 1), LAST])
def test_each_province_matches_the_raw_report(pipeline_run, series, column, day) -> None:
    expected = province_totals(pipeline_run.source, day, column)
    got = dict(
        ((c, p), v)
        for c, p, v in query(
            pipeline_run,
            f"select country_region, province_state, cumulative_{series} "
            "from marts.fct_subnational_daily where report_date = ?",
            [day],
        )
    )
    assert got == expected


def test_the_last_report_has_the_spot_values_of_sources_md(pipeline_run) -> None:
    rows = dict(
        (c, (confirmed, deaths, n))
        for c, confirmed, deaths, n in query(
            pipeline_run,
            "select country_region, sum(cumulative_confirmed), sum(cumulative_deaths), count(*) "
            "from marts.fct_subnational_daily where report_date = ? group by country_region",
            [LAST],
        )
    )
    assert len(rows) == 25  # SOURCES.md: 25 countries broken down on 03-09-2023
    assert rows["Russia"] == (22_075_858, 388_478, 83)
    assert rows["Japan"][:2] == (33_320_438, 72_997)
    assert rows["India"][:2] == (44_690_738, 530_779)
    assert rows["Brazil"][:2] == (37_076_053, 699_276)
    assert rows["Germany"][:2] == (38_249_060, 168_935)
    assert rows["US"][:2] == (103_802_702, 1_123_836)


def test_a_countrys_provinces_add_up_to_its_total_in_the_same_file(pipeline_run) -> None:
    """Reconciliation: the mart's rows of a broken-down country sum to its total in the file."""
    raw = country_totals(pipeline_run.source, LAST, "Confirmed")
    got = query(
        pipeline_run,
        "select country_region, sum(cumulative_confirmed) from marts.fct_subnational_daily "
        "where report_date = ? group by country_region",
        [LAST],
    )
    assert got  # some countries are broken down
    for name, total in got:
        assert total == raw[name], name


def test_new_counts_and_averages_follow_the_raw_reports_and_are_null_across_gaps(
    pipeline_run,
) -> None:
    source = pipeline_run.source
    first, last = date(2020, 12, 31), date(2021, 1, 7)  # inside the contiguous run
    before = province_totals(source, first - timedelta(days=1), "Confirmed")
    on_first = province_totals(source, first, "Confirmed")
    week_ago = on_first
    on_last = province_totals(source, last, "Confirmed")
    rows = query(
        pipeline_run,
        "select country_region, province_state, report_date, new_confirmed, new_confirmed_7d_avg "
        "from marts.fct_subnational_daily where report_date in (?, ?, ?) "
        "and country_region in ('Japan', 'Russia', 'US')",
        [first, last, date(2020, 11, 8)],
    )
    checked = 0
    for name, prov, day, new, avg in rows:
        key = (name, prov)
        if day == first and key in before:
            assert new == on_first[key] - before[key], key
            checked += 1
        if day == last and key in week_ago:
            assert avg == pytest.approx((on_last[key] - week_ago[key]) / 7), key
        if day == date(2020, 11, 8):  # 11-07-2020 is not in the sample
            assert (new, avg) == (None, None), key
    assert checked > 100


@pytest.mark.parametrize("day", [date(2020, 3, 22), date(2021, 1, 1), LAST])
def test_revisions_are_the_time_series_minus_the_report(pipeline_run, day) -> None:
    source = pipeline_run.source
    published = country_totals(source, day, "Confirmed")
    published_deaths = country_totals(source, day, "Deaths")
    final = time_series_totals(source, "confirmed", day)
    final_deaths = time_series_totals(source, "deaths", day)
    expected = {
        name: (
            published[name],
            final[name],
            final[name] - published[name],
            final_deaths[name] - published_deaths[name],
        )
        for name in published
        if name in final
    }
    got = {
        name: rest
        for name, *rest in query(
            pipeline_run,
            "select country_region, published_confirmed, final_confirmed, confirmed_revision, "
            "deaths_revision from marts.fct_daily_report_revisions where report_date = ?",
            [day],
        )
    }
    assert {k: tuple(v) for k, v in got.items()} == expected


def test_the_revisions_of_sources_md(pipeline_run) -> None:
    got = dict(
        ((c, d), (conf, deaths))
        for c, d, conf, deaths in query(
            pipeline_run,
            "select country_region, report_date, confirmed_revision, deaths_revision "
            "from marts.fct_daily_report_revisions",
        )
    )
    assert got[("US", date(2020, 3, 22))] == (975, 160)
    assert got[("United Kingdom", date(2020, 3, 22))] == (4_654, 0)
    assert got[("Germany", date(2020, 3, 22))] == (-6_263, -39)
    assert got[("Germany", date(2021, 1, 1))] == (-2_102, 0)
    assert got[("US", date(2021, 1, 1))] == (-3, 0)
    assert got[("US", LAST)] == (0, 0)


def test_the_us_report_of_the_last_day_equals_the_final_us_time_series(pipeline_run) -> None:
    """Reconciliation (exact): US daily report 03-09-2023 against the US row of the final global
    time series on 3/9/23, both from the raw files, and the warehouse's US report the same."""
    rows = report_rows(pipeline_run.source, US_DIR, LAST)
    confirmed = sum(count(r["Confirmed"]) for r in rows)
    deaths = sum(count(r["Deaths"]) for r in rows)
    assert confirmed == time_series_totals(pipeline_run.source, "confirmed", LAST)["US"]
    assert deaths == time_series_totals(pipeline_run.source, "deaths", LAST)["US"]
    got = query(
        pipeline_run,
        "select sum(cumulative_confirmed), sum(cumulative_deaths) "
        "from staging.stg_jhu__daily_reports_us where report_date = ?",
        [LAST],
    )
    assert got == [(confirmed, deaths)]


def us_report(source: Path, day: date) -> dict[str, dict[str, str]]:
    return {row["Province_State"]: row for row in report_rows(source, US_DIR, day)}


@pytest.mark.parametrize("state", ["New York", "Florida", "California"])
def test_the_state_marts_tests_come_from_the_us_reports(pipeline_run, state) -> None:
    source = pipeline_run.source
    day = date(2021, 1, 1)
    today, yesterday = us_report(source, day)[state], us_report(source, day - timedelta(1))[state]
    week_ago = us_report(source, day - timedelta(7))[state]
    tests = count(today["Total_Test_Results"])
    new_tests_7d = tests - count(week_ago["Total_Test_Results"])
    new_confirmed_7d = count(today["Confirmed"]) - count(week_ago["Confirmed"])
    got = query(
        pipeline_run,
        "select cumulative_tests, new_tests, new_tests_7d_avg, test_positivity_7d, testing_rate "
        "from marts.fct_us_state_daily where state_name = ? and report_date = ?",
        [state, day],
    )
    assert got == [
        (
            tests,
            tests - count(yesterday["Total_Test_Results"]),
            pytest.approx(new_tests_7d / 7),
            pytest.approx(new_confirmed_7d / new_tests_7d),
            pytest.approx(float(today["Testing_Rate"])),
        )
    ]


def test_hospitalisations_are_as_published_and_null_once_jhu_stopped(pipeline_run) -> None:
    source = pipeline_run.source
    day = date(2020, 8, 27)  # SOURCES.md: People_Hospitalized's last non-empty day
    raw = {
        name: (count(row["People_Hospitalized"]) if row["People_Hospitalized"] else None)
        for name, row in us_report(source, day).items()
    }
    got = dict(
        query(
            pipeline_run,
            "select state_name, cumulative_hospitalized from marts.fct_us_state_daily "
            "where report_date = ?",
            [day],
        )
    )
    assert any(value is not None for value in raw.values())
    for name, value in got.items():
        assert value == raw.get(name), name
    later = query(
        pipeline_run,
        "select count(cumulative_hospitalized) from marts.fct_us_state_daily where report_date > ?",
        [day],
    )
    assert later == [(0,)]
