"""The dbt project as the rules see it: its nodes from manifest.json, its columns from
catalog.json, and the small facts about one node that several rule families ask."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from jhu_warehouse.dbt_project.marts import Node, layer_of

_JINJA = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.DOTALL)
SQL_COMMENT = re.compile(r"--[^\n]*|/\*.*?\*/", re.DOTALL)
_SQL_STRING = re.compile(r"'(?:[^']|'')*'")


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


def sql_without_jinja(code: str) -> str:
    """Author-written SQL with Jinja, comments and string literals blanked out."""
    code = _JINJA.sub(" ", code)
    code = SQL_COMMENT.sub(" ", code)
    return _SQL_STRING.sub("''", code)


def violation(rule: str, node: Node, message: str) -> Violation:
    return Violation(rule, label(node), where(node), message)
