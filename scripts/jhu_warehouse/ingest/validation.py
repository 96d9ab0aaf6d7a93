"""Checks on a JHU file before anything lands: the gate between the source and the lake.

A file passes when its header starts with the id columns of its kind (in JHU's order), every
further header is a distinct calendar date written M/D/YY, every row has the header's width, every
date cell is a whole count or empty, and there is at least one row. The result is a FileProfile:
the figures the load manifest records.

Why these rules: the dbt staging models read the raw files by column name and unpivot every column
after the id columns as a date, so a missing id column, a header that is not a date or a date
given twice would fail (or, worse, silently mislabel) a model far from its cause. Checking here
names the file, the line and the column instead.

Date cells: empty is allowed (JHU published empty cells); a signed integer is allowed (JHU
published negative values, e.g. -1 recovered for Pitcairn Islands); anything else is an error,
including a float such as ``12.0``. Every file JHU published is integer text (checked on the six
real files: 3.6 million cells), and only integer text is cast to BIGINT the same way by every
engine the project runs on: DuckDB rounds ``'12.5'`` to 13 without a word, Spark's cast depends
on its ANSI mode. Refusing floats keeps the counts exact and the engines in agreement.

Speed: one streaming pass with the csv module, O(rows) in Python, constant memory. A row whose
date cells join to ASCII digits (nearly every row) is accepted by one C-level ``isdigit``; only
the other rows are checked cell by cell (docs/performance.md has the measurements).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from jhu_warehouse.errors import JhuError
from jhu_warehouse.sources.jhu_files import (
    FILE_KINDS,
    ID_COLUMNS,
    KIND_LOOKUP,
    DailyFamily,
    daily_family,
    daily_report_date,
    parse_date_header,
)

_COUNT = re.compile(r"-?[0-9]+")


@dataclass(frozen=True)
class FileProfile:
    """What a valid file holds: the figures the load manifest records for it."""

    rows: int
    """Data rows, the header excluded."""
    columns: int
    """Header fields: id columns plus date columns."""
    first_date: date | None
    """Earliest date column; None for the lookup table, which has none."""
    last_date: date | None
    """Latest date column (by calendar, not by position)."""
    header: str | None = None
    """A daily report's header line (a byte order mark dropped); None for the six files."""


def kind_of(name: str) -> str:
    """The kind of a JHU file, from its upstream name."""
    try:
        return FILE_KINDS[name]
    except KeyError:
        raise JhuError(f"{name}: not one of the six JHU files this loader knows") from None


def check_header(name: str, kind: str, header: Sequence[str]) -> list[date]:
    """Check a header; return the date of each column after the id columns, in order."""
    expected = ID_COLUMNS[kind]
    if not header or header == [""]:
        raise JhuError(f"{name}: empty file (no header line)")
    missing = [column for column in expected if column not in header]
    if missing:
        listed = ", ".join(repr(column) for column in missing)
        noun = "column" if len(missing) == 1 else "columns"
        raise JhuError(f"{name}: missing id {noun} {listed} in the header (line 1)")
    if tuple(header[: len(expected)]) != expected:
        raise JhuError(
            f"{name}: the header must start with the id columns {', '.join(expected)}; "
            f"it starts with {', '.join(header[: len(expected)])}"
        )

    dates: list[date] = []
    seen: dict[date, int] = {}
    for position, text in enumerate(header[len(expected) :], start=len(expected) + 1):
        if kind == KIND_LOOKUP:
            raise JhuError(
                f"{name}: unexpected column {text!r} (column {position}) after the id columns"
            )
        day = parse_date_header(text)
        if day is None:
            raise JhuError(f"{name}: header {text!r} (column {position}) is not a date as M/D/YY")
        if day in seen:
            raise JhuError(
                f"{name}: duplicated date header {text!r}: columns {seen[day]} and {position} "
                f"are both {day.isoformat()}"
            )
        seen[day] = position
        dates.append(day)
    if kind != KIND_LOOKUP and not dates:
        raise JhuError(f"{name}: no date columns after the id columns")
    return dates


def _scan_body(
    name: str,
    reader: Any,
    header: Sequence[str],
    counts: Sequence[int],
    count: re.Pattern[str],
) -> int:
    """Check every row after the header: the header's width, and each cell at ``counts`` empty
    or a count as ``count`` writes it. Returns the rows; an empty body is a JhuError.

    Shared by the time series and the daily reports. A row whose count cells join to ASCII
    digits (nearly every row) passes one C-level ``isdigit``; only the others are read cell by
    cell. Counts that run to the end of the row (the time series' dates) are joined as a slice.
    """
    width = len(header)
    tail = counts.start if isinstance(counts, range) and counts.stop == width else None
    rows = 0
    for row in reader:
        rows += 1
        if len(row) != width:
            raise JhuError(
                f"{name}: line {reader.line_num} has {len(row)} fields, the header has "
                f"{width} (ragged row)"
            )
        if not counts:
            continue
        joined = "".join(row[tail:]) if tail is not None else "".join([row[i] for i in counts])
        if joined and not (joined.isascii() and joined.isdigit()):
            for index in counts:
                cell = row[index]
                if cell and count.fullmatch(cell) is None:
                    raise JhuError(
                        f"{name}: line {reader.line_num}, column {header[index]!r}: "
                        f"{cell!r} is not a count (a whole number, or empty)"
                    )
    if rows == 0:
        raise JhuError(f"{name}: no data rows after the header (empty body)")
    return rows


def profile_csv(name: str, lines: Iterable[str]) -> FileProfile:
    """Check a whole file given as text lines (an open file streams); return its profile.

    Pure apart from consuming ``lines``: one pass, nothing kept but counters. Raises JhuError
    naming the file and, for a row, its line and column.
    """
    if _daily_family_of(name) is not None:
        return profile_daily_report(name, lines)
    kind = kind_of(name)
    reader = csv.reader(lines)
    try:
        header = next(reader, [])
        dates = check_header(name, kind, header)
        width = len(header)
        rows = _scan_body(name, reader, header, range(len(ID_COLUMNS[kind]), width), _COUNT)
    except csv.Error as exc:
        raise JhuError(f"{name}: line {reader.line_num} is not valid CSV ({exc})") from None
    return FileProfile(
        rows=rows,
        columns=width,
        first_date=min(dates) if dates else None,
        last_date=max(dates) if dates else None,
    )


def profile_file(name: str, path: Path) -> FileProfile:
    """Check the file at ``path`` (named ``name`` upstream) in one streaming pass.

    Text is UTF-8; a byte order mark is tolerated, as the readers downstream tolerate it.
    """
    try:
        with Path(path).open(encoding="utf-8-sig", newline="") as handle:
            return profile_csv(name, handle)
    except UnicodeDecodeError as exc:
        raise JhuError(f"{name}: not UTF-8 text ({exc.reason})") from None
    except OSError as exc:
        raise JhuError(f"{name}: cannot read {path} ({exc.strerror or exc})") from None


# --- The daily reports ------------------------------------------------------------------------
# A daily report passes when its file name is a date (MM-DD-YYYY.csv), its header line is exactly
# one of its family's known versions (sources/jhu_files.py), every row has the header's width,
# every count cell is a whole number or empty, and there is at least one row. Unlike the time
# series, a count may be written with a zero fraction: JHU wrote `28.0` and `155764.0` (SOURCES.md,
# "Counts written with a decimal part"); the staging models read counts as doubles and cast them,
# which loses nothing when the fraction is zero. `1.5` is refused: no count has a fraction.

#: A whole count: a signed integer, optionally with a zero fraction (``155764.0``).
_WHOLE = re.compile(r"-?[0-9]+(?:\.0*)?")


def _daily_family_of(name: str) -> DailyFamily | None:
    folder, _, rest = name.partition("/")
    return daily_family(folder) if rest else None


def daily_report_day(name: str) -> date:
    """The report date of a daily report named ``<folder>/MM-DD-YYYY.csv``; JhuError if not."""
    file_name = name.rpartition("/")[2]
    day = daily_report_date(file_name)
    if day is None:
        raise JhuError(f"{name}: the file name is not a date as MM-DD-YYYY.csv")
    return day


def check_daily_header(name: str, family: DailyFamily, header: Sequence[str]) -> None:
    """A known header version of ``family``, exactly; else one line naming what is not known."""
    if not header or header == [""]:
        raise JhuError(f"{name}: empty file (no header line)")
    if family.version_of(tuple(header)) is not None:
        return
    unknown = [column for column in header if column not in family.known_columns]
    if unknown:
        listed = ", ".join(repr(column) for column in unknown)
        raise JhuError(
            f"{name}: unknown header: the {family.name} daily reports have no column {listed}"
        )
    raise JhuError(
        f"{name}: unknown header: its {len(header)} columns match none of the "
        f"{len(family.versions)} known {family.name} header versions ({', '.join(header)})"
    )


def profile_daily_report(name: str, lines: Iterable[str]) -> FileProfile:
    """Check a daily report given as text lines; its profile (first and last date: its date)."""
    family = _daily_family_of(name)
    if family is None:
        raise JhuError(f"{name}: not in a daily-report folder this loader knows")
    day = daily_report_day(name)
    reader = csv.reader(lines)
    try:
        header = next(reader, [])
        check_daily_header(name, family, header)
        width = len(header)
        counts = [index for index, column in enumerate(header) if column in family.count_columns]
        rows = _scan_body(name, reader, header, counts, _WHOLE)
    except csv.Error as exc:
        raise JhuError(f"{name}: line {reader.line_num} is not valid CSV ({exc})") from None
    return FileProfile(
        rows=rows, columns=width, first_date=day, last_date=day, header=",".join(header)
    )
