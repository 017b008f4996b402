# The two commands a new machine needs: `make run` and `make test`. Each sets itself up first.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 8000

# Settings for the test run; DATABASE_URL and REDIS_URL pass through when set (CI sets them).
TEST_ENV := DJANGO_DEBUG=0 DJANGO_SECRET_KEY=test-secret-key-not-for-production \
	KEYS_PEPPERS=2:test-pepper-two-0123456789,1:test-pepper-one-0123456789 \
	KEYS_ENCRYPTION_KEYS=2:test-keys-encryption-two-0123456789abcdef,1:test-keys-encryption-one-0123456789abcdef \
	SECURE_SSL_REDIRECT=0 STATIC_MANIFEST=0 KEYS_USAGE_FLUSH_MS=3600000 CACHE_KEY_PREFIX=khtest \
	EMAIL_BACKEND=django.core.mail.backends.locmem.EmailBackend \
	WEBHOOK_ENCRYPTION_KEYS=t1:dGVzdC13ZWJob29rLWVuY3J5cHRpb24ta2V5LTAwMDE=

.PHONY: run test lint format venv clean bench

$(BIN)/.installed: requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

venv: $(BIN)/.installed

run: venv
	PORT=$(PORT) VENV=$(VENV) bash scripts/run.sh

test: venv
	$(TEST_ENV) $(BIN)/python -m pytest $(PYTEST_ARGS)

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	DJANGO_DEBUG=1 $(BIN)/mypy .

format: venv
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: venv
	$(BIN)/python bench/auth_throughput.py

clean:
	rm -rf $(VENV) var staticfiles db.sqlite3*
