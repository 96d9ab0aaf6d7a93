"""Shared fixtures: the whole pipeline, run once per session on the real JHU files.

`pipeline_run` loads ../shared/jhu (or JHU_SOURCE) into a temporary lake, builds the dbt project
into a temporary warehouse file with its own target and log folders, and exports the marts. It
is the expensive part of `make test` (about a minute on two cores), so every test that needs
built marts (end to end, differential, Spark comparison) shares this one run.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from fixtures import run_env
from jhu_warehouse import pipeline
from jhu_warehouse.config import PROJECT_DIR, Settings, load_settings
from jhu_warehouse.lake import LocalLake
from jhu_warehouse.pipeline import PipelineReport

#: The real JHU files, beside the repository (never copied into it).
DEFAULT_SOURCE = PROJECT_DIR.parent / "shared" / "jhu"

#: The JHU settings a developer's shell may hold; the session run replaces all of them.
JHU_VARIABLES = ("JHU_SOURCE", "JHU_LAKE", "JHU_S3_ENDPOINT", "JHU_DUCKDB", "JHU_TARGET")


def jhu_source_dir() -> Path:
    """JHU_SOURCE if set, else ../shared/jhu; a missing folder fails loudly, never skips."""
    configured = os.environ.get("JHU_SOURCE")
    source = Path(configured) if configured else DEFAULT_SOURCE
    if not (source / "time_series_covid19_confirmed_global.csv").is_file():
        pytest.fail(
            f"JHU_SOURCE={source}: no JHU files there; the end-to-end tests need the real files "
            "(../shared/jhu beside the repository, or JHU_SOURCE)"
        )
    return source.resolve()


@dataclass(frozen=True)
class PipelineRun:
    """One pipeline run into temporary paths, and how to reach what it produced."""

    source: Path
    base: Path
    settings: Settings
    report: PipelineReport
    environ: dict[str, str]
    """The variables the run was made with (JHU_*, DBT_TARGET_PATH, DBT_LOG_PATH, ...)."""

    @property
    def lake_root(self) -> Path:
        return Path(self.settings.lake)

    @property
    def duckdb_path(self) -> Path:
        return Path(self.settings.duckdb_path)

    @property
    def target_path(self) -> Path:
        return Path(self.environ["DBT_TARGET_PATH"])

    def lake(self) -> LocalLake:
        """The run's lake, with fresh request counters."""
        return LocalLake(self.lake_root)

    def connect(self) -> duckdb.DuckDBPyConnection:
        """A read-only connection to the warehouse file, as an analyst opens it."""
        return duckdb.connect(str(self.duckdb_path), read_only=True)

    def environment(self) -> contextlib.AbstractContextManager[None]:
        """The run's environment, for a test that runs a stage again against the same paths."""
        return run_environment(self.environ)


@contextlib.contextmanager
def run_environment(environ: dict[str, str]) -> Iterator[None]:
    """Exactly these JHU settings (and dbt paths) in os.environ, restored afterwards."""
    with pytest.MonkeyPatch.context() as patch:
        for name in JHU_VARIABLES:
            patch.delenv(name, raising=False)
        for name, value in environ.items():
            patch.setenv(name, value)
        yield


@pytest.fixture(scope="session")
def jhu_source() -> Path:
    return jhu_source_dir()


@pytest.fixture(scope="session")
def pipeline_run(tmp_path_factory: pytest.TempPathFactory, jhu_source: Path) -> PipelineRun:
    """load -> dbt build -> export on the real files, once per session, in temporary paths."""
    base = tmp_path_factory.mktemp("pipeline")
    environ = run_env(base, jhu_source, str(base / "lake")) | {"JHU_TARGET": "duckdb"}
    with run_environment(environ):
        settings = load_settings()
        report = pipeline.run(settings, LocalLake(settings.lake), unit_tests=True)
    return PipelineRun(jhu_source, base, settings, report, environ)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A test that needs the session's pipeline run is end to end, marked or not: `-m "not e2e"`
    (make test-fast) must never start the run."""
    for item in items:
        if "pipeline_run" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.e2e)
