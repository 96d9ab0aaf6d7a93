"""The Spark exporter's pure parts and its reading of profiles.yml (no JVM here).

Writing marts from a live Spark session is covered end to end by test_spark_parity.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from jhu_warehouse.config import PROJECT_DIR
from jhu_warehouse.errors import JhuError
from jhu_warehouse.publish.spark_writer import profile_spark_conf, quote, sql_type


@pytest.mark.parametrize(
    ("spark_type", "expected"),
    [
        ("bigint", "BIGINT"),
        ("int", "INTEGER"),
        ("double", "DOUBLE"),
        ("string", "VARCHAR"),
        ("date", "DATE"),
        ("boolean", "BOOLEAN"),
        ("decimal(38,6)", "DECIMAL(38,6)"),
    ],
)
def test_spark_types_are_recorded_under_duckdb_names(spark_type, expected):
    assert sql_type(spark_type, where="mart m column c") == expected


@pytest.mark.parametrize("spark_type", ["array<string>", "map<string,int>", "varchar(10)"])
def test_a_type_outside_the_contract_vocabulary_names_the_column(spark_type):
    with pytest.raises(JhuError, match=r"^export: mart m column c has Spark type"):
        sql_type(spark_type, where="mart m column c")


def test_identifiers_are_quoted_with_backticks_and_escaped():
    assert quote("Province/State") == "`Province/State`"
    assert quote("a`b") == "`a``b`"


def test_the_session_settings_come_from_the_spark_output_of_profiles_yml(monkeypatch, tmp_path):
    monkeypatch.setenv("DBT_PROFILES_DIR", str(PROJECT_DIR))
    monkeypatch.setenv("JHU_SPARK_DIR", str(tmp_path / "spark"))

    conf = profile_spark_conf()

    assert conf["spark.sql.warehouse.dir"] == f"{tmp_path}/spark/warehouse"
    assert f"-Dderby.system.home={tmp_path}/spark" in conf["spark.driver.extraJavaOptions"]
    assert conf["spark.sql.ansi.enabled"] == "false"  # as dbt-spark forces it
    assert not any(str(PROJECT_DIR) in value for value in conf.values())


def test_a_spark_output_that_is_not_a_local_session_is_refused(monkeypatch, tmp_path: Path):
    (tmp_path / "profiles.yml").write_text(
        "jhu_covid:\n"
        "  target: spark\n"
        "  outputs:\n"
        "    spark:\n"
        "      type: spark\n"
        "      method: thrift\n"
        "      host: spark.example.internal\n"
        "      schema: main\n"
    )
    monkeypatch.setenv("DBT_PROFILES_DIR", str(tmp_path))

    with pytest.raises(JhuError, match=r"output 'spark' is not a dbt-spark `method: session`"):
        profile_spark_conf()
