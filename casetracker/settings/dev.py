from .base import *  # noqa: F403
from .env import env

DEBUG = env.bool("DEBUG", default=True)
# A development-only key; production refuses to start without its own (see prod.py).
SECRET_KEY = env.str("SECRET_KEY", default="dev-only-insecure-key-not-for-production")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Serve static files straight from the app and project folders; no collectstatic needed.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
# Off so `make run` is one command; STAFF_2FA_REQUIRED=true tries the production login locally.
STAFF_2FA_REQUIRED = env.bool("STAFF_2FA_REQUIRED", default=False)
