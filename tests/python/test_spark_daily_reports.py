"""The daily-report staging models on Spark over the hand-written fixtures (fixtures/daily):
the same rows as DuckDB's, value for value, every header version and Last Update format
included, and no rows (not an error) for a folder the lake does not have.

The marts built from these models are compared engine against engine on the real files by
test_spark_parity.py; the staging columns the marts do not carry (`last_update`, rates) are
compared here.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from fixtures import copy_fixtures, run_env
from jhu_warehouse.config import PROJECT_DIR
from test_daily_reports_staging import LAST_UPDATES, built_staging
from test_spark_parity import spark_prerequisites

pytestmark = [pytest.mark.spark, pytest.mark.e2e]

DAILY_FIXTURES = Path(__file__).resolve().parent / "fixtures" / "daily"
MODELS = ("stg_jhu__daily_reports_global", "stg_jhu__daily_reports_us")
BOTH = ("csse_covid_19_daily_reports", "csse_covid_19_daily_reports_us")


def spark_staging(base: Path, folders: tuple[str, ...]) -> Path:
    """Load the fixtures with ``folders`` and build the two staging models on Spark."""
    spark_prerequisites()
    source = copy_fixtures(base / "src")
    for folder in folders:
        shutil.copytree(DAILY_FIXTURES / folder, source / folder)
    environ = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("JHU_", "DBT_"))},
        **run_env(base, source, str(base / "lake")),
        "JHU_SPARK_DIR": str(base / "spark"),
    }
    dbt = str(Path(sys.executable).parent / "dbt")
    for command, target in (
        # the loader, then `dbt run` of the two models alone (a build would also run the
        # reconciliation tests, which read marts this run does not build)
        ([sys.executable, "-m", "jhu_warehouse", "load"], "duckdb"),
        (
            [
                dbt,
                "run",
                "--project-dir",
                str(PROJECT_DIR),
                "--target",
                "spark",
                "--select",
                *MODELS,
            ],
            "spark",
        ),
    ):
        completed = subprocess.run(
            command,
            cwd=base,
            env={**environ, "JHU_TARGET": target},
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )
        output = completed.stdout + completed.stderr
        assert completed.returncode == 0, "\n".join(output.splitlines()[-30:])
    return base / "spark" / "warehouse" / "staging.db"


def spark_rows(tables: Path, model: str, columns: str) -> list[tuple]:
    files = sorted((tables / model).glob("*.parquet"))
    if not files:
        return []
    paths = ", ".join(f"'{path.as_posix()}'" for path in files)
    return duckdb.sql(f"select {columns} from read_parquet([{paths}]) order by all").fetchall()


def test_spark_staging_equals_duckdbs_on_every_version(tmp_path: Path) -> None:
    tables = spark_staging(tmp_path / "spark-run", BOTH)
    warehouse = built_staging(tmp_path / "duckdb-run", BOTH)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        for model in MODELS:
            names = [
                row[0]
                for row in con.execute(f"describe staging.{model}").fetchall()
                if row[0] != "report_file"  # file:// URI on Spark, a path on DuckDB
            ]
            columns = ", ".join(names)
            expected = con.execute(f"select {columns} from staging.{model} order by all").fetchall()
            assert expected, model
            assert spark_rows(tables, model, columns) == expected, model
    got = {
        (day, name, prov): value
        for day, name, prov, value in spark_rows(
            tables,
            "stg_jhu__daily_reports_global",
            "report_date, country_region, province_state, last_update",
        )
    }
    for key, value in LAST_UPDATES.items():
        assert got[key] == value, key


def test_a_folder_the_lake_lacks_gives_no_rows_on_spark(tmp_path: Path) -> None:
    tables = spark_staging(tmp_path, ("csse_covid_19_daily_reports_us",))
    assert spark_rows(tables, "stg_jhu__daily_reports_global", "count(*)") in ([], [(0,)])
    assert spark_rows(tables, "stg_jhu__daily_reports_us", "count(*)") == [(5,)]
