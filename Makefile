# Repère: `make run` starts the site, `make test` runs every test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi

.PHONY: run test lint translations translations-update migration clean

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

## Install, migrate the database, load the demo places, serve http://127.0.0.1:5000
run: $(VENV)/.installed translations
	$(FLASK) db upgrade
	$(FLASK) import-places app/content/places/lieux-demo.csv
	$(FLASK) run --host 127.0.0.1 --port 5000

## Every test: lint, unit, page gates, accessibility in headless Chromium.
test: $(VENV)/.installed node_modules/.installed translations lint
	$(BIN)/python -m pytest

lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

## After changing a string: extract it, then translate the new entries in each .po file.
translations-update: $(VENV)/.installed
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext --no-location --sort-output \
		--project Repère --copyright-holder Repère -o translations/messages.pot .
	$(BIN)/pybabel update -i translations/messages.pot -d translations --no-fuzzy-matching \
		--ignore-obsolete

## After changing app/models.py: write a migration, then review it.
migration: $(VENV)/.installed
	$(FLASK) db revision -m "$(m)"

clean:
	rm -rf $(VENV) node_modules instance .pytest_cache .ruff_cache
