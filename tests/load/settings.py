"""Settings for the load test (tests/load/run_load.py): the test settings, with the API throttles out of the way.

All the load comes from one address, 127.0.0.1, so production's anonymous rates (API_ANON_RATE,
EXPORT_ANON_RATE) would turn it into 429s and measure the throttle instead of the pages and the
database. The throttles stay on, so their cache round trip is still paid, but every scope gets a
rate no run reaches. The rates are per second: DRF keeps one timestamp per request in the window,
so a per-minute rate this high would grow that list (read and written on every request) far past
production's 120 entries and slow the API for a reason production never has.
"""

from casetracker.settings import test as _test
from casetracker.settings.test import *  # noqa: F403
from casetracker.settings.test import REST_FRAMEWORK

UNTHROTTLED = "100000/s"

DEBUG = False
# Every scope already configured (others may be added), plus the ones named here, so a new scope
# neither makes DRF refuse to start nor slips through with its production rate.
REST_FRAMEWORK = {
    **REST_FRAMEWORK,
    "DEFAULT_THROTTLE_RATES": {
        **dict.fromkeys(REST_FRAMEWORK.get("DEFAULT_THROTTLE_RATES", {}), UNTHROTTLED),
        "anon": UNTHROTTLED,
        "export": UNTHROTTLED,
    },
}
# The throttle counters live where production keeps them: in Redis when there is one (CACHE_URL,
# else a Redis broker, as in base), shared by the gunicorn workers; the test settings' process
# memory otherwise. Under a prefix of their own, and at these rates they expire within a second.
if getattr(_test, "CACHE_URL", ""):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": _test.CACHE_URL,
            "KEY_PREFIX": "casetracker-load",
        }
    }
