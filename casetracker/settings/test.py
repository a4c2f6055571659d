from .base import *  # noqa: F403
from .databases import databases, routing
from .env import env

SECRET_KEY = "test-only-key"  # noqa: S105 test settings only
DEBUG = False
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "build" / "test_media")  # noqa: F405
# Uploads stay on the local disk whatever AWS_STORAGE_BUCKET_NAME says: a test must never write
# to a real bucket (tests/casetracker/test_object_storage.py uses a local S3 server).
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# A replica alias only for tests/replica/with_replica.sh's run (REPLICA_TEST_URL), never from a
# developer's DATABASE_REPLICA_URL: every other test declares the default database alone.
DATABASES = databases(
    env.str("DATABASE_URL", default="") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}",  # noqa: F405
    env.str("REPLICA_TEST_URL", default=""),
)
DATABASE_ROUTERS, MIDDLEWARE = routing(DATABASES, MIDDLEWARE)  # noqa: F405
AXES_ENABLED = env.bool("AXES_ENABLED", default=False)
# Under pytest-xdist every test process has its own test database (test_<name>_gw0, ...), while a
# Celery worker serves one: there tasks run in the test's process. The tests marked `worker`
# meet the real worker in a run of their own, without xdist (see the Makefile's test target).
if env.str("PYTEST_XDIST_WORKER", default=""):
    CELERY_TASK_ALWAYS_EAGER = True
# Serve static files straight from the app and project folders; no collectstatic needed.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
REST_FRAMEWORK = {
    **REST_FRAMEWORK,  # noqa: F405
    "DEFAULT_THROTTLE_RATES": {"anon": "100000/min", "export": "100000/min"},
}
# This process's memory, whatever CELERY_BROKER_URL or CACHE_URL say (CI sets a broker): throttle
# counters must not carry over from another run, another checkout or a developer's server.
# tests/api/test_throttling.py clears it around each test.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "casetracker-tests"}}
# Fetches in tests never go through a developer's proxy and use the default ports, whatever
# the environment says; tests of the local server allow it with override_settings.
SOURCE_FETCH_PROXY = ""
SOURCE_FETCH_ALLOWED_PORTS = [80, 443]
# Off so tests log in with force_login; tests/casetracker/test_staff_login.py turns it on.
STAFF_2FA_REQUIRED = False
