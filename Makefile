# `make run` serves the archive; `make test` runs every check CI runs.
# Both need only Python 3.11+: the venv, the packages and the database
# (embedded PostgreSQL, unless DATABASE_URL is set) come from here.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Runs a command with DATABASE_URL set, starting (and afterwards stopping)
# the embedded PostgreSQL when DATABASE_URL is unset.
WITH_DB := $(BIN)/python -m wflm.localdb run --

.PHONY: run test lint format migrations-check superuser bench loadtest audit messages db-start db-stop backup restore cluster bench-cluster clean

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

# The scaled-out site on loopback: PostgreSQL primary and streaming replica,
# Redis, two gunicorn app servers, nginx with deploy/nginx/wflm.conf
# (docs/scaling.md). CLUSTER_PORT=8100 by default; Ctrl-C stops it all.
cluster: $(VENV)/.runtime-installed
	$(BIN)/python -m wflm.cluster

# Not in CI: the cluster under wrk, proxy cache against static files, one
# app server against two (docs/scaling.md, "Measurements").
bench-cluster: $(VENV)/.dev-installed
	$(BIN)/python -m bench.cluster_bench $(BENCH_CLUSTER_ARGS)

# The interface's catalogues (README, "Languages"): the strings marked in the
# Python code, the templates and the thread's Jinja2 loop, into
# locale/<lang>/LC_MESSAGES/django.po (makemessages needs GNU gettext:
# apt-get install gettext), then each .mo compiled with polib.
MESSAGE_LOCALES := en fr de es tr zh_Hans
messages: $(VENV)/.dev-installed
	$(BIN)/python manage.py makemessages $(addprefix --locale=,$(MESSAGE_LOCALES)) --extension=html,txt,jinja,py \
		--no-obsolete --no-wrap --ignore='var/*' --ignore='*/tests/*' --ignore='bench/*' --ignore='deploy/*'
	$(BIN)/python -m wflm.catalogues compile
	$(BIN)/python -m wflm.catalogues check

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

clean:
	rm -rf $(VENV) var/static .pytest_cache .ruff_cache
