# provgraph: `make demo` runs the demo pipeline, `make test` runs the whole test suite.
# Both create the virtual environment and install what is needed on first use.

VENV   ?= .venv
PYTHON ?= python3
PY     := $(VENV)/bin/python
# One stamp per set of extras: `make demo` installs only what the demo runs, `make test` the test tools.
DEMO_STAMP := $(VENV)/.provgraph-demo
TEST_STAMP := $(VENV)/.provgraph-test

.PHONY: demo test lint typecheck unit bench bench-quick bench-scale clean

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -qq --upgrade pip

$(DEMO_STAMP): pyproject.toml | $(VENV)/bin/python
	$(PY) -m pip install -qq -e ".[demo]"
	touch $@

$(TEST_STAMP): pyproject.toml | $(VENV)/bin/python
	$(PY) -m pip install -qq -e ".[test]"
	touch $@ $(DEMO_STAMP)

demo: $(DEMO_STAMP)
	./scripts/system-deps.sh
	$(VENV)/bin/provgraph demo

lint: $(TEST_STAMP)
	$(VENV)/bin/ruff check .

typecheck: $(TEST_STAMP)
	$(VENV)/bin/mypy provgraph

unit: $(TEST_STAMP)
	./scripts/system-deps.sh --test
	$(PY) -m pytest -q

test: lint typecheck unit

bench: $(TEST_STAMP)
	./scripts/system-deps.sh
	$(PY) -m benchmarks

bench-quick: $(TEST_STAMP)
	./scripts/system-deps.sh
	$(PY) -m benchmarks --quick

# Every CLI command on a 100,000-run project, each once in a fresh process (builds the project first).
bench-scale: $(TEST_STAMP)
	./scripts/system-deps.sh
	$(PY) -m benchmarks --sizes 100000 --areas scale --repeat 1 --task-limit 600

clean:
	rm -rf $(VENV) .provgraph data models reports deploy out .pytest_cache .mypy_cache .ruff_cache
