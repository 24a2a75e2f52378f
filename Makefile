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

.PHONY: help setup sample report test lab bench bench-scale lint clean

help: ## list the targets
	@awk 'BEGIN{FS=":.*## "} /^[a-zA-Z_-]+:.*## /{printf "  make %-8s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

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

test: setup ## run the test suite (unit tests, published figures, notebook runs)
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

lab: setup sample ## open JupyterLab with the kit's kernel
	cd notebooks && ../$(BIN)/jupyter lab

bench: setup ## benchmark load + clean + user_day at ~20M events against plain pandas and the floor of the necessary steps (same run)
	$(BIN)/python benchmarks/bench_user_day.py --floor $(BENCH_ARGS)

bench-scale: setup ## out-of-core DuckDB at 20M and 100M events, and Spark vs DuckDB (docs/scale.md)
	$(BIN)/python benchmarks/bench_scale.py duckdb --users 175000 --memory-limit 4GB
	$(BIN)/python benchmarks/bench_scale.py duckdb --users 175000 --replicate 5 --memory-limit 4GB
	$(BIN)/python benchmarks/bench_scale.py both --users 45000

lint: setup ## check notebooks are committed without outputs
	$(BIN)/python -m helpers.devtools check-notebooks notebooks

clean: ## remove generated reports, caches and the sample (keeps .venv)
	rm -rf reports/2* reports/index.html data/processed data/sample
