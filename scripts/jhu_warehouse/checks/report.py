"""Every rule over the artefacts, the coverage figures beside the verdict, and the report."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from jhu_warehouse.checks import documentation, structure, tests_and_contracts
from jhu_warehouse.checks.project import (
    Coverage,
    Project,
    Violation,
    documented_columns,
    is_described,
    parents,
)
from jhu_warehouse.checks.tests_and_contracts import (
    facts_with_location,
    freshness_of,
    has_location_relationship,
    primary_key_of,
)
from jhu_warehouse.dbt_project.marts import LAYERS, Node

RULES: tuple[Callable[[Project], Iterable[Violation]], ...] = (
    structure.check_layer_folders,
    structure.check_staging_inputs,
    structure.check_downstream_inputs,
    structure.check_source_use,
    structure.check_direct_file_reads,
    structure.check_hard_coded_references,
    documentation.check_descriptions,
    documentation.check_mart_columns,
    tests_and_contracts.check_primary_keys,
    tests_and_contracts.check_location_relationships,
    tests_and_contracts.check_contracts,
    tests_and_contracts.check_source_freshness,
    tests_and_contracts.check_exposures,
)


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
                ((freshness_of(s)[0].get(k) or {}).get("count") is not None)
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
