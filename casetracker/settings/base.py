from pathlib import Path

from celery.schedules import crontab
from csp.constants import NONCE, NONE, SELF
from django.utils.translation import gettext_lazy as _

from .client_ip import client_ip_settings
from .databases import TRIGRAM_WORD_SIMILARITY, databases, routing  # noqa: F401 - settings.TRIGRAM_WORD_SIMILARITY
from .env import env

BASE_DIR = Path(__file__).resolve().parent.parent.parent

SECRET_KEY = env.str("SECRET_KEY", default="")
DEBUG = False
ALLOWED_HOSTS: list[str] = env.list("ALLOWED_HOSTS", default=[])

INSTALLED_APPS = [
    # django.contrib.admin, whose admin.site is casetracker.security.StaffAdminSite.
    "casetracker.apps.StaffAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "django.contrib.postgres",  # trigram lookups for name search; inert on SQLite
    "django_filters",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "simple_history",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "two_factor",
    "csp",
    "prisoners",
    "sources",
    "outbox",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "casetracker.security.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # Django's, but the admin and the API (no language prefix) still follow Accept-Language.
    "casetracker.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as django-axes requires, so it sees the outcome of every login attempt.
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

ROOT_URLCONF = "casetracker.urls"
WSGI_APPLICATION = "casetracker.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# Session options (JIT off, the trigram threshold), connection reuse and health checks are set
# in databases.py. With DATABASE_REPLICA_URL, public reads go to that read replica
# (casetracker/db_router.py says which); everything else, and every write, to DATABASE_URL.
DATABASES = databases(
    env.str("DATABASE_URL", default="") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
    env.str("DATABASE_REPLICA_URL", default=""),
)
DATABASE_ROUTERS, MIDDLEWARE = routing(DATABASES, MIDDLEWARE)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", _("English")),
    ("be", _("Belarusian")),
    ("ru", _("Russian")),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
FORMAT_MODULE_PATH = ["casetracker.formats"]
TIME_ZONE = "Europe/Minsk"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]

# Every upload (photos, documents) lives outside any publicly served directory and is
# only reachable through views that check publication and permissions; there is
# deliberately no MEDIA_URL serving, so a guessed file name never reaches a file.
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "private_media")
MEDIA_URL = "/media-is-not-served/"
# With AWS_STORAGE_BUCKET_NAME set, uploads live in that S3-compatible bucket instead of
# MEDIA_ROOT, so several web nodes and workers share them without a shared disk. They stay as
# private as in the directory: objects are written without an ACL, so they have the bucket's
# own (keep the bucket private, with public access blocked), and file URLs are never signed, so
# a URL that leaks (the admin's "Currently:" link) opens nothing: files are read by the app's
# permission-checking views only. Credentials come from boto3's chain (AWS_ACCESS_KEY_ID and
# AWS_SECRET_ACCESS_KEY in the environment, or the machine's role), never from settings.
MEDIA_BUCKET = env.str("AWS_STORAGE_BUCKET_NAME", default="")
PRIVATE_OBJECT_STORAGE = {
    "BACKEND": "storages.backends.s3.S3Storage",
    "OPTIONS": {
        "bucket_name": MEDIA_BUCKET,
        "endpoint_url": env.str("AWS_S3_ENDPOINT_URL", default="") or None,  # e.g. MinIO's; AWS when unset
        "region_name": env.str("AWS_S3_REGION_NAME", default="") or None,
        "addressing_style": env.str("AWS_S3_ADDRESSING_STYLE", default="") or None,  # "path" for most non-AWS
        "default_acl": None,
        "querystring_auth": False,
        # Like the directory: a second file of the same name gets a new name, never replaces one.
        "file_overwrite": False,
    },
}
STORAGES = {
    "default": PRIVATE_OBJECT_STORAGE if MEDIA_BUCKET else {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
FILE_UPLOAD_PERMISSIONS = 0o640
DOCUMENT_MAX_BYTES = env.int("DOCUMENT_MAX_BYTES", default=20 * 1024 * 1024)
# Larger images are refused before their pixels are decoded (a decompression bomb is one):
# 40 MP is a 48 MP phone photo's worth of care, about 160 MB decoded, far below Pillow's 179 MP.
IMAGE_MAX_PIXELS = env.int("IMAGE_MAX_PIXELS", default=40_000_000)

# The admin's login, which StaffAdminSite hands on to two_factor's when STAFF_2FA_REQUIRED.
LOGIN_URL = "admin:login"
LOGIN_REDIRECT_URL = "admin:index"

# Celery: without a broker, tasks run in-process so `make run` needs nothing else.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="")
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default=CELERY_BROKER_URL)
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
# A task is acknowledged when it has finished, and one whose worker process died is queued
# again, so every task must be safe to run twice (outbox/services.py). Redis hands an
# unacknowledged task to another worker after the visibility timeout: longer than any task runs.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600)}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Tasks still running when the broker connection drops could not be acknowledged: cancel them,
# they are delivered again (Celery 6's default).
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE = {
    "weekly-link-check": {"task": "sources.check_all_links", "schedule": crontab(minute=0, hour=3, day_of_week="mon")},
    "daily-term-endings": {"task": "prisoners.term_endings_digest", "schedule": crontab(minute=0, hour=5)},
    # Work saved while Redis was down (the outbox) is sent when it is back; a flush not started
    # before the next one is due is dropped rather than piled up.
    "outbox-flush": {
        "task": "outbox.flush",
        "schedule": env.float("OUTBOX_FLUSH_SECONDS", default=60.0),
        "options": {"expires": env.float("OUTBOX_FLUSH_SECONDS", default=60.0)},
    },
}
# Where readers send corrections (the about page names it); set it to a mailbox someone reads.
CORRECTIONS_EMAIL = env.str("CORRECTIONS_EMAIL", default="corrections@casetracker.example.org")
# Longer pasted texts are saved but not marked up in the intake (marking is linear, but a page
# of several MB of marks helps no one).
INTAKE_MAX_TEXT_BYTES = env.int("INTAKE_MAX_TEXT_BYTES", default=500_000)
SOURCE_FETCH_TIMEOUT = env.float("SOURCE_FETCH_TIMEOUT", default=20.0)
SOURCE_FETCH_RETRIES = 3
# Article fetches and link checks reach the public internet only (sources/fetching.py): every
# hop's address is checked before anything is sent, on these ports only.
SOURCE_FETCH_ALLOWED_PORTS = env.list("SOURCE_FETCH_ALLOWED_PORTS", cast=int, default=[80, 443])
SOURCE_FETCH_MAX_BYTES = env.int("SOURCE_FETCH_MAX_BYTES", default=10 * 1024 * 1024)
# The whole fetch, however slowly a site sends it; SOURCE_FETCH_TIMEOUT bounds each wait.
SOURCE_FETCH_DEADLINE = env.float("SOURCE_FETCH_DEADLINE", default=30.0)
# Optional outbound proxy, e.g. Tor at socks5://127.0.0.1:9050, so sites do not see this
# server's address. The proxy then resolves names and must refuse private destinations itself.
SOURCE_FETCH_PROXY = env.str("SOURCE_FETCH_PROXY", default="")
# What sites see; a common browser's string, not one that names this project.
SOURCE_FETCH_USER_AGENT = env.str(
    "SOURCE_FETCH_USER_AGENT", default="Mozilla/5.0 (Windows NT 10.0; rv:128.0) Gecko/20100101 Firefox/128.0"
)
# Internal addresses the fetcher may reach anyway. Only tests set it (override_settings, for
# their local server); it is never read from the environment.
SOURCE_FETCH_ALLOWED_TEST_ADDRESSES: list[str] = []

# The API's and the downloads' throttle counters: every gunicorn worker (and every container)
# must count against the same budget, so they live in Redis wherever there is one (CACHE_URL,
# else the Celery broker when that is Redis), and in this process's memory only without one.
CACHE_URL = env.str("CACHE_URL", default="") or (
    CELERY_BROKER_URL if CELERY_BROKER_URL.startswith(("redis://", "rediss://")) else ""
)
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL, "KEY_PREFIX": "casetracker"}
        if CACHE_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    ),
}

REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "prisoners.api_schema.PublicApiSchema",
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    # The API is public and anonymous; sessions would let staff see nothing more anyway.
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "UNAUTHENTICATED_USER": None,
    "DEFAULT_THROTTLE_CLASSES": ["prisoners.throttling.AnonymousRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env.str("API_ANON_RATE", default="120/min"),
        # The CSV and JSON downloads (prisoners.throttling): each streams the whole filtered
        # list, up to ~20 s of a worker and the database for 100,000 people (README, bench_export),
        # so far fewer than API pages. 30 an hour lets a researcher try many filter combinations,
        # yet holds one address to about a sixth of one worker; harvesting goes through the API.
        "export": env.str("EXPORT_ANON_RATE", default="30/hour"),
    },
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Casetracker public API",
    "DESCRIPTION": "Published political-prisoner records with their sources. Read-only, anonymous.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Served from our own static files: a docs page must not call out to a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {"StatusEnum": "prisoners.models.Status"},
}

# django-axes: lock an account+IP pair after repeated failures (admin is the attack surface).
# By the pair, not the account: a stranger's wrong guesses then lock out the stranger's address
# for that name, never the staff member everywhere.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = 1  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# How many reverse proxies stand in front of gunicorn (production: one, the TLS proxy). Their
# X-Forwarded-For names the client; with none, only the socket's address does (client_ip.py).
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
AXES_IPWARE_META_PRECEDENCE_ORDER, AXES_IPWARE_PROXY_COUNT, IPWARE_STRICT = client_ip_settings(TRUSTED_PROXY_COUNT)
# DRF's throttles (API and downloads) find the same client: with NUM_PROXIES=n, BaseThrottle takes
# the n-th X-Forwarded-For entry from the right, the one our nearest proxy wrote (so 1 for one
# TLS proxy, no "- 1" as for ipware); with 0 it reads REMOTE_ADDR only. None (DRF's default)
# would take the whole header as the client writes it, so a forged one would dodge the limit.
REST_FRAMEWORK["NUM_PROXIES"] = TRUSTED_PROXY_COUNT

# Staff login. With STAFF_2FA_REQUIRED the admin wants a user verified by a second factor (TOTP
# from an authenticator app, or a one-time backup code), read per request by StaffAdminSite.
# Production turns it on; dev and test leave it off so `make run` and force_login just work.
STAFF_2FA_REQUIRED = False
# StaffAdminSite decides per request; two_factor's patch would redirect every admin login.
TWO_FACTOR_PATCH_ADMIN = False
OTP_LOGIN_URL = "two_factor:login"
# A working day, counted from login: the session is saved (and its expiry pushed back) only
# when it changes, not on every request, so a forgotten browser or a copied cookie stops
# opening the admin by the evening instead of living for Django's default two weeks.
SESSION_COOKIE_AGE = 9 * 60 * 60
SESSION_SAVE_EVERY_REQUEST = False

# Content-Security-Policy on every response. Scripts and styles come only from our own static
# files; a nonce is added to script-src only on a page whose template asks for one (the API docs
# page). casetracker.security.ContentSecurityPolicyMiddleware relaxes style-src for the admin
# and the API docs page only, and says why.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF],
        # data: for the thumbnails the admin inlines and the icons in Django's and Swagger UI's CSS.
        "img-src": [SELF, "data:"],
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    },
}
# Nothing on the site needs a device's sensors, payment or ad-targeting features: denied to the
# page and to anything it might embed. (interest-cohort, FLoC's name, is gone from browsers and
# only draws a console error; browsing-topics replaced it.)
PERMISSIONS_POLICY = {
    feature: []
    for feature in (
        "accelerometer",
        "ambient-light-sensor",
        "autoplay",
        "bluetooth",
        "browsing-topics",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "hid",
        "idle-detection",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "screen-wake-lock",
        "serial",
        "usb",
        "xr-spatial-tracking",
    )
}

SIMPLE_HISTORY_HISTORY_CHANGE_REASON_USE_TEXT_FIELD = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}
