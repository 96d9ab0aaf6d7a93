"""Publishing the report: assets where readers do not look yet, then index.html, last.

As the export publishes its marts: every asset is named by its content
(`report/assets/<name>-<sha256[:16]>.<ext>`), so a version is never rewritten in place and an
asset the lake already holds is not uploaded again; `report/index.html`, which names the
assets, is written last, in one small write, so a reader always opens a complete page (the
previous one until then). When the page and its assets are already in the lake, nothing is
written at all. Afterwards the assets that neither the new page nor the one before it names
(and the leftovers of an interrupted run) are deleted: a reader who opened the previous page a
moment ago still finds its files. The layout is the same in a folder and on S3.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from jhu_warehouse.lake import REPORT_INDEX, REPORT_PREFIX, Lake
from jhu_warehouse.report.render import Asset

ASSETS_PREFIX = f"{REPORT_PREFIX}/assets/"
_ASSET_NAME = re.compile(r"assets/[a-z0-9-]+-[0-9a-f]{16}\.[a-z]+")


@dataclass
class SiteReport:
    """What publishing the report did to the lake."""

    uploaded: list[str] = field(default_factory=list)
    """Assets written (keys under report/)."""
    reused: list[str] = field(default_factory=list)
    """Assets already in the lake."""
    index_written: bool = False
    removed: list[str] = field(default_factory=list)
    """Keys of assets deleted: named by neither the new page nor the previous one."""
    bytes_uploaded: int = 0


def named_assets(index: bytes | None) -> set[str]:
    """The asset keys (under the lake root) a page names."""
    if index is None:
        return set()
    return {f"{REPORT_PREFIX}/{m}" for m in _ASSET_NAME.findall(index.decode("utf-8", "replace"))}


def publish_site(lake: Lake, assets: Sequence[Asset], index: bytes) -> SiteReport:
    """Make this page and its assets the lake's current report (see the module docstring).

    Requests: one read of the current page and one list of report/assets/; when anything
    changed, one write per new asset, one write of the page and the deletes of stale assets.
    """
    report = SiteReport()
    previous = lake.read_bytes(REPORT_INDEX)
    existing = set(lake.list(ASSETS_PREFIX))
    for a in assets:
        key = f"{REPORT_PREFIX}/{a.name}"
        if key in existing:
            report.reused.append(a.name)
            continue
        lake.put_bytes(key, a.data)
        report.uploaded.append(a.name)
        report.bytes_uploaded += len(a.data)
    if previous == index and not report.uploaded:
        return report
    if previous != index:
        lake.put_bytes(REPORT_INDEX, index)
        report.index_written = True
        report.bytes_uploaded += len(index)
    keep = named_assets(index) | named_assets(previous)
    report.removed = sorted(k for k in existing if k not in keep)
    if report.removed:
        lake.delete(report.removed)
    return report
