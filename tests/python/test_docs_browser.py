"""The generated docs site, as a person sees it: served on loopback, opened in headless Chromium.

`make docs` runs over the session's built warehouse (with no network, where a namespace can be
made). The site is served from its target folder on a free loopback port and opened in Debian's
Chromium with a fresh profile; a mart's page must show its columns with the warehouse's types,
the lineage graph beside it the mart's direct parents and children, and the expanded graph every
source, model and exposure up- and downstream of it, as the manifest says. Every request the
page makes must stay on the loopback server: the site works offline. Screenshots go to
test-output/docs/ for a human to look at.
"""

from __future__ import annotations

import functools
import json
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

import docs_site
from chromium import Page, chromium
from docs_site import DocsSite
from jhu_warehouse.config import PROJECT_DIR

pytestmark = pytest.mark.browser

MART = "fct_country_daily"
SCREENSHOTS = PROJECT_DIR / "test-output" / "docs"

#: Cytoscape keeps its instance on its container element: read what the graph really drew, once
#: its layout and zoom animations are over (nothing moved for ten frames), so the screenshot
#: that follows is sharp.
GRAPH_NODES_JS = """(async () => {
  const host = [...document.querySelectorAll('*')].find(e => e._cyreg && e._cyreg.cy);
  if (!host) return null;
  const cy = host._cyreg.cy, box = host.getBoundingClientRect();
  const nodes = cy.nodes().filter(n => n.visible());
  if (nodes.length === 0) return null;
  const state = () => JSON.stringify([cy.zoom(), cy.pan(), nodes.map(n => n.renderedPosition())]);
  const frame = () => new Promise(done => requestAnimationFrame(() => done()));
  const before = state();
  for (let i = 0; i < 10; i++) await frame();
  if (cy.animated() || state() !== before) return null;
  return nodes.map(n => {
    const p = n.renderedPosition();
    return {id: n.id(), label: n.data('label'), width: n.renderedWidth(),
            inside: p.x >= 0 && p.y >= 0 && p.x <= box.width && p.y <= box.height};
  });
})()"""

COLUMNS_JS = """[...document.querySelectorAll('#columns + .section-content tr.column-row')]
  .map(row => [...row.querySelectorAll('td')].slice(0, 3).map(td => td.innerText.trim()))"""


@pytest.fixture(scope="session")
def site(pipeline_run: Any) -> DocsSite:
    return docs_site.docs_site(
        pipeline_run.environ, pipeline_run.duckdb_path, pipeline_run.base / "docs"
    )


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """Keep test output clean; the browser's own request log is what the tests read."""


@pytest.fixture(scope="module")
def served(site: DocsSite) -> Iterator[str]:
    """The docs site over HTTP on a free loopback port, for the length of this module."""
    handler = functools.partial(_QuietHandler, directory=str(site.target))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture
def page(tmp_path: Path) -> Iterator[Page]:
    with chromium(tmp_path / "profile", tmp_path / "chromium.log") as browser:
        yield browser.page()


def _manifest(site: DocsSite) -> dict[str, Any]:
    return json.loads(site.manifest_path.read_text())


def _neighbours(manifest: dict[str, Any], uid: str) -> set[str]:
    """The node with its direct parents and children: what the graph beside the page shows."""
    return {uid, *manifest["parent_map"][uid], *manifest["child_map"][uid]}


def _lineage(manifest: dict[str, Any], uid: str) -> set[str]:
    """The node with all its ancestors and descendants: what the expanded graph (+node+) shows."""

    def walk(edges: dict[str, list[str]]) -> set[str]:
        seen: set[str] = set()
        todo = [uid]
        while todo:
            for nxt in edges.get(todo.pop(), []):
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        return seen

    return {uid} | walk(manifest["parent_map"]) | walk(manifest["child_map"])


def _assert_graph_shows(drawn: list[dict[str, Any]], expected: set[str]) -> None:
    """Every source, seed, model and exposure expected is drawn, visible, inside the graph.

    dbt docs leaves most tests out of the graph (it draws singular and unit tests), so tests
    may be drawn but need not be; nothing outside the expected set may be.
    """
    ids = {n["id"] for n in drawn}
    tests = {u for u in expected if u.split(".", 1)[0] in ("test", "unit_test")}
    assert expected - tests <= ids, f"not drawn: {sorted(expected - tests - ids)}"
    assert ids <= expected, f"drawn but not in the lineage: {sorted(ids - expected)}"
    assert all(n["width"] > 0 and n["inside"] for n in drawn), drawn


def test_make_docs_ran_with_no_network(site: DocsSite) -> None:
    assert site.made_offline, (
        "cannot create a network namespace here (unshare --net needs root or user namespaces): "
        "that make docs needs no network is not proven"
    )


def test_make_docs_generates_the_site(site: DocsSite) -> None:
    for name in ("index.html", "static_index.html", "manifest.json", "catalog.json"):
        assert (site.target / name).stat().st_size > 0, name
    manifest, catalog = _manifest(site), json.loads(site.catalog_path.read_text())
    # the page loads dbt's tracker from a CDN only when this is true
    assert manifest["metadata"]["send_anonymous_usage_stats"] is False
    marts = {u for u, n in manifest["nodes"].items() if n.get("path", "").startswith("marts/")}
    assert marts, "no marts in the manifest"
    assert marts <= set(catalog["nodes"]), "marts missing from the catalog: warehouse not built?"


def test_a_marts_page_and_its_lineage_graph_render(site: DocsSite, served: str, page: Page) -> None:
    manifest = _manifest(site)
    uid = f"model.{manifest['metadata']['project_name']}.{MART}"
    catalog_columns = json.loads(site.catalog_path.read_text())["nodes"][uid]["columns"]

    page.navigate(f"{served}/index.html#!/model/{uid}")
    title = page.wait_for("document.querySelector('.app-title h1 .break')?.innerText", "a title")
    assert title.strip() == MART
    rows = page.wait_for(COLUMNS_JS + ".filter(r => r.length) || null", "the columns table")
    by_index = sorted(catalog_columns.values(), key=lambda c: c["index"])
    assert [r[0] for r in rows] == [c["name"] for c in by_index]
    assert [r[1] for r in rows] == [c["type"] for c in by_index]
    assert all(r[2] for r in rows), "a column shows no description"
    description = page.evaluate(
        "document.querySelector('#description + .section-content .panel')?.innerText"
    )
    assert description and "not currently documented" not in description
    page.screenshot(SCREENSHOTS / f"{MART}.png")

    page.evaluate("document.querySelector('a[title=\"View Lineage Graph\"]').click()")
    drawn = page.wait_for(GRAPH_NODES_JS, "the lineage graph")
    _assert_graph_shows(drawn, _neighbours(manifest, uid))
    page.screenshot(SCREENSHOTS / f"{MART}_lineage.png")

    page.evaluate("document.querySelector('[ng-click=\"showExpanded()\"]').click()")
    page.wait_for(
        "document.querySelector('.launcher-window')?.getBoundingClientRect().width > 1000",
        "the expanded lineage graph",
    )
    drawn = page.wait_for(GRAPH_NODES_JS, "the expanded graph")
    lineage = _lineage(manifest, uid)
    _assert_graph_shows(drawn, lineage)
    assert any(n["id"].startswith("source.") for n in drawn), "the lineage reaches no source"
    assert any(n["id"].startswith("exposure.") for n in drawn), "the lineage reaches no exposure"
    page.screenshot(SCREENSHOTS / f"{MART}_lineage_expanded.png")

    statuses = page.responses()
    assert any(u.startswith(f"{served}/manifest.json") and s == 200 for u, s in statuses.items())
    assert any(u.startswith(f"{served}/catalog.json") and s == 200 for u, s in statuses.items())
    offsite = [u for u in page.requests if not u.startswith((f"{served}/", "data:", "blob:"))]
    assert offsite == [], "the docs site reached beyond the loopback server"


def test_the_static_site_opens_from_disk(site: DocsSite, page: Page) -> None:
    """static_index.html carries the manifest and catalog inside: no server, no network."""
    uid = f"model.{_manifest(site)['metadata']['project_name']}.{MART}"
    page.navigate(f"{(site.target / 'static_index.html').as_uri()}#!/model/{uid}")
    title = page.wait_for("document.querySelector('.app-title h1 .break')?.innerText", "a title")
    assert title.strip() == MART
    assert page.wait_for(COLUMNS_JS + ".length", "the columns table") > 0
    page.screenshot(SCREENSHOTS / f"{MART}_static.png")
    assert [u for u in page.requests if not u.startswith(("file:", "data:", "blob:"))] == []
