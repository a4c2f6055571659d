# Developer entry points. DATABASE_URL and CELERY_BROKER_URL are read from the
# environment by the settings and are never set here: unset means SQLite in the
# project directory and Celery tasks run in-process (CELERY_TASK_ALWAYS_EAGER).

PYTHON ?= python3
VENV := .venv
VPY := $(VENV)/bin/python
MANAGE := $(VPY) manage.py
PIP := $(VPY) -m pip --disable-pip-version-check --quiet
PYTEST_ARGS ?=

.PHONY: run test check
.DELETE_ON_ERROR:

# Only created when missing; an existing virtualenv is reused as it is.
$(VPY):
	$(PYTHON) -m venv $(VENV)

# Stamps make the (slow) install happen again only when pyproject.toml changes.
$(VENV)/.stamp-run: pyproject.toml | $(VPY)
	$(PIP) install -e .
	touch $@

$(VENV)/.stamp-dev: pyproject.toml | $(VPY)
	$(PIP) install -e '.[dev]'
	touch $@

# Compiled .mo files are committed, so compilemessages is deliberately not run here
# (gettext need not be installed to run the project).
run: $(VENV)/.stamp-run
	$(MANAGE) migrate --noinput
	$(MANAGE) load_demo
	$(MANAGE) runserver 127.0.0.1:8000

# make exits 2 on any recipe failure, so every non-zero pytest status fails the build,
# including 5 ("no tests collected"); make's "Error N" line shows pytest's own code.
test: $(VENV)/.stamp-dev
	$(VPY) -m pytest $(PYTEST_ARGS)

check: $(VENV)/.stamp-run
	$(MANAGE) check
	$(MANAGE) makemigrations --check --dry-run
