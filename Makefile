# The two commands: `make run` (install, set up demo data, serve) and `make test`.
# Only Python 3.11 and make are needed; everything else is installed into .venv.

PYTHON ?= python3.11
VENV ?= .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run setup test lint format messages clean bench backup restore loadtest

$(VENV)/bin/python:
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "Python 3.11 is required ($(PYTHON) not found)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.runtime: requirements.txt | $(VENV)/bin/python
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.loadtest: requirements.txt requirements-loadtest.txt | $(VENV)/bin/python
	$(PY) -m pip install --quiet -r requirements-loadtest.txt
	touch $@ $(VENV)/.runtime

$(VENV)/.dev: requirements.txt requirements-dev.txt | $(VENV)/bin/python
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@ $(VENV)/.runtime

## setup: migrate, load the FY2022 roster and create the demo accounts (idempotent)
setup: $(VENV)/.runtime
	$(PY) manage.py migrate --no-input
	# The heading of the source table says 134; 133 distinct municipalities could be
	# found in it (see fixtures/roster_fy2022_notes.md).
	$(PY) manage.py load_roster fixtures/roster_fy2022.csv --fiscal-year 2022 --expected-total 133
	LOG_LEVEL=WARNING $(PY) manage.py seed_demo
	# Without a broker nothing runs the hourly scan: raise the demo's flags now.
	LOG_LEVEL=WARNING $(PY) manage.py scan_referrals

## run: install, set up and serve on http://127.0.0.1:8000
run: setup
	@$(PY) manage.py demo_welcome --url http://$(HOST):$(PORT)/
	$(PY) manage.py runserver $(HOST):$(PORT)

## test: the whole suite (SQLite and in-process tasks unless DATABASE_URL / CELERY_BROKER_URL)
test: $(VENV)/.dev
	$(PY) -m pytest

## lint: ruff, migrations in sync, a valid OpenAPI schema, deploy checks and collectstatic of production settings
lint: $(VENV)/.dev
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) manage.py makemigrations --check --dry-run
	$(PY) manage.py spectacular --fail-on-warn --validate --file /dev/null
	DJANGO_SETTINGS_MODULE=portal.settings.production \
	DJANGO_SECRET_KEY=lint-only-$$(printf '%064d' 0) \
	AUDIT_HMAC_KEY=lint-only-audit-$$(printf '%064d' 0) \
	DJANGO_ALLOWED_HOSTS=portal.example.jp \
	$(PY) manage.py check --deploy --fail-level WARNING
	DJANGO_SETTINGS_MODULE=portal.settings.production \
	DJANGO_SECRET_KEY=lint-only-$$(printf '%064d' 0) \
	AUDIT_HMAC_KEY=lint-only-audit-$$(printf '%064d' 0) \
	DJANGO_ALLOWED_HOSTS=portal.example.jp \
	$(PY) manage.py collectstatic --no-input --clear --verbosity 0

## bench: benchmarks on PostgreSQL (DATABASE_URL=postgres://…; BENCH_CASES=100000 by default)
bench: $(VENV)/.runtime
	$(PY) bench/run.py --cases $${BENCH_CASES:-100000}

## backup: pg_dump of DATABASE_URL (PostgreSQL) into BACKUP_DIR (default backups/), with a manifest
# No install step: a scheduled backup on a server must not run pip.
backup:
	$(PY) manage.py backup_db

## restore: make restore FILE=backups/<name>.dump [FORCE=1] — into an empty database (FORCE=1:
## replace a non-empty one), then verify the audit chain and compare counts with the manifest
restore:
	@test -n "$(FILE)" || { echo "usage: make restore FILE=backups/<name>.dump [FORCE=1]"; exit 2; }
	$(PY) manage.py restore_db "$(FILE)" $(if $(filter 1 yes true,$(FORCE)),--force)

## loadtest: many staff at once against the production stack (gunicorn, worker, beat) on
## DATABASE_URL=postgres://… and CELERY_BROKER_URL=redis://…; LOADTEST_USERS=50,
## LOADTEST_DURATION=3m, LOADTEST_CASES=20000 by default (see bench/README.md)
loadtest: $(VENV)/.loadtest
	$(PY) bench/loadtest.py

format: $(VENV)/.dev
	$(PY) -m ruff check --fix .
	$(PY) -m ruff format .

## messages: refresh and compile translations (needs GNU gettext)
messages: $(VENV)/.dev
	$(PY) manage.py makemessages -l ja -l en --ignore=$(VENV) --ignore=staticfiles
	$(PY) manage.py compilemessages --ignore=$(VENV)

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles test-results
