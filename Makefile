# Two commands for a newcomer: `make run` (set up, then load -> dbt build -> export) and
# `make test` (set up, then every test). Everything is installed into a project-local .venv
# from pinned requirements; nothing needs to be installed by hand.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
SPARK_STAMP := $(VENV)/.installed-spark
# The report's browser assets (Vega-Lite, the map shapes) from the npm registry, pinned by
# package-lock.json; `jhu report` copies them into the lake, the page never fetches them.
NODE_STAMP := node_modules/.installed
export PATH := $(CURDIR)/$(BIN):$(PATH)
export DBT_PROFILES_DIR := $(CURDIR)
export DBT_SEND_ANONYMOUS_USAGE_STATS := False

SCALES ?= real 1 10
# The bench's scale `real` is the full JHU data where the script that assembles it is beside the
# clone: ../shared/jhu-full/assemble makes bench-data/jhu-full (git-ignored) a complete source,
# 2,211 files, 610 MB (once; afterwards it only verifies them). Elsewhere REAL_SOURCE is empty and
# `jhu bench` reads JHU_SOURCE's files. `make bench REAL_SOURCE=DIR` reads another folder.
JHU_FULL_ASSEMBLE := ../shared/jhu-full/assemble
JHU_FULL_DIR := bench-data/jhu-full
REAL_SOURCE ?= $(if $(wildcard $(JHU_FULL_ASSEMBLE)),$(JHU_FULL_DIR))
BENCH_REAL := $(if $(filter real,$(SCALES)),$(REAL_SOURCE))

# bash with pipefail, so a command piped through a filter still fails when it fails.
SHELL := /bin/bash
.SHELLFLAGS := -o pipefail -c
# Some machines' pip configuration names package folders that do not exist; pip then prints a
# warning per package. Drop only that warning, keep everything else pip says.
PIP_FILTER := 2>&1 | { grep -v 'is ignored: it is neither a file nor a directory' || true; }

.PHONY: help setup browser run load build export test test-fast lint docs check bench clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-10s %s\n", $$1, $$2}'

$(STAMP): requirements.txt pyproject.toml
	@echo "setting up $(VENV) from requirements.txt (pinned; about a minute the first time)"
	$(PYTHON) -m venv $(VENV)
	@$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.txt $(PIP_FILTER)
	@$(BIN)/pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e . $(PIP_FILTER)
	@touch $@

$(SPARK_STAMP): $(STAMP) requirements-spark.txt
	@echo "adding Spark (dbt-spark, pyspark) to $(VENV) from requirements-spark.txt (pinned)"
	@$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-spark.txt $(PIP_FILTER)
	@touch $@

$(NODE_STAMP): package.json package-lock.json
	@command -v npm >/dev/null || { echo "error: npm not found; the report's assets come from the npm registry: install Node.js with npm (Debian: apt-get install npm)" >&2; exit 1; }
	@echo "installing the report's browser assets into node_modules from package-lock.json (pinned)"
	@npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
	@touch $@

setup: $(STAMP) $(NODE_STAMP) ## Create .venv from the pinned requirements, node_modules from package-lock.json

run: $(STAMP) $(NODE_STAMP) ## Load the JHU files into the lake, dbt build, export the marts, write the report
	$(if $(filter spark,$(JHU_TARGET)),@$(MAKE) --no-print-directory $(SPARK_STAMP))
	$(BIN)/jhu run

# Debian's chromium opens the generated docs site in the browser test. CI is a fresh machine and
# runs as root, so the set-up installs it; nothing else is fetched (no browser download).
CHROMIUM := /usr/bin/chromium

$(CHROMIUM):
	@if [ "$$(id -u)" != 0 ]; then \
		echo "error: $(CHROMIUM) not found; install Debian's chromium as root: apt-get install chromium" >&2; \
		exit 1; fi
	@echo "installing Debian's chromium (headless, for the docs browser test)"
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null

browser: $(CHROMIUM) ## Install Debian's chromium (for the docs browser test) if missing

# The linters run first: a violation stops `make test` before the (slower) test suite.
test: $(STAMP) $(NODE_STAMP) $(SPARK_STAMP) $(CHROMIUM) lint ## Lint, then run every test (loader, dbt, end to end, S3, Spark, docs)
	$(BIN)/python -m pytest

test-fast: $(STAMP) $(NODE_STAMP) ## The quick tests only: no end-to-end run, no Spark, no browser (the edit loop)
	$(BIN)/python -m pytest -m "not e2e and not spark and not browser"

lint: $(STAMP) ## sqlfluff over the SQL, ruff over the Python, the secret scan
	$(BIN)/python scripts/check_secrets.py
	$(BIN)/ruff check scripts tests/python
	$(BIN)/ruff format --check scripts tests/python
	$(BIN)/sqlfluff lint models macros tests/dbt

# dbt would create an empty warehouse file and document no column types: say what to run instead.
docs: $(STAMP) ## Generate the dbt docs site offline (column types from the warehouse `make run` built)
	@if [ "$${JHU_TARGET:-duckdb}" = duckdb ] && [ ! -f "$${JHU_DUCKDB:-jhu_covid.duckdb}" ]; then \
		echo "error: no warehouse file $${JHU_DUCKDB:-jhu_covid.duckdb} (JHU_DUCKDB): run \`make run\` first, then \`make docs\`" >&2; \
		exit 1; fi
	$(BIN)/dbt docs generate --static
	@echo "docs site: $${DBT_TARGET_PATH:-target}/index.html (serve it: dbt docs serve);" \
		"$${DBT_TARGET_PATH:-target}/static_index.html opens from disk, no server needed"

check: docs ## Check the project's structure, docs and tests (manifest.json + catalog.json)
	$(BIN)/jhu check

bench: $(STAMP) $(NODE_STAMP) $(SPARK_STAMP) ## Benchmark the pipeline against the dbt floor, its empty build, pandas and PySpark
	$(if $(filter $(JHU_FULL_DIR),$(BENCH_REAL)),$(JHU_FULL_ASSEMBLE) $(JHU_FULL_DIR))
	$(BIN)/jhu bench --scales "$(SCALES)"$(if $(BENCH_REAL), --real-source "$(BENCH_REAL)")

clean: ## Remove the local lake, warehouse file and dbt artefacts (keeps .venv)
	rm -rf lake target logs jhu_covid.duckdb jhu_covid.marts spark-warehouse metastore_db derby.log
