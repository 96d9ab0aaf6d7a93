"""The generator of JHU-shaped files: shape, validity, determinism, realism of the values.

Expected figures come from the template files (../shared/jhu) and from the rules the generator
documents, never from a previous run of the generator.
"""

from __future__ import annotations

import csv
import os
from pathlib import Path

import numpy as np
import pytest

from jhu_warehouse.bench import generate as gen
from jhu_warehouse.errors import JhuError
from jhu_warehouse.ingest.validation import profile_file

TEMPLATE = Path(
    os.environ.get("JHU_SOURCE") or Path(__file__).resolve().parents[3] / "shared" / "jhu"
)


@pytest.fixture(scope="module")
def template() -> Path:
    """The real files the generator copies the shape of; missing, the tests that need them fail
    saying so (the others, which need no file, still run)."""
    if not (TEMPLATE / gen.LOOKUP).is_file():
        pytest.fail(f"real JHU files not found in {TEMPLATE}: set JHU_SOURCE or use ../shared/jhu")
    return TEMPLATE


def read(path: Path) -> tuple[list[str], list[list[str]]]:
    with path.open(newline="") as handle:
        rows = list(csv.reader(handle))
    return rows[0], rows[1:]


def values(rows: list[list[str]], start: int) -> np.ndarray:
    """Date cells as floats, NaN where empty."""
    return np.array([[float(c) if c else np.nan for c in row[start:]] for row in rows])


@pytest.fixture(scope="module")
def scale1(tmp_path_factory: pytest.TempPathFactory, template: Path) -> Path:
    out = tmp_path_factory.mktemp("gen") / "k1"
    gen.generate(TEMPLATE, out, scale=1, seed=7)
    return out


@pytest.fixture(scope="module")
def scale2(tmp_path_factory: pytest.TempPathFactory, template: Path) -> Path:
    out = tmp_path_factory.mktemp("gen") / "k2"
    gen.generate(TEMPLATE, out, scale=2, seed=7)
    return out


def test_date_headers_are_the_final_upstream_range() -> None:
    headers = gen.date_headers()
    assert len(headers) == 1143
    assert headers[0] == "1/22/20"
    assert headers[-1] == "3/9/23"
    assert "2/29/20" in headers  # leap day, unpadded


@pytest.mark.parametrize("name", gen.FILES)
def test_every_file_passes_the_loader_validation(scale1: Path, name: str) -> None:
    profile = profile_file(name, scale1 / name)
    if name != gen.LOOKUP:
        assert profile.last_date is not None
        assert profile.last_date.isoformat() == "2023-03-09"
        assert profile.columns - len(gen.US_IDS if "US" in name else gen.GLOBAL_IDS) in (
            1143,
            1144,  # deaths_US carries Population
        )


def test_scale_1_keeps_the_template_locations(scale1: Path) -> None:
    for name in (gen.CONFIRMED_GLOBAL, gen.RECOVERED_GLOBAL):
        _, real = read(TEMPLATE / name)
        _, made = read(scale1 / name)
        assert [r[:4] for r in made] == [r[:4] for r in real]
    _, real_us = read(TEMPLATE / gen.DEATHS_US)
    _, made_conf = read(scale1 / gen.CONFIRMED_US)
    header, made_deaths = read(scale1 / gen.DEATHS_US)
    assert [r[:11] for r in made_deaths] == [r[:11] for r in real_us]
    assert [r[:11] for r in made_conf] == [r[:11] for r in real_us]
    assert header[11] == "Population"
    conf_header, _ = read(scale1 / gen.CONFIRMED_US)
    assert "Population" not in conf_header
    assert (scale1 / gen.LOOKUP).read_bytes() == (TEMPLATE / gen.LOOKUP).read_bytes()


def test_same_seed_same_bytes_other_seed_other_values(scale1: Path, tmp_path: Path) -> None:
    again = tmp_path / "again"
    gen.generate(TEMPLATE, again, scale=1, seed=7)
    other = tmp_path / "other"
    gen.generate(TEMPLATE, other, scale=1, seed=8)
    for name in gen.FILES:
        assert (again / name).read_bytes() == (scale1 / name).read_bytes(), name
    assert (other / gen.CONFIRMED_US).read_bytes() != (scale1 / gen.CONFIRMED_US).read_bytes()


def test_values_are_cumulative_with_some_revisions_and_empty_cells(scale1: Path) -> None:
    _, conf_rows = read(scale1 / gen.CONFIRMED_US)
    _, death_rows = read(scale1 / gen.DEATHS_US)
    conf = values(conf_rows, 11)
    deaths = values(death_rows, 12)
    for series in (conf, deaths):
        steps = np.diff(series, axis=1)
        steps = steps[~np.isnan(steps)]
        assert (steps < 0).sum() > 0, "some downward revisions"
        assert (steps < 0).mean() < 0.001, "mostly rising"
        assert 0 < np.isnan(series).sum() < series.size * 0.001, "a few empty cells"
        assert np.nanmin(series) >= 0
    # deaths follow cases: fewer in total, and the last day of the US adds up to tens of millions
    assert np.nansum(deaths[:, -1]) < 0.05 * np.nansum(conf[:, -1])
    assert 3e7 < np.nansum(conf[:, -1]) < 2e8


def test_recovered_stops_as_upstream(scale1: Path) -> None:
    header, rows = read(scale1 / gen.RECOVERED_GLOBAL)
    rec = values(rows, 4)
    stop = header.index("8/4/21") - 4
    assert rec[:, stop].sum() > 0
    assert (rec[:, stop + 1 :] == 0).all()
    us = next(i for i, r in enumerate(rows) if r[:2] == ["", "US"])
    us_stop = header.index("12/13/20") - 4
    assert rec[us, us_stop] > 0
    assert (rec[us, us_stop + 1 :] == 0).all()


def test_scale_multiplies_the_counties_with_unique_uids_and_lookup_rows(
    scale1: Path, scale2: Path
) -> None:
    _, base = read(scale1 / gen.DEATHS_US)
    _, rows = read(scale2 / gen.DEATHS_US)
    _, conf_rows = read(scale2 / gen.CONFIRMED_US)
    counties = [r for r in base if r[0].startswith("840") and r[4] and r[5] and float(r[4]) < 80000]
    assert len(rows) == len(base) + len(counties)
    assert [r[0] for r in conf_rows] == [r[0] for r in rows]
    uids = [r[0] for r in rows]
    assert len(set(uids)) == len(uids)
    keys = [r[10] for r in rows]
    assert len(set(keys)) == len(keys), "Combined_Key stays unique"
    _, lookup = read(scale2 / gen.LOOKUP)
    by_uid = {r[0]: r for r in lookup}
    assert len(lookup) == len(read(TEMPLATE / gen.LOOKUP)[1]) + len(counties)
    for row in rows:
        assert row[0] in by_uid, f"UID {row[0]} has a lookup row"
        if int(row[0]) >= gen.UID_STRIDE:  # a copy (real rows keep JHU's own discrepancies)
            assert by_uid[row[0]][11] == row[11], "population agrees with the lookup"
            assert by_uid[row[0]][10] == row[10]
    for name in gen.FILES:
        profile_file(name, scale2 / name)


def test_bad_scale_and_missing_template_are_one_line_errors(tmp_path: Path) -> None:
    with pytest.raises(JhuError, match="--scale 0"):
        gen.generate(TEMPLATE, tmp_path / "x", scale=0)
    with pytest.raises(JhuError, match="template file not found"):
        gen.generate(tmp_path / "nowhere", tmp_path / "x", scale=1)
    assert not (tmp_path / "x").exists(), "nothing half-written"


def test_revisions_never_make_a_cumulative_negative(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(1)
    cumulative = np.cumsum(rng.integers(0, 3, size=(200, 500)), axis=1)
    monkeypatch.setattr(gen, "REVISION_RATE", 0.05)
    revised = gen.with_revisions(cumulative, rng)
    assert (revised >= 0).all()
    assert (np.diff(revised, axis=1) < 0).any()
