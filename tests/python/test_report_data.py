"""The report's parts one by one: the data each chart gets from the marts' rows, the page's files,
and publishing them to the lake (page last, nothing written when unchanged). Rows are made by
hand here, with figures worked out in the comments; the real marts are in test_report_browser.py.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

import pytest
import yaml

from jhu_warehouse.config import PROJECT_DIR
from jhu_warehouse.lake import REPORT_INDEX, LocalLake
from jhu_warehouse.report import data
from jhu_warehouse.report.data import Export
from jhu_warehouse.report.render import Asset, build_assets, index_html, load_shapes
from jhu_warehouse.report.site import named_assets, publish_site

D0 = date(2021, 1, 30)
DAYS = [D0 + timedelta(days=i) for i in range(3)]  # 2021-01-30, 01-31, 02-01
AXIS = [d.isoformat() for d in DAYS]
EXPORT = Export("2024-05-01T12:00:00Z", "inv-1", "duckdb")

# report_date, cumulative_confirmed, cumulative_deaths, cumulative_recovered, new_c_7d, new_d_7d
GLOBAL = [
    (DAYS[0], 100, 10, 5, 20.4, 1.5),
    (DAYS[1], 130, 12, None, 25.6, 2.0),
    (DAYS[2], 120, 13, None, 24.0, 1.49),
]


def country_row(name, iso3, day, cum_c, cum_d, new_c, new_d, d100, cfr, down_c=False):
    # country_name, iso3, population, report_date, cumulative_confirmed, cumulative_deaths,
    # new_confirmed, new_deaths, new_c_7d, new_d_7d, confirmed_per_100k, deaths_per_100k,
    # case_fatality_ratio, is_confirmed_revised_down, is_deaths_revised_down
    return (
        name,
        iso3,
        1_000,
        day,
        cum_c,
        cum_d,
        new_c,
        new_d,
        3.14159,
        0.5,
        1.0,
        d100,
        cfr,
        down_c,
        False,
    )


COUNTRY = [
    country_row("Atlantis", "ATL", DAYS[1], 50, 2, 10, 1, 200.04, 0.04),
    country_row("Atlantis", "ATL", DAYS[2], 45, 2, -5, 0, 200.0, 2 / 45, down_c=True),
    country_row("Ship", None, DAYS[2], 7, 1, 0, 0, None, 1 / 7),
    country_row("Utopia", "UTO", DAYS[0], 9, 0, 9, 0, 0.0, 0.0),
    country_row("Utopia", "UTO", DAYS[2], 10, 3, 1, 3, 300.0, 0.3),
]


def test_the_headline_is_the_last_day_of_the_world_and_the_export() -> None:
    h = data.headline(GLOBAL, EXPORT)
    assert (h["confirmed"], h["deaths"]) == (120, 13)  # the last row, not the largest
    assert (h["first_date"], h["last_date"]) == ("2021-01-30", "2021-02-01")
    assert (h["exported_at"], h["dbt_invocation_id"]) == ("2024-05-01T12:00:00Z", "inv-1")


def test_the_world_chart_gets_rounded_7_day_averages_per_day() -> None:
    w = data.world_series(GLOBAL)
    assert w == {"dates": AXIS, "cases_7d": [20, 26, 24], "deaths_7d": [2, 2, 1]}


def test_a_country_is_aligned_to_the_world_axis_with_its_revisions_and_last_day() -> None:
    countries = {c["name"]: c for c in data.countries(COUNTRY, AXIS)}
    atlantis = countries["Atlantis"]
    assert atlantis["deaths_per_100k"] == [None, 200, 200]  # no row on the first day
    assert atlantis["cases_7d"] == [None, 3.1, 3.1]
    assert atlantis["cfr_pct"] == [None, 4, 4.44]  # 2 / 45 = 4.444 %
    assert atlantis["revisions"] == {"confirmed": [[2, -5]], "deaths": []}
    assert atlantis["last"]["date"] == "2021-02-01"
    assert atlantis["last"]["confirmed"] == 45
    assert list(countries) == ["Atlantis", "Ship", "Utopia"]
    assert data.default_country(list(countries.values())) == "Utopia"  # 3 deaths, the most


def test_the_map_takes_each_month_end_and_the_last_day() -> None:
    days = [(date(2020, 1, 30) + timedelta(days=i)).isoformat() for i in range(33)]
    # 2020-01-30 .. 2020-03-02: January ends on the 31st, February (leap year) on the 29th
    assert data.snapshot_dates(days) == ["2020-01-31", "2020-02-29", "2020-03-02"]
    assert data.snapshot_dates(["2020-01-31"]) == ["2020-01-31"]


def test_the_map_keys_deaths_per_100k_by_iso_numeric_shape_and_names_the_rest() -> None:
    shape_ids = [("ATL", 4), ("UTO", 840)]
    m = data.world_map(COUNTRY, shape_ids, ["2021-01-31", "2021-02-01"], drawn={"004"})
    assert m["values"] == {"004": [200, 200]}  # "004": ISO numeric codes are three digits
    assert m["names"] == {"004": "Atlantis"}
    assert m["unmapped"] == ["Ship", "Utopia"]  # no ISO code; no shape drawn for 840
    assert m["max"] == 200


# state_name, state_fips, report_date, population, cumulative_confirmed, cumulative_deaths,
# deaths_per_100k, cumulative_tests, test_positivity_7d: confirmed ends a day before deaths, as
# the two real US files do; testing (from the US daily reports) ends before both
STATES = [
    ("Alpha", "01", DAYS[0], 100, 40, 1, 1.0, 900, 0.125),
    ("Alpha", "01", DAYS[1], 100, 50, 1, 1.0, 1000, None),
    ("Alpha", "01", DAYS[2], 100, None, 2, 2.0, None, None),
    ("Beta", "02", DAYS[0], 100, 50, 3, 3.0, 2000, 0.05),
    ("Beta", "02", DAYS[1], 100, 60, 4, 4.0, None, None),
    ("Beta", "02", DAYS[2], 100, None, 5, 5.0, None, None),
    ("Gamma", "03", DAYS[2], 0, None, 0, None, None, None),
]


def test_us_states_are_ranked_on_the_last_day_with_deaths() -> None:
    us = data.us_states(STATES)
    assert us["date"] == "2021-02-01"
    assert [(s["name"], s["deaths_per_100k"]) for s in us["states"]] == [
        ("Beta", 5),
        ("Alpha", 2),
        ("Gamma", None),  # no population: no ratio, ranked last
    ]
    # tests and positivity on the last day any state has a positivity, not the deaths' last day
    assert us["tests_date"] == DAYS[0].isoformat()
    assert [(s["name"], s["tests"], s["positivity_pct"]) for s in us["states"]] == [
        ("Beta", 2000, 5.0),
        ("Alpha", 900, 12.5),
        ("Gamma", None, None),
    ]


def test_us_states_without_daily_reports_have_no_testing() -> None:
    us = data.us_states([(*row[:7], None, None) for row in STATES])
    assert us["tests_date"] is None
    assert all(s["tests"] is None and s["positivity_pct"] is None for s in us["states"])


REVISIONS = [
    ("c.csv", "confirmed", "Atlantis", DAYS[2], 50, 45, -5),
    ("c.csv", "confirmed", "Utopia", DAYS[1], 90, 10, -80),
    ("d.csv", "deaths", "Utopia", DAYS[1], 4, 3, -1),
]


def test_quality_says_what_is_null_since_when_and_the_largest_revisions() -> None:
    countries = data.countries(COUNTRY, AXIS)
    q = data.quality(GLOBAL, STATES, REVISIONS, countries, ["Ship"])
    assert q["recovered_last_date"] == "2021-01-30"
    assert (q["us_confirmed_last_date"], q["us_deaths_last_date"]) == ("2021-01-31", "2021-02-01")
    assert q["revisions"] == 3
    assert q["revisions_by_series"] == {"confirmed": 2, "deaths": 1}
    assert [(r["series"], r["location"], r["amount"]) for r in q["largest_revisions"]] == [
        ("confirmed", "Utopia", -80),
        ("deaths", "Utopia", -1),
    ]
    assert q["without_iso3"] == ["Ship"]


def test_the_report_reads_the_marts_its_exposure_names() -> None:
    exposures = yaml.safe_load((PROJECT_DIR / "models" / "exposures.yml").read_text())
    report = next(e for e in exposures["exposures"] if e["name"] == "lake_report")
    named = sorted(re.fullmatch(r"ref\('(\w+)'\)", d).group(1) for d in report["depends_on"])
    assert named == sorted(data.MARTS)
    used = {m for m in data.MARTS for sql in data.QUERIES.values() if f"from {m}" in sql}
    assert used == set(data.MARTS)


# --- the page's files -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def page_files() -> tuple[list[Asset], bytes]:
    rows = {
        "global": GLOBAL,
        "country": [*COUNTRY, country_row("</script><b>", "XSS", DAYS[2], 1, 0, 1, 0, 0.0, 0.0)],
        "shape_ids": [("ATL", 4)],
        "us_states": STATES,
        "revisions": REVISIONS,
    }
    shapes = load_shapes()
    page_data = data.report_data(rows, EXPORT, {"004"})
    assets = build_assets(page_data, shapes)
    return assets, index_html(page_data, assets)


def test_the_page_names_every_asset_and_nothing_outside_them(page_files) -> None:
    assets, index = page_files
    text = index.decode()
    assert named_assets(index) == {f"report/{a.name}" for a in assets}
    sources = re.findall(r'(?:src|href)="([^"]+)"', text)
    assert sources and all(s.startswith("assets/") for s in sources), sources
    for a in assets:
        if a.name.endswith(".js"):
            assert b"https://cdn" not in a.data and b"unpkg.com" not in a.data, a.name


def test_a_name_cannot_close_the_data_script_or_inject_markup(page_files) -> None:
    assets, index = page_files
    data_js = next(a for a in assets if a.name.startswith("assets/data-")).data
    assert b"</script>" not in data_js and b"<\\/script>" in data_js
    assert "&lt;/script&gt;&lt;b&gt;" in index.decode()  # the picker's option, escaped


# --- publishing -------------------------------------------------------------------------------


class RecordingLake(LocalLake):
    def __init__(self, root: Path) -> None:
        super().__init__(root)
        self.writes: list[str] = []

    def put_bytes(self, key: str, data: bytes) -> None:
        super().put_bytes(key, data)
        self.writes.append(key)


def test_publishing_writes_the_assets_then_the_page_and_nothing_when_unchanged(
    tmp_path: Path,
) -> None:
    lake = RecordingLake(tmp_path)
    first = [
        Asset("assets/a-0000000000000001.js", b"1"),
        Asset("assets/b-000000000000000b.js", b"b"),
    ]
    page1 = (
        b'<script src="assets/a-0000000000000001.js"></script>'
        b'<script src="assets/b-000000000000000b.js"></script>'
    )
    report = publish_site(lake, first, page1)
    assert lake.writes == [
        "report/assets/a-0000000000000001.js",
        "report/assets/b-000000000000000b.js",
        REPORT_INDEX,
    ]
    assert report.index_written

    lake.writes.clear()
    again = publish_site(lake, first, page1)
    assert lake.writes == [] and not again.index_written and again.uploaded == []

    # a second version, then a third: the first version's own asset goes once two pages
    # newer name neither it nor the page before
    second = [Asset("assets/a-0000000000000002.js", b"2"), first[1]]
    page2 = page1.replace(b"0000000000000001", b"0000000000000002")
    publish_site(lake, second, page2)
    assert (tmp_path / "report/assets/a-0000000000000001.js").exists()  # the previous page's
    third = [Asset("assets/a-0000000000000003.js", b"3"), first[1]]
    report = publish_site(lake, third, page1.replace(b"0000000000000001", b"0000000000000003"))
    assert report.removed == ["report/assets/a-0000000000000001.js"]
    assert (tmp_path / "report/assets/b-000000000000000b.js").exists()
    assert (tmp_path / REPORT_INDEX).read_bytes().count(b"0000000000000003") == 1
