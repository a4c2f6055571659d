# The fault scripts are run by .ci/run, one process each (`python tests/faults/pg_restart.py --short`):
# they start and stop their own PostgreSQL, Redis, gunicorn and workers, so pytest must not import them.
collect_ignore_glob = ["*.py"]
