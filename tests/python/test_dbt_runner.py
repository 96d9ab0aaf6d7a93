"""`jhu build`: dbt in-process on a tiny dbt project written here (seconds, no JHU data).

The real project is built once per session by the pipeline fixture (conftest.py); these tests
cover what the runner adds: the report, the one-line error naming failing nodes, the settings
handed to dbt, and the warehouse file released afterwards.
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pytest

from jhu_warehouse.build.dbt_build import (
    MAX_NAMED_FAILURES,
    BuildReport,
    NodeResult,
    build,
    failure_line,
    patched_environ,
)
from jhu_warehouse.config import load_settings
from jhu_warehouse.errors import JhuError

PROFILE = """\
tiny:
  target: "{{ env_var('JHU_TARGET') }}"
  outputs:
    duckdb:
      type: duckdb
      path: "{{ env_var('JHU_DUCKDB') }}"
      threads: 1
"""

PROJECT = """\
name: tiny
version: "1.0.0"
profile: tiny
models:
  tiny:
    +materialized: table
"""

MODELS_YML = """\
version: 2
models:
  - name: places
    columns:
      - name: place
        data_tests: [unique, not_null]
      - name: name
        data_tests:
          - accepted_values:
              arguments:
                values: ["one", "two"]
  - name: counts
    columns:
      - name: lake
        data_tests:
          - accepted_values:
              arguments:
                values: ["{lake}"]
"""


@pytest.fixture
def tiny_project(tmp_path, monkeypatch):
    """A dbt project with a seed, two models and tests, isolated target and log folders."""
    project = tmp_path / "project"
    (project / "models").mkdir(parents=True)
    (project / "seeds").mkdir()
    (project / "dbt_project.yml").write_text(PROJECT)
    (project / "profiles.yml").write_text(PROFILE)
    (project / "seeds" / "place_names.csv").write_text("place,name\n1,one\n2,two\n")
    (project / "models" / "places.sql").write_text(
        "select place, name from {{ ref('place_names') }}"
    )
    (project / "models" / "counts.sql").write_text(
        "select count(*) as n, '{{ env_var(\"JHU_LAKE\") }}' as lake from {{ ref('places') }}"
    )
    monkeypatch.setenv("DBT_PROFILES_DIR", str(project))
    monkeypatch.setenv("DBT_TARGET_PATH", str(tmp_path / "target"))
    monkeypatch.setenv("DBT_LOG_PATH", str(tmp_path / "logs"))
    monkeypatch.delenv("JHU_DUCKDB", raising=False)
    return project


def tiny_settings(tmp_path: Path):
    return load_settings(
        {"JHU_LAKE": str(tmp_path / "lake"), "JHU_DUCKDB": str(tmp_path / "t.duckdb")}
    )


def test_build_reports_what_it_built_and_hands_the_settings_to_dbt(tmp_path, tiny_project):
    settings = tiny_settings(tmp_path)
    (tiny_project / "models" / "_models.yml").write_text(MODELS_YML.format(lake=settings.lake))

    report = build(settings, project_dir=tiny_project)

    assert report.models_built == 2
    assert report.seeds_loaded == 1
    assert report.tests_passed == 4  # the last one checks the model saw the settings' lake
    assert not report.failures
    assert len(report.invocation_id) == 36
    assert (tmp_path / "target" / "run_results.json").is_file()
    assert "JHU_DUCKDB" not in os.environ  # the settings were lent to dbt, then taken back
    # dbt let go of the warehouse file: a read-only connection (another configuration) opens
    con = duckdb.connect(settings.duckdb_path, read_only=True)
    assert con.execute("select n from main.counts").fetchone() == (2,)
    con.close()


def test_failing_nodes_are_one_line_naming_them(tmp_path, tiny_project):
    (tiny_project / "seeds" / "place_names.csv").write_text("place,name\n1,one\n1,uno\n")
    (tiny_project / "models" / "_models.yml").write_text(MODELS_YML.format(lake="elsewhere"))

    with pytest.raises(JhuError) as caught:
        build(tiny_settings(tmp_path), project_dir=tiny_project)

    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith("dbt build: 2 node(s) failed:")
    assert "test unique_places_place (fail: Got 1 result" in message
    assert "test accepted_values_places_name__one__two (fail" in message


def test_a_project_dbt_cannot_parse_is_one_line(tmp_path, tiny_project):
    (tiny_project / "models" / "broken.sql").write_text("select {{ ref('nowhere') }}")
    with pytest.raises(JhuError, match=r"^dbt build: Compilation Error.*'nowhere'") as caught:
        build(tiny_settings(tmp_path), project_dir=tiny_project)
    assert "\n" not in str(caught.value)


def node(status: str, resource_type: str = "test", name: str = "t") -> NodeResult:
    return NodeResult(f"{resource_type}.p.{name}", resource_type, name, status, "m", 0.1)


def test_report_counts_by_kind_and_status():
    report = BuildReport(
        invocation_id="x",
        seconds=1.0,
        nodes=[
            node("success", "model"),
            node("error", "model"),
            node("skipped", "model"),
            node("success", "seed"),
            node("pass"),
            node("pass", "unit_test"),
            node("warn"),
            node("fail"),
        ],
    )
    assert report.models_built == 1
    assert report.seeds_loaded == 1
    assert report.tests_passed == 2
    assert report.tests_warned == 1
    assert [f.status for f in report.failures] == ["error", "fail"]
    assert "1 skipped" in report.summary()


def test_failure_line_names_the_first_few_and_counts_the_rest():
    failures = [node("fail", name=f"test_{i}") for i in range(MAX_NAMED_FAILURES + 2)]
    line = failure_line(failures)
    assert f"test_{MAX_NAMED_FAILURES - 1} (fail: m)" in line
    assert f"test_{MAX_NAMED_FAILURES} " not in line
    assert "and 2 more" in line


def test_patched_environ_restores_on_error(monkeypatch):
    monkeypatch.setenv("JHU_LAKE", "before")
    monkeypatch.delenv("JHU_DUCKDB", raising=False)
    with pytest.raises(RuntimeError), patched_environ({"JHU_LAKE": "x", "JHU_DUCKDB": "y"}):
        assert os.environ["JHU_LAKE"] == "x"
        raise RuntimeError
    assert os.environ["JHU_LAKE"] == "before"
    assert "JHU_DUCKDB" not in os.environ
