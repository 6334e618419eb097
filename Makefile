# Nexus — `make run` starts the whole product, `make test` runs the suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export DJANGO_SETTINGS_MODULE := nexus.settings

.PHONY: run test install install-dev migrate demo lint format messages clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $(VENV)/.installed $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

## run: the whole product on the embedded default (SQLite + filesystem broker),
## with demo data and sandbox upstreams: web, Celery worker and beat (Ctrl-C stops all).
run: install
	DJANGO_DEBUG=1 NEXUS_DEMO=1 $(BIN)/python manage.py migrate --no-input
	DJANGO_DEBUG=1 NEXUS_DEMO=1 $(BIN)/python manage.py load_demo
	DJANGO_DEBUG=1 NEXUS_DEMO=1 PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/honcho -f Procfile.dev start

## test: install test dependencies and run the whole suite.
test: install-dev
	DJANGO_DEBUG=1 $(BIN)/pytest -n 2 --dist loadgroup $(PYTEST_ARGS)

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

messages: install
	$(BIN)/python manage.py makemessages -l el --ignore '.venv/*' --ignore 'var/*' --no-obsolete
	$(BIN)/python manage.py compilemessages -l el

clean:
	rm -rf var/
