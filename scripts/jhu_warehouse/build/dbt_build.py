"""The build: `dbt build` (seeds, models, snapshots, tests) in-process, with a short summary.

dbt runs through its programmatic API (`dbtRunner`), in this process, from the project folder.
The settings are handed to dbt through the environment that `profiles.yml` reads with
`env_var()`, so a caller's `Settings` win over whatever the shell had. dbt's own variables
(`DBT_TARGET_PATH`, `DBT_LOG_PATH`, `DBT_PROFILES_DIR`, ...) are respected as dbt respects them.
"""

from __future__ import annotations

import os
import re
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jhu_warehouse.config import PROJECT_DIR, Settings
from jhu_warehouse.dbt_project.invocation import SKIP_UNIT_TESTS, dbt_args
from jhu_warehouse.errors import JhuError
from jhu_warehouse.progress import Progress, silent

#: Statuses dbt gives a node that did not do its job.
FAILED = frozenset({"error", "fail", "runtime error"})
#: At most this many failing nodes are named in the one-line error.
MAX_NAMED_FAILURES = 5
#: dbt's messages are cut to this many characters in the one-line error.
MAX_MESSAGE = 400


def settings_environment(settings: Settings) -> dict[str, str]:
    """The variables profiles.yml and the sources read, from the settings."""
    env = {
        "JHU_LAKE": settings.lake,
        "JHU_DUCKDB": settings.duckdb_path,
        "JHU_TARGET": settings.target,
    }
    if settings.s3_endpoint:
        env["JHU_S3_ENDPOINT"] = settings.s3_endpoint
    return env


@contextmanager
def patched_environ(values: dict[str, str]) -> Iterator[None]:
    """Set environment variables for the duration of a dbt invocation, then restore them."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@dataclass(frozen=True)
class NodeResult:
    """One node of the build as dbt reported it."""

    unique_id: str
    resource_type: str
    name: str
    status: str
    message: str
    seconds: float

    @property
    def failed(self) -> bool:
        return self.status in FAILED


@dataclass
class BuildReport:
    """What `dbt build` did: counts per kind of node, and the invocation id the export records."""

    invocation_id: str
    seconds: float
    nodes: list[NodeResult] = field(default_factory=list)

    def count(self, resource_type: str, *statuses: str) -> int:
        return sum(
            1
            for n in self.nodes
            if n.resource_type == resource_type and (not statuses or n.status in statuses)
        )

    @property
    def models_built(self) -> int:
        return self.count("model", "success")

    @property
    def seeds_loaded(self) -> int:
        return self.count("seed", "success")

    @property
    def tests_passed(self) -> int:
        return self.count("test", "pass") + self.count("unit_test", "pass")

    @property
    def tests_warned(self) -> int:
        return self.count("test", "warn") + self.count("unit_test", "warn")

    @property
    def failures(self) -> list[NodeResult]:
        return [n for n in self.nodes if n.failed]

    def summary(self) -> str:
        statuses = Counter(n.status for n in self.nodes)
        skipped = f", {statuses['skipped']} skipped" if statuses["skipped"] else ""
        return (
            f"{self.models_built} models built, {self.seeds_loaded} seeds loaded, "
            f"{self.tests_passed} tests passed, {self.tests_warned} warned, "
            f"{len(self.failures)} failed{skipped}; {self.seconds:.1f} s "
            f"(dbt invocation {self.invocation_id})"
        )


def node_results(result: Any) -> list[NodeResult]:
    """The per-node results of a dbt RunExecutionResult."""
    nodes = []
    for r in getattr(result, "results", None) or []:
        node = r.node
        nodes.append(
            NodeResult(
                unique_id=node.unique_id,
                resource_type=str(node.resource_type),
                name=node.name,
                status=str(r.status),
                message=" ".join(str(r.message or "").split()),
                seconds=float(r.execution_time or 0.0),
            )
        )
    return nodes


def dbt_log_file(project_dir: Path = PROJECT_DIR) -> Path:
    """Where dbt writes its log: DBT_LOG_PATH, else logs/ under the project."""
    folder = Path(os.environ.get("DBT_LOG_PATH") or project_dir / "logs")
    return (folder if folder.is_absolute() else project_dir / folder) / "dbt.log"


def check_warehouse(settings: Settings) -> None:
    """Before anything runs: the warehouse file can be created or written, and nobody holds it.

    A missing or read-only folder, or a file that another process keeps open (an analyst's
    DuckDB session, read-only or not, holds a lock a writer cannot take), is one line naming
    JHU_DUCKDB and what to do.
    """
    if settings.target != "duckdb":
        return
    path = Path(settings.duckdb_path)
    folder = path.absolute().parent
    where = f"JHU_DUCKDB={settings.duckdb_path}"
    if not folder.is_dir():
        raise JhuError(
            f"{where}: the folder {folder} does not exist; create it, or set JHU_DUCKDB to a "
            "file in an existing folder"
        )
    probe = folder / f".{path.name}.probe-{os.getpid()}.tmp"
    try:
        probe.write_bytes(b"")
        probe.unlink()
        if path.exists():
            with path.open("r+b"):
                pass
    except OSError as exc:
        raise JhuError(
            f"{where}: cannot write {exc.filename or folder} ({exc.strerror}); make it writable, "
            "or set JHU_DUCKDB to a file in a writable folder"
        ) from None
    if path.exists():
        _check_not_held(path, where)


def _check_not_held(path: Path, where: str) -> None:
    import duckdb

    try:
        duckdb.connect(str(path)).close()
    except duckdb.IOException as exc:
        said = " ".join(str(exc).split())
        found = re.search(r"Conflicting lock is held in (.+?) \(PID (\d+)\)", said)
        by = f" (pid {found[2]}, {found[1]})" if found else f" ({said[:200]})"
        raise JhuError(
            f"{where}: the warehouse file is open in another process{by}; close that DuckDB "
            "session (an analyst's connection, read-only ones included) and run again"
        ) from None
    except duckdb.Error as exc:
        said = " ".join(str(exc).split())[:200]
        raise JhuError(
            f"{where}: not a DuckDB file DuckDB can open ({said}); move it away, or set "
            "JHU_DUCKDB to another file"
        ) from None


def failure_line(failures: Sequence[NodeResult]) -> str:
    """One line naming the failing nodes (the first few) and what dbt said about each."""
    named = "; ".join(
        f"{f.resource_type} {f.name} ({f.status}: {f.message[: MAX_MESSAGE // 2] or 'no message'})"
        for f in failures[:MAX_NAMED_FAILURES]
    )
    more = (
        f"; and {len(failures) - MAX_NAMED_FAILURES} more"
        if len(failures) > MAX_NAMED_FAILURES
        else ""
    )
    return f"dbt build: {len(failures)} node(s) failed: {named}{more} (details: {dbt_log_file()})"


class _NodeProgress:
    """A dbt event callback: one progress line per finished seed or model, and every failure."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.finished = 0
        self.total = 0

    def __call__(self, event: Any) -> None:
        # dbt's own "N of TOTAL" lines carry the total, unit tests included
        self.total = max(self.total, int(getattr(event.data, "total", 0) or 0))
        if event.info.name != "NodeFinished":
            return
        info = event.data.node_info
        result = event.data.run_result
        self.finished += 1
        status = result.status or info.node_status
        if info.resource_type in ("seed", "model", "snapshot") or status in FAILED:
            self.progress(
                f"  [{self.finished}/{self.total or '?'}] {info.resource_type} "
                f"{info.node_name}: {status} ({result.execution_time:.1f} s)"
            )


def release_warehouse() -> None:
    """Close the warehouse file dbt-duckdb keeps open in this process after an invocation.

    dbt-duckdb holds its DuckDB instance in a class attribute across invocations; while it is
    open, any other connection in this process (the export, a test, an analyst's read-only
    session) with another configuration is refused. Closing it costs nothing: dbt reopens it on
    its next invocation.
    """
    try:
        from dbt.adapters.duckdb.connections import DuckDBConnectionManager
    except ImportError:  # another adapter (Spark) holds no DuckDB file
        return
    manager = DuckDBConnectionManager
    with manager._LOCK:
        environment = manager._ENV
        if environment is not None:
            environment.close()
            manager._ENV = None


def invoke(
    command: str,
    settings: Settings,
    extra: Sequence[str] = (),
    *,
    progress: Progress = silent,
    project_dir: Path = PROJECT_DIR,
) -> tuple[Any, str]:
    """Run one dbt command in-process; returns dbt's result and the invocation id.

    A dbt that could not start (bad profile, parse error) is a JhuError with dbt's first line.
    """
    from dbt.cli.main import dbtRunner
    from dbt_common.invocation import get_invocation_id

    os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "False")
    callbacks = [_NodeProgress(progress)]
    with patched_environ(settings_environment(settings)):
        try:
            outcome = dbtRunner(callbacks=callbacks).invoke(dbt_args(command, extra, project_dir))
        finally:
            release_warehouse()
    if outcome.exception is not None:
        said = " ".join(str(outcome.exception).split()) or type(outcome.exception).__name__
        raise JhuError(f"dbt {command}: {said[:MAX_MESSAGE]} (dbt's log: {dbt_log_file()})")
    return outcome.result, get_invocation_id()


def build(
    settings: Settings,
    extra: Sequence[str] = (),
    *,
    project_dir: Path = PROJECT_DIR,
    unit_tests: bool = True,
    progress: Progress = silent,
) -> BuildReport:
    """`dbt build` on the settings' target; failing nodes are a JhuError naming them."""
    started = time.perf_counter()
    args = ["--target", settings.target, *extra, *(() if unit_tests else SKIP_UNIT_TESTS)]
    result, invocation_id = invoke(
        "build", settings, args, progress=progress, project_dir=project_dir
    )
    report = BuildReport(
        invocation_id=invocation_id,
        seconds=time.perf_counter() - started,
        nodes=node_results(result),
    )
    if report.failures:
        raise JhuError(failure_line(report.failures))
    if not report.nodes:
        raise JhuError("dbt build: nothing was built (no models selected?)")
    return report


def describe_build(settings: Settings) -> str:
    """What the build writes to, for the progress line."""
    if settings.target == "duckdb":
        return f"dbt build (duckdb) -> {settings.duckdb_path}"
    return f"dbt build ({settings.target}: the warehouse of the '{settings.target}' output)"
