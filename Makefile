# `make run` serves the archive; `make test` runs every check CI runs.
# Both need only Python 3.11+: the venv, the packages and the database
# (embedded PostgreSQL, unless DATABASE_URL is set) come from here.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Runs a command with DATABASE_URL set, starting (and afterwards stopping)
# the embedded PostgreSQL when DATABASE_URL is unset.
WITH_DB := $(BIN)/python -m wflm.localdb run --

.PHONY: run test lint format migrations-check superuser bench loadtest audit db-start db-stop backup restore cluster bench-cluster clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.runtime-installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

$(VENV)/.dev-installed: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@ $(VENV)/.runtime-installed

run: $(VENV)/.runtime-installed
	$(WITH_DB) $(BIN)/python -m wflm.serve

test: $(VENV)/.dev-installed lint
	$(WITH_DB) sh -c '$(BIN)/python manage.py makemigrations --check --dry-run && $(BIN)/pytest $(PYTEST_ARGS)'

lint: $(VENV)/.dev-installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.dev-installed
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

migrations-check: $(VENV)/.dev-installed
	$(WITH_DB) $(BIN)/python manage.py makemigrations --check --dry-run

superuser: $(VENV)/.runtime-installed
	$(BIN)/python manage.py createsuperuser

bench: $(VENV)/.dev-installed
	$(WITH_DB) $(BIN)/python -m bench

# Not in CI: readers and 50 commenters at once, then abusive clients (LOADTEST_ARGS=--quick).
loadtest: $(VENV)/.dev-installed
	$(WITH_DB) $(BIN)/python -m bench.loadtest $(LOADTEST_ARGS)

# Lighthouse's four scores for the home page, the demo post, an artist and a
# search page (docs/audit.md); needs Node's npm and Chromium (CHROME_PATH).
LIGHTHOUSE_VERSION := 12.8.2
audit: $(VENV)/.dev-installed
	@command -v lighthouse >/dev/null 2>&1 || npm install -g lighthouse@$(LIGHTHOUSE_VERSION)
	$(WITH_DB) $(BIN)/python -m bench.audit $(AUDIT_ARGS)

db-start: $(VENV)/.runtime-installed
	$(BIN)/python -m wflm.localdb start

db-stop: $(VENV)/.runtime-installed
	$(BIN)/python -m wflm.localdb stop

# A pg_dump of the database into var/backups/<UTC time>.dump (path printed).
backup: $(VENV)/.runtime-installed
	$(WITH_DB) $(BIN)/python -m wflm.backup backup

# make restore FILE=var/backups/....dump: into an empty database only,
# unless FORCE=1 (which replaces what the database holds).
restore: $(VENV)/.runtime-installed
	$(WITH_DB) $(BIN)/python -m wflm.backup restore "$(FILE)" $(if $(filter-out 0,$(FORCE)),--force)

# The scaled-out site on loopback: PostgreSQL primary and streaming replica,
# Redis, two gunicorn app servers, nginx with deploy/nginx/wflm.conf
# (docs/scaling.md). CLUSTER_PORT=8100 by default; Ctrl-C stops it all.
cluster: $(VENV)/.runtime-installed
	$(BIN)/python -m wflm.cluster

# Not in CI: the cluster under wrk, proxy cache against static files, one
# app server against two (docs/scaling.md, "Measurements").
bench-cluster: $(VENV)/.dev-installed
	$(BIN)/python -m bench.cluster_bench $(BENCH_CLUSTER_ARGS)

clean:
	rm -rf $(VENV) var/static .pytest_cache .ruff_cache
