"""The dbt docs site of the session's built warehouse, made once by `make docs` with no network.

Both the project checker's test (it reads manifest.json and catalog.json) and the browser test
(it serves the site) need the artefacts of `dbt docs generate` over a fully built warehouse. The
session's pipeline run (conftest.py) has built one; this runs `make docs` against a copy of its
warehouse file with a target folder of its own, so nothing the other tests read is rewritten and
no lock is taken on the file they open.

Where a network namespace can be made (`unshare --net` as root, as in CI, or inside a user
namespace, `unshare --map-root-user --net`, as any user where the kernel allows it) `make docs`
runs inside an empty one: no interface but a downed loopback, so a site that gets generated is
proof that `make docs` needs no network.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from jhu_warehouse.config import PROJECT_DIR


@dataclass(frozen=True)
class DocsSite:
    target: Path
    """The folder holding index.html, static_index.html, manifest.json and catalog.json."""
    made_offline: bool
    """True when `make docs` ran in a network namespace with no network at all."""
    output: str
    """What `make docs` printed."""

    @property
    def manifest_path(self) -> Path:
        return self.target / "manifest.json"

    @property
    def catalog_path(self) -> Path:
        return self.target / "catalog.json"


_SITES: dict[Path, DocsSite] = {}


#: Ways to run a command with no network, tried in this order.
ISOLATIONS = (["unshare", "--net"], ["unshare", "--map-root-user", "--net"])


def network_isolation() -> list[str] | None:
    """The command prefix that runs a command in an empty network namespace, None if none can."""
    for prefix in ISOLATIONS:
        probe = subprocess.run([*prefix, "true"], capture_output=True, check=False)
        if probe.returncode == 0:
            return prefix
    return None


def docs_site(environ: dict[str, str], warehouse: Path, base: Path) -> DocsSite:
    """`make docs` over a copy of the built warehouse, once per base folder.

    `environ` holds the JHU_* and DBT_* variables of the run that built `warehouse`; the
    developer's own JHU_*/DBT_* variables are dropped so they cannot point elsewhere.
    """
    if base in _SITES:
        return _SITES[base]
    base.mkdir(parents=True, exist_ok=True)
    copy = base / "jhu_covid.duckdb"
    shutil.copyfile(warehouse, copy)
    inherited = {k: v for k, v in os.environ.items() if not k.startswith(("JHU_", "DBT_"))}
    env = {
        **inherited,
        **environ,
        "JHU_DUCKDB": str(copy),
        "DBT_TARGET_PATH": str(base / "target"),
        "DBT_LOG_PATH": str(base / "logs"),
    }
    isolation = network_isolation()
    offline = isolation is not None
    command = [*(isolation or []), "make", "--no-print-directory", "docs"]
    result = subprocess.run(
        command,
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    output = result.stdout + result.stderr
    if result.returncode != 0:
        pytest.fail(f"{' '.join(command)} failed ({result.returncode}):\n{output[-4000:]}")
    _SITES[base] = DocsSite(base / "target", offline, output)
    return _SITES[base]
