"""`jhu report`: the marts of the lake's current export as a static page, `report/index.html`.

Reads the exported Parquet through the export manifest (`marts.py`), shapes each chart's data
(`data.py`), renders the page and its assets (`render.py`) and publishes them, page last
(`site.py`). It runs after the export in `jhu run`, on either engine: both export the same
Parquet.
"""

from __future__ import annotations

import time
from contextlib import nullcontext
from dataclasses import dataclass

from jhu_warehouse.config import Settings
from jhu_warehouse.lake import REPORT_INDEX, Lake, open_lake
from jhu_warehouse.lake.duckdb_access import record_http
from jhu_warehouse.progress import Progress, silent
from jhu_warehouse.report.data import report_data
from jhu_warehouse.report.marts import read_rows
from jhu_warehouse.report.render import build_assets, index_html, load_shapes, world_shape_ids
from jhu_warehouse.report.site import SiteReport, publish_site


@dataclass(frozen=True)
class ReportResult:
    """What `jhu report` wrote."""

    index_uri: str
    """Where the page is: open it in a browser (a local path, or s3://…)."""
    files: int
    """The page and its assets."""
    page_bytes: int
    """Page weight: index.html and every asset, as a browser loads them."""
    countries: int
    site: SiteReport
    seconds: float

    def summary(self) -> str:
        s = self.site
        if s.index_written or s.uploaded:
            done = (
                f"{len(s.uploaded)} uploaded, {len(s.reused)} reused"
                f"{', page written' if s.index_written else ''}"
                f"{f', {len(s.removed)} old assets removed' if s.removed else ''}"
            )
        else:
            done = "nothing written (identical to the current report)"
        return (
            f"{self.files} files, {self.page_bytes / 1e6:.1f} MB, {self.countries} countries: "
            f"{done}"
        )


def write_report(
    settings: Settings, lake: Lake | None = None, *, progress: Progress = silent
) -> ReportResult:
    """Render the current export's report and publish it at `report/index.html`."""
    started = time.perf_counter()
    lake = lake if lake is not None else open_lake(settings)
    # DuckDB's own S3 requests (reading the exported Parquet) count in the lake's summary too.
    with record_http(lake.stats) if settings.lake_is_s3 else nullcontext():
        rows, export = read_rows(settings, lake)
    progress(
        f"  read {sum(len(r) for r in rows.values()):,} rows from the export of "
        f"{export.exported_at} ({time.perf_counter() - started:.1f} s)"
    )
    shapes = load_shapes()
    data = report_data(rows, export, world_shape_ids(shapes))
    assets = build_assets(data, shapes)
    index = index_html(data, assets)
    for a in assets:
        progress(f"  {a.name}: {len(a.data):,} bytes")
    site = publish_site(lake, assets, index)
    return ReportResult(
        index_uri=lake.uri(REPORT_INDEX),
        files=len(assets) + 1,
        page_bytes=len(index) + sum(len(a.data) for a in assets),
        countries=len(data["countries"]),
        site=site,
        seconds=time.perf_counter() - started,
    )
