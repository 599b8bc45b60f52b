# Two entry points: `make run` starts the shell on the embedded default instance,
# `make test` installs the package with its test extra and runs lint and the suite.
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: install run test bench clean

$(BIN)/python:
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
	$(BIN)/cacheshell -U USER

test: install
	$(BIN)/ruff check cacheshell tests benchmarks
	$(BIN)/ruff format --check cacheshell tests benchmarks
	$(BIN)/lint-imports
	$(BIN)/mypy
	cd tests && ../$(BIN)/python -m pytest

bench: install
	$(BIN)/python -m pip install --quiet '.[bench]'
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) build dist *.egg-info
