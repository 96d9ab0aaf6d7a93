"""The package's layout rules (docs/architecture.md), checked on the code as it is.

The package follows the data flow: stages (ingest, build, publish, checks, bench, report) sit on
shared lower layers (sources, lake, dbt_project, config, errors, progress) and never import each
other;
only the top (cli, pipeline) brings stages together; there is no import cycle anywhere, lazy
imports inside functions included; only the command line prints. Each rule is a pure function
over an import graph, proven on a small package made to break it, then held against the real one.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from jhu_warehouse.config import PROJECT_DIR

PACKAGE = "jhu_warehouse"
PACKAGE_DIR = PROJECT_DIR / "scripts" / PACKAGE

#: The shared lower layers, each with the layers it may import (besides itself).
SHARED: dict[str, frozenset[str]] = {
    "errors": frozenset(),
    "progress": frozenset(),
    "config": frozenset({"errors"}),
    "sources": frozenset({"config", "errors", "progress"}),
    "lake": frozenset({"config", "errors", "progress"}),
    "dbt_project": frozenset({"config", "errors"}),
}
STAGES = frozenset({"ingest", "build", "publish", "checks", "bench", "report"})
#: The top: the command line and the job that chains the stages; nothing below imports them.
TOP = frozenset({"cli", "pipeline", "__main__"})
#: The package's face (`__init__`: the version) may be imported by anyone.
FACE = ""
MAX_TOP_MODULES = 8


@dataclass(frozen=True)
class Import:
    module: str
    """The importing module, dotted (jhu_warehouse.lake.s3)."""
    target: str
    """The imported module, dotted (an imported name resolved to its module)."""
    line: int


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules_of(root: Path) -> dict[str, Path]:
    return {module_name(path, root): path for path in sorted(root.rglob("*.py"))}


def imports_of(root: Path) -> list[Import]:
    """Every import of the package by the package, at any depth of the code (lazy ones too)."""
    modules = modules_of(root)
    package = root.name
    found = []
    for module, path in modules.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                # `from pkg.sub import name`: the module pkg.sub.name when it is one, else pkg.sub
                names = [
                    f"{node.module}.{alias.name}"
                    if f"{node.module}.{alias.name}" in modules
                    else node.module
                    for alias in node.names
                ]
            else:
                continue
            for name in names:
                if name == package or name.startswith(f"{package}."):
                    found.append(Import(module, name, node.lineno))
    return found


def room(module: str) -> str:
    """The top-level room of a module: its subpackage, or its own name at the top."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else FACE


def rule_breaks(imports: list[Import]) -> list[str]:
    """Imports that break the layering: stage to stage, a lower layer climbing up, the top
    imported from below."""
    broken = []
    for imp in imports:
        source, target = room(imp.module), room(imp.target)
        if source == target or target == FACE:
            continue
        where = f"{imp.module} (line {imp.line}) imports {imp.target}"
        if target in TOP and source not in TOP:
            broken.append(f"{where}: only the top ({', '.join(sorted(TOP))}) imports the top")
        elif source in STAGES and target in STAGES:
            broken.append(f"{where}: a stage never imports another stage")
        elif source in SHARED and target not in SHARED[source]:
            allowed = ", ".join(sorted(SHARED[source])) or "nothing of the package"
            broken.append(f"{where}: the shared layer {source} may import only {allowed}")
        elif source not in SHARED | {s: frozenset() for s in STAGES | TOP}:
            broken.append(f"{where}: {source} is not a room of the layout (docs/architecture.md)")
    return broken


def cycles(imports: list[Import]) -> list[list[str]]:
    """Every strongly connected group of two or more modules (or a module importing itself)."""
    graph: dict[str, set[str]] = {}
    for imp in imports:
        graph.setdefault(imp.module, set()).add(imp.target)
        graph.setdefault(imp.target, set())
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(node: str) -> None:  # Tarjan's algorithm; the graph is small
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1 or node in graph[node]:
                groups.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return groups


def printing(root: Path, allowed: frozenset[str]) -> list[str]:
    """Calls of print() and writes to sys.stdout/stderr outside the allowed modules."""
    found = []
    for module, path in modules_of(root).items():
        if module in allowed:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "print":
                found.append(f"{module} (line {node.lineno}): print()")
            if (
                isinstance(node, ast.Attribute)
                and node.attr in ("stdout", "stderr")
                and getattr(node.value, "id", None) == "sys"
            ):
                found.append(f"{module} (line {node.lineno}): sys.{node.attr}")
    return found


# --- the rules catch what they are for --------------------------------------------------------


def write_package(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / PACKAGE / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    for folder in [root / PACKAGE, *(p for p in (root / PACKAGE).rglob("*") if p.is_dir())]:
        (folder / "__init__.py").touch()
    return root / PACKAGE


def test_the_rules_catch_a_stage_importing_a_stage_a_climb_and_a_cycle(tmp_path: Path) -> None:
    root = write_package(
        tmp_path,
        {
            "publish/writer.py": "def f():\n    from jhu_warehouse.build import runner\n",
            "build/runner.py": "from jhu_warehouse.lake import base\n",
            "lake/base.py": "from jhu_warehouse import pipeline\n",
            "pipeline.py": "from jhu_warehouse.lake import base\n",
            "errors.py": "from jhu_warehouse.config import X\n",
            "config.py": "print('hello')\n",
        },
    )
    imports = imports_of(root)
    broken = rule_breaks(imports)
    assert any(
        "publish.writer (line 2) imports jhu_warehouse.build.runner: a stage" in b for b in broken
    )
    assert any(
        "lake.base (line 1) imports jhu_warehouse.pipeline: only the top" in b for b in broken
    )
    assert any("shared layer errors may import only nothing" in b for b in broken)
    assert cycles(imports) == [["jhu_warehouse.lake.base", "jhu_warehouse.pipeline"]]
    assert printing(root, frozenset()) == ["jhu_warehouse.config (line 1): print()"]


def test_the_rules_pass_a_package_that_keeps_them(tmp_path: Path) -> None:
    root = write_package(
        tmp_path,
        {
            "cli.py": "from jhu_warehouse import pipeline\nprint('ok')\n",
            "pipeline.py": "from jhu_warehouse.build import runner\n",
            "build/runner.py": (
                "from jhu_warehouse.lake.base import X\nfrom jhu_warehouse import __version__\n"
            ),
            "lake/base.py": "from jhu_warehouse.config import Y\n",
            "config.py": "from jhu_warehouse.errors import Z\n",
            "errors.py": "",
        },
    )
    imports = imports_of(root)
    assert rule_breaks(imports) == []
    assert cycles(imports) == []
    assert printing(root, frozenset({"jhu_warehouse.cli"})) == []


# --- the real package ---------------------------------------------------------------------------


def test_stages_depend_only_on_the_shared_layers() -> None:
    assert rule_breaks(imports_of(PACKAGE_DIR)) == []


def test_there_is_no_import_cycle() -> None:
    imports = imports_of(PACKAGE_DIR)
    assert len(imports) > 50  # the graph really was read
    assert cycles(imports) == []


def test_only_the_command_line_prints() -> None:
    assert printing(PACKAGE_DIR, frozenset({f"{PACKAGE}.cli"})) == []


def test_the_package_top_holds_at_most_eight_modules_beside_its_subpackages() -> None:
    top = sorted(p.name for p in PACKAGE_DIR.glob("*.py"))
    assert len(top) <= MAX_TOP_MODULES, top
    rooms = {p.name for p in PACKAGE_DIR.iterdir() if (p / "__init__.py").is_file()}
    assert rooms == set(SHARED) - {"errors", "progress", "config"} | STAGES


@pytest.mark.parametrize("folder", ["models", "seeds", "macros", "tests/dbt"])
def test_no_yml_file_is_over_300_lines(folder: str) -> None:
    files = [*(PROJECT_DIR / folder).rglob("*.yml"), *(PROJECT_DIR / folder).rglob("*.yaml")]
    long = {
        str(p.relative_to(PROJECT_DIR)): n
        for p in files
        if (n := len(p.read_text().splitlines())) > 300
    }
    assert long == {}


_MACRO = re.compile(r"\{%-?\s*macro\s+(\w+)\s*\(")
_ADAPTER_PREFIX = re.compile(r"^(?:default|duckdb|spark|postgres)__")


def test_every_adapter_version_of_a_macro_is_in_one_file() -> None:
    files_of: dict[str, set[str]] = {}
    for path in (PROJECT_DIR / "macros").rglob("*.sql"):
        for name in _MACRO.findall(path.read_text()):
            base = _ADAPTER_PREFIX.sub("", name)
            files_of.setdefault(base, set()).add(str(path.relative_to(PROJECT_DIR)))
    assert files_of, "no macro was read"
    split = {name: sorted(files) for name, files in files_of.items() if len(files) > 1}
    assert split == {}
