"""The same dbt project on Spark: every exported mart equals DuckDB's, row for row.

`jhu run` with JHU_TARGET=spark runs once, in a subprocess (one JVM, one Spark session, so no
Spark state is shared with the rest of the test session), on the real JHU files, into its own
lake, metastore, warehouse and dbt folders. The DuckDB side is the session's `pipeline_run`
(conftest.py). Both exports are then read back from their lakes' Parquet files with DuckDB and
compared: the same marts, the same columns and types, the same primary keys, and in every row
the same values (doubles to 6 decimals). The Spark build runs the project's unit tests and data
tests too; the run fails on any failure, and the same tests must have run on both targets.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pytest

from fixtures import run_env
from jhu_warehouse.lake import MARTS_MANIFEST

pytestmark = [pytest.mark.spark, pytest.mark.e2e]

#: Two doubles are equal when they agree to 6 decimals (sums and averages are computed in a
#: different order on each engine, so the last bits may differ).
DOUBLE_TOLERANCE = 1e-6
#: How many differing rows a failure shows.
SHOWN = 5
#: A hung JVM must not hang `make test`; the run takes a few minutes on two cores.
RUN_TIMEOUT_SECONDS = 20 * 60
_VERSION_KEY = re.compile(r"^marts/[a-z][a-z0-9_]*/[0-9a-f]{16}\.parquet$")


@dataclass(frozen=True)
class SparkRun:
    lake: Path
    target_path: Path
    output: str

    def manifest(self) -> dict[str, Any]:
        return json.loads((self.lake / MARTS_MANIFEST).read_text())


def spark_prerequisites() -> None:
    """pyspark and Java are needed; without them this test fails saying how to get them."""
    try:
        import dbt.adapters.spark  # noqa: F401
        import pyspark  # noqa: F401
    except ImportError as exc:
        pytest.fail(f"{exc.name} is not installed: `make test` installs requirements-spark.txt")
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        pytest.fail("no Java on PATH and no JAVA_HOME: Spark needs Java 17")


@pytest.fixture(scope="module")
def spark_run(tmp_path_factory: pytest.TempPathFactory, pipeline_run) -> SparkRun:
    """`jhu run` on Spark, from the same source as the DuckDB run, in its own folders."""
    spark_prerequisites()
    base = tmp_path_factory.mktemp("spark")
    environ = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("JHU_", "DBT_"))},
        # The lake relative, as `make run` uses it by default: it and the Spark folder (unset:
        # spark-warehouse/) resolve against the working directory, `base`.
        **run_env(base, pipeline_run.source, "lake"),
        "JHU_DUCKDB": str(base / "unused.duckdb"),
        "JHU_TARGET": "spark",
    }
    completed = subprocess.run(
        [sys.executable, "-m", "jhu_warehouse", "run", "--unit-tests"],
        cwd=base,
        env=environ,
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT_SECONDS,
        check=False,
    )
    output = completed.stdout + completed.stderr
    if completed.returncode != 0:
        tail = "\n".join(output.splitlines()[-40:])
        pytest.fail(f"JHU_TARGET=spark jhu run exited {completed.returncode}:\n{tail}")
    assert (base / "spark-warehouse" / "metastore_db").is_dir(), "metastore not in JHU_SPARK_DIR"
    return SparkRun(lake=base / "lake", target_path=base / "target", output=output)


# ------------------------------------------------------------------------------- comparison


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def parquet_columns(con: duckdb.DuckDBPyConnection, path: Path) -> list[tuple[str, str]]:
    rows = con.execute(f"describe select * from read_parquet('{path.as_posix()}')").fetchall()
    return [(str(r[0]), str(r[1])) for r in rows]


def differences(
    con: duckdb.DuckDBPyConnection,
    left: Path,
    right: Path,
    columns: list[tuple[str, str]],
    key: list[str],
) -> tuple[int, int, int, list[tuple[Any, ...]]]:
    """Rows only in left, only in right, and matched on `key` but differing; a few examples.

    Every column but the doubles must be equal (NULL equals NULL); doubles within
    DOUBLE_TOLERANCE.
    """
    on = " and ".join(f"l.{_quote(k)} is not distinct from r.{_quote(k)}" for k in key)
    unequal = " or ".join(
        (
            f"(l.{_quote(n)} is null) <> (r.{_quote(n)} is null) "
            f"or abs(l.{_quote(n)} - r.{_quote(n)}) > {DOUBLE_TOLERANCE}"
        )
        if t in ("DOUBLE", "FLOAT")
        else f"l.{_quote(n)} is distinct from r.{_quote(n)}"
        for n, t in columns
        if n not in key
    )
    con.execute(
        f"""
        create or replace temp table compared as
        select
            l.{_quote(key[0])} is null as only_right,
            r.{_quote(key[0])} is null as only_left,
            coalesce({unequal or "false"}, false) as differs,
            {", ".join(f"coalesce(l.{_quote(k)}, r.{_quote(k)}) as {_quote(k)}" for k in key)},
            to_json(l) as left_row,
            to_json(r) as right_row
        from read_parquet('{left.as_posix()}') as l
        full outer join read_parquet('{right.as_posix()}') as r
            on {on}
        """
    )
    only_left, only_right, differ = con.execute(
        "select count(*) filter (only_left), count(*) filter (only_right), "
        "count(*) filter (differs and not only_left and not only_right) from compared"
    ).fetchone()
    examples = con.execute(
        f"select left_row, right_row from compared where only_left or only_right or differs "
        f"order by {', '.join(_quote(k) for k in key)} limit {SHOWN}"
    ).fetchall()
    return int(only_left), int(only_right), int(differ), examples


def mart_file(lake: Path, manifest: dict[str, Any], mart: str) -> Path:
    return lake / manifest["marts"][mart]["file"]


# ------------------------------------------------------------------------------- tests


def test_spark_exports_the_same_marts_in_the_same_layout(pipeline_run, spark_run):
    duck = json.loads((pipeline_run.lake_root / MARTS_MANIFEST).read_text())
    spark = spark_run.manifest()

    assert spark["engine"] == "spark"
    assert sorted(spark["marts"]) == sorted(duck["marts"])
    for mart, entry in spark["marts"].items():
        assert _VERSION_KEY.match(entry["file"]), entry["file"]
        assert (spark_run.lake / entry["file"]).is_file()
        assert entry["rows"] == duck["marts"][mart]["rows"], mart
        assert entry["primary_key"] == duck["marts"][mart]["primary_key"], mart
        assert entry["columns"] == duck["marts"][mart]["columns"], mart


def test_spark_ran_the_same_unit_and_data_tests_as_duckdb(pipeline_run, spark_run):
    def passed_tests(target: Path) -> set[str]:
        results = json.loads((target / "run_results.json").read_text())["results"]
        return {
            r["unique_id"]
            for r in results
            if r["unique_id"].startswith(("test.", "unit_test.")) and r["status"] == "pass"
        }

    # the DuckDB session run's own results (a later `jhu run` in the session rewrites
    # run_results.json, and a default run leaves the unit tests out)
    duck = {
        node.unique_id
        for node in pipeline_run.report.build.nodes
        if node.unique_id.startswith(("test.", "unit_test.")) and node.status == "pass"
    }
    spark = passed_tests(spark_run.target_path)
    assert any(t.startswith("unit_test.") for t in spark), "no unit test ran on Spark"
    assert spark == duck


def test_each_spark_mart_equals_duckdb_row_for_row(pipeline_run, spark_run):
    duck_manifest = json.loads((pipeline_run.lake_root / MARTS_MANIFEST).read_text())
    spark_manifest = spark_run.manifest()
    con = duckdb.connect()
    problems = []
    for mart in sorted(duck_manifest["marts"]):
        left = mart_file(pipeline_run.lake_root, duck_manifest, mart)
        right = mart_file(spark_run.lake, spark_manifest, mart)
        columns = parquet_columns(con, left)
        assert parquet_columns(con, right) == columns, f"{mart}: Parquet schemas differ"
        key = duck_manifest["marts"][mart]["primary_key"] or [
            n for n, t in columns if t not in ("DOUBLE", "FLOAT")
        ]
        only_left, only_right, differ, examples = differences(con, left, right, columns, key)
        if only_left or only_right or differ:
            shown = "\n".join(f"    duckdb {a}\n    spark  {b}" for a, b in examples)
            problems.append(
                f"{mart}: {only_left} rows only in DuckDB's, {only_right} only in Spark's, "
                f"{differ} differ\n{shown}"
            )
    assert not problems, "\n".join(problems)
