# provgraph: `make demo` runs the demo pipeline, `make test` runs the whole test suite.
# Both create the virtual environment and install what is needed on first use.

VENV   ?= .venv
PYTHON ?= python3
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.provgraph-installed

.PHONY: demo test lint typecheck unit bench bench-quick clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -qq --upgrade pip
	$(PY) -m pip install -qq -e ".[test]"
	touch $@

demo: $(STAMP)
	./scripts/system-deps.sh
	$(VENV)/bin/provgraph demo

lint: $(STAMP)
	$(VENV)/bin/ruff check .

typecheck: $(STAMP)
	$(VENV)/bin/mypy provgraph

unit: $(STAMP)
	./scripts/system-deps.sh --test
	$(PY) -m pytest -q

test: lint typecheck unit

bench: $(STAMP)
	./scripts/system-deps.sh
	$(PY) -m benchmarks

bench-quick: $(STAMP)
	./scripts/system-deps.sh
	$(PY) -m benchmarks --quick

clean:
	rm -rf $(VENV) .provgraph data models reports deploy out .pytest_cache .mypy_cache .ruff_cache
