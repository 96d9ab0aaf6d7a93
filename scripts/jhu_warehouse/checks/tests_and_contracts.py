"""Testing rules: every model keyed by a tested primary key, facts related to the location
dimension, marts under enforced contracts, sources with freshness on the loader's loaded_at,
and every mart consumed by an exposure."""

from __future__ import annotations

import re
from collections.abc import Iterator

from jhu_warehouse.checks.project import (
    Project,
    Violation,
    documented_columns,
    parents,
    violation,
)
from jhu_warehouse.dbt_project.marts import Node, test_column, tested_key

#: A model's `meta` key naming the downstream table on which its grain is tested instead:
#: for a view whose every reader re-reads its source (the US staging views re-parse a CSV of a
#: thousand columns), when a table built from it holds its rows one for one and has the key test.
GRAIN_TESTED_ON = "grain_tested_on"
LOCATION_DIMENSION = "dim_location"
LOCATION_KEY = "location_key"
#: The column of the loader's manifest that source freshness must be measured on.
LOADED_AT = "loaded_at"


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
    """The key tested on the model itself (see primary_key_of), as text: `col` or `(a, b)`."""
    key = tested_key(project.tests_on(uid))
    if not key:
        return None
    return key[0] if len(key) == 1 else f"({', '.join(key)})"


def check_primary_keys(project: Project) -> Iterator[Violation]:
    """Every model is keyed: its grain is stated and tested."""
    for uid, model in project.models.items():
        if primary_key_of(project, uid) is None:
            yield violation(
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
            yield violation(
                "missing_location_relationship",
                fact,
                f"has {LOCATION_KEY} but no relationships test to {LOCATION_DIMENSION}",
            )


def check_contracts(project: Project) -> Iterator[Violation]:
    """Marts promise their names and types to analysts: the contract is enforced."""
    for mart in project.models_in("marts").values():
        contract = mart.get("config", {}).get("contract") or mart.get("contract") or {}
        if not contract.get("enforced"):
            yield violation("contract_not_enforced", mart, "marts need contract: {enforced: true}")


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


def freshness_of(source: Node) -> tuple[Node, str]:
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
        freshness, loaded_at = freshness_of(source)
        thresholds = [
            (freshness.get(key) or {}).get("count") for key in ("warn_after", "error_after")
        ]
        if not any(count is not None for count in thresholds):
            yield violation("missing_source_freshness", source, "no warn_after/error_after")
        elif not re.search(rf"\b{LOADED_AT}\b", with_macros(project, loaded_at)):
            yield violation(
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
                yield violation(
                    "exposure_reads_non_mart", exposure, f"depends on {parent}, not on a mart"
                )
    for uid, mart in marts.items():
        if uid not in consumed:
            yield violation("mart_without_exposure", mart, "no exposure consumes this mart")
