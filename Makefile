# Two entry points: `make run` starts the shell on the embedded default instance,
# `make test` installs the package with its test extra and runs lint and the suite.
# Any Python 3.11 or newer: the first of these that is found and new enough.
PYTHON ?= $(shell for p in python3.14 python3.13 python3.12 python3.11 python3; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
	2>/dev/null && echo $$p && break; done)
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: install run test bench clean

# `make bench BENCH_ARGS="--json bench.json"` also saves the figures, for benchmarks/readme_table.py.
BENCH_ARGS ?=

$(BIN)/python:
	@test -n "$(PYTHON)" || { echo "make: cacheshell needs Python 3.11 or newer; none found" \
		"(tried python3.14 ... python3.11, python3). Install one, or name it: make PYTHON=/path/to/python3" >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml $(BIN)/python
	$(BIN)/python -m pip install --quiet '.[test]'
	touch $@

# The suite runs against the installed wheel, never the source tree, so every run
# reinstalls the package itself (dependencies stay as installed above).
install: $(VENV)/.installed
	$(BIN)/python -m pip install --quiet --no-deps --force-reinstall .

run: install
	@echo 'The commands (cacheshell, csession, cache, pygmentize) are in $(BIN): to use them from' \
		'any shell, `. $(BIN)/activate` (or `export PATH="$$PWD/$(BIN):$$PATH"`).'
	$(BIN)/cacheshell -U USER

test: install
	$(BIN)/ruff check cacheshell tests benchmarks
	$(BIN)/ruff format --check cacheshell tests benchmarks
	$(BIN)/lint-imports
	$(BIN)/mypy
	cd tests && ../$(BIN)/python -m pytest

bench: install
	$(BIN)/python -m pip install --quiet '.[bench]'
	$(BIN)/python benchmarks/run.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) build dist *.egg-info
