"""`jhu check` (`make check`): hold the dbt project to its structure, docs and testing rules.

dbt Labs' dbt-project-evaluator package enforces rules like these, but it is a dbt package and the
dbt hub is out of reach here, so this module does the same job from the two artefacts that
`dbt docs generate` writes: `manifest.json` (what the project declares: refs, sources, tests,
descriptions, contracts) and `catalog.json` (what the warehouse really holds: the columns).

Every rule is a small pure function from a `Project` to the `Violation`s it finds, each naming the
model (or source, exposure) and its file, so a failure says what to fix and where. Coverage figures
are printed beside the verdict, so "100% described" is a measured number, not a claim.
"""

from __future__ import annotations

from jhu_warehouse.checks.report import Report, check

__all__ = ["Report", "check"]
