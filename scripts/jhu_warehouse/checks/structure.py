"""Structure rules: every model in its layer's folder and named for it, each layer reading
only what it may, sources read only through `source()`, no file read or hard-coded relation."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from jhu_warehouse.checks.project import (
    SQL_COMMENT,
    Project,
    Violation,
    parents,
    sql_without_jinja,
    violation,
    where,
)
from jhu_warehouse.dbt_project.marts import LAYER_PREFIXES, LAYERS, layer_of

#: DuckDB table functions that read files, and a quoted path or URL where a relation goes
#: (DuckDB's replacement scan: `from 'x.csv'`, `join 's3://b/k.parquet'`). A quoted file name
#: elsewhere, e.g. `'x.csv' as source_file`, is a label, not a read.
_FILE_READ = re.compile(
    r"\b(read_csv|read_csv_auto|read_parquet|parquet_scan|read_json|read_json_auto|read_ndjson"
    r"|read_ndjson_auto|read_json_objects|read_text|read_blob|read_xlsx|sniff_csv|glob)\s*\("
    r"|\b(from|join)\s+'[^']*'",
    re.IGNORECASE,
)
_CTE_NAME = re.compile(r"(?:\bwith|,)\s*(?:recursive\s+)?\"?(\w+)\"?\s+as\s*\(", re.IGNORECASE)
_FROM_TARGET = re.compile(r"\b(?:from|join)\s+((?:\"?\w+\"?\s*\.\s*){0,2}\"?\w+\"?)", re.IGNORECASE)


def check_layer_folders(project: Project) -> Iterator[Violation]:
    """Every model sits in one of the layer folders, and its name carries that layer."""
    for model in project.models.values():
        layer, name = layer_of(model), str(model["name"])
        if layer not in LAYERS:
            yield violation(
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
            yield violation(
                "model_directory",
                model,
                f"named as a {named_as[0]} model but sits in models/{layer}/: "
                f"move it to models/{named_as[0]}/",
            )
        else:
            expected = " or ".join(f"{p}*" for p in LAYER_PREFIXES[layer])
            yield violation("model_naming", model, f"a {layer} model must be named {expected}")


def check_staging_inputs(project: Project) -> Iterator[Violation]:
    """A staging model reads exactly one source (or one seed) and no model, and is named for it.

    The name is `stg_<source>__<entity>` and the file sits in `models/staging/<source>/`, after
    dbt's structure guide: one staging model per source table, joins happen downstream.
    """
    for model in project.models_in("staging").values():
        sources, seeds, models = (parents(model, k) for k in ("source", "seed", "model"))
        if models:
            yield violation(
                "staging_reads_model",
                model,
                f"reads {', '.join(sorted(models))}; staging models read only their source",
            )
        if len(sources) + len(seeds) != 1:
            found = ", ".join(sorted(sources + seeds)) or "none"
            yield violation(
                "staging_source_count", model, f"must read exactly one source, reads: {found}"
            )
        if len(sources) == 1 and sources[0] in project.sources:
            source_name = str(project.sources[sources[0]]["source_name"])
            prefix = f"stg_{source_name}__"
            if not str(model["name"]).startswith(prefix):
                yield violation(
                    "staging_naming", model, f"reads source '{source_name}': name it {prefix}*"
                )
            folder = Path("staging", source_name)
            if Path(str(model.get("path", ""))).parent != folder:
                yield violation(
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
            yield violation(
                "source_outside_staging",
                model,
                f"reads {source} directly; only staging models read sources",
            )
        if not parents(model, "model") and not parents(model, "seed"):
            yield violation(
                "root_model",
                model,
                f"a {layer} model that reads no model or seed: where does its data come from?",
            )
        for parent_id in parents(model, "model"):
            parent = project.models.get(parent_id)
            parent_layer = layer_of(parent) if parent else ""
            if parent_layer in order and order[parent_layer] > order[layer] and parent_id != uid:
                yield violation(
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
            yield violation("unused_source", source, "no model reads it: remove it or stage it")
        elif len(names) > 1:
            yield violation(
                "source_fanout",
                source,
                f"read by {', '.join(names)}; one staging model per source table, "
                "the others ref() it",
            )
        folder = Path("models", "staging", str(source.get("source_name")))
        if Path(where(source)).parent != folder:
            yield violation(
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
        code = SQL_COMMENT.sub(" ", code)
        match = _FILE_READ.search(code)
        if match:
            yield violation(
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
                yield violation(
                    "hard_coded_reference",
                    model,
                    f"names the relation {target.strip()} directly; use ref() or source()",
                )
