"""`jhu load` end to end on a local lake: what lands, what does not, and what a bad input says.

Expected figures come from the fixture and real files themselves (hashlib, line counts, the
header parsed with strptime) or from SOURCES.md, never from the code under test.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from fixtures import (
    FIXTURE_DIR,
    LOOKUP,
    SIX_FILES,
    closed_port_url,
    copy_fixtures,
    edit_rows,
    serve,
    snapshot,
    upstream_layout,
)
from jhu_warehouse import cli
from jhu_warehouse.config import Settings
from jhu_warehouse.errors import JhuError
from jhu_warehouse.ingest import land as loader
from jhu_warehouse.ingest.land import LoadReport, load
from jhu_warehouse.lake import LocalLake

REPO = Path(__file__).resolve().parents[2]
MANIFEST = "raw/jhu/_manifest.json"
GLOBAL = "time_series_covid19_confirmed_global.csv"
DEATHS_GLOBAL = "time_series_covid19_deaths_global.csv"
RECOVERED = "time_series_covid19_recovered_global.csv"
CONFIRMED_US = "time_series_covid19_confirmed_US.csv"
DEATHS_US = "time_series_covid19_deaths_US.csv"
FIRST_CLOCK = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)
SECOND_CLOCK = datetime(2024, 6, 2, 8, 30, 0, tzinfo=UTC)

Rows = list[list[str]]


def settings_for(source: Path | None, lake: Path) -> Settings:
    return Settings(
        source=str(source) if source else None,
        lake=str(lake),
        s3_endpoint=None,
        duckdb_path=str(lake.parent / "w.duckdb"),
        target="duckdb",
    )


def run_load(
    source: Path | None, lake_dir: Path, clock: datetime = FIRST_CLOCK, **kwargs: object
) -> tuple[LoadReport, LocalLake, str]:
    """One load into a fresh LocalLake over ``lake_dir``; returns the report, the lake, and the
    progress lines it reported (as the command line prints them)."""
    lake = LocalLake(lake_dir)
    lines: list[str] = []
    report = load(
        settings_for(source, lake_dir),
        lake,
        progress=lines.append,
        now=lambda: clock,
        **kwargs,  # type: ignore[arg-type]
    )
    return report, lake, "".join(f"{line}\n" for line in lines)


def manifest_of(lake_dir: Path) -> dict[str, dict[str, object]]:
    files: dict[str, dict[str, object]] = json.loads((lake_dir / MANIFEST).read_text())["files"]
    return files


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def header_dates(path: Path) -> list[date]:
    """The dates of a header, parsed here with strptime (independently of validation.py)."""
    with path.open(encoding="utf-8") as handle:
        header = handle.readline().rstrip("\r\n").split(",")  # no quoted commas in JHU headers
    dates = []
    for cell in header:
        try:
            dates.append(datetime.strptime(cell, "%m/%d/%y").date())
        except ValueError:
            continue
    return dates


def data_rows(path: Path) -> int:
    """Lines after the header (JHU files hold no line breaks inside quoted fields)."""
    return path.read_bytes().count(b"\n") - 1


# ---------------------------------------------------------------- happy path


def test_the_six_files_land_byte_identical(tmp_path: Path) -> None:
    report, lake, out = run_load(FIXTURE_DIR, tmp_path / "lake")
    for name in SIX_FILES:
        assert sha256(tmp_path / "lake" / "raw" / "jhu" / name) == sha256(FIXTURE_DIR / name)
    assert sorted(snapshot(tmp_path / "lake")) == sorted(
        [f"raw/jhu/{name}" for name in SIX_FILES] + [MANIFEST]
    )
    assert [(f.name, f.status) for f in report.files] == [(n, "landed") for n in SIX_FILES]
    assert report.manifest_written
    assert lake.stats.requests["write"] == 7  # six files, then the manifest
    for name in SIX_FILES:
        assert f"  landed     {name}: " in out


def test_the_report_counts_bytes_and_rows_of_each_file(tmp_path: Path) -> None:
    started = time.perf_counter()
    report, _, _ = run_load(FIXTURE_DIR, tmp_path / "lake")
    elapsed = time.perf_counter() - started
    for item in report.files:
        assert item.bytes == (FIXTURE_DIR / item.name).stat().st_size
        assert item.rows == data_rows(FIXTURE_DIR / item.name) == 3
        assert item.seconds > 0  # timed, not left at a default
    # each file's time is part of the load's (seconds, not milliseconds or a clock reading)
    assert sum(item.seconds for item in report.files) <= elapsed
    total = sum((FIXTURE_DIR / name).stat().st_size for name in SIX_FILES)
    assert report.summary().startswith(f"6 files landed ({total:,} bytes, 18 rows), 0 unchanged")


def test_the_manifest_figures_match_the_files(tmp_path: Path) -> None:
    run_load(FIXTURE_DIR, tmp_path / "lake")
    manifest = manifest_of(tmp_path / "lake")
    assert sorted(manifest) == sorted(SIX_FILES)
    for name in SIX_FILES:
        path = FIXTURE_DIR / name
        dates = header_dates(path)
        header = path.read_text().splitlines()[0].split(",")
        assert manifest[name] == {
            "sha256": sha256(path),
            "bytes": path.stat().st_size,
            "rows": data_rows(path),
            "columns": len(header),
            "first_date": min(dates).isoformat() if dates else None,
            "last_date": max(dates).isoformat() if dates else None,
            "source": str(path),
            "loaded_at": "2024-05-01T12:00:00Z",
        }
    # The fixture's year boundary and the US series ending on different days, spelled out:
    assert manifest[GLOBAL]["last_date"] == "2021-01-03"
    assert manifest[CONFIRMED_US]["last_date"] == "2021-01-02"
    assert manifest[DEATHS_US]["first_date"] == "2020-12-30"
    assert manifest[LOOKUP]["first_date"] is None


def test_a_rerun_with_unchanged_inputs_writes_nothing_and_says_so(tmp_path: Path) -> None:
    run_load(FIXTURE_DIR, tmp_path / "lake")
    before = snapshot(tmp_path / "lake")
    report, lake, out = run_load(FIXTURE_DIR, tmp_path / "lake", clock=SECOND_CLOCK)
    assert snapshot(tmp_path / "lake") == before
    assert lake.stats.requests["write"] == 0
    assert lake.stats.bytes_up == 0
    assert not report.manifest_written
    assert [f.status for f in report.files] == ["unchanged"] * 6
    assert report.summary().startswith("6 files unchanged, nothing landed")
    for name in SIX_FILES:
        assert f"  unchanged  {name}: " in out


def test_only_a_changed_file_lands_and_the_others_keep_their_entries(tmp_path: Path) -> None:
    source = copy_fixtures(tmp_path / "src")
    run_load(source, tmp_path / "lake")
    first = manifest_of(tmp_path / "lake")
    edit_rows(source / RECOVERED, lambda rows: [*rows[:-1], [*rows[-1][:-1], "45000"]])

    report, lake, _ = run_load(source, tmp_path / "lake", clock=SECOND_CLOCK)

    assert [f.name for f in report.landed] == [RECOVERED]
    assert lake.stats.requests["write"] == 2  # the file, then the manifest
    second = manifest_of(tmp_path / "lake")
    assert second[RECOVERED]["sha256"] == sha256(source / RECOVERED)
    assert second[RECOVERED]["loaded_at"] == "2024-06-02T08:30:00Z"
    assert {n: e for n, e in second.items() if n != RECOVERED} == {
        n: e for n, e in first.items() if n != RECOVERED
    }
    assert (tmp_path / "lake/raw/jhu" / RECOVERED).read_bytes() == (source / RECOVERED).read_bytes()
    assert report.summary().startswith("1 file landed (")


def test_a_file_gone_from_the_lake_lands_again(tmp_path: Path) -> None:
    run_load(FIXTURE_DIR, tmp_path / "lake")
    (tmp_path / "lake/raw/jhu" / LOOKUP).unlink()
    report, _, _ = run_load(FIXTURE_DIR, tmp_path / "lake")
    assert [f.name for f in report.landed] == [LOOKUP]
    assert sha256(tmp_path / "lake/raw/jhu" / LOOKUP) == sha256(FIXTURE_DIR / LOOKUP)


def test_a_corrupt_manifest_is_one_line_and_lands_nothing(tmp_path: Path) -> None:
    run_load(FIXTURE_DIR, tmp_path / "lake")
    (tmp_path / "lake" / MANIFEST).write_text("{oops")
    before = snapshot(tmp_path / "lake")
    source = copy_fixtures(tmp_path / "src")
    edit_rows(source / GLOBAL, lambda rows: [*rows, [",Zz", "1", "2", "3", "4", "5", "6", "7"]])
    with pytest.raises(JhuError) as caught:
        run_load(source, tmp_path / "lake")
    assert str(caught.value).startswith(f"{tmp_path / 'lake' / MANIFEST}: not a valid manifest")
    assert "\n" not in str(caught.value)
    assert snapshot(tmp_path / "lake") == before


def test_the_download_path_lands_the_same_bytes_and_records_the_urls(tmp_path: Path) -> None:
    upstream = upstream_layout(FIXTURE_DIR, tmp_path / "upstream")
    with serve(upstream) as base:
        report, _, _ = run_load(None, tmp_path / "lake", base_url=base)
    assert len(report.landed) == 6
    manifest = manifest_of(tmp_path / "lake")
    assert manifest[GLOBAL]["source"] == f"{base}/csse_covid_19_time_series/{GLOBAL}"
    assert manifest[LOOKUP]["source"] == f"{base}/{LOOKUP}"
    for name in SIX_FILES:
        assert sha256(tmp_path / "lake/raw/jhu" / name) == sha256(FIXTURE_DIR / name)


def test_an_unreachable_network_fails_at_once_and_lands_nothing(tmp_path: Path) -> None:
    with pytest.raises(JhuError) as caught:
        run_load(None, tmp_path / "lake", base_url=closed_port_url())
    message = str(caught.value)
    assert message.startswith("network unreachable: cannot download ")
    assert "JHU_SOURCE" in message
    assert "\n" not in message
    assert snapshot(tmp_path / "lake") == {}


def test_main_prints_the_files_a_summary_and_the_lake_requests(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    environ = {"JHU_SOURCE": str(FIXTURE_DIR), "JHU_LAKE": str(tmp_path / "lake")}
    with pytest.MonkeyPatch.context() as patch:
        for name in ("JHU_S3_ENDPOINT", "JHU_DUCKDB", "JHU_TARGET"):
            patch.delenv(name, raising=False)
        for name, value in environ.items():
            patch.setenv(name, value)
        assert cli.main(["load"]) == 0
        assert cli.main(["load"]) == 0
    out = capsys.readouterr().out.splitlines()
    valid_line = f"  valid      {GLOBAL}: 3 rows, 9 columns, 2020-12-30 to 2021-01-03 ("
    assert sum(line.startswith(valid_line) for line in out) == 2  # once per run
    assert any(line.startswith("6 files landed (") for line in out)
    assert any(line.startswith("6 files unchanged, nothing landed") for line in out)
    assert f"manifest: {tmp_path / 'lake' / MANIFEST}" in out
    assert "lake requests: 7 write; " in "\n".join(out)
    # the re-run checks every landed file (size and sha256) before trusting "unchanged"
    assert "lake requests: 1 list, 1 read, 6 stat; 0 bytes up" in "\n".join(out)


# ---------------------------------------------------------------- bad inputs: nothing lands


def drop_column(column: str) -> Callable[[Rows], Rows]:
    def change(rows: Rows) -> Rows:
        index = rows[0].index(column)
        return [row[:index] + row[index + 1 :] for row in rows]

    return change


def rename_header(old: str, new: str) -> Callable[[Rows], Rows]:
    return lambda rows: [[new if cell == old else cell for cell in rows[0]], *rows[1:]]


def set_cell(line: int, column: str, value: str) -> Callable[[Rows], Rows]:
    def change(rows: Rows) -> Rows:
        rows[line - 1][rows[0].index(column)] = value
        return rows

    return change


def drop_last_field(line: int) -> Callable[[Rows], Rows]:
    def change(rows: Rows) -> Rows:
        rows[line - 1] = rows[line - 1][:-1]
        return rows

    return change


#: (file broken, how, the whole error line; {src} is the source folder)
BAD_INPUTS: dict[str, tuple[str, Callable[[Rows], Rows] | None, str]] = {
    "missing_id_column": (
        GLOBAL,
        drop_column("Lat"),
        f"{GLOBAL}: missing id column 'Lat' in the header (line 1); nothing was landed",
    ),
    "bad_date_header": (
        DEATHS_US,
        rename_header("1/3/21", "1/32/21"),
        f"{DEATHS_US}: header '1/32/21' (column 17) is not a date as M/D/YY; nothing was landed",
    ),
    "duplicated_date_header": (
        CONFIRMED_US,
        rename_header("12/30/20", "12/29/20"),
        f"{CONFIRMED_US}: duplicated date header '12/29/20': columns 12 and 13 are both "
        "2020-12-29; nothing was landed",
    ),
    "non_numeric_cell": (
        RECOVERED,
        set_cell(4, "1/1/21", "4385O"),
        f"{RECOVERED}: line 4, column '1/1/21': '4385O' is not a count (a whole number, or "
        "empty); nothing was landed",
    ),
    "empty_body": (
        DEATHS_GLOBAL,
        lambda rows: rows[:1],
        f"{DEATHS_GLOBAL}: no data rows after the header (empty body); nothing was landed",
    ),
    "ragged_row": (
        LOOKUP,
        drop_last_field(3),
        f"{LOOKUP}: line 3 has 11 fields, the header has 12 (ragged row); nothing was landed",
    ),
    "missing_file": (DEATHS_US, None, f"JHU_SOURCE={{src}}: missing {DEATHS_US} in that folder"),
}


def break_source(source: Path, case: str) -> str:
    """Apply a bad-input case to ``source``; return the error line it must produce."""
    name, change, expected = BAD_INPUTS[case]
    if change is None:
        (source / name).unlink()
    else:
        edit_rows(source / name, change)
    return expected.format(src=source)


@pytest.mark.parametrize("case", list(BAD_INPUTS))
def test_a_bad_input_on_an_empty_lake_is_one_line_and_lands_nothing(
    tmp_path: Path, case: str
) -> None:
    source = copy_fixtures(tmp_path / "src")
    expected = break_source(source, case)
    with pytest.raises(JhuError) as caught:
        run_load(source, tmp_path / "lake")
    assert str(caught.value) == expected
    assert snapshot(tmp_path / "lake") == {}


@pytest.mark.parametrize("case", list(BAD_INPUTS))
def test_a_bad_input_leaves_a_loaded_lake_as_it_was(tmp_path: Path, case: str) -> None:
    source = copy_fixtures(tmp_path / "src")
    run_load(source, tmp_path / "lake")
    before = snapshot(tmp_path / "lake")
    # A good change to another file, which would land if the run went through...
    other = next(name for name in SIX_FILES if name != BAD_INPUTS[case][0])
    edit_rows(source / other, lambda rows: [*rows, rows[-1]])
    # ...and the bad one.
    expected = break_source(source, case)
    with pytest.raises(JhuError) as caught:
        run_load(source, tmp_path / "lake", clock=SECOND_CLOCK)
    assert str(caught.value) == expected
    assert snapshot(tmp_path / "lake") == before


def test_every_bad_file_is_named_when_several_are_bad(tmp_path: Path) -> None:
    source = copy_fixtures(tmp_path / "src")
    first = break_source(source, "missing_id_column")
    break_source(source, "empty_body")
    break_source(source, "ragged_row")
    with pytest.raises(JhuError) as caught:
        run_load(source, tmp_path / "lake")
    assert str(caught.value) == first.replace(
        "; nothing was landed", f" (also invalid: {DEATHS_GLOBAL}, {LOOKUP}); nothing was landed"
    )


def test_big_loads_validate_in_worker_processes_with_the_same_outcome(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past PARALLEL_VALIDATION_BYTES the files are profiled and hashed in worker processes, a
    few files per task: same profiles, each file's sha256, and the same one-line error naming
    every bad file, in the files' order."""
    source = copy_fixtures(tmp_path / "src")
    serial, _, _ = run_load(source, tmp_path / "serial")
    monkeypatch.setattr(loader, "PARALLEL_VALIDATION_BYTES", 0)
    workers: list[int] = []
    real_pool = loader.ProcessPoolExecutor

    def counting_pool(*args, **kwargs):
        workers.append(kwargs["max_workers"])
        return real_pool(*args, **kwargs)

    monkeypatch.setattr(loader, "ProcessPoolExecutor", counting_pool)
    monkeypatch.setattr(loader.os, "cpu_count", lambda: 2)
    monkeypatch.setattr(loader, "FILES_PER_TASK", 2)
    parallel, _, _ = run_load(source, tmp_path / "parallel")
    assert workers == [2]
    assert manifest_of(tmp_path / "parallel").keys() == manifest_of(tmp_path / "serial").keys()
    assert {
        name: entry["sha256"] for name, entry in manifest_of(tmp_path / "parallel").items()
    } == {name: sha256(source / name) for name in manifest_of(tmp_path / "serial")}
    assert [(f.name, f.rows, f.bytes) for f in parallel.files] == [
        (f.name, f.rows, f.bytes) for f in serial.files
    ]

    first = break_source(source, "missing_id_column")
    break_source(source, "ragged_row")
    with pytest.raises(JhuError) as caught:
        run_load(source, tmp_path / "broken")
    assert str(caught.value) == first.replace(
        "; nothing was landed", f" (also invalid: {LOOKUP}); nothing was landed"
    )
    assert workers == [2, 2]
    assert not (tmp_path / "broken").exists() or snapshot(tmp_path / "broken") == {}


# ---------------------------------------------------------------- the command line


def run_cli(source: Path, lake: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "JHU_SOURCE": str(source), "JHU_LAKE": str(lake)}
    return subprocess.run(
        [sys.executable, "-m", "jhu_warehouse", "load"],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_cli_bad_input_exits_non_zero_with_exactly_one_line(tmp_path: Path) -> None:
    source = copy_fixtures(tmp_path / "src")
    expected = break_source(source, "duplicated_date_header")
    result = run_cli(source, tmp_path / "lake", tmp_path)
    assert result.returncode != 0
    assert result.stderr.splitlines() == [f"error: {expected}"]
    assert snapshot(tmp_path / "lake") == {}


def test_cli_loads_then_lands_nothing_on_a_rerun(tmp_path: Path) -> None:
    first = run_cli(FIXTURE_DIR, tmp_path / "lake", tmp_path)
    second = run_cli(FIXTURE_DIR, tmp_path / "lake", tmp_path)
    assert (first.returncode, second.returncode) == (0, 0), first.stderr + second.stderr
    assert "6 files landed (" in first.stdout
    assert "6 files unchanged, nothing landed" in second.stdout
    assert (first.stderr, second.stderr) == ("", "")


# ---------------------------------------------------------------- the real files


def real_source() -> Path | None:
    env = os.environ.get("JHU_SOURCE")
    folder = Path(env) if env else REPO.parent / "shared" / "jhu"
    return folder if (folder / "SOURCES.md").is_file() else None


def sources_md_facts(path: Path) -> dict[str, dict[str, object]]:
    """The six files' rows in SOURCES.md's tables: sha256, rows, cols, last date, bytes."""
    facts: dict[str, dict[str, object]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) != 8 or cells[0].strip("`") not in SIX_FILES:
            continue
        last = cells[6].strip("*")
        facts[cells[0].strip("`")] = {
            "sha256": cells[3].strip("`"),
            "rows": int(cells[4]),
            "columns": int(cells[5].split()[0]),
            "last_date": None if last == "n/a" else datetime.strptime(last, "%m/%d/%y").date(),
            "bytes": int(cells[7]),
        }
    return facts


def test_the_real_files_load_with_the_figures_of_sources_md(tmp_path: Path) -> None:
    source = real_source()
    if source is None:
        pytest.fail("no real JHU files (SOURCES.md): set JHU_SOURCE or place them in ../shared/jhu")
    facts = sources_md_facts(source / "SOURCES.md")
    assert sorted(facts) == sorted(SIX_FILES), "SOURCES.md no longer lists the six files"

    report, _, _ = run_load(source, tmp_path / "lake")
    manifest = manifest_of(tmp_path / "lake")

    daily = sorted(
        f"{folder}/{path.name}"
        for folder in ("csse_covid_19_daily_reports", "csse_covid_19_daily_reports_us")
        for path in (source / folder).glob("*.csv")
    )
    assert sorted(f.name for f in report.landed) == sorted([*SIX_FILES, *daily])
    for name in SIX_FILES:
        entry, fact, path = manifest[name], facts[name], source / name
        dates = header_dates(path)
        # SOURCES.md's figures...
        assert (entry["sha256"], entry["bytes"]) == (fact["sha256"], fact["bytes"]), name
        assert (entry["rows"], entry["columns"]) == (fact["rows"], fact["columns"]), name
        last = fact["last_date"]
        assert entry["last_date"] == (last.isoformat() if isinstance(last, date) else None), name
        # ...agree with the file read here directly.
        assert entry["rows"] == data_rows(path), name
        assert entry["first_date"] == (min(dates).isoformat() if dates else None), name
        assert entry["last_date"] == (max(dates).isoformat() if dates else None), name
        assert sha256(tmp_path / "lake/raw/jhu" / name) == fact["sha256"], name
    assert manifest[GLOBAL]["first_date"] == "2020-01-22"


def sources_md_daily_facts(path: Path) -> dict[str, dict[str, object]]:
    """The daily reports' rows of SOURCES.md's file tables: name -> sha256, rows, cols, bytes."""
    facts: dict[str, dict[str, object]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        cells = [cell.strip().strip("`") for cell in line.strip().strip("|").split("|")]
        if len(cells) != 5 or not cells[0].startswith("csse_covid_19_daily_reports"):
            continue
        facts[cells[0]] = {
            "sha256": cells[1],
            "rows": int(cells[2]),
            "columns": int(cells[3]),
            "bytes": int(cells[4]),
        }
    return facts


def test_the_real_daily_reports_land_with_the_figures_of_sources_md(tmp_path: Path) -> None:
    source = real_source()
    if source is None:
        pytest.skip("no real JHU files: set JHU_SOURCE or place them in ../shared/jhu")
    facts = sources_md_daily_facts(source / "SOURCES.md")
    assert len(facts) >= 29, "SOURCES.md no longer lists the global sample"

    run_load(source, tmp_path / "lake")
    manifest = manifest_of(tmp_path / "lake")

    for name, fact in facts.items():
        entry = manifest[name]
        day = datetime.strptime(name.rpartition("/")[2], "%m-%d-%Y.csv").date().isoformat()
        assert (entry["sha256"], entry["bytes"]) == (fact["sha256"], fact["bytes"]), name
        assert (entry["rows"], entry["columns"]) == (fact["rows"], fact["columns"]), name
        assert (entry["first_date"], entry["last_date"]) == (day, day), name
        assert sha256(tmp_path / "lake/raw/jhu" / name) == fact["sha256"], name
    # every report of the source is in the manifest and in the lake, byte for byte
    for folder in ("csse_covid_19_daily_reports", "csse_covid_19_daily_reports_us"):
        for path in (source / folder).glob("*.csv"):
            name = f"{folder}/{path.name}"
            assert manifest[name]["sha256"] == sha256(path), name
            assert (tmp_path / "lake/raw/jhu" / name).read_bytes() == path.read_bytes(), name
