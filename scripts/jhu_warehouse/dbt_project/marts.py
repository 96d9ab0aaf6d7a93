"""The project's layers, its marts, and a model's primary key, read from dbt's manifest.

The folder is the definition of a layer (models/staging, intermediate, marts): nothing lists the
marts a second time. A model's key is what its contract declares, else what its data tests
prove; the export orders a mart by it and the checker requires every model to have one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

Node = Mapping[str, Any]

#: The model folders, in the order data flows through them.
LAYERS = ("staging", "intermediate", "marts")
#: The name prefixes of each layer's models.
LAYER_PREFIXES = {"staging": ("stg_",), "intermediate": ("int_",), "marts": ("fct_", "dim_")}
#: The dbt project folder whose models are the marts.
MARTS_FOLDER = "marts"
#: Generic tests that state a grain of several columns (the project's own, or dbt_utils').
COMBINATION_KEY_TESTS = frozenset({"unique_combination_of_columns"})
#: The materialization (macros/materializations/parquet_file.sql) that writes a model once, to a
#: Parquet file beside the warehouse file, in its key's order; the export publishes that file.
PARQUET_FILE = "parquet_file"


@dataclass(frozen=True)
class MartSpec:
    """A mart as the dbt project defines it: where it lives and what identifies a row."""

    name: str
    schema: str
    relation: str
    primary_key: tuple[str, ...]
    parquet_file: bool = False
    """Built by `parquet_file`: the build wrote the mart's Parquet (`parquet_file_path`)."""


def parquet_file_folder(warehouse: str | Path) -> Path:
    """The folder beside the warehouse file where `parquet_file` writes its models:
    `<warehouse without .duckdb>.marts/`.

    The rule macros/materializations/parquet_file.sql follows (it asks DuckDB for the
    warehouse file's absolute path); here for the export, which reads the files, the
    dbt-duckdb plugin, which creates the folder, and the re-run check, which stats them.
    """
    path = Path(warehouse).absolute()
    stem = path.name[: -len(".duckdb")] if path.name.endswith(".duckdb") else path.name
    return path.with_name(f"{stem}.marts")


def parquet_file_path(warehouse: str | Path, relation: str) -> Path:
    """Where `parquet_file` writes a model: `<relation>.parquet` in `parquet_file_folder`."""
    return parquet_file_folder(warehouse) / f"{relation}.parquet"


def layer_of(model: Node) -> str:
    """The first folder under the model path: `staging/jhu/stg_jhu__x.sql` -> `staging`."""
    parts = Path(str(model.get("path", ""))).parts
    return parts[0] if len(parts) > 1 else ""


def test_column(test: Node) -> str:
    """The column a generic test is on, unquoted and lower-case ("" for a model-level test)."""
    metadata = test.get("test_metadata") or {}
    column = test.get("column_name") or (metadata.get("kwargs") or {}).get("column_name")
    return str(column or "").strip().strip('"`').casefold()


def declared_key(node: Node) -> tuple[str, ...]:
    """The primary key the model's contract declares (model- or column-level constraint)."""
    for constraint in node.get("constraints") or []:
        if constraint.get("type") == "primary_key" and constraint.get("columns"):
            return tuple(constraint["columns"])
    return tuple(
        name
        for name, column in (node.get("columns") or {}).items()
        if any(c.get("type") == "primary_key" for c in column.get("constraints") or [])
    )


def tested_key(tests: Sequence[Node]) -> tuple[str, ...]:
    """The key the model's data tests prove: a combination-of-columns test, else one column
    with both `unique` and `not_null` (the first by name when several have both)."""
    by_test: dict[str, set[str]] = {}
    for test in tests:
        metadata = test.get("test_metadata") or {}
        if metadata.get("name") in COMBINATION_KEY_TESTS:
            columns = (metadata.get("kwargs") or {}).get("combination_of_columns") or []
            return tuple(str(c) for c in columns)
        by_test.setdefault(str(metadata.get("name")), set()).add(test_column(test))
    keys = sorted(by_test.get("unique", set()) & by_test.get("not_null", set()) - {""})
    return (keys[0],) if keys else ()


def primary_key(node: Node, tests: Sequence[Node]) -> tuple[str, ...]:
    """The model's key: its contract's, else its tests' (empty when it has neither)."""
    return declared_key(node) or tested_key(tests)


def tests_by_model(manifest: Node) -> dict[str, list[Node]]:
    """The generic data tests of each node, by the unique id of the node they are attached to."""
    tests: dict[str, list[Node]] = {}
    for node in (manifest.get("nodes") or {}).values():
        is_generic = node.get("resource_type") == "test" and node.get("test_metadata")
        if is_generic and node.get("attached_node"):
            tests.setdefault(node["attached_node"], []).append(node)
    return tests


def marts_from_manifest(manifest: Node) -> list[MartSpec]:
    """The enabled models of the project's marts folder, from dbt's manifest.json, by name."""
    tests = tests_by_model(manifest)
    specs = [
        MartSpec(
            name=node["name"],
            schema=node["schema"],
            relation=node.get("alias") or node["name"],
            primary_key=primary_key(node, tests.get(unique_id, [])),
            parquet_file=(node.get("config") or {}).get("materialized") == PARQUET_FILE,
        )
        for unique_id, node in (manifest.get("nodes") or {}).items()
        if node.get("resource_type") == "model" and layer_of(node) == MARTS_FOLDER
    ]
    return sorted(specs, key=lambda s: s.name)
