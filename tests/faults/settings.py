"""Settings of the processes the fault scripts start: the test settings, plus their article server.

Used only by tests/faults/*.py, whose scripts serve an article on 127.0.0.1 for the fetcher.
"""

from casetracker.settings.env import env
from casetracker.settings.test import *  # noqa: F403

SOURCE_FETCH_ALLOWED_TEST_ADDRESSES = ["127.0.0.1"]
SOURCE_FETCH_ALLOWED_PORTS = [env.int("FAULT_ARTICLE_PORT", default=80)]
# Redis hands out again what a killed worker had taken once the visibility timeout has passed
# (CELERY_VISIBILITY_TIMEOUT, a few seconds in worker_kill.py); sweep for it every second rather
# than kombu's every 10 x 10 s, so the script need not wait minutes.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    **CELERY_BROKER_TRANSPORT_OPTIONS,  # noqa: F405
    "unacked_restore_interval": 1,
    "unacked_restore_throttle": 1,
}
