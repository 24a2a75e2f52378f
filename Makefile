# persona-kit: `make` lists the targets. Every target sets up what it needs first.
.DEFAULT_GOAL := help
SHELL := /bin/bash

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PY     := $(BIN)/python
KERNEL := persona-kit
SAMPLE := data/sample
CONFIG ?= persona.yaml
STAMP  := $(VENV)/.stamp-install

.PHONY: help setup sample report test test-fast test-install lab bench bench-scale lint clean

help: ## list the targets
	@awk 'BEGIN{FS=":.*## "} /^[a-zA-Z_-]+:.*## /{printf "  make %-13s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(STAMP): pyproject.toml requirements.lock
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade "pip>=24"
	$(PY) -m pip install --quiet -c requirements.lock -e ".[test,lab,spark]"
	$(PY) -m ipykernel install --sys-prefix --name $(KERNEL) --display-name "Python (persona-kit)" >/dev/null
	touch $(STAMP)

setup: $(STAMP) ## create .venv, install the pinned dependencies (PySpark included: the `spark` extra), register the Jupyter kernel

$(SAMPLE)/persona.yaml: | $(STAMP)
	$(BIN)/persona-kit sample --out $(SAMPLE)

sample: $(SAMPLE)/persona.yaml ## generate the bundled sample product (if missing)

report: setup sample ## run the monthly review of the latest complete month; prints where the HTML is
	$(BIN)/persona-kit run --config $(CONFIG) $(ARGS)

test: setup ## the full suite: lint, unit tests and doctests, published figures, notebook runs, Spark, the installed wheel
	$(MAKE) --no-print-directory lint
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

test-fast: setup ## the development lane: unit tests and doctests, without the papermill, Spark and wheel runs
	$(BIN)/python -m pytest -q -m "not notebook and not spark and not install" $(PYTEST_ARGS)

test-install: setup ## build the wheel, install it into a fresh venv, run `persona-kit sample` and `run` there
	$(BIN)/python -m pytest -q -m install $(PYTEST_ARGS)

lab: setup sample ## open JupyterLab on the notebooks with the kit's kernel
	$(BIN)/persona-kit lab --config $(CONFIG)

bench: setup ## benchmark load + clean + user_day at ~20M events against plain pandas and the floor of the necessary steps (same run); then the monthly refresh: 11 months full, the 12th incremental, 12 full
	$(BIN)/python benchmarks/bench_user_day.py --floor $(BENCH_ARGS)
	$(BIN)/python benchmarks/bench_incremental.py $(BENCH_INCREMENTAL_ARGS)

bench-scale: setup ## out-of-core DuckDB at 20M and 100M events, and Spark vs DuckDB (docs/scale.md)
	$(BIN)/python benchmarks/bench_scale.py duckdb --users 175000 --memory-limit 4GB
	$(BIN)/python benchmarks/bench_scale.py duckdb --users 175000 --replicate 5 --memory-limit 4GB
	$(BIN)/python benchmarks/bench_scale.py both --users 45000

lint: setup ## ruff (lint + format, 99 columns), the layer contract and no cycles (import-linter), clean notebooks, modules of at most 550 lines, every message translated
	$(BIN)/ruff check helpers tests benchmarks
	$(BIN)/ruff format --check helpers tests benchmarks
	$(BIN)/lint-imports
	$(BIN)/python -m helpers.devtools check-notebooks notebooks
	$(BIN)/python -m helpers.devtools check-modules helpers
	$(BIN)/python -m helpers.devtools check-catalogs notebooks

clean: ## remove generated reports, caches and the sample (keeps .venv)
	rm -rf reports/2* reports/index.html data/processed data/sample
