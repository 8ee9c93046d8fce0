# Repère: `make run` starts the site, `make test` runs every test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi

.PHONY: run test test-sqlite test-sqlite-no-browser test-browser test-postgres lint translations translations-update migration communes lock lock-upgrade clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

## Compile the gettext catalogues (translations/*/LC_MESSAGES/messages.mo).
translations: $(VENV)/.installed
	$(BIN)/pybabel compile -d translations

## Install, migrate the database, load the demo places, make the recordings that are
## missing or stale (nothing when all are up to date), serve http://127.0.0.1:5000
run: $(VENV)/.installed translations
	$(FLASK) db upgrade
	$(FLASK) import-places app/content/places/lieux-demo.csv
	$(FLASK) build-audio
	$(FLASK) run --host 127.0.0.1 --port 5000

## Every test: lint, then the whole suite on SQLite (unit, page gates, concurrency,
## accessibility in headless Chromium) and again on PostgreSQL, where each test app gets a
## database of its own (tests/databases.py). The browser tests check HTML, which does not
## depend on the database, and the check of every recording's sound reads files: they run
## on SQLite only, and so do the tests marked no_database. First the recordings the tests
## use are made into build/test-audio/ (about 40 s of CPU in 2 processes on a clean clone;
## later runs make only what changed). Then three runs share the CPUs: the browser tests,
## the rest on SQLite, the PostgreSQL pass; each one's output is shown when it ends.
## Without a PostgreSQL server the PostgreSQL pass is skipped, unless REQUIRE_POSTGRES=1 (CI).
test: lint $(VENV)/.installed node_modules/.installed translations
	$(BIN)/python -m tests.recordings
	$(MAKE) --no-print-directory -j3 --output-sync=target \
		test-postgres test-sqlite-no-browser test-browser

## The suite on SQLite only: for a machine without PostgreSQL.
test-sqlite: test-sqlite-no-browser test-browser

test-sqlite-no-browser: $(VENV)/.installed translations
	$(BIN)/python -m pytest -m 'not browser'

## The browser tests (axe-core, RGAA, first screen) in headless Chromium, on SQLite.
test-browser: $(VENV)/.installed node_modules/.installed translations
	$(BIN)/python -m pytest -m browser

## The suite on PostgreSQL (TEST_POSTGRES_URL), but for the browser tests, the check of
## every recording's sound (audio_files) and the tests that use no database (no_database);
## two gunicorn servers also share the database and a Redis of their own there
## (tests/test_two_servers.py).
TEST_POSTGRES_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test
test-postgres: $(VENV)/.installed translations
	@if $(BIN)/python -m tests.databases check '$(TEST_POSTGRES_URL)'; then \
		echo "TEST_DATABASE_URL=$(TEST_POSTGRES_URL) $(BIN)/python -m pytest -m 'not browser and not audio_files and not no_database'"; \
		TEST_DATABASE_URL='$(TEST_POSTGRES_URL)' $(BIN)/python -m pytest -m 'not browser and not audio_files and not no_database'; \
	elif [ "$${REQUIRE_POSTGRES:-}" = 1 ]; then \
		echo "REQUIRE_POSTGRES=1: the PostgreSQL pass must run." >&2; exit 1; \
	else \
		echo "PostgreSQL pass skipped (REQUIRE_POSTGRES=1 makes this an error)."; \
	fi

lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

## After changing a string: extract it, then translate the new entries in each .po file.
translations-update: $(VENV)/.installed
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -k N_ --no-location --sort-output \
		--project Repère --copyright-holder Repère -o translations/messages.pot .
	$(BIN)/pybabel update -i translations/messages.pot -d translations --no-fuzzy-matching \
		--ignore-obsolete

## Rebuild app/places/data/communes.tsv.gz from the official lists (sources and licences in
## app/places/data/README.md); bump their versions in package.json and pyproject.toml first.
communes: $(VENV)/.installed node_modules/.installed
	$(BIN)/python -m pip install --quiet -e '.[communes]'
	$(BIN)/python scripts/build_communes.py

## After changing app/models.py: write a migration, then review it.
migration: $(VENV)/.installed
	$(FLASK) db revision -m "$(m)"

## The production lock file: every package pinned with its hashes, from pyproject.toml.
## Run it after changing a dependency (pinned versions are kept while they fit), then commit.
PIP_COMPILE = $(BIN)/pip-compile --quiet --generate-hashes --strip-extras --allow-unsafe \
	--no-emit-index-url --no-emit-find-links --output-file requirements.lock
lock: $(VENV)/.installed
	$(BIN)/python -m pip install --quiet pip-tools
	$(PIP_COMPILE) pyproject.toml

## The same, taking the newest versions pyproject.toml allows.
lock-upgrade: $(VENV)/.installed
	$(BIN)/python -m pip install --quiet pip-tools
	$(PIP_COMPILE) --upgrade pyproject.toml

clean:
	rm -rf $(VENV) node_modules instance build .pytest_cache .ruff_cache
