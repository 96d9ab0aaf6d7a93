"""The report as a reader sees it: the session's `jhu run` left lake/report/index.html, opened here
from disk in headless Chromium with no network at all (its own network namespace where one can
be made, and every http(s) request blocked either way, each one counted).

One page load and a few interactions, to keep `make test` short: every chart drawn, no console
error, the headline equal to the world's total computed here from the raw JHU file, a new
country in the picker redrawing its chart, the map's date slider redrawing the map, and no
request but file://. Screenshots go to test-output/report/ for a human to look at.
"""

from __future__ import annotations

import csv
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from chromium import Browser, Page, chromium
from docs_site import network_isolation
from jhu_warehouse.config import PROJECT_DIR
from jhu_warehouse.lake import REPORT_INDEX
from jhu_warehouse.report.site import named_assets
from jhu_warehouse.report.stage import write_report

SCREENSHOTS = PROJECT_DIR / "test-output" / "report"
MAX_PAGE_BYTES = 15_000_000
CHARTS = ("world-chart", "country-chart", "map-chart", "us-chart")

#: What each chart drew: its SVGs and the marks (paths) in them.
DRAWN_JS = """Object.fromEntries([...document.querySelectorAll('.chart')].map(c =>
  [c.id, {svg: c.querySelectorAll('svg').length, paths: c.querySelectorAll('svg path').length}]))"""
#: The country chart's first line (its new cases): its path data changes with the country.
COUNTRY_LINE_JS = """[...document.querySelectorAll('#country-chart svg path')]
  .filter(p => p.getAttribute('aria-roledescription') === 'line mark')
  .map(p => p.getAttribute('d')).join('|')"""
MAP_FILLS_JS = """[...document.querySelectorAll('#map-chart svg path')]
  .map(p => p.getAttribute('fill')).join('|')"""


def last_day_total(path: Path) -> int:
    """The sum of the last date column over every row of a JHU global time-series file."""
    with path.open(newline="", encoding="utf-8-sig") as handle:
        rows = list(csv.reader(handle))
    return sum(int(float(row[-1] or 0)) for row in rows[1:])


def test_jhu_run_leaves_the_report_within_the_page_weight(pipeline_run: Any) -> None:
    index = pipeline_run.lake_root / REPORT_INDEX
    assets = named_assets(index.read_bytes())
    files = [index, *(pipeline_run.lake_root / key for key in assets)]
    assert len(assets) >= 6
    assert all(f.is_file() for f in files), [str(f) for f in files if not f.is_file()]
    weight = sum(f.stat().st_size for f in files)
    assert 1_000_000 < weight <= MAX_PAGE_BYTES, weight
    assert pipeline_run.report.report.page_bytes == weight


def test_a_second_report_of_the_same_export_writes_nothing(pipeline_run: Any) -> None:
    lake = pipeline_run.lake()
    with pipeline_run.environment():
        result = write_report(pipeline_run.settings, lake)
    assert not result.site.index_written and result.site.uploaded == []
    assert "write" not in lake.stats.requests
    assert "nothing written" in result.summary()


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    base = tmp_path_factory.mktemp("report-browser")
    with chromium(
        base / "profile", base / "chromium.log", isolation=network_isolation() or ()
    ) as b:
        yield b


def _errors(browser: Browser, page: Page) -> list[str]:
    console = [
        " ".join(str(a.get("value", a.get("description", ""))) for a in e.get("args", []))
        for e in browser.events("Runtime.consoleAPICalled", session=page.session)
        if e.get("type") in ("error", "assert")
    ]
    thrown = [
        e["exceptionDetails"].get("text", "")
        for e in browser.events("Runtime.exceptionThrown", session=page.session)
    ]
    logged = [
        e["entry"].get("text", "")
        for e in browser.events("Log.entryAdded", session=page.session)
        if e["entry"].get("level") == "error"
    ]
    return console + thrown + logged


@pytest.mark.browser
def test_the_report_opens_from_disk_offline_and_every_chart_works(
    pipeline_run: Any, browser: Browser
) -> None:
    page = browser.page()
    page.send("Log.enable")
    page.send("Network.setBlockedURLs", {"urls": ["http://*", "https://*", "ws://*", "wss://*"]})
    started = time.monotonic()
    page.navigate((pipeline_run.lake_root / REPORT_INDEX).resolve().as_uri())
    ready = page.wait_for("document.body && document.body.dataset.charts", "the charts drawn")
    seconds = time.monotonic() - started
    assert ready == str(len(CHARTS)), page.evaluate(
        "document.getElementById('page-error').innerText"
    )
    drawn = page.evaluate(DRAWN_JS)
    assert set(drawn) == set(CHARTS)
    assert all(drawn[c]["svg"] >= 1 for c in CHARTS), drawn
    assert drawn["map-chart"]["paths"] > 150, drawn  # a shape per country, and then some
    assert drawn["us-chart"]["paths"] > 50, drawn  # 50 states, DC, territories
    page.screenshot(SCREENSHOTS / "report.png")

    # the headline is the world's total on the last day, summed here from the raw files
    source = pipeline_run.source
    confirmed = last_day_total(source / "time_series_covid19_confirmed_global.csv")
    deaths = last_day_total(source / "time_series_covid19_deaths_global.csv")
    assert page.evaluate("document.getElementById('world-confirmed').innerText") == f"{confirmed:,}"
    assert page.evaluate("document.getElementById('world-deaths').innerText") == f"{deaths:,}"
    assert page.evaluate("document.getElementById('invocation-id').innerText") == (
        pipeline_run.report.build.invocation_id
    )

    # every country of the mart is in the picker; choosing another redraws its curves
    with pipeline_run.connect() as con:
        names = [
            r[0]
            for r in con.sql(
                "select distinct country_name from marts.fct_country_daily order by 1"
            ).fetchall()
        ]
    options = page.evaluate(
        "[...document.querySelectorAll('#country-picker option')].map(o => o.value)"
    )
    assert options == names
    first = page.evaluate("document.getElementById('country-picker').value")
    before = page.evaluate(COUNTRY_LINE_JS)
    other = "France" if first != "France" else "Italy"
    page.evaluate(
        f"(() => {{ const p = document.getElementById('country-picker'); p.value = {other!r};"
        " p.dispatchEvent(new Event('change')); })()"
    )
    page.wait_for(f"document.body.dataset.country === {other!r}", f"{other} drawn")
    after = page.evaluate(COUNTRY_LINE_JS)
    assert before and after and after != before
    assert other in page.evaluate("document.getElementById('country-summary').innerText")
    page.evaluate("document.getElementById('country').scrollIntoView()")
    page.screenshot(SCREENSHOTS / f"report_country_{other.lower()}.png")

    # an earlier date on the map recolours it
    fills = page.evaluate(MAP_FILLS_JS)
    page.evaluate(
        "(() => { const s = document.getElementById('map-date'); s.value = 3;"
        " s.dispatchEvent(new Event('input')); })()"
    )
    page.wait_for(f"({MAP_FILLS_JS}) !== {fills!r}", "the map redrawn for an earlier date")
    page.evaluate("document.getElementById('map').scrollIntoView()")
    page.screenshot(SCREENSHOTS / "report_map_earlier.png")

    assert _errors(browser, page) == []
    requests = page.requests
    assert requests and requests[0].startswith("file://")
    assert [u for u in requests if not u.startswith("file://")] == []
    assert seconds < 60
