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

# axe-core for the browser tests' accessibility checks. npm writes node_modules/.package-lock.json
# on every install, so it serves as the stamp: npm ci runs again only when package-lock.json is
# newer. Without npm the tests that need axe-core skip (or fail under BROWSER_TESTS_REQUIRED).
node_modules/.package-lock.json: package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
		npm ci --no-audit --no-fund && touch $@; \
	else \
		echo "note: npm not found, skipping npm ci; browser tests that need axe-core will not run"; \
	fi

# make exits 2 on any recipe failure, so every non-zero pytest status fails the build,
# including 5 ("no tests collected"); make's "Error N" line shows pytest's own code.
# The tests run in TEST_PROCESSES processes (pytest-xdist), each with its own test database.
# A Celery worker serves one database, so with CELERY_WORKER_RUNNING set (CI's PostgreSQL pass)
# the tests marked `worker` run afterwards in one process, against the worker; in the parallel
# run tasks execute in the test's own process (casetracker/settings/test.py).
TEST_PROCESSES ?= auto

# With a worker, a PYTEST_ARGS selection may hold no test of one kind: pytest's "no tests
# collected" (5) then ends that run alone. Without a selection (CI), every exit but 0 fails.
ifneq ($(PYTEST_ARGS),)
NONE_OF_A_KIND_IS_FINE := || [ $$? -eq 5 ]
endif
test: $(VENV)/.stamp-dev node_modules/.package-lock.json
ifeq ($(CELERY_WORKER_RUNNING),)
	$(VPY) -m pytest -n $(TEST_PROCESSES) $(PYTEST_ARGS)
else
	$(VPY) -m pytest -n $(TEST_PROCESSES) -m "not worker" $(PYTEST_ARGS) $(NONE_OF_A_KIND_IS_FINE)
	$(VPY) -m pytest -m worker $(PYTEST_ARGS) $(NONE_OF_A_KIND_IS_FINE)
endif

check: $(VENV)/.stamp-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(MANAGE) check
	$(MANAGE) makemigrations --check --dry-run
