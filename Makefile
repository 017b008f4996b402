# The two commands a new machine needs: `make run` and `make test`. Each sets itself up first.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 8000

.PHONY: run test lint format venv clean bench screenshots browser

$(BIN)/.installed: requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

venv: $(BIN)/.installed

run: venv
	PORT=$(PORT) VENV=$(VENV) bash scripts/run.sh

test: venv
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	DJANGO_DEBUG=1 $(BIN)/mypy .
	$(BIN)/lint-imports

format: venv
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# The browser suite alone (Playwright driving /usr/bin/chromium; skipped without it).
browser: venv
	$(BIN)/python -m pytest -q browser_tests $(PYTEST_ARGS)

# The user guide's pictures (docs/img/*.png), taken by the browser suite from the current build.
screenshots: venv
	SCREENSHOTS=docs/img $(BIN)/python -m pytest -q browser_tests $(PYTEST_ARGS)

bench: venv
	$(BIN)/python bench/auth_throughput.py

clean:
	rm -rf $(VENV) var staticfiles db.sqlite3*
