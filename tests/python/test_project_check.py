"""The project checker: each rule caught on a small hand-made manifest that breaks it, and the
real project's artefacts (from `dbt docs generate`) passing every rule with full coverage.

The hand-made project below passes every rule; each case copies it, breaks one thing, and expects
exactly that rule to name exactly that node. So a rule that never fires, or fires on a good
project, fails here.
"""

from __future__ import annotations

import copy
import json
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

import docs_site
from docs_site import DocsSite
from jhu_warehouse import cli
from jhu_warehouse.checks import check
from jhu_warehouse.checks.project import Project, Violation
from jhu_warehouse.checks.tests_and_contracts import facts_with_location
from jhu_warehouse.config import PROJECT_DIR
from jhu_warehouse.dbt_project.artifacts import read_artifact
from jhu_warehouse.errors import JhuError

P = "demo"
Manifest = dict[str, Any]


def _model(
    name: str,
    path: str,
    *,
    parents: tuple[str, ...] = (),
    columns: dict[str, str] | None = None,
    raw_code: str = "select 1 as id",
    compiled_code: str | None = None,
    enforced: bool = False,
) -> dict[str, Any]:
    return {
        "resource_type": "model",
        "package_name": P,
        "name": name,
        "unique_id": f"model.{P}.{name}",
        "path": path,
        "original_file_path": f"models/{path}",
        "description": f"What {name} holds.",
        "columns": {
            col: {"name": col, "description": text} for col, text in (columns or {}).items()
        },
        "depends_on": {"nodes": list(parents), "macros": []},
        "raw_code": raw_code,
        "compiled_code": raw_code if compiled_code is None else compiled_code,
        "config": {"contract": {"enforced": enforced}, "materialized": "table"},
    }


def _test(name: str, model: str, column: str | None, **kwargs: Any) -> dict[str, Any]:
    extra = [f"model.{P}.dim_location"] if name == "relationships" else []
    return {
        "resource_type": "test",
        "package_name": P,
        "name": f"{name}_{model}_{column}",
        "original_file_path": "models/x.yml",
        "attached_node": f"model.{P}.{model}",
        "column_name": column,
        "test_metadata": {"name": name, "kwargs": {"column_name": column, **kwargs}},
        "depends_on": {"nodes": [f"model.{P}.{model}", *extra], "macros": []},
    }


SOURCE_RELATION = "read_csv('/lake/raw/jhu/cases.csv', all_varchar = true)"


def good_project() -> tuple[Manifest, Manifest]:
    """A tiny project in the shape of the real one that breaks no rule."""
    source = {
        "resource_type": "source",
        "package_name": P,
        "unique_id": f"source.{P}.jhu.cases",
        "name": "cases",
        "identifier": "cases",
        "source_name": "jhu",
        "source_description": "The JHU files as landed by the loader.",
        "description": "Confirmed cases, one column per date.",
        "original_file_path": "models/staging/jhu/_jhu__sources.yml",
        "relation_name": SOURCE_RELATION,
        "loaded_at_field": None,
        "loaded_at_query": "select max(loaded_at) from read_json('/lake/raw/jhu/_manifest.json')",
        "freshness": {"warn_after": {"count": 400, "period": "day"}, "error_after": {}},
        "config": {},
    }
    seed = {
        "resource_type": "seed",
        "package_name": P,
        "unique_id": f"seed.{P}.country_names",
        "name": "country_names",
        "path": "country_names.csv",
        "original_file_path": "seeds/country_names.csv",
        "description": "Standard names for JHU's country names.",
        "columns": {},
        "depends_on": {"nodes": []},
    }
    stg = _model(
        "stg_jhu__cases",
        "staging/jhu/stg_jhu__cases.sql",
        parents=(source["unique_id"],),
        raw_code="with source as (select * from {{ source('jhu', 'cases') }}) select * from source",
        compiled_code=f"with source as (select * from {SOURCE_RELATION}) select * from source",
    )
    joined = _model(
        "int_cases_joined",
        "intermediate/int_cases_joined.sql",
        parents=(stg["unique_id"], seed["unique_id"]),
        raw_code="select c.* from {{ ref('stg_jhu__cases') }} as c join "
        "{{ ref('country_names') }} as n on c.country = n.country",
        compiled_code='select c.* from "w"."staging"."stg_jhu__cases" as c join '
        '"w"."seeds"."country_names" as n on c.country = n.country',
    )
    dim = _model(
        "dim_location",
        "marts/dim_location.sql",
        parents=(joined["unique_id"],),
        columns={"location_key": "JHU's UID."},
        enforced=True,
    )
    fact = _model(
        "fct_cases_daily",
        "marts/fct_cases_daily.sql",
        parents=(joined["unique_id"],),
        columns={"location_key": "JHU's UID.", "report_date": "The day."},
        raw_code="select extract(year from joined.report_date) as y from "
        "{{ ref('int_cases_joined') }} as joined",
        enforced=True,
    )
    world = _model(
        "fct_world_daily",
        "marts/fct_world_daily.sql",
        parents=(fact["unique_id"],),
        columns={"report_date": "The day."},
        enforced=True,
    )
    models = [stg, joined, dim, fact, world]
    tests = [
        _test("unique", "stg_jhu__cases", "id"),
        _test("not_null", "stg_jhu__cases", "id"),
        _test("unique_combination_of_columns", "int_cases_joined", None,
              combination_of_columns=["id", "report_date"]),
        _test("unique", "dim_location", "location_key"),
        _test("not_null", "dim_location", "location_key"),
        _test("unique_combination_of_columns", "fct_cases_daily", None,
              combination_of_columns=["location_key", "report_date"]),
        _test("relationships", "fct_cases_daily", "location_key",
              to="ref('dim_location')", field="location_key"),
        _test("unique", "fct_world_daily", "report_date"),
        _test("not_null", "fct_world_daily", "report_date"),
    ]  # fmt: skip
    exposure = {
        "resource_type": "exposure",
        "package_name": P,
        "unique_id": f"exposure.{P}.parquet_export",
        "name": "parquet_export",
        "original_file_path": "models/exposures.yml",
        "description": "The marts as Parquet in the lake.",
        "depends_on": {"nodes": [dim["unique_id"], fact["unique_id"], world["unique_id"]]},
    }
    nodes = {n["unique_id"]: n for n in [*models, seed]}
    nodes.update({f"test.{P}.{t['name']}": t for t in tests})
    manifest = {
        "metadata": {"project_name": P},
        "nodes": nodes,
        "sources": {source["unique_id"]: source},
        "exposures": {exposure["unique_id"]: exposure},
        "unit_tests": {
            f"unit_test.{P}.fct_cases_daily.deltas": {
                "package_name": P,
                "model": "fct_cases_daily",
                "depends_on": {"nodes": [fact["unique_id"]]},
            }
        },
    }
    catalog = {
        "nodes": {
            m["unique_id"]: {"columns": {c.upper(): {"name": c} for c in m["columns"]}}
            for m in models
        },
        "sources": {},
    }
    return manifest, catalog


def model_of(manifest: Manifest, name: str) -> dict[str, Any]:
    return manifest["nodes"][f"model.{P}.{name}"]


def _drop_tests(manifest: Manifest, model: str, names: set[str]) -> None:
    for uid, node in list(manifest["nodes"].items()):
        if node.get("attached_node") == f"model.{P}.{model}" and (
            node["test_metadata"]["name"] in names
        ):
            del manifest["nodes"][uid]


def _move(manifest: Manifest, name: str, new_name: str, new_path: str) -> None:
    node = model_of(manifest, name)
    node.update(name=new_name, path=new_path, original_file_path=f"models/{new_path}")


def test_the_good_project_passes_every_rule_with_full_coverage() -> None:
    report = check(*good_project())
    assert report.violations == []
    assert {c.label: (c.covered, c.total) for c in report.coverage} == {
        "models described": (5, 5),
        "source tables described": (1, 1),
        "mart columns described": (4, 4),
        "all model columns described": (4, 4),
        "models with a primary-key test": (5, 5),
        "models with any data test": (5, 5),
        "models with unit tests": (1, 5),
        "facts related to dim_location": (1, 1),
        "marts with an enforced contract": (3, 3),
        "source tables with freshness": (1, 1),
        "marts consumed by an exposure": (3, 3),
    }
    assert report.render().splitlines()[-1].startswith("OK")


Breaker = Callable[[Manifest, Manifest], None]


def _reads_source(manifest: Manifest, _: Manifest) -> None:
    model_of(manifest, "int_cases_joined")["depends_on"]["nodes"].append(f"source.{P}.jhu.cases")


def _two_sources(manifest: Manifest, _: Manifest) -> None:
    other = copy.deepcopy(manifest["sources"][f"source.{P}.jhu.cases"])
    other.update(unique_id=f"source.{P}.jhu.deaths", name="deaths", identifier="deaths")
    manifest["sources"][other["unique_id"]] = other
    model_of(manifest, "stg_jhu__cases")["depends_on"]["nodes"].append(other["unique_id"])


def _staging_reads_model(manifest: Manifest, _: Manifest) -> None:
    model_of(manifest, "stg_jhu__cases")["depends_on"]["nodes"].append(
        f"model.{P}.int_cases_joined"
    )


def _reads_csv(manifest: Manifest, _: Manifest) -> None:
    code = "select * from read_csv('lake/raw/jhu/other.csv')"
    model_of(manifest, "int_cases_joined").update(raw_code=code, compiled_code=code)


def _reads_bucket(manifest: Manifest, _: Manifest) -> None:
    code = "select * from 's3://bucket/raw/jhu/cases.parquet'"
    model_of(manifest, "fct_world_daily").update(raw_code=code, compiled_code=code)


def _hard_coded_relation(manifest: Manifest, _: Manifest) -> None:
    code = "select * from staging.stg_jhu__cases"
    model_of(manifest, "int_cases_joined").update(raw_code=code, compiled_code=code)


def _bare_relation_name(manifest: Manifest, _: Manifest) -> None:
    code = "with t as (select 1) select * from t join dim_location using (location_key)"
    model_of(manifest, "fct_world_daily").update(raw_code=code, compiled_code=code)


def _no_description(manifest: Manifest, _: Manifest) -> None:
    model_of(manifest, "int_cases_joined")["description"] = "  "


def _undescribed_source_table(manifest: Manifest, _: Manifest) -> None:
    manifest["sources"][f"source.{P}.jhu.cases"]["description"] = ""


def _undescribed_mart_column(_: Manifest, catalog: Manifest) -> None:
    catalog["nodes"][f"model.{P}.fct_cases_daily"]["columns"]["new_cases"] = {"name": "new_cases"}


def _stale_column_doc(manifest: Manifest, _: Manifest) -> None:
    model_of(manifest, "dim_location")["columns"]["continent"] = {"description": "Gone."}


def _mart_not_built(_: Manifest, catalog: Manifest) -> None:
    del catalog["nodes"][f"model.{P}.dim_location"]


def _no_key(manifest: Manifest, _: Manifest) -> None:
    _drop_tests(manifest, "stg_jhu__cases", {"not_null"})


def _grain_tested_on_a_model_upstream(manifest: Manifest, _: Manifest) -> None:
    """`meta.grain_tested_on` must name a model that reads this one, not any keyed model."""
    _drop_tests(manifest, "fct_cases_daily", {"unique_combination_of_columns"})
    model_of(manifest, "fct_cases_daily")["config"]["meta"] = {"grain_tested_on": "dim_location"}


def _grain_tested_on_a_missing_model(manifest: Manifest, _: Manifest) -> None:
    _drop_tests(manifest, "int_cases_joined", {"unique_combination_of_columns"})
    model_of(manifest, "int_cases_joined")["config"]["meta"] = {"grain_tested_on": "fct_gone"}


def _key_columns_differ(manifest: Manifest, _: Manifest) -> None:
    for node in manifest["nodes"].values():
        if node.get("attached_node") == f"model.{P}.fct_world_daily" and (
            node["test_metadata"]["name"] == "not_null"
        ):
            node["column_name"] = "other"


def _no_relationship(manifest: Manifest, _: Manifest) -> None:
    _drop_tests(manifest, "fct_cases_daily", {"relationships"})


def _no_contract(manifest: Manifest, _: Manifest) -> None:
    model_of(manifest, "dim_location")["config"]["contract"] = {"enforced": False}


def _no_freshness(manifest: Manifest, _: Manifest) -> None:
    manifest["sources"][f"source.{P}.jhu.cases"]["freshness"] = {
        "warn_after": {"count": None, "period": None}
    }


def _freshness_not_on_loaded_at(manifest: Manifest, _: Manifest) -> None:
    manifest["sources"][f"source.{P}.jhu.cases"]["loaded_at_query"] = "select now()"


def _misnamed_mart(manifest: Manifest, _: Manifest) -> None:
    _move(manifest, "fct_world_daily", "world_daily", "marts/world_daily.sql")


def _mart_in_staging(manifest: Manifest, _: Manifest) -> None:
    _move(manifest, "fct_world_daily", "fct_world_daily", "staging/fct_world_daily.sql")


def _model_outside_layers(manifest: Manifest, _: Manifest) -> None:
    _move(manifest, "fct_world_daily", "fct_world_daily", "misc/fct_world_daily.sql")


def _staging_not_named_for_source(manifest: Manifest, _: Manifest) -> None:
    _move(manifest, "stg_jhu__cases", "stg_cases", "staging/jhu/stg_cases.sql")


def _staging_outside_source_folder(manifest: Manifest, _: Manifest) -> None:
    _move(manifest, "stg_jhu__cases", "stg_jhu__cases", "staging/stg_jhu__cases.sql")


def _intermediate_reads_mart(manifest: Manifest, _: Manifest) -> None:
    model_of(manifest, "int_cases_joined")["depends_on"]["nodes"].append(f"model.{P}.dim_location")


def _mart_without_exposure(manifest: Manifest, _: Manifest) -> None:
    manifest["exposures"][f"exposure.{P}.parquet_export"]["depends_on"]["nodes"].remove(
        f"model.{P}.fct_world_daily"
    )


def _exposure_reads_staging(manifest: Manifest, _: Manifest) -> None:
    manifest["exposures"][f"exposure.{P}.parquet_export"]["depends_on"]["nodes"].append(
        f"model.{P}.stg_jhu__cases"
    )


def _root_model(manifest: Manifest, _: Manifest) -> None:
    model_of(manifest, "fct_world_daily")["depends_on"]["nodes"] = []


def _unused_source(manifest: Manifest, _: Manifest) -> None:
    other = copy.deepcopy(manifest["sources"][f"source.{P}.jhu.cases"])
    other.update(unique_id=f"source.{P}.jhu.deaths", name="deaths", identifier="deaths")
    manifest["sources"][other["unique_id"]] = other


def _source_fanout(manifest: Manifest, catalog: Manifest) -> None:
    twin = copy.deepcopy(model_of(manifest, "stg_jhu__cases"))
    twin.update(
        name="stg_jhu__cases_again",
        unique_id=f"model.{P}.stg_jhu__cases_again",
        path="staging/jhu/stg_jhu__cases_again.sql",
    )
    manifest["nodes"][twin["unique_id"]] = twin
    for test in ("unique", "not_null"):
        node = _test(test, "stg_jhu__cases_again", "id")
        manifest["nodes"][f"test.{P}.{node['name']}"] = node


def _source_yml_elsewhere(manifest: Manifest, _: Manifest) -> None:
    manifest["sources"][f"source.{P}.jhu.cases"]["original_file_path"] = "models/sources.yml"


CASES: list[tuple[Breaker, str, str]] = [
    (_root_model, "root_model", "model fct_world_daily"),
    (_unused_source, "unused_source", "source jhu.deaths"),
    (_source_fanout, "source_fanout", "source jhu.cases"),
    (_source_yml_elsewhere, "source_directory", "source jhu.cases"),
    (_reads_source, "source_outside_staging", "model int_cases_joined"),
    (_two_sources, "staging_source_count", "model stg_jhu__cases"),
    (_staging_reads_model, "staging_reads_model", "model stg_jhu__cases"),
    (_reads_csv, "direct_file_read", "model int_cases_joined"),
    (_reads_bucket, "direct_file_read", "model fct_world_daily"),
    (_hard_coded_relation, "hard_coded_reference", "model int_cases_joined"),
    (_bare_relation_name, "hard_coded_reference", "model fct_world_daily"),
    (_no_description, "undocumented_model", "model int_cases_joined"),
    (_undescribed_source_table, "undocumented_source_table", "source jhu.cases"),
    (_undescribed_mart_column, "undocumented_mart_column", "model fct_cases_daily"),
    (_stale_column_doc, "stale_column_doc", "model dim_location"),
    (_mart_not_built, "mart_not_in_catalog", "model dim_location"),
    (_no_key, "missing_primary_key_test", "model stg_jhu__cases"),
    (_key_columns_differ, "missing_primary_key_test", "model fct_world_daily"),
    (_grain_tested_on_a_model_upstream, "missing_primary_key_test", "model fct_cases_daily"),
    (_grain_tested_on_a_missing_model, "missing_primary_key_test", "model int_cases_joined"),
    (_no_relationship, "missing_location_relationship", "model fct_cases_daily"),
    (_no_contract, "contract_not_enforced", "model dim_location"),
    (_no_freshness, "missing_source_freshness", "source jhu.cases"),
    (_freshness_not_on_loaded_at, "freshness_not_on_loaded_at", "source jhu.cases"),
    (_misnamed_mart, "model_naming", "model world_daily"),
    (_mart_in_staging, "model_directory", "model fct_world_daily"),
    (_model_outside_layers, "model_outside_layers", "model fct_world_daily"),
    (_staging_not_named_for_source, "staging_naming", "model stg_cases"),
    (_staging_outside_source_folder, "staging_directory", "model stg_jhu__cases"),
    (_intermediate_reads_mart, "layer_order", "model int_cases_joined"),
    (_mart_without_exposure, "mart_without_exposure", "model fct_world_daily"),
    (_exposure_reads_staging, "exposure_reads_non_mart", "exposure parquet_export"),
]


@pytest.mark.parametrize(("breaker", "rule", "node"), CASES, ids=[c[0].__name__ for c in CASES])
def test_each_rule_names_the_node_that_breaks_it(breaker: Breaker, rule: str, node: str) -> None:
    manifest, catalog = good_project()
    breaker(manifest, catalog)
    report = check(manifest, catalog)
    assert not report.ok
    assert (rule, node) in {(v.rule, v.node) for v in report.violations}, report.render()
    # the breakage is reported once per rule and named in the printed report
    assert all(v.node == node for v in report.violations if v.rule == rule)
    assert f"{rule}: {node} (" in report.render()


def test_an_undescribed_mart_column_lists_the_column_and_lowers_coverage() -> None:
    manifest, catalog = good_project()
    _undescribed_mart_column(manifest, catalog)
    report = check(manifest, catalog)
    [violation] = report.violations
    assert violation.message.endswith("new_cases")
    assert violation.path == "models/marts/fct_cases_daily.sql"
    [mart_columns] = [c for c in report.coverage if c.label == "mart columns described"]
    assert (mart_columns.covered, mart_columns.total) == (4, 5)
    assert mart_columns.percent == pytest.approx(80.0)


def test_source_relations_and_expressions_are_not_mistaken_for_direct_reads() -> None:
    """The staging model's compiled read_csv comes from its source; extract(... from x.y) is no
    relation; a CTE named like a model is a CTE; a file name as a label is no read."""
    manifest, catalog = good_project()
    model_of(manifest, "fct_world_daily")["raw_code"] = (
        "with dim_location as (select * from {{ ref('dim_location') }})\n"
        "select extract(isodow from d.report_date) -- from marts.dim_location\n"
        "from dim_location as d where d.name <> 'from staging.stg_jhu__cases'"
    )
    model_of(manifest, "int_cases_joined")["compiled_code"] += (
        " union all select 'time_series_covid19_confirmed_US.csv' as source_file"
    )
    assert check(manifest, catalog).violations == []


def test_packages_nodes_are_not_judged() -> None:
    manifest, catalog = good_project()
    foreign = _model("helper", "helper.sql")
    foreign.update(package_name="some_package", description="")
    manifest["nodes"]["model.some_package.helper"] = foreign
    assert check(manifest, catalog).violations == []


def test_a_view_keyed_on_a_downstream_table_counts_as_keyed() -> None:
    manifest, catalog = good_project()
    _drop_tests(manifest, "int_cases_joined", {"unique_combination_of_columns"})
    model_of(manifest, "int_cases_joined")["config"]["meta"] = {
        "grain_tested_on": "fct_cases_daily"
    }
    report = check(manifest, catalog)
    assert report.violations == [], report.render()
    keyed = {c.label: c for c in report.coverage}["models with a primary-key test"]
    assert (keyed.covered, keyed.total) == (5, 5)


def test_a_fact_without_location_key_needs_no_relationship() -> None:
    manifest, catalog = good_project()
    project = Project.from_artifacts(manifest, catalog)
    assert set(facts_with_location(project)) == {f"model.{P}.fct_cases_daily"}


def test_violations_print_as_one_line_naming_rule_node_and_file() -> None:
    violation = Violation("undocumented_model", "model int_x", "models/int_x.sql", "no description")
    assert str(violation) == "undocumented_model: model int_x (models/int_x.sql): no description"


def test_main_exits_non_zero_and_prints_the_violation(tmp_path: Path, capsys) -> None:
    manifest, catalog = good_project()
    _no_contract(manifest, catalog)
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    (tmp_path / "catalog.json").write_text(json.dumps(catalog))
    assert cli.main(["check", "--target-path", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert "FAILED: 1 violation(s)" in out
    assert "contract_not_enforced: model dim_location (models/marts/dim_location.sql)" in out


def test_a_missing_artefact_is_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(JhuError, match=r"manifest\.json: not found; run `make docs`"):
        read_artifact("manifest.json", target=tmp_path, made_by="make docs")
    (tmp_path / "manifest.json").write_text("{not json")
    with pytest.raises(JhuError, match=r"manifest\.json: not a readable dbt artefact"):
        read_artifact("manifest.json", target=tmp_path, made_by="make docs")


def test_the_command_line_says_a_missing_artefact_in_one_line(tmp_path: Path, capsys) -> None:
    assert cli.main(["check", "--target-path", str(tmp_path)]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert err[0].startswith(f"error: {tmp_path / 'manifest.json'}: not found; run `make docs`")


def _macro(name: str, sql: str) -> dict[str, Any]:
    return {"package_name": P, "name": name, "macro_sql": sql}


@pytest.mark.parametrize(
    ("duckdb_sql", "passes"),
    [
        (
            "select max(cast(m.loaded_at as timestamptz)) as loaded_at from read_text('m.json')",
            True,
        ),
        ("select now() as checked_at", False),
    ],
)
def test_freshness_measured_in_a_dispatched_macro_is_followed(
    duckdb_sql: str, passes: bool
) -> None:
    """The manifest keeps `{{ lake_loaded_at() }}` unrendered: the rule reads the macro that the
    duckdb adapter dispatches to, not the jhu_-prefixed name that merely contains loaded_at."""
    manifest, catalog = good_project()
    manifest["metadata"]["adapter_type"] = "duckdb"
    manifest["sources"][f"source.{P}.jhu.cases"]["loaded_at_query"] = "{{ jhu_loaded_at() }}"
    manifest["macros"] = {
        f"macro.{P}.{name}": _macro(name, sql)
        for name, sql in {
            "jhu_loaded_at": "{{ return(adapter.dispatch('jhu_loaded_at')(source_node)) }}",
            "duckdb__jhu_loaded_at": duckdb_sql,
            "default__jhu_loaded_at": "{{ exceptions.raise_compiler_error('jhu_loaded_at') }}",
        }.items()
    }
    rules = {v.rule for v in check(manifest, catalog).violations}
    assert rules == (set() if passes else {"freshness_not_on_loaded_at"})


# --- the exposures, against what really consumes the marts ---------------------------------------


def _exposure_refs() -> dict[str, set[str]]:
    exposures = yaml.safe_load((PROJECT_DIR / "models" / "exposures.yml").read_text())["exposures"]
    refs = {}
    for exposure in exposures:
        names = [re.fullmatch(r"ref\('(\w+)'\)", dep) for dep in exposure["depends_on"]]
        assert all(names), exposure["depends_on"]
        refs[exposure["name"]] = {m.group(1) for m in names if m}
    return refs


def test_the_export_exposure_lists_every_mart_the_export_writes() -> None:
    """`jhu export` writes every model of models/marts/; so must the exposure say."""
    on_disk = {path.stem for path in (PROJECT_DIR / "models" / "marts").glob("*.sql")}
    assert on_disk
    assert _exposure_refs()["lake_parquet_export"] == on_disk


def test_the_analyst_queries_exposure_lists_the_marts_the_documented_queries_read() -> None:
    querying = (PROJECT_DIR / "docs" / "querying.md").read_text()
    code = "\n".join(re.findall(r"```[a-z]*\n(.*?)```", querying, re.DOTALL))
    queried = set(re.findall(r"\b((?:fct|dim)_[a-z0-9_]+)\b", code))
    assert queried
    assert _exposure_refs()["analyst_queries"] == queried


# --- the real project, from `make docs` over the session's built warehouse -----------------------


@pytest.fixture(scope="session")
def site(pipeline_run: Any) -> DocsSite:
    return docs_site.docs_site(
        pipeline_run.environ, pipeline_run.duckdb_path, pipeline_run.base / "docs"
    )


def test_the_real_project_breaks_no_rule(site: DocsSite) -> None:
    report = check(
        json.loads(site.manifest_path.read_text()), json.loads(site.catalog_path.read_text())
    )
    print(report.render())
    assert report.violations == [], report.render()


def test_the_real_project_is_fully_described_keyed_and_contracted(
    site: DocsSite, pipeline_run: Any
) -> None:
    """The issue's coverage bar, on totals counted from the files on disk, so a checker that
    saw fewer models than exist could not pass."""
    report = check(
        json.loads(site.manifest_path.read_text()), json.loads(site.catalog_path.read_text())
    )
    shares = {c.label: c for c in report.coverage}
    models = PROJECT_DIR / "models"
    sql_files = list(models.rglob("*.sql"))
    marts = [path for path in sql_files if path.parent.name == "marts"]
    assert shares["models described"].total == len(sql_files) > 0
    assert shares["marts with an enforced contract"].total == len(marts) > 0
    source_tables = sum(
        len(source.get("tables", []))
        for path in models.rglob("*.yml")
        for source in (yaml.safe_load(path.read_text()) or {}).get("sources", [])
    )
    assert shares["source tables described"].total == source_tables > 0
    for label in (
        "models described",
        "source tables described",
        "mart columns described",
        "models with a primary-key test",
        "facts related to dim_location",
        "marts with an enforced contract",
        "source tables with freshness",
        "marts consumed by an exposure",
    ):
        assert shares[label].percent == 100.0, str(shares[label])
    with pipeline_run.connect() as con:
        [(warehouse_mart_columns,)] = con.execute(
            "select count(*) from information_schema.columns where table_schema = 'marts'"
        ).fetchall()
    assert shares["mart columns described"].total == warehouse_mart_columns


def test_jhu_check_passes_on_the_real_project(site: DocsSite) -> None:
    """The command a developer runs (`make check` runs it after `make docs`)."""
    jhu = Path(sys.executable).parent / "jhu"
    result = subprocess.run(
        [str(jhu), "check", "--target-path", str(site.target)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "mart columns described" in result.stdout
    assert result.stdout.rstrip().splitlines()[-1].startswith("OK")
