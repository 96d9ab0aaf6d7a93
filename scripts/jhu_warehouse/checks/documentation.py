"""Documentation rules: every model, source and mart column described, and yml naming only
columns the warehouse really has."""

from __future__ import annotations

from collections.abc import Iterator

from jhu_warehouse.checks.project import (
    Project,
    Violation,
    documented_columns,
    is_described,
    violation,
    where,
)


def check_descriptions(project: Project) -> Iterator[Violation]:
    """Every model, seed, source, source table and exposure says what it is."""
    for node in [*project.models.values(), *project.seeds.values()]:
        if not is_described(node.get("description")):
            yield violation(f"undocumented_{node['resource_type']}", node, "has no description")
    described_sources: set[str] = set()
    for source in project.sources.values():
        if not is_described(source.get("description")):
            yield violation("undocumented_source_table", source, "has no description")
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
            yield violation("undocumented_exposure", exposure, "has no description")


def check_mart_columns(project: Project) -> Iterator[Violation]:
    """Every column a mart really has (catalog) is described in yml, and yml lists no stale one."""
    for uid, mart in project.models_in("marts").items():
        documented = documented_columns(mart)
        actual = project.catalog_columns.get(uid)
        if actual is None:
            yield violation(
                "mart_not_in_catalog",
                mart,
                "not in catalog.json: build it before `dbt docs generate` so its columns are known",
            )
            actual = set(documented)
        missing = sorted(c for c in actual if not is_described(documented.get(c)))
        if missing:
            yield violation(
                "undocumented_mart_column",
                mart,
                f"columns without description: {', '.join(missing)}",
            )
        stale = sorted(set(documented) - actual)
        if stale and uid in project.catalog_columns:
            yield violation(
                "stale_column_doc",
                mart,
                f"yml documents columns it does not have: {', '.join(stale)}",
            )
