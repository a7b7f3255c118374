# The two commands of the quick start, and a few for maintainers.
VENV ?= .venv
PY := $(VENV)/bin/python
PG_TEST_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/auditor_test
PG_BENCH_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/auditor_bench_follow_up
PG_LOAD_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/auditor_bench_load
EXTRACT_KEYWORDS := -k _ -k N_ -k t -k NotFound -k Invalid -k Conflict

.PHONY: run test test-sqlite test-postgres install messages bench bench-load bench-save lint fmt

$(VENV)/installed: pyproject.toml
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e '.[test,lint]'
	touch $@

install: $(VENV)/installed

## Install, load the demo data into SQLite (./data) and serve on http://127.0.0.1:8000
run: install
	$(VENV)/bin/auditor demo
	$(VENV)/bin/auditor serve --host $${HOST:-127.0.0.1} --port $${PORT:-8000}

# In parallel, one worker per core (pytest-xdist), a test module's tests on one worker: a module's live server,
# browser or test world starts once. (--dist loadgroup would be finer, but xdist 3.8 cannot rename tests under pytest 9.)
PARALLEL ?= -n auto --dist loadfile

## The whole test suite: on SQLite (with the browser tests), then on PostgreSQL
test: install test-sqlite test-postgres

test-sqlite: install
	$(PY) -m pytest $(PARALLEL)

test-postgres: install
	AUDITOR_TEST_DATABASE_URL=$(PG_TEST_URL) $(PY) -m pytest $(PARALLEL) -m "not browser"

## Lint and type-check; fails on any finding (CI runs it before the tests). The JS part needs `npm ci` first.
lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	npm run --silent lint:js

## Rewrite the code the way `make lint` wants it: ruff's safe fixes (imports sorted, ...), then its formatter
fmt: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

## Re-extract translatable strings and merge them into the Danish catalogue
messages: install
	$(VENV)/bin/pybabel extract -F babel.cfg $(EXTRACT_KEYWORDS) --no-location --sort-output --omit-header -o auditor/translations/messages.pot .
	$(VENV)/bin/pybabel update -i auditor/translations/messages.pot -d auditor/translations -l da --no-fuzzy-matching --ignore-obsolete

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
