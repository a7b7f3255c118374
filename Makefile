# The two commands of the quick start, and a few for maintainers.
VENV ?= .venv
PY := $(VENV)/bin/python
PG_TEST_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/auditor_test
PG_BENCH_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/auditor_bench_follow_up
PG_LOAD_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/auditor_bench_load
PG_SYNC_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/auditor_bench_sync
PG_FIELD_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/auditor_bench_field
EXTRACT_KEYWORDS := -k _ -k N_ -k t -k NotFound -k Invalid -k Conflict

.PHONY: help run test test-js test-sqlite test-postgres install messages bench bench-load bench-save bench-sync bench-field lint fmt lock

## This list: every target with what it does
help:
	@awk '/^## /{doc=substr($$0,4); next} /^[a-z][a-z-]*:/{if (doc) printf "  make %-14s %s\n", substr($$1,1,length($$1)-1), doc; doc=""; next} {doc=""}' $(MAKEFILE_LIST)

# The versions tested are the versions installed: requirements/dev.txt (app, test and lint tools, with hashes) here and
# in CI, requirements/app.txt (the same pins, the app's alone) in the Docker image. `make lock` writes both.
$(VENV)/installed: pyproject.toml requirements/dev.txt
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet --require-hashes -r requirements/dev.txt
	$(VENV)/bin/pip install --quiet --no-deps -e .
	@$(VENV)/bin/pip check >/dev/null || { $(VENV)/bin/pip check; echo "requirements/dev.txt lacks what pyproject.toml asks for: run make lock"; exit 1; }
	touch $@

## Create .venv and install the app with its test tools (about 40 s)
install: $(VENV)/installed

## Install, load the demo data into SQLite (./data) and serve on http://127.0.0.1:8000
run: install
	$(VENV)/bin/auditor demo
	AUDITOR_CB_NAME="$${AUDITOR_CB_NAME-Demo Certificering ApS (fictional)}" \
	AUDITOR_CB_ADDRESS="$${AUDITOR_CB_ADDRESS-Eksempelvej 1, 8000 Aarhus C}" \
	AUDITOR_CB_ACCREDITATION="$${AUDITOR_CB_ACCREDITATION-DANAK reg. nr. 0000 (demo)}" \
	$(VENV)/bin/auditor serve --host $${HOST:-127.0.0.1} --port $${PORT:-8000}

# In parallel, one worker per core (pytest-xdist), a test module's tests on one worker: a module's live server,
# browser or test world starts once. (--dist loadgroup would be finer, but xdist 3.8 cannot rename tests under pytest 9.)
PARALLEL ?= -n auto --dist loadfile

## The whole test suite: the browser code's unit tests (node), on SQLite (with the browser tests), then on PostgreSQL
test: install test-js test-sqlite test-postgres

## The unit tests of the browser code in static/ (node's test runner, fake-indexeddb)
test-js: node_modules/.package-lock.json
	npm run --silent test:js

## The suite on SQLite only, browser tests included (one file: .venv/bin/python -m pytest tests/test_x.py -k name)
test-sqlite: install
	$(PY) -m pytest $(PARALLEL)

## The suite on PostgreSQL (PG_TEST_URL), without the browser tests and the tests that use no database
test-postgres: install
	AUDITOR_TEST_DATABASE_URL=$(PG_TEST_URL) $(PY) -m pytest $(PARALLEL) -m "not browser and not database_independent"

# ESLint and the JS unit tests' packages (package-lock.json); npm ci writes node_modules/.package-lock.json.
node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error

## Lint and type-check; fails on any finding (CI runs it before the tests)
lint: install node_modules/.package-lock.json
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	npm run --silent lint:js

## Rewrite the code the way `make lint` wants it: ruff's safe fixes (imports sorted, ...), then its formatter
fmt: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

$(VENV)/bin/uv:  # uv as locked, even when the lock is behind pyproject.toml (which make install refuses)
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --require-hashes -r requirements/dev.txt

UV_COMPILE = $(VENV)/bin/uv pip compile pyproject.toml --universal --python-version 3.11 --generate-hashes --no-header --quiet $(ARGS)

## Pin every dependency anew after a change in pyproject.toml (ARGS=--upgrade, or --upgrade-package NAME, to move on)
lock: $(VENV)/bin/uv
	$(UV_COMPILE) --extra test --extra lint -o requirements/dev.txt
	$(UV_COMPILE) --constraint requirements/dev.txt -o requirements/app.txt

## Re-extract translatable strings and merge them into the Danish catalogue
messages: install
	$(VENV)/bin/pybabel extract -F babel.cfg $(EXTRACT_KEYWORDS) --no-location --sort-output --omit-header -o auditor/translations/messages.pot .
	$(VENV)/bin/pybabel update -i auditor/translations/messages.pot -d auditor/translations -l da --no-fuzzy-matching --ignore-obsolete

## The benchmarks that print figures (bench/)
bench: install
	$(PY) bench/bench.py
	$(PY) bench/bench_reports.py
	$(PY) bench/bench_follow_up.py --database-url $(PG_BENCH_URL)
	$(PY) bench/keep_alive.py

## Many tablets at once on two servers (one killed halfway), against the floor; about 4 minutes
bench-load: install
	$(PY) bench/bench_load.py --database-url $(PG_LOAD_URL)

## One save over HTTP against the floor (add ARGS=--profile for a pyinstrument profile)
bench-save: install
	$(PY) bench/bench_save.py $(ARGS)

## A tablet's outbox of 200 changes (10 photos) synced, and the offline copy of a 1,020-item audit: SQLite, then PostgreSQL
bench-sync: install
	$(PY) bench/bench_sync.py
	$(PY) bench/bench_sync.py --database-url $(PG_SYNC_URL)

## Field mode in the browser: "Available offline" for a 1,020-item audit, and 200 queued changes synced (SQLite, then PostgreSQL)
bench-field: install
	$(PY) bench/bench_field.py
	$(PY) bench/bench_field.py --database-url $(PG_FIELD_URL)
