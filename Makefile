# Two commands do all set-up: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEMO_OUT ?= participatie-demo

.PHONY: demo test lint typecheck unit docs clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Installed package for the demo: the core plus the reports extra (XLSX, PDF and DOCX
# output) and the web extra, so `.venv/bin/participatie serve --demo` works right after.
.stamp-demo: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[web,reports]'
	touch $@

# Everything the suite needs: database drivers, web, reports, test and dev tools.
.stamp-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[all]'
	touch $@

demo: .stamp-demo
	$(BIN)/participatie demo --out $(DEMO_OUT)

unit: .stamp-test
	$(BIN)/python -m pytest -n 2 --dist loadgroup $(PYTEST_ARGS)

lint: .stamp-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: .stamp-test
	$(BIN)/mypy

# -k: run all three even when one fails, so one run shows every problem.
test: .stamp-test
	$(MAKE) --no-print-directory -k unit lint typecheck docs

docs: .stamp-test
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --quiet --site-dir $(or $(SITE_DIR),site)

clean:
	rm -rf $(VENV) .stamp-demo .stamp-test $(DEMO_OUT) site .mypy_cache .ruff_cache .pytest_cache
