# One command each: `make test` and `make run` do their own set-up on a fresh machine.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: test run lint bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

test: $(STAMP)
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# The worker with its dev server, and the HTTP gateway beside it: Ctrl-C stops both.
run: $(STAMP)
	$(BIN)/python -m sims_support.gateway.devrun

bench: $(STAMP)
	$(BIN)/python bench/calendar_bench.py

clean:
	rm -rf $(VENV) .data .pytest_cache .mypy_cache .ruff_cache
