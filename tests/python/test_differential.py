"""Three independent implementations of the same numbers: the dbt marts, pandas and PySpark.

On the real JHU files, fct_country_daily and fct_us_county_daily as built by dbt (the session's
`pipeline_run`) must equal, row for row and column for column, what the pandas reference and the
PySpark reference compute from the same raw files (doubles compared to 6 decimals). Each
reference is written from the models' rules, not from their output, so a disagreement points at
a bug in one of the three.

The Spark reference runs once, in a subprocess (one JVM, one local session, stopped when done),
exactly as `jhu bench` runs it.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from jhu_warehouse.bench.reference import common, pandas_reference

pytestmark = pytest.mark.e2e

KEYS = {"fct_country_daily": common.COUNTRY_KEY, "fct_us_county_daily": common.COUNTY_KEY}


def canonical(column: pd.Series) -> np.ndarray:
    """Numbers (counts, doubles, flags) as float64 rounded to 6 decimals, NaN for NULL; text as
    str or None. Makes a DuckDB column and a reference's column comparable cell by cell."""
    if pd.api.types.is_bool_dtype(column) or pd.api.types.is_numeric_dtype(column):
        return column.astype("float64").round(6).to_numpy()
    return np.array([None if pd.isna(v) else str(v) for v in column], dtype=object)


def differences(expected: pd.DataFrame, actual: pd.DataFrame, key: list[str]) -> list[str]:
    """Human-readable differences between two versions of a mart (empty when equal)."""
    left = expected.sort_values(key, ignore_index=True)
    right = actual.sort_values(key, ignore_index=True)
    problems = []
    if list(left.columns) != list(right.columns):
        return [f"columns {list(left.columns)} != {list(right.columns)}"]
    if len(left) != len(right):
        return [f"{len(left):,} rows in the mart, {len(right):,} in the reference"]
    keys_differ = ~(canonical(left[key[0]]) == canonical(right[key[0]]))
    keys_differ |= ~(canonical(left[key[1]]) == canonical(right[key[1]]))
    if keys_differ.any():
        first = int(np.argmax(keys_differ))
        return [f"row keys differ from row {first}: {left.loc[first, key].tolist()}"]
    for name in left.columns:
        a, b = canonical(left[name]), canonical(right[name])
        if a.dtype.kind == "f" and b.dtype.kind == "f":
            differ = ~((a == b) | (np.isnan(a) & np.isnan(b)))
        elif a.dtype != b.dtype:
            problems.append(f"{name}: kinds differ ({left[name].dtype} vs {right[name].dtype})")
            continue
        else:
            differ = a != b
        if differ.any():
            rows = np.nonzero(differ)[0][:3]
            shown = "; ".join(
                f"{left.loc[i, key].tolist()}: mart {left.loc[i, name]!r}, "
                f"reference {right.loc[i, name]!r}"
                for i in rows
            )
            problems.append(f"{name}: {int(differ.sum()):,} rows differ, e.g. {shown}")
    return problems


def mart(pipeline_run, name: str) -> pd.DataFrame:
    columns = ", ".join(common.MARTS[name])
    with pipeline_run.connect() as con:
        frame = con.execute(f"select {columns} from marts.{name}").df()
    return normalised(frame)


def normalised(frame: pd.DataFrame) -> pd.DataFrame:
    """report_date as a datetime.date whatever the reader returned."""
    frame = frame.copy()
    frame["report_date"] = pd.to_datetime(frame["report_date"]).dt.date
    return frame


@pytest.fixture(scope="module")
def pandas_marts(pipeline_run) -> dict[str, pd.DataFrame]:
    return {
        name: normalised(frame)
        for name, frame in pandas_reference.compute(pipeline_run.source).items()
    }


@pytest.fixture(scope="module")
def spark_marts(pipeline_run, tmp_path_factory: pytest.TempPathFactory) -> dict[str, pd.DataFrame]:
    out = tmp_path_factory.mktemp("spark_reference")
    command = [
        sys.executable,
        "-m",
        "jhu_warehouse",
        "reference",
        "spark",
        "--source",
        str(pipeline_run.source),
        "--out",
        str(out),
    ]
    completed = subprocess.run(command, capture_output=True, text=True, timeout=900, check=False)
    if completed.returncode != 0:
        tail = "\n".join((completed.stdout + completed.stderr).splitlines()[-20:])
        pytest.fail(f"the Spark reference exited {completed.returncode}:\n{tail}")
    return {
        name: normalised(pd.read_parquet(Path(out) / f"{name}.parquet")) for name in common.MARTS
    }


@pytest.mark.parametrize("name", list(common.MARTS))
def test_pandas_reference_equals_the_mart(pipeline_run, pandas_marts, name: str) -> None:
    problems = differences(mart(pipeline_run, name), pandas_marts[name], KEYS[name])
    assert not problems, f"{name}, dbt vs pandas:\n" + "\n".join(problems)


@pytest.mark.spark
@pytest.mark.parametrize("name", list(common.MARTS))
def test_spark_reference_equals_the_mart(pipeline_run, spark_marts, name: str) -> None:
    problems = differences(mart(pipeline_run, name), spark_marts[name], KEYS[name])
    assert not problems, f"{name}, dbt vs PySpark:\n" + "\n".join(problems)


def test_the_comparison_sees_a_changed_cell(pipeline_run, pandas_marts) -> None:
    """The differential test can fail: one changed count or one NULL is reported."""
    name = "fct_country_daily"
    changed = pandas_marts[name].copy()
    deaths_row = changed.index[changed["new_deaths"].notna()][1000]
    average_row = changed.index[changed["new_confirmed_7d_avg"].notna()][2000]
    changed.loc[deaths_row, "new_deaths"] = changed.loc[deaths_row, "new_deaths"] + 1
    changed.loc[average_row, "new_confirmed_7d_avg"] = None
    problems = differences(mart(pipeline_run, name), changed, KEYS[name])
    assert [p.split(":")[0] for p in problems] == ["new_deaths", "new_confirmed_7d_avg"]


def test_the_references_cover_the_real_files(pandas_marts) -> None:
    """Sanity of the inputs, from the raw files: every country and every US UID is present."""
    country = pandas_marts["fct_country_daily"]
    county = pandas_marts["fct_us_county_daily"]
    assert country["report_date"].nunique() == 1143
    assert {"US", "Canada", "Korea, South"} <= set(country["country_region"])
    assert county["location_key"].nunique() >= 3340
