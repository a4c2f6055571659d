"""Throttling of the API and the downloads: per client address behind the trusted proxies, shared cache."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.cache import cache
from rest_framework.settings import api_settings
from rest_framework.throttling import AnonRateThrottle

from prisoners.throttling import DOWNLOADS_THROTTLED

pytestmark = pytest.mark.django_db

PROJECT_DIR = Path(__file__).resolve().parents[2]
PROXY = "10.0.0.2"  # the TLS proxy, as gunicorn sees it
CLIENT, OTHER_CLIENT = "203.0.113.5", "198.51.100.7"
API = "/api/v1/sources/"
DOWNLOADS = ("/prisoners/export.csv", "/prisoners/export.json")


@pytest.fixture
def limits(settings, monkeypatch):
    """Set the proxy count and both rates for one test, on an empty cache."""

    def configure(*, proxies: int, api: str = "100000/min", export: str = "100000/min"):
        settings.TRUSTED_PROXY_COUNT = proxies
        # A new REST_FRAMEWORK makes DRF reload api_settings (NUM_PROXIES, rates) ...
        settings.REST_FRAMEWORK = {
            **settings.REST_FRAMEWORK,
            "NUM_PROXIES": proxies,
            "DEFAULT_THROTTLE_RATES": {"anon": api, "export": export},
        }
        # ... but AnonRateThrottle keeps the rates it copied when it was imported.
        monkeypatch.setattr(AnonRateThrottle, "THROTTLE_RATES", api_settings.DEFAULT_THROTTLE_RATES)

    cache.clear()
    yield configure
    cache.clear()


def behind_proxy(client, path, forwarded_for: str):
    """A request as the TLS proxy passes it on: from the proxy, with the client appended to X-Forwarded-For."""
    return client.get(path, REMOTE_ADDR=PROXY, headers={"x-forwarded-for": forwarded_for})


def test_the_api_refuses_a_client_over_its_rate_but_not_another_client_behind_the_same_proxy(client, limits):
    limits(proxies=1, api="3/min")

    codes = [behind_proxy(client, API, CLIENT).status_code for _ in range(3)]
    refused = behind_proxy(client, API, CLIENT)

    assert codes == [200, 200, 200]
    assert refused.status_code == 429
    assert 0 < int(refused["Retry-After"]) <= 60
    assert behind_proxy(client, API, OTHER_CLIENT).status_code == 200
    # What a client writes into X-Forwarded-For itself stays left of the proxy's entry: no new budget.
    assert behind_proxy(client, API, f"{OTHER_CLIENT}, {CLIENT}").status_code == 429


def test_the_downloads_refuse_a_client_over_their_rate_with_retry_after_and_a_plain_message(client, limits):
    limits(proxies=1, export="2/min")

    codes = [behind_proxy(client, path, CLIENT).status_code for path in DOWNLOADS]
    refused = behind_proxy(client, DOWNLOADS[0], CLIENT)

    # The CSV and the JSON draw on one budget.
    assert codes == [200, 200]
    assert refused.status_code == 429
    assert refused["Content-Type"] == "text/plain; charset=utf-8"
    seconds = int(refused["Retry-After"])
    assert 0 < seconds <= 60
    assert refused.content.decode() == DOWNLOADS_THROTTLED.format(seconds=seconds)
    assert behind_proxy(client, DOWNLOADS[1], f"{OTHER_CLIENT}, {CLIENT}").status_code == 429
    for path in DOWNLOADS:
        assert behind_proxy(client, path, OTHER_CLIENT).status_code == 200
    # The API keeps its own budget.
    assert behind_proxy(client, API, CLIENT).status_code == 200


@pytest.mark.parametrize("path", [API, *DOWNLOADS])
def test_with_no_proxy_a_forged_x_forwarded_for_does_not_dodge_the_limit(client, limits, path):
    limits(proxies=0, api="3/min", export="3/min")

    codes = [
        client.get(path, REMOTE_ADDR=CLIENT, headers={"x-forwarded-for": f"192.0.2.{number}"}).status_code
        for number in range(4)
    ]

    assert codes == [200, 200, 200, 429]
    assert client.get(path, REMOTE_ADDR=OTHER_CLIENT, headers={"x-forwarded-for": CLIENT}).status_code == 200


def test_logged_in_staff_are_not_counted_by_the_download_limit(researcher_client, limits):
    limits(proxies=0, export="1/min")

    assert [researcher_client.get(path).status_code for path in (*DOWNLOADS, *DOWNLOADS)] == [200] * 4


def test_tests_keep_their_throttle_counters_in_this_process(settings):
    assert settings.CACHES["default"]["BACKEND"] == "django.core.cache.backends.locmem.LocMemCache"


def _settings_module_values(module: str, expressions: list[str], **environment: str) -> list:
    """Values from a settings module imported afresh in a child process under `environment` alone."""
    known = ("CACHE_URL", "CELERY_BROKER_URL", "TRUSTED_PROXY_COUNT", "DJANGO_SETTINGS_MODULE")
    env = {name: value for name, value in os.environ.items() if name not in known} | environment
    program = f"import json, {module} as s; print(json.dumps([{', '.join(expressions)}]))"
    result = subprocess.run(
        [sys.executable, "-c", program], cwd=PROJECT_DIR, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.mark.parametrize(
    ("environment", "backend", "location"),
    [
        ({}, "django.core.cache.backends.locmem.LocMemCache", None),
        (
            {"CELERY_BROKER_URL": "redis://redis:6379/0"},
            "django.core.cache.backends.redis.RedisCache",
            "redis://redis:6379/0",
        ),
        (
            {"CELERY_BROKER_URL": "redis://redis:6379/0", "CACHE_URL": "redis://cache:6379/2"},
            "django.core.cache.backends.redis.RedisCache",
            "redis://cache:6379/2",
        ),
        ({"CELERY_BROKER_URL": "amqp://rabbit:5672//"}, "django.core.cache.backends.locmem.LocMemCache", None),
    ],
)
def test_throttle_counters_live_in_redis_when_there_is_one(environment, backend, location):
    cache_settings = _settings_module_values("casetracker.settings.base", ['s.CACHES["default"]'], **environment)[0]

    assert (cache_settings["BACKEND"], cache_settings.get("LOCATION")) == (backend, location)


@pytest.mark.parametrize(
    ("environment", "expected"),
    [
        ({}, 1),  # prod's own default: one TLS proxy
        ({"TRUSTED_PROXY_COUNT": "0"}, 0),
        ({"TRUSTED_PROXY_COUNT": "2"}, 2),
    ],
)
def test_production_throttles_count_the_same_proxies_as_axes(environment, expected):
    production = {
        "SECRET_KEY": "a-production-secret-used-only-by-this-test",
        "ALLOWED_HOSTS": "casetracker.example.org",
        "DATABASE_URL": "postgres://casetracker@127.0.0.1:5432/casetracker",
    }
    proxies, num_proxies = _settings_module_values(
        "casetracker.settings.prod",
        ["s.TRUSTED_PROXY_COUNT", 's.REST_FRAMEWORK["NUM_PROXIES"]'],
        **production,
        **environment,
    )

    assert (proxies, num_proxies) == (expected, expected)


@pytest.mark.django_db
def test_a_redis_outage_lets_readers_through_instead_of_failing(client, monkeypatch):
    from django.core.cache.backends.redis import RedisCache
    from rest_framework.throttling import SimpleRateThrottle

    # Port 1 on loopback: nothing listens, so every cache call raises a Redis connection error.
    unreachable = RedisCache("redis://127.0.0.1:1/0", {"OPTIONS": {"socket_connect_timeout": 0.2}})
    monkeypatch.setattr(SimpleRateThrottle, "cache", unreachable)
    assert client.get("/api/v1/prisoners/").status_code == 200
    assert client.get("/prisoners/export.csv").status_code == 200
