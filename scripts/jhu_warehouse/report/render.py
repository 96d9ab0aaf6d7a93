"""The report's files: index.html and the assets beside it, from the page's data.

Everything the page uses is one of these files: Vega-Lite and its runtime and the map shapes
(from node_modules, installed by `make` from package-lock.json), the page's own script and
style, and the data as a script (Chromium refuses fetch() of file:// URLs, a <script> it loads).
No font is loaded (the system's sans-serif), no map tile, nothing from a CDN. Each asset is
named by its content (`assets/<name>-<sha256[:16]>.<ext>`), so index.html, which names them, is
the only file that changes in place.

The headline, the tables and the data-quality words are written into the HTML itself, so they
read without JavaScript; the charts are drawn by the page's script from the data asset.
"""

from __future__ import annotations

import hashlib
import html
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jhu_warehouse.config import PROJECT_DIR
from jhu_warehouse.errors import JhuError

NODE_MODULES = PROJECT_DIR / "node_modules"
STATIC = Path(__file__).parent / "static"

#: The browser libraries, in load order: (asset name, file under node_modules).
LIBRARIES = (
    ("vega", "vega/build/vega.min.js"),
    ("vega-lite", "vega-lite/build/vega-lite.min.js"),
    ("vega-embed", "vega-embed/build/vega-embed.min.js"),
)
#: The map shapes: world-atlas (Natural Earth 1:50m) and us-atlas (US Census, 1:10m).
SHAPES = {"world": "world-atlas/countries-50m.json", "us": "us-atlas/states-10m.json"}
#: The npm packages whose code or data the report ships, for the licences file.
PACKAGES = ("vega", "vega-lite", "vega-embed", "world-atlas", "us-atlas")


@dataclass(frozen=True)
class Asset:
    name: str
    """The asset's key under report/, e.g. assets/vega-0123456789abcdef.js."""
    data: bytes


def node_file(relative: str, node_modules: Path = NODE_MODULES) -> bytes:
    path = node_modules / relative
    if not path.is_file():
        raise JhuError(
            f"{path}: not found; the report's browser assets are installed by `make setup` "
            "(npm ci, from package-lock.json)"
        )
    return path.read_bytes()


def asset(stem: str, ext: str, data: bytes) -> Asset:
    digest = hashlib.sha256(data).hexdigest()[:16]
    return Asset(f"assets/{stem}-{digest}.{ext}", data)


def _script_of(global_name: str, value: Any) -> bytes:
    """A script that sets one global to a JSON value (compact; `</` escaped for <script>)."""
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    safe = text.replace("</", "<\\/")
    return f"window.{global_name}={safe};\n".encode()


def licences(node_modules: Path = NODE_MODULES) -> bytes:
    parts = []
    for package in PACKAGES:
        meta = json.loads(node_file(f"{package}/package.json", node_modules))
        text = node_file(f"{package}/LICENSE", node_modules).decode()
        parts.append(f"== {package} {meta['version']} ({meta.get('license')})\n\n{text.strip()}\n")
    return "\n".join(parts).encode()


def load_shapes(node_modules: Path = NODE_MODULES) -> dict[str, Any]:
    """The TopoJSON of both maps, by map."""
    return {name: json.loads(node_file(path, node_modules)) for name, path in SHAPES.items()}


def world_shape_ids(shapes: dict[str, Any]) -> set[str]:
    """The ISO 3166 numeric codes the world map has a shape for (world-atlas's `id`)."""
    geometries = shapes["world"]["objects"]["countries"]["geometries"]
    return {g["id"] for g in geometries if g.get("id")}


def build_assets(
    data: dict[str, Any], shapes: dict[str, Any], node_modules: Path = NODE_MODULES
) -> list[Asset]:
    """Every file beside index.html, in the order the page loads its scripts."""
    return [
        *(asset(stem, "js", node_file(path, node_modules)) for stem, path in LIBRARIES),
        asset("shapes", "js", _script_of("JHU_SHAPES", shapes)),
        asset("data", "js", _script_of("JHU_REPORT", data)),
        asset("report", "js", (STATIC / "report.js").read_bytes()),
        asset("licences", "txt", licences(node_modules)),
    ]


# --- index.html -------------------------------------------------------------------------------

e = html.escape


def _n(value: int | float | None) -> str:
    if value is None:
        return "unknown"
    return f"{value:,}" if isinstance(value, int) else f"{value:,.1f}"


def _headline(h: dict[str, Any]) -> str:
    exported = e(str(h["exported_at"] or "unknown"))
    engine = e(str(h["engine"] or "unknown engine"))
    invocation = e(str(h["dbt_invocation_id"] or "unknown"))
    return f"""<section class="headline" id="headline">
  <div class="figure"><span class="label">World confirmed cases</span>
    <span class="value" id="world-confirmed">{_n(h["confirmed"])}</span></div>
  <div class="figure"><span class="label">World deaths</span>
    <span class="value" id="world-deaths">{_n(h["deaths"])}</span></div>
  <p class="meta">Cumulative on {e(str(h["last_date"]))}; the data runs from
    {e(str(h["first_date"]))} to {e(str(h["last_date"]))}. Exported
    <span id="exported-at">{exported}</span> ({engine}),
    dbt invocation <code id="invocation-id">{invocation}</code>.</p>
</section>"""


def _country_options(data: dict[str, Any]) -> str:
    chosen = data["default_country"]
    return "\n".join(
        f'<option value="{e(c["name"])}"{" selected" if c["name"] == chosen else ""}>'
        f"{e(c['name'])}</option>"
        for c in data["countries"]
    )


def _or_dash(value: Any, text: str) -> str:
    return text if value is not None else "—"


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f} %"


def _us_table(us: dict[str, Any]) -> str:
    rows = "\n".join(
        f"<tr><td>{i}</td><td>{e(s['name'])}</td><td>{_n(s['deaths'])}</td>"
        f"<td>{_or_dash(s['deaths_per_100k'], _n(s['deaths_per_100k']))}</td>"
        f"<td>{_or_dash(s['tests'], _n(s['tests']))}</td>"
        f"<td>{_pct(s['positivity_pct'])}</td></tr>"
        for i, s in enumerate(us["states"], start=1)
    )
    tests_on = f" on {e(str(us['tests_date']))}" if us.get("tests_date") else ""
    return f"""<table id="us-table"><thead><tr><th>#</th><th>State or territory</th>
<th>Deaths</th><th>per 100k</th><th>Tests{tests_on}</th><th>Positivity, 7 days</th></tr>
</thead><tbody>
{rows}
</tbody></table>
<p class="note">Tests and positivity (new confirmed over new tests, 7 days) come from the US daily
reports, which stopped reporting testing before the end of the data; "—" where a state or the lake
has none.</p>"""


def _quality(q: dict[str, Any]) -> str:
    by_series = ", ".join(f"{n:,} in {e(s)}" for s, n in q["revisions_by_series"].items())
    largest = "".join(
        f"<li>{e(r['series'])}: {e(str(r['location']))} on {e(str(r['date']))}, from "
        f"{_n(r['previous'])} to {_n(r['cumulative'])} ({_n(r['amount'])}; "
        f"{e(r['source_file'])})</li>"
        for r in q["largest_revisions"]
    )
    recovered = (
        f"<li><b>Recovered</b> is empty (NULL) after {e(str(q['recovered_last_date']))}: "
        "JHU stopped reporting recoveries then and published zeros afterwards, which would read as "
        "&ldquo;nobody recovered&rdquo;; the marts say &ldquo;unknown&rdquo; instead. The US never "
        "had a recovered series by state.</li>"
        if q["recovered_last_date"]
        else "<li><b>Recovered</b> is empty (NULL) throughout: JHU published none.</li>"
    )
    us = ""
    if q["us_confirmed_last_date"] != q["us_deaths_last_date"]:
        us = (
            f"<li><b>The two US series end on different dates</b>: confirmed cases on "
            f"{e(str(q['us_confirmed_last_date']))}, deaths on {e(str(q['us_deaths_last_date']))} "
            "(the US files of this source are older versions). Past its last date a series is "
            "empty (NULL), not zero, so the US state map shows the last day with deaths.</li>"
        )
    non_geo = ", ".join(e(n) for n in q["without_iso3"])
    not_on_map = ", ".join(e(n) for n in q["not_on_map"])
    return f"""<section id="quality"><h2>Data quality, in plain words</h2><ul>
{recovered}
{us}
<li><b>Counts that went down.</b> JHU revised cumulative counts downwards
  <b id="revision-count">{q["revisions"]:,}</b> times ({by_series}). The marts keep those days'
  negative new counts rather than clipping them; on the country chart they are the red points.
  The largest fall of each series: <ul>{largest}</ul></li>
<li><b>{q["countries"]} countries and entities</b> are in the picker. Some are not places:
  {non_geo} have no ISO code and no map shape. Not on the world map (no shape in Natural
  Earth 1:50m, or no ISO code): {not_on_map}.</li>
<li>Ratios (per 100k, case fatality) are empty where the population or the confirmed count is
  0 or unknown.</li>
</ul></section>"""


def index_html(data: dict[str, Any], assets: list[Asset]) -> bytes:
    """The page: markup, the style inline, and a <script> for every script asset, in order."""
    style = (STATIC / "report.css").read_text()
    scripts = "\n".join(
        f'<script src="{e(a.name)}"></script>' for a in assets if a.name.endswith(".js")
    )
    licences_file = next(a.name for a in assets if a.name.endswith(".txt"))
    us = data["us_states"]
    h = data["headline"]
    span = f"{e(str(h['first_date']))} to {e(str(h['last_date']))}"
    dates = data["map"]["dates"]
    last = len(dates) - 1
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>COVID-19 from the JHU CSSE data: world, countries, US states</title>
<style>
{style}</style></head>
<body>
<header><h1>COVID-19: the JHU CSSE data, {span}</h1></header>
<main>
{_headline(h)}
<p id="page-error" class="error" hidden></p>
<section id="world"><h2>The world: new cases and new deaths, 7-day averages</h2>
<div class="chart" id="world-chart"></div></section>
<section id="country"><h2>One country</h2>
<label>Country <select id="country-picker">
{_country_options(data)}
</select></label>
<p id="country-summary" class="meta"></p>
<div class="chart" id="country-chart"></div>
<p class="note">Red points: days a cumulative count was revised down (the day's new count was
negative). Per 100k uses the population of the JHU lookup table.</p></section>
<section id="map"><h2>Deaths per 100,000 people, by country</h2>
<label>Date <input type="range" id="map-date" min="0" max="{last}" value="{last}" step="1">
<output id="map-date-label">{e(str(dates[-1]))}</output></label>
<div class="chart" id="map-chart"></div></section>
<section id="us"><h2>US states: deaths per 100,000 people on {e(str(us["date"]))}</h2>
<div class="columns"><div class="chart" id="us-chart"></div>
<div class="table">{_us_table(us)}</div></div></section>
{_quality(data["quality"])}
<section id="credits"><h2>Credit and licence</h2>
<p>Data: the <b>COVID-19 Data Repository by the Center for Systems Science and Engineering (CSSE)
at Johns Hopkins University</b> (github.com/CSSEGISandData/COVID-19), licensed under the
Creative Commons Attribution 4.0 International licence (CC BY 4.0,
creativecommons.org/licenses/by/4.0). Anything published from it must credit it the same way.</p>
<p>Map shapes: Natural Earth (public domain), through the <code>world-atlas</code> package, and
the US Census Bureau's cartographic boundaries, through <code>us-atlas</code> (both ISC, by Mike
Bostock). Charts: Vega-Lite, Vega and vega-embed (BSD-3-Clause, the University of Washington
Interactive Data Lab). Their licences: <a href="{e(licences_file)}">{e(licences_file)}</a>.
Built by jhu-covid-warehouse (<code>jhu report</code>) from the marts of this export.</p>
</section>
</main>
{scripts}
</body></html>
"""
    return page.encode()
