"""The generator (`jhu generate`): JHU-shaped time-series files at scale k, for benchmarks.

The real final US files are not in the repository (and must never be), so the benchmark needs data
of their shape and larger. The generator takes the *locations* (id columns) from a template folder
holding the real files (JHU_SOURCE) and synthesises every *value*:

- scale 1: the three global files with the template's rows (final upstream shape, about 289 rows),
  the two US files with the template's ~3,340 locations, and the lookup table copied byte for
  byte; every file has the final 1,143 dates 1/22/20 .. 3/9/23 (the real US files in
  ../shared/jhu are older and shorter; the generated ones have the final length).
- scale k: the US county rows are repeated k times; each copy gets a new UID (original + r * 10**9)
  and an Admin2 suffixed with its copy number, and the lookup table gains one matching row per copy.
  Copies have an empty FIPS, as JHU publishes for some real counties: the 5-digit FIPS space cannot
  hold 330,000 distinct counties, and the UID stays the unique key. Global files keep their shape
  (they are about 10 % of the cells at k=1 and their marts are per country, not per row).

Values are realistic enough to exercise every rule of the marts: cumulative counts that rise along
seven waves, start on different dates, include downward revisions (a cumulative that goes down and
stays down) and a few empty cells; deaths follow confirmed with a lag; recovered stops (zeros
afterwards) after 8/4/21 worldwide and after 12/13/20 for the US row, as upstream. Everything is
deterministic from the seed.

Speed: values are generated with numpy in blocks of rows (memory stays flat at any scale) and the
numbers are rendered to CSV text by Arrow's C++ writer; the id columns are rendered once per row
in Python.

A finished folder carries a marker (`_generated.json`) recording what its data depends on: the
scale, the seed, the generator's own code and the template files (sha256 each), so the benchmark
reuses a folder only when all of them are the same.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import shutil
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pa_csv

from jhu_warehouse.errors import JhuError
from jhu_warehouse.lake.documents import sha256_file
from jhu_warehouse.progress import Progress, silent
from jhu_warehouse.sources import jhu_files
from jhu_warehouse.sources.jhu_files import (
    CONFIRMED_GLOBAL,
    CONFIRMED_US,
    DEATHS_GLOBAL,
    DEATHS_US,
    FIRST_DATE,
    GLOBAL_ID_COLUMNS,
    JHU_FILES,
    LAST_DATE,
    RECOVERED_GLOBAL,
    RECOVERED_LAST,
    US_ID_COLUMNS,
    US_RECOVERED_LAST,
    date_header,
)
from jhu_warehouse.sources.jhu_files import LOOKUP_FILE as LOOKUP

#: The final upstream shape: one column per day, 1/22/20 .. 3/9/23.
N_DATES = (LAST_DATE - FIRST_DATE).days + 1
#: UIDs of the copies: original + copy number * UID_STRIDE (real UIDs are below 10**8).
UID_STRIDE = 10**9
#: Rows generated per block: large enough for numpy to be efficient, small enough for flat memory.
BLOCK_ROWS = 2048

# The id columns are the sources' (the loader validates against them too).
GLOBAL_IDS = list(GLOBAL_ID_COLUMNS)
US_IDS = list(US_ID_COLUMNS)
FILES = JHU_FILES
MARKER = "_generated.json"

#: The waves of the pandemic: (centre as days after 1/22/20, width in days, share of all cases).
WAVES = (
    (79, 20, 0.04),
    (180, 22, 0.07),
    (354, 32, 0.18),
    (588, 30, 0.12),
    (724, 18, 0.40),
    (905, 35, 0.11),
    (1063, 30, 0.08),
)
#: Per cell: chance of a downward revision, chance of an empty cell.
REVISION_RATE = 3e-4
EMPTY_RATE = 2e-5


@dataclass(frozen=True)
class Location:
    """The id cells of one row, verbatim, and the population that scales its values."""

    ids: tuple[str, ...]
    population_text: str
    """As published (deaths_US and the lookup); may be empty."""

    @property
    def population(self) -> int:
        return int(self.population_text or 0)


@dataclass
class GenerateSummary:
    out: Path
    scale: int
    seed: int
    files: dict[str, dict[str, int]] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def cells(self) -> int:
        """Date cells of the five time-series files (the unit of work of every implementation)."""
        return sum(f["cells"] for f in self.files.values())

    @property
    def bytes(self) -> int:
        return sum(f["bytes"] for f in self.files.values())


# --- pure helpers --------------------------------------------------------------------------------


def date_headers(n_dates: int = N_DATES) -> list[str]:
    """JHU's date headers: M/D/YY, month and day unpadded."""
    return [date_header(FIRST_DATE + timedelta(days=i)) for i in range(n_dates)]


def date_index(day: date) -> int:
    return (day - FIRST_DATE).days


def wave_curve(n_dates: int = N_DATES) -> np.ndarray:
    """Share of a location's eventual cases reported on each date (sums to 1)."""
    t = np.arange(n_dates, dtype=np.float64)
    curve = np.zeros(n_dates)
    for centre, width, share in WAVES:
        curve += share * np.exp(-0.5 * ((t - centre) / width) ** 2) / width
    return curve / curve.sum()


def block_rng(seed: int, stream: int, block: int) -> np.random.Generator:
    """One independent generator per (file group, block): the output does not depend on timing."""
    return np.random.default_rng([seed, stream, block])


def stochastic_round(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Round to an integer up with probability equal to the fraction: unbiased for small counts."""
    return np.floor(x + rng.random(x.shape)).astype(np.int64)


def daily_confirmed(
    populations: np.ndarray, rng: np.random.Generator, n_dates: int = N_DATES
) -> np.ndarray:
    """New cases per location (rows) and date (columns): waves, a start offset, daily noise."""
    n = len(populations)
    # Rows without a population (Unassigned, cruise ships) still get a few thousand cases.
    size = np.where(populations > 0, populations, rng.integers(500, 5000, n)).astype(np.float64)
    attack = rng.uniform(0.15, 0.35, n)
    shift = rng.integers(0, 40, n)
    curve = wave_curve(n_dates)
    idx = np.arange(n_dates)[None, :] - shift[:, None]
    expected = np.where(idx >= 0, curve[np.clip(idx, 0, None)], 0.0)
    expected *= (attack * size)[:, None]
    noise = rng.lognormal(0.0, 0.35, expected.shape)
    return stochastic_round(expected * noise, rng)


def lagged(daily: np.ndarray, days: int) -> np.ndarray:
    """The series shifted later by `days` (zeros at the start)."""
    out = np.zeros_like(daily)
    out[:, days:] = daily[:, :-days]
    return out


def daily_deaths(confirmed: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Deaths follow cases by about 18 days, with a fatality ratio that falls over time."""
    t = np.arange(confirmed.shape[1], dtype=np.float64)
    fatality = 0.03 * np.exp(-t / 300.0) + 0.004
    expected = lagged(confirmed, 18) * fatality[None, :]
    return stochastic_round(expected * rng.lognormal(0.0, 0.3, expected.shape), rng)


def with_revisions(cumulative: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Apply downward revisions: from a random date on, the cumulative is lower by a few percent.

    Each cut is at most 3 % of the (unrevised, rising) count the day before, so a row would need
    more than 33 revisions before its cumulative could go negative. Small counts get no cut.
    """
    hits = rng.random(cumulative.shape) < REVISION_RATE
    hits[:, 0] = False
    rows, cols = np.nonzero(hits)
    if len(rows) == 0:
        return cumulative
    before = cumulative[rows, cols - 1]
    cut = np.floor(before * rng.uniform(0.001, 0.03, len(rows))).astype(np.int64)
    delta = np.zeros_like(cumulative)
    delta[rows, cols] = cut
    return cumulative - np.cumsum(delta, axis=1)


def empty_mask(shape: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    """Cells published empty (rare)."""
    return rng.random(shape) < EMPTY_RATE


def recovered_from(confirmed_daily: np.ndarray, last: np.ndarray) -> np.ndarray:
    """Cumulative recovered: cases of two weeks before, until each row's last reported date
    (index in `last`), zeros afterwards (as upstream stopped reporting)."""
    cumulative = np.cumsum(np.floor(lagged(confirmed_daily, 14) * 0.97).astype(np.int64), axis=1)
    cols = np.arange(cumulative.shape[1])[None, :]
    return np.where(cols <= last[:, None], cumulative, 0)


def csv_line(cells: Sequence[str]) -> str:
    """One CSV record as JHU writes it: quoted only when needed, no line end."""
    buf = io.StringIO()
    csv.writer(buf, lineterminator="").writerow(cells)
    return buf.getvalue()


def render_rows(prefixes: Sequence[str], values: np.ndarray, empty: np.ndarray | None) -> bytes:
    """CSV text of rows: the pre-rendered id cells, then the values (empty where masked).

    Arrow's C++ writer renders the integers (fast); Python only joins one prefix per line.
    """
    n_rows, n_cols = values.shape
    columns = np.asfortranarray(values)  # column-contiguous: each Arrow array is a view
    arrays = [
        pa.array(columns[:, j], mask=None if empty is None else empty[:, j]) for j in range(n_cols)
    ]
    table = pa.Table.from_arrays(arrays, names=[str(j) for j in range(n_cols)])
    sink = io.BytesIO()
    pa_csv.write_csv(table, sink, write_options=pa_csv.WriteOptions(include_header=False))
    lines = sink.getvalue().split(b"\n")[:n_rows]
    pairs = zip(prefixes, lines, strict=True)
    return b"".join(prefix.encode() + b"," + line + b"\n" for prefix, line in pairs)


# --- template ------------------------------------------------------------------------------------


def read_csv_rows(path: Path) -> tuple[list[str], list[list[str]]]:
    if not path.is_file():
        raise JhuError(f"{path}: template file not found (the generator takes locations from it)")
    with path.open(newline="", encoding="utf-8-sig") as handle:
        rows = list(csv.reader(handle))
    if len(rows) < 2:
        raise JhuError(f"{path}: template file has no rows")
    return rows[0], rows[1:]


def id_columns(path: Path, ids: list[str]) -> list[list[str]]:
    header, rows = read_csv_rows(path)
    if header[: len(ids)] != ids:
        raise JhuError(f"{path}: template id columns are {header[: len(ids)]}, expected {ids}")
    return [row[: len(ids)] for row in rows]


def global_locations(template: Path, name: str, lookup: list[dict[str, str]]) -> list[Location]:
    """The rows of a global template file, with populations from the lookup's non-county rows."""
    populations = {
        (r["Province_State"], r["Country_Region"]): int(r["Population"] or 0)
        for r in lookup
        if not r["Admin2"]
    }
    return [
        Location(tuple(ids), str(populations.get((ids[0], ids[1]), 0) or 1_000_000))
        for ids in id_columns(template / name, GLOBAL_IDS)
    ]


def us_locations(template: Path) -> list[Location]:
    """The US rows of the template's deaths_US (it has them all), with its Population column."""
    rows = id_columns(template / DEATHS_US, [*US_IDS, "Population"])
    return [Location(tuple(row[:-1]), row[-1]) for row in rows]


def is_county(loc: Location) -> bool:
    """A real county row: UID 840xxxxx with a county FIPS (not Unassigned / Out of / ships)."""
    uid, fips, admin2 = loc.ids[0], loc.ids[4], loc.ids[5]
    if not (uid.startswith("840") and len(uid) == 8 and admin2 and fips):
        return False
    return int(float(fips)) < 80000


def replica(loc: Location, copy: int) -> Location:
    """Copy number `copy` (1..k-1) of a county: new UID, suffixed name, no FIPS."""
    uid, iso2, iso3, code3, _fips, admin2, state, country, lat, lon, _key = loc.ids
    name = f"{admin2} {copy + 1}"
    ids = (
        str(int(uid) + copy * UID_STRIDE),
        iso2,
        iso3,
        code3,
        "",
        name,
        state,
        country,
        lat,
        lon,
        f"{name}, {state}, {country}",
    )
    return Location(ids, loc.population_text)


def scaled_us_locations(base: list[Location], scale: int) -> list[Location]:
    counties = [loc for loc in base if is_county(loc)]
    return base + [replica(loc, copy) for copy in range(1, scale) for loc in counties]


def lookup_row(loc: Location) -> list[str]:
    return [*loc.ids, loc.population_text]


# --- writing -------------------------------------------------------------------------------------


def blocks(n: int) -> Iterator[tuple[int, slice]]:
    for number, start in enumerate(range(0, n, BLOCK_ROWS)):
        yield number, slice(start, min(start + BLOCK_ROWS, n))


def write_us(
    out: Path, locations: list[Location], seed: int, progress: Progress = silent
) -> dict[str, dict[str, int]]:
    """Both US files in one pass (deaths derive from confirmed, row by row)."""
    headers = date_headers()
    conf_path, death_path = out / CONFIRMED_US, out / DEATHS_US
    n = len(locations)
    with conf_path.open("wb") as conf, death_path.open("wb") as deaths:
        conf.write((",".join(US_IDS + headers) + "\n").encode())
        deaths.write((",".join([*US_IDS, "Population", *headers]) + "\n").encode())
        for number, rows in blocks(n):
            part = locations[rows]
            rng = block_rng(seed, 2, number)
            pops = np.array([loc.population for loc in part], dtype=np.int64)
            new_conf = daily_confirmed(pops, rng)
            cum_conf = with_revisions(np.cumsum(new_conf, axis=1), rng)
            cum_deaths = with_revisions(np.cumsum(daily_deaths(new_conf, rng), axis=1), rng)
            ids = [csv_line(loc.ids) for loc in part]
            conf.write(render_rows(ids, cum_conf, empty_mask(cum_conf.shape, rng)))
            with_pop = [f"{p},{loc.population_text}" for p, loc in zip(ids, part, strict=True)]
            deaths.write(render_rows(with_pop, cum_deaths, empty_mask(cum_deaths.shape, rng)))
            if number % 20 == 19:
                progress(f"  US rows {rows.stop:,}/{n:,}")
    return {
        CONFIRMED_US: file_stats(conf_path, n),
        DEATHS_US: file_stats(death_path, n),
    }


def write_global(out: Path, template: Path, lookup: list[dict[str, str]], seed: int) -> dict:
    """The three global files: confirmed and deaths per template row, recovered derived."""
    headers = date_headers()
    header = (",".join(GLOBAL_IDS + headers) + "\n").encode()
    confirmed_locs = global_locations(template, CONFIRMED_GLOBAL, lookup)
    rng = block_rng(seed, 1, 0)
    pops = np.array([loc.population for loc in confirmed_locs], dtype=np.int64)
    new_conf = daily_confirmed(pops, rng)
    cum_conf = with_revisions(np.cumsum(new_conf, axis=1), rng)
    cum_deaths = with_revisions(np.cumsum(daily_deaths(new_conf, rng), axis=1), rng)
    ids = [csv_line(loc.ids) for loc in confirmed_locs]
    stats = {}
    for name, values in ((CONFIRMED_GLOBAL, cum_conf), (DEATHS_GLOBAL, cum_deaths)):
        deaths_locs = global_locations(template, name, lookup)
        if [loc.ids for loc in deaths_locs] != [loc.ids for loc in confirmed_locs]:
            raise JhuError(f"{template / name}: template rows differ from {CONFIRMED_GLOBAL}")
        body = render_rows(ids, values, empty_mask(values.shape, rng))
        (out / name).write_bytes(header + body)
        stats[name] = file_stats(out / name, len(ids))

    # Recovered: the template's rows (Canada at country level); a row absent from confirmed
    # recovers the cases of its country's rows.
    recovered_locs = global_locations(template, RECOVERED_GLOBAL, lookup)
    by_key = {loc.ids[:2]: i for i, loc in enumerate(confirmed_locs)}
    source = np.zeros((len(recovered_locs), N_DATES), dtype=np.int64)
    last = np.full(len(recovered_locs), date_index(RECOVERED_LAST))
    for i, loc in enumerate(recovered_locs):
        key = loc.ids[:2]
        if key in by_key:
            source[i] = new_conf[by_key[key]]
        else:
            same = [j for j, c in enumerate(confirmed_locs) if c.ids[1] == loc.ids[1]]
            source[i] = new_conf[same].sum(axis=0)
        if key == ("", "US"):
            last[i] = date_index(US_RECOVERED_LAST)
    recovered = recovered_from(source, last)
    rec_ids = [csv_line(loc.ids) for loc in recovered_locs]
    (out / RECOVERED_GLOBAL).write_bytes(header + render_rows(rec_ids, recovered, None))
    stats[RECOVERED_GLOBAL] = file_stats(out / RECOVERED_GLOBAL, len(rec_ids))
    return stats


def write_lookup(out: Path, template: Path, extra: list[Location]) -> dict[str, int]:
    """The template's lookup table byte for byte, plus one row per county copy."""
    target = out / LOOKUP
    shutil.copyfile(template / LOOKUP, target)
    with target.open("ab") as handle:
        for loc in extra:
            handle.write((csv_line(lookup_row(loc)) + "\n").encode())
    with target.open("rb") as handle:
        rows = sum(1 for _ in handle) - 1
    return {"rows": rows, "cells": 0, "bytes": target.stat().st_size}


def file_stats(path: Path, rows: int) -> dict[str, int]:
    return {"rows": rows, "cells": rows * N_DATES, "bytes": path.stat().st_size}


def read_lookup(template: Path) -> list[dict[str, str]]:
    header, rows = read_csv_rows(template / LOOKUP)
    return [dict(zip(header, row, strict=False)) for row in rows]


def inputs(template: Path, scale: int, seed: int) -> dict[str, object]:
    """What generated data depends on: scale, seed, this code and the template files (sha256).

    The code is hashed rather than versioned by hand: a changed generator can never be mistaken
    for the one that wrote a cached folder.
    """
    code = hashlib.sha256()
    for module in (Path(__file__), Path(jhu_files.__file__)):
        code.update(module.read_bytes())
    return {
        "scale": scale,
        "seed": seed,
        "generator_sha256": code.hexdigest(),
        "template_sha256": {name: sha256_file(template / name) for name in FILES},
    }


def generate(
    template: Path, out: Path, scale: int, seed: int = 0, progress: Progress = silent
) -> GenerateSummary:
    """Write the six files into `out` (created; replaced only as a whole, never half-written)."""
    if scale < 1:
        raise JhuError(f"--scale {scale}: must be a positive integer")
    check_replaceable(out)
    start = time.perf_counter()
    lookup = read_lookup(template)
    base_us = us_locations(template)
    locations = scaled_us_locations(base_us, scale)

    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.parent / f".{out.name}.tmp-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    try:
        summary = GenerateSummary(out=out, scale=scale, seed=seed)
        summary.files.update(write_global(tmp, template, lookup, seed))
        summary.files.update(write_us(tmp, locations, seed, progress))
        summary.files[LOOKUP] = write_lookup(tmp, template, locations[len(base_us) :])
        summary.seconds = time.perf_counter() - start
        marker = {
            **inputs(template, scale, seed),
            "files": summary.files,
            "cells": summary.cells,
            "seconds": round(summary.seconds, 1),
        }
        (tmp / MARKER).write_text(json.dumps(marker, indent=2) + "\n")
        if out.exists():
            shutil.rmtree(out)
        tmp.rename(out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return summary


def check_replaceable(out: Path) -> None:
    """`out` may be replaced only when it is missing, empty, or a folder this generator made."""
    if out.exists() and not out.is_dir():
        raise JhuError(f"--out {out}: is a file, not a folder; give a new or empty folder")
    if out.is_dir() and any(out.iterdir()) and read_marker(out) is None:
        raise JhuError(
            f"--out {out}: the folder is not empty and was not made by `jhu generate` (no "
            f"{MARKER}); give a new or empty folder, nothing was changed"
        )


def read_marker(out: Path) -> dict | None:
    """The record of a finished generation in `out`, or None when there is none."""
    try:
        return json.loads((out / MARKER).read_text())
    except (OSError, ValueError):
        return None
