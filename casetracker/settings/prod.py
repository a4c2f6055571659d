from .base import *  # noqa: F403
from .client_ip import client_ip_settings
from .databases import databases, routing
from .env import env, required

# No fallbacks: a production process without these must not start.
SECRET_KEY = required("SECRET_KEY")
ALLOWED_HOSTS = [host.strip() for host in required("ALLOWED_HOSTS").split(",") if host.strip()]
DATABASES = databases(required("DATABASE_URL"), env.str("DATABASE_REPLICA_URL", default=""))
DATABASE_ROUTERS, MIDDLEWARE = routing(DATABASES, MIDDLEWARE)  # noqa: F405

DEBUG = False
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
# A year, subdomains included: after one visit over HTTPS a browser never again tries plain
# HTTP here, so a network in the middle cannot strip TLS from a later visit.
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
# Preload (browsers shipping the rule, so even the first visit is protected) is a decision for
# the domain's owner: it binds every subdomain to HTTPS for good and takes months to undo, and
# anyone may submit a domain whose header says "preload". Off by default, and its reminder
# (security.W021) silenced; whoever submits the domain to hstspreload.org sets it to true.
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
SILENCED_SYSTEM_CHECKS = ["security.W021"]
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# Every staff login takes a second factor (README, "Staff accounts and two-factor login").
STAFF_2FA_REQUIRED = True
# One TLS proxy in front (README); its X-Forwarded-For entry is the client axes counts by.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=1)
AXES_IPWARE_META_PRECEDENCE_ORDER, AXES_IPWARE_PROXY_COUNT, IPWARE_STRICT = client_ip_settings(TRUSTED_PROXY_COUNT)
# DRF's throttles must find the same client as django-axes (base.py derived it from the default).
REST_FRAMEWORK = {**REST_FRAMEWORK, "NUM_PROXIES": TRUSTED_PROXY_COUNT}  # noqa: F405
