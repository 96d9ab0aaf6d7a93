"""`jhu check` (`make check`): hold the dbt project to its structure, docs and testing rules.

dbt Labs' dbt-project-evaluator package enforces rules like these, but it is a dbt package and the
dbt hub is out of reach here, so this module does the same job from the two artefacts that
`dbt docs generate` writes: `manifest.json` (what the project declares: refs, sources, tests,
descriptions, contracts) and `catalog.json` (what the warehouse really holds: the columns).

Every rule is a small pure function from a `Project` to the `Violation`s it finds, each naming the
model (or source, exposure) and its file, so a failure says what to fix and where. Coverage figures
are printed beside the verdict, so "100% described" is a measured number, not a claim.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jhu_warehouse.errors import JhuError

HELP = (
    "check the dbt project's structure, docs and tests from target/manifest.json and catalog.json"
)

Node = Mapping[str, Any]

#: Model folders under models/, in dependency order: a model reads its own layer or an earlier one.
LAYERS = ("staging", "intermediate", "marts")
#: The name prefixes that say a model's layer.
LAYER_PREFIXES = {"staging": ("stg_",), "intermediate": ("int_",), "marts": ("fct_", "dim_")}
#: Generic tests that key a model on several columns (the project's own, and dbt_utils' twin).
COMBINATION_KEY_TESTS = frozenset({"unique_combination_of_columns"})
#: A model's `meta` key naming the downstream table on which its grain is tested instead:
#: for a view whose every reader re-reads its source (the US staging views re-parse a CSV of a
#: thousand columns), when a table built from it holds its rows one for one and has the key test.
GRAIN_TESTED_ON = "grain_tested_on"
LOCATION_DIMENSION = "dim_location"
LOCATION_KEY = "location_key"
#: The column of the loader's manifest that source freshness must be measured on.
LOADED_AT = "loaded_at"

#: DuckDB table functions that read files, and a quoted path or URL where a relation goes
#: (DuckDB's replacement scan: `from 'x.csv'`, `join 's3://b/k.parquet'`). A quoted file name
#: elsewhere, e.g. `'x.csv' as source_file`, is a label, not a read.
_FILE_READ = re.compile(
    r"\b(read_csv|read_csv_auto|read_parquet|parquet_scan|read_json|read_json_auto|read_ndjson"
    r"|read_ndjson_auto|read_json_objects|read_text|read_blob|read_xlsx|sniff_csv|glob)\s*\("
    r"|\b(from|join)\s+'[^']*'",
    re.IGNORECASE,
)
_JINJA = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.DOTALL)
_SQL_COMMENT = re.compile(r"--[^\n]*|/\*.*?\*/", re.DOTALL)
_SQL_STRING = re.compile(r"'(?:[^']|'')*'")
_CTE_NAME = re.compile(r"(?:\bwith|,)\s*(?:recursive\s+)?\"?(\w+)\"?\s+as\s*\(", re.IGNORECASE)
_FROM_TARGET = re.compile(r"\b(?:from|join)\s+((?:\"?\w+\"?\s*\.\s*){0,2}\"?\w+\"?)", re.IGNORECASE)


@dataclass(frozen=True, order=True)
class Violation:
    """One broken rule: which rule, which node (with its file), and what is wrong."""

    rule: str
    node: str
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.rule}: {self.node} ({self.path}): {self.message}"


@dataclass(frozen=True)
class Coverage:
    """A measured share, e.g. 27 of 27 models described."""

    label: str
    covered: int
    total: int

    @property
    def percent(self) -> float:
        return 100.0 if self.total == 0 else 100.0 * self.covered / self.total

    def __str__(self) -> str:
        return f"{self.label:<40} {self.covered:>5}/{self.total:<5} {self.percent:6.1f}%"


@dataclass(frozen=True)
class Project:
    """The root project's nodes from a manifest, indexed for the rules, plus catalog columns."""

    name: str
    models: dict[str, Node]
    seeds: dict[str, Node]
    sources: dict[str, Node]
    tests: dict[str, Node]
    unit_tests: dict[str, Node]
    exposures: dict[str, Node]
    catalog_columns: dict[str, set[str]] = field(default_factory=dict)
    macros: dict[str, str] = field(default_factory=dict)
    """The root project's macros: name -> SQL, to see what a `{{ macro() }}` config renders."""
    adapter: str = ""

    @classmethod
    def from_artifacts(cls, manifest: Node, catalog: Node | None = None) -> Project:
        """Keep the root project's enabled nodes; packages' nodes are not ours to judge."""
        name = manifest.get("metadata", {}).get("project_name", "")

        def own(collection: Mapping[str, Node], resource_type: str | None = None) -> dict:
            return {
                uid: node
                for uid, node in collection.items()
                if node.get("package_name", name) == name
                and (resource_type is None or node.get("resource_type") == resource_type)
            }

        nodes = manifest.get("nodes", {})
        columns: dict[str, set[str]] = {}
        for section in ("nodes", "sources"):
            for uid, entry in (catalog or {}).get(section, {}).items():
                columns[uid] = {str(col).casefold() for col in entry.get("columns", {})}
        return cls(
            name=name,
            models=own(nodes, "model"),
            seeds=own(nodes, "seed"),
            sources=own(manifest.get("sources", {})),
            tests=own(nodes, "test"),
            unit_tests=own(manifest.get("unit_tests", {})),
            exposures=own(manifest.get("exposures", {})),
            catalog_columns=columns,
            macros={
                str(m.get("name")): str(m.get("macro_sql") or "")
                for m in own(manifest.get("macros", {})).values()
            },
            adapter=str(manifest.get("metadata", {}).get("adapter_type") or ""),
        )

    def models_in(self, layer: str) -> dict[str, Node]:
        return {uid: node for uid, node in self.models.items() if layer_of(node) == layer}

    def tests_on(self, uid: str) -> list[Node]:
        """Generic data tests attached to a node (dbt >= 1.5 records `attached_node`)."""
        return [
            test
            for test in self.tests.values()
            if test.get("attached_node") == uid and test.get("test_metadata")
        ]


# --- small facts about one node -------------------------------------------------------------


def layer_of(model: Node) -> str:
    """The first folder under the model path: `staging/jhu/stg_jhu__x.sql` -> `staging`."""
    parts = Path(str(model.get("path", ""))).parts
    return parts[0] if len(parts) > 1 else ""


def where(node: Node) -> str:
    return str(node.get("original_file_path") or node.get("path") or "?")


def label(node: Node) -> str:
    if node.get("resource_type") == "source":
        return f"source {node.get('source_name')}.{node.get('name')}"
    return f"{node.get('resource_type', 'node')} {node.get('name')}"


def is_described(text: object) -> bool:
    return isinstance(text, str) and bool(text.strip())


def parents(node: Node, kind: str) -> list[str]:
    """Unique ids of the node's direct parents of one resource type (model, source, seed...)."""
    return [p for p in node.get("depends_on", {}).get("nodes", []) if p.split(".", 1)[0] == kind]


def documented_columns(node: Node) -> dict[str, str]:
    """Columns declared in yml, by lower-case name, with their descriptions."""
    return {
        str(name).casefold(): str(col.get("description") or "")
        for name, col in node.get("columns", {}).items()
    }


def test_column(test: Node) -> str:
    column = test.get("column_name") or test["test_metadata"].get("kwargs", {}).get("column_name")
    return str(column or "").strip().strip('"`').casefold()


def sql_without_jinja(code: str) -> str:
    """Author-written SQL with Jinja, comments and string literals blanked out."""
    code = _JINJA.sub(" ", code)
    code = _SQL_COMMENT.sub(" ", code)
    return _SQL_STRING.sub("''", code)


def _violation(rule: str, node: Node, message: str) -> Violation:
    return Violation(rule, label(node), where(node), message)


# --- structure ------------------------------------------------------------------------------


def check_layer_folders(project: Project) -> Iterator[Violation]:
    """Every model sits in one of the layer folders, and its name carries that layer."""
    for model in project.models.values():
        layer, name = layer_of(model), str(model["name"])
        if layer not in LAYERS:
            yield _violation(
                "model_outside_layers",
                model,
                f"sits in models/{layer or ''}, not in one of models/{{{','.join(LAYERS)}}}/",
            )
            continue
        if name.startswith(LAYER_PREFIXES[layer]):
            continue
        named_as = [
            other for other, prefixes in LAYER_PREFIXES.items() if name.startswith(prefixes)
        ]
        if named_as:
            yield _violation(
                "model_directory",
                model,
                f"named as a {named_as[0]} model but sits in models/{layer}/: "
                f"move it to models/{named_as[0]}/",
            )
        else:
            expected = " or ".join(f"{p}*" for p in LAYER_PREFIXES[layer])
            yield _violation("model_naming", model, f"a {layer} model must be named {expected}")


def check_staging_inputs(project: Project) -> Iterator[Violation]:
    """A staging model reads exactly one source (or one seed) and no model, and is named for it.

    The name is `stg_<source>__<entity>` and the file sits in `models/staging/<source>/`, after
    dbt's structure guide: one staging model per source table, joins happen downstream.
    """
    for model in project.models_in("staging").values():
        sources, seeds, models = (parents(model, k) for k in ("source", "seed", "model"))
        if models:
            yield _violation(
                "staging_reads_model",
                model,
                f"reads {', '.join(sorted(models))}; staging models read only their source",
            )
        if len(sources) + len(seeds) != 1:
            found = ", ".join(sorted(sources + seeds)) or "none"
            yield _violation(
                "staging_source_count", model, f"must read exactly one source, reads: {found}"
            )
        if len(sources) == 1 and sources[0] in project.sources:
            source_name = str(project.sources[sources[0]]["source_name"])
            prefix = f"stg_{source_name}__"
            if not str(model["name"]).startswith(prefix):
                yield _violation(
                    "staging_naming", model, f"reads source '{source_name}': name it {prefix}*"
                )
            folder = Path("staging", source_name)
            if Path(str(model.get("path", ""))).parent != folder:
                yield _violation(
                    "staging_directory",
                    model,
                    f"reads source '{source_name}': put it in models/{folder.as_posix()}/",
                )


def check_downstream_inputs(project: Project) -> Iterator[Violation]:
    """Intermediate models and marts read models (and seeds) only, never a later layer."""
    order = {layer: rank for rank, layer in enumerate(LAYERS)}
    for uid, model in project.models.items():
        layer = layer_of(model)
        if layer not in order or layer == "staging":
            continue
        for source in parents(model, "source"):
            yield _violation(
                "source_outside_staging",
                model,
                f"reads {source} directly; only staging models read sources",
            )
        if not parents(model, "model") and not parents(model, "seed"):
            yield _violation(
                "root_model",
                model,
                f"a {layer} model that reads no model or seed: where does its data come from?",
            )
        for parent_id in parents(model, "model"):
            parent = project.models.get(parent_id)
            parent_layer = layer_of(parent) if parent else ""
            if parent_layer in order and order[parent_layer] > order[layer] and parent_id != uid:
                yield _violation(
                    "layer_order",
                    model,
                    f"a {layer} model reads the {parent_layer} model "
                    f"{parent['name'] if parent else parent_id}",
                )


def check_source_use(project: Project) -> Iterator[Violation]:
    """Each source table is read by exactly one model, its staging model, and is declared in
    models/staging/<source>/ beside it (dbt's structure guide: sources and staging 1:1)."""
    readers: dict[str, list[str]] = {uid: [] for uid in project.sources}
    for model in project.models.values():
        for source in parents(model, "source"):
            readers.setdefault(source, []).append(str(model["name"]))
    for uid, source in project.sources.items():
        names = sorted(readers.get(uid, []))
        if not names:
            yield _violation("unused_source", source, "no model reads it: remove it or stage it")
        elif len(names) > 1:
            yield _violation(
                "source_fanout",
                source,
                f"read by {', '.join(names)}; one staging model per source table, "
                "the others ref() it",
            )
        folder = Path("models", "staging", str(source.get("source_name")))
        if Path(where(source)).parent != folder:
            yield _violation(
                "source_directory",
                source,
                f"declare it in {folder.as_posix()}/, beside its staging",
            )


def check_direct_file_reads(project: Project) -> Iterator[Violation]:
    """No model reads a file or a bucket itself: files enter the project as sources.

    Compiled SQL is searched with each source's rendered relation (dbt-duckdb's
    `external_location`, e.g. read_csv(...)) removed, so only reads the author wrote remain.
    """
    source_relations = sorted(
        (str(s.get("relation_name")) for s in project.sources.values() if s.get("relation_name")),
        key=len,
        reverse=True,
    )
    for model in project.models.values():
        code = str(model.get("compiled_code") or model.get("raw_code") or "")
        for relation in source_relations:
            code = code.replace(relation, " ")
        code = _SQL_COMMENT.sub(" ", code)
        match = _FILE_READ.search(code)
        if match:
            yield _violation(
                "direct_file_read",
                model,
                f"reads a file or bucket itself ({match.group(0).strip()}); declare it as a "
                "source and select from {{ source(...) }}",
            )


def check_hard_coded_references(project: Project) -> Iterator[Violation]:
    """Models reach other relations through ref() and source(), never by a typed name."""
    relation_names = {
        str(node.get("alias") or node.get("name")).casefold()
        for node in [*project.models.values(), *project.seeds.values()]
    } | {str(s.get("identifier") or s.get("name")).casefold() for s in project.sources.values()}
    for model in project.models.values():
        sql = sql_without_jinja(str(model.get("raw_code") or ""))
        ctes = {name.casefold() for name in _CTE_NAME.findall(sql)}
        for target in _FROM_TARGET.findall(sql):
            parts = [p.strip().strip('"').casefold() for p in target.split(".")]
            qualified, last = len(parts) > 1, parts[-1]
            if last in relation_names and (qualified or last not in ctes):
                yield _violation(
                    "hard_coded_reference",
                    model,
                    f"names the relation {target.strip()} directly; use ref() or source()",
                )


# --- documentation --------------------------------------------------------------------------


def check_descriptions(project: Project) -> Iterator[Violation]:
    """Every model, seed, source, source table and exposure says what it is."""
    for node in [*project.models.values(), *project.seeds.values()]:
        if not is_described(node.get("description")):
            yield _violation(f"undocumented_{node['resource_type']}", node, "has no description")
    described_sources: set[str] = set()
    for source in project.sources.values():
        if not is_described(source.get("description")):
            yield _violation("undocumented_source_table", source, "has no description")
        source_name = str(source.get("source_name"))
        if not is_described(source.get("source_description")) and (
            source_name not in described_sources
        ):
            described_sources.add(source_name)
            yield Violation(
                "undocumented_source",
                f"source {source_name}",
                where(source),
                "the source itself has no description",
            )
    for exposure in project.exposures.values():
        if not is_described(exposure.get("description")):
            yield _violation("undocumented_exposure", exposure, "has no description")


def check_mart_columns(project: Project) -> Iterator[Violation]:
    """Every column a mart really has (catalog) is described in yml, and yml lists no stale one."""
    for uid, mart in project.models_in("marts").items():
        documented = documented_columns(mart)
        actual = project.catalog_columns.get(uid)
        if actual is None:
            yield _violation(
                "mart_not_in_catalog",
                mart,
                "not in catalog.json: build it before `dbt docs generate` so its columns are known",
            )
            actual = set(documented)
        missing = sorted(c for c in actual if not is_described(documented.get(c)))
        if missing:
            yield _violation(
                "undocumented_mart_column",
                mart,
                f"columns without description: {', '.join(missing)}",
            )
        stale = sorted(set(documented) - actual)
        if stale and uid in project.catalog_columns:
            yield _violation(
                "stale_column_doc",
                mart,
                f"yml documents columns it does not have: {', '.join(stale)}",
            )


# --- tests and contracts ----------------------------------------------------------------------


def primary_key_of(project: Project, uid: str) -> str | None:
    """The model's tested key, as text, or None when it has no primary-key test.

    A key is one column with both `unique` and `not_null` tests, or a
    `unique_combination_of_columns` test (the project's generic test, or dbt_utils'), or the
    key of the model named by `meta.grain_tested_on` when that model reads this one.
    """
    return own_primary_key(project, uid) or downstream_primary_key(project, uid)


def is_upstream(project: Project, uid: str, of: str) -> bool:
    """Whether `of` reads `uid`, directly or through other models."""
    seen, todo = set(), [of]
    while todo:
        node = project.models.get(todo.pop())
        for parent in parents(node or {}, "model"):
            if parent == uid:
                return True
            if parent not in seen:
                seen.add(parent)
                todo.append(parent)
    return False


def downstream_primary_key(project: Project, uid: str) -> str | None:
    """The key test of the model named in `meta.grain_tested_on`, if it is downstream."""
    model = project.models[uid]
    meta = {**(model.get("meta") or {}), **((model.get("config") or {}).get("meta") or {})}
    name = meta.get(GRAIN_TESTED_ON)
    target = f"model.{project.name}.{name}"
    if not name or target not in project.models or not is_upstream(project, uid, of=target):
        return None
    key = own_primary_key(project, target)
    return f"{key} on {name}" if key else None


def own_primary_key(project: Project, uid: str) -> str | None:
    """The key tested on the model itself (see primary_key_of)."""
    by_test: dict[str, set[str]] = {}
    for test in project.tests_on(uid):
        meta = test["test_metadata"]
        if meta.get("name") in COMBINATION_KEY_TESTS:
            columns = meta.get("kwargs", {}).get("combination_of_columns") or []
            return "(" + ", ".join(map(str, columns)) + ")"
        by_test.setdefault(str(meta.get("name")), set()).add(test_column(test))
    keys = sorted(by_test.get("unique", set()) & by_test.get("not_null", set()) - {""})
    return keys[0] if keys else None


def check_primary_keys(project: Project) -> Iterator[Violation]:
    """Every model is keyed: its grain is stated and tested."""
    for uid, model in project.models.items():
        if primary_key_of(project, uid) is None:
            yield _violation(
                "missing_primary_key_test",
                model,
                "no primary-key test: add unique + not_null on the key column, or "
                "unique_combination_of_columns on the grain, or name in "
                f"meta.{GRAIN_TESTED_ON} a model downstream that has one",
            )


def has_location_relationship(project: Project, uid: str) -> bool:
    dimension = f"model.{project.name}.{LOCATION_DIMENSION}"
    return any(
        test["test_metadata"].get("name") == "relationships"
        and test_column(test) == LOCATION_KEY
        and dimension in test.get("depends_on", {}).get("nodes", [])
        for test in project.tests_on(uid)
    )


def facts_with_location(project: Project) -> dict[str, Node]:
    """Facts that carry a location_key (fct_global_daily, at world level, has none)."""
    return {
        uid: model
        for uid, model in project.models_in("marts").items()
        if str(model["name"]).startswith("fct_")
        and LOCATION_KEY in set(documented_columns(model)) | project.catalog_columns.get(uid, set())
    }


def check_location_relationships(project: Project) -> Iterator[Violation]:
    """Every fact with a location_key has a relationships test from it to dim_location."""
    for uid, fact in facts_with_location(project).items():
        if not has_location_relationship(project, uid):
            yield _violation(
                "missing_location_relationship",
                fact,
                f"has {LOCATION_KEY} but no relationships test to {LOCATION_DIMENSION}",
            )


def check_contracts(project: Project) -> Iterator[Violation]:
    """Marts promise their names and types to analysts: the contract is enforced."""
    for mart in project.models_in("marts").values():
        contract = mart.get("config", {}).get("contract") or mart.get("contract") or {}
        if not contract.get("enforced"):
            yield _violation("contract_not_enforced", mart, "marts need contract: {enforced: true}")


def with_macros(project: Project, text: str, depth: int = 3) -> str:
    """Text plus the SQL of the project macros it calls, following adapter.dispatch.

    A config such as `loaded_at_query: "{{ jhu_loaded_at() }}"` stays unrendered in the
    manifest; what it measures is in the macro, or in its `<adapter>__` / `default__` version.
    """
    seen: set[str] = set()
    todo, parts = text, [text]
    for _ in range(depth):
        called = set(re.findall(r"\{\{-?\s*(\w+)\s*\(", todo)) - seen
        seen |= called
        bodies = []
        for name in sorted(called):
            for candidate in (name, f"{project.adapter}__{name}", f"default__{name}"):
                if candidate in project.macros:
                    bodies.append(project.macros[candidate])
                    if candidate != name:
                        break
        if not bodies:
            break
        todo = "\n".join(bodies)
        parts.append(todo)
    return "\n".join(parts)


def _freshness_of(source: Node) -> tuple[Node, str]:
    """The freshness config and the loaded-at expression (dbt 1.10 moved both into config)."""
    config = source.get("config") or {}
    freshness = source.get("freshness") or config.get("freshness") or {}
    loaded_at = " ".join(
        str(value)
        for value in (
            source.get("loaded_at_field"),
            source.get("loaded_at_query"),
            config.get("loaded_at_field"),
            config.get("loaded_at_query"),
        )
        if value
    )
    return freshness, loaded_at


def check_source_freshness(project: Project) -> Iterator[Violation]:
    """Every source table has a freshness threshold measured on the loader's loaded_at."""
    for source in project.sources.values():
        freshness, loaded_at = _freshness_of(source)
        thresholds = [
            (freshness.get(key) or {}).get("count") for key in ("warn_after", "error_after")
        ]
        if not any(count is not None for count in thresholds):
            yield _violation("missing_source_freshness", source, "no warn_after/error_after")
        elif not re.search(rf"\b{LOADED_AT}\b", with_macros(project, loaded_at)):
            yield _violation(
                "freshness_not_on_loaded_at",
                source,
                f"freshness must be measured on the loader's {LOADED_AT} "
                f"(loaded_at_field or loaded_at_query), found: {loaded_at or 'nothing'}",
            )


def check_exposures(project: Project) -> Iterator[Violation]:
    """Exposures consume marts only, and every mart has a declared consumer."""
    marts = project.models_in("marts")
    consumed: set[str] = set()
    for exposure in project.exposures.values():
        for parent in exposure.get("depends_on", {}).get("nodes", []):
            consumed.add(parent)
            if parent not in marts:
                yield _violation(
                    "exposure_reads_non_mart", exposure, f"depends on {parent}, not on a mart"
                )
    for uid, mart in marts.items():
        if uid not in consumed:
            yield _violation("mart_without_exposure", mart, "no exposure consumes this mart")


RULES: tuple[Callable[[Project], Iterable[Violation]], ...] = (
    check_layer_folders,
    check_staging_inputs,
    check_downstream_inputs,
    check_source_use,
    check_direct_file_reads,
    check_hard_coded_references,
    check_descriptions,
    check_mart_columns,
    check_primary_keys,
    check_location_relationships,
    check_contracts,
    check_source_freshness,
    check_exposures,
)


# --- coverage and report ----------------------------------------------------------------------


def coverage(project: Project) -> list[Coverage]:
    """The numbers a reviewer asks for: how much is described, keyed, tested, contracted."""
    models, marts = project.models, project.models_in("marts")
    all_columns = [
        (uid, column)
        for uid, model in models.items()
        for column in project.catalog_columns.get(uid, set(documented_columns(model)))
    ]
    mart_columns = [(uid, column) for uid, column in all_columns if uid in marts]

    def column_described(pair: tuple[str, str]) -> bool:
        uid, column = pair
        return is_described(documented_columns(models[uid]).get(column))

    tested = {t.get("attached_node") for t in project.tests.values()}
    unit_tested = {
        parent for u in project.unit_tests.values() for parent in parents(u, "model")
    } | {f"model.{project.name}.{u.get('model')}" for u in project.unit_tests.values()}
    facts = facts_with_location(project)

    def share(label_: str, items: Iterable[Any], predicate: Callable[[Any], bool]) -> Coverage:
        items = list(items)
        return Coverage(label_, sum(1 for item in items if predicate(item)), len(items))

    return [
        share("models described", models.values(), lambda m: is_described(m.get("description"))),
        share(
            "source tables described",
            project.sources.values(),
            lambda s: is_described(s.get("description")),
        ),
        share("mart columns described", mart_columns, column_described),
        share("all model columns described", all_columns, column_described),
        share(
            "models with a primary-key test",
            models,
            lambda u: primary_key_of(project, u) is not None,
        ),
        share("models with any data test", models, lambda u: u in tested),
        share("models with unit tests", models, lambda u: u in unit_tested),
        share(
            "facts related to dim_location", facts, lambda u: has_location_relationship(project, u)
        ),
        share(
            "marts with an enforced contract",
            marts.values(),
            lambda m: bool((m.get("config", {}).get("contract") or {}).get("enforced")),
        ),
        share(
            "source tables with freshness",
            project.sources.values(),
            lambda s: any(
                ((_freshness_of(s)[0].get(k) or {}).get("count") is not None)
                for k in ("warn_after", "error_after")
            ),
        ),
        share(
            "marts consumed by an exposure",
            marts,
            lambda u: any(
                u in e.get("depends_on", {}).get("nodes", []) for e in project.exposures.values()
            ),
        ),
    ]


@dataclass(frozen=True)
class Report:
    project: Project
    violations: list[Violation]
    coverage: list[Coverage]

    @property
    def ok(self) -> bool:
        return not self.violations

    def render(self) -> str:
        p = self.project
        counts = {layer: len(p.models_in(layer)) for layer in LAYERS}
        lines = [
            f"project {p.name}: {len(p.models)} models ("
            + ", ".join(f"{n} {layer}" for layer, n in counts.items())
            + f"), {len(p.sources)} source tables, {len(p.seeds)} seeds, {len(p.tests)} data "
            f"tests, {len(p.unit_tests)} unit tests, {len(p.exposures)} exposures",
            "coverage:",
            *(f"  {c}" for c in self.coverage),
        ]
        if self.violations:
            lines.append(f"FAILED: {len(self.violations)} violation(s):")
            lines.extend(f"  {v}" for v in self.violations)
        else:
            lines.append(f"OK: all {len(RULES)} rule groups pass")
        return "\n".join(lines)


def check(manifest: Node, catalog: Node | None = None) -> Report:
    """Run every rule over the artefacts; violations sorted by rule, then node."""
    project = Project.from_artifacts(manifest, catalog)
    violations = sorted({v for rule in RULES for v in rule(project)})
    return Report(project, violations, coverage(project))


# --- I/O at the edges -------------------------------------------------------------------------


def read_artifact(path: Path) -> Node:
    """One dbt artefact as JSON; a missing or broken file is a JhuError naming it."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise JhuError(
            f"{path}: not found; run `make docs` (dbt docs generate) first, with the same "
            "DBT_TARGET_PATH"
        ) from None
    except (OSError, ValueError) as exc:
        raise JhuError(f"{path}: not a readable dbt artefact ({exc})") from None


def default_target_path() -> str:
    return os.environ.get("DBT_TARGET_PATH") or "target"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--target-path",
        default=default_target_path(),
        help="folder holding manifest.json and catalog.json (default: $DBT_TARGET_PATH or target)",
    )


def main(args: argparse.Namespace, settings: object = None) -> int:
    """Print the coverage and any violation; non-zero exit when a rule breaks."""
    target = Path(args.target_path)
    report = check(read_artifact(target / "manifest.json"), read_artifact(target / "catalog.json"))
    print(report.render())
    return 0 if report.ok else 1


def _standalone(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m jhu_warehouse.project_check", description=HELP)
    add_arguments(parser)
    try:
        return main(parser.parse_args(argv))
    except JhuError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(_standalone())
