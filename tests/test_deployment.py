"""The production shape (docker-compose.yml, prod settings) and the Celery round trip."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from celery.result import EagerResult
from django.core.management.utils import get_random_secret_key

from casetracker.celery import app, ping
from casetracker.settings.client_ip import client_ip_settings

PROJECT_DIR = Path(__file__).resolve().parent.parent
APP_SERVICES = ("web", "worker", "beat")
REQUIRED_IN_PRODUCTION = ("SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL")


@pytest.fixture(scope="module")
def compose():
    with open(PROJECT_DIR / "docker-compose.yml", encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def _command(service: dict) -> str:
    command = service.get("command", "")
    return " ".join(command) if isinstance(command, list) else command


def _environment(service: dict) -> dict:
    environment = service.get("environment", {})
    if isinstance(environment, list):
        return dict(item.split("=", 1) for item in environment)
    return environment


def test_compose_names_every_production_service(compose):
    assert {"postgres", "redis", "web", "worker", "beat"} <= set(compose["services"])


def test_compose_web_migrates_collects_static_then_serves_with_gunicorn(compose):
    command = _command(compose["services"]["web"])
    assert "migrate" in command
    assert "collectstatic" in command
    assert "gunicorn casetracker.wsgi:application" in command
    assert "0.0.0.0:8000" in command
    assert command.index("migrate") < command.index("gunicorn")
    assert command.index("collectstatic") < command.index("gunicorn")


@pytest.mark.parametrize(("service", "subcommand"), [("worker", "worker"), ("beat", "beat")])
def test_compose_worker_and_beat_run_celery(compose, service, subcommand):
    command = _command(compose["services"][service])
    assert command.startswith("celery -A casetracker ")
    assert subcommand in command.split()


@pytest.mark.parametrize("service", APP_SERVICES)
def test_compose_app_services_use_production_settings_and_refuse_missing_secrets(compose, service):
    environment = _environment(compose["services"][service])
    assert environment["DJANGO_SETTINGS_MODULE"] == "casetracker.settings.prod"
    for name in (*REQUIRED_IN_PRODUCTION, "CELERY_BROKER_URL"):
        # "${NAME:?...}" makes compose itself refuse to start when NAME is unset.
        assert environment[name].startswith(f"${{{name}:?"), name


def test_compose_web_and_worker_share_the_private_media_volume(compose):
    def media_volume(service: dict) -> str:
        media_root = _environment(service)["MEDIA_ROOT"]
        [mount] = [v for v in service["volumes"] if v.split(":")[1] == media_root]
        return mount.split(":")[0]

    web, worker = compose["services"]["web"], compose["services"]["worker"]
    assert media_volume(web) == media_volume(worker)
    assert media_volume(web) in compose["volumes"]


# Variables prod.py reads that this shell might set: each test starts from prod's defaults.
PRODUCTION_KNOBS = ("SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS", "SECURE_HSTS_PRELOAD", "TRUSTED_PROXY_COUNT")


def _in_production(argv: list[str], **overrides: str) -> subprocess.CompletedProcess:
    # DJANGO_ALLOW_ASYNC_UNSAFE: the browser tests set it for the whole run; production never does.
    dropped = (*REQUIRED_IN_PRODUCTION, *PRODUCTION_KNOBS, "DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE")
    env = {k: v for k, v in os.environ.items() if k not in dropped}
    env.update(DJANGO_SETTINGS_MODULE="casetracker.settings.prod", **overrides)
    return subprocess.run(
        [sys.executable, *argv], cwd=PROJECT_DIR, env=env, capture_output=True, text=True, timeout=120
    )


def _django_setup_in_production(**overrides: str) -> subprocess.CompletedProcess:
    return _in_production(["-c", "import django; django.setup()"], SECURE_SSL_REDIRECT="false", **overrides)


PRODUCTION_VALUES = {
    "SECRET_KEY": "a-production-secret-used-only-by-this-test",
    "ALLOWED_HOSTS": "casetracker.example.org",
    "DATABASE_URL": "postgres://casetracker@127.0.0.1:5432/casetracker",
}


@pytest.mark.parametrize("missing", REQUIRED_IN_PRODUCTION)
def test_production_settings_refuse_to_start_without_each_required_variable(missing):
    values = {name: value for name, value in PRODUCTION_VALUES.items() if name != missing}
    result = _django_setup_in_production(**values)
    assert result.returncode != 0
    assert missing in result.stderr


@pytest.mark.parametrize("missing", REQUIRED_IN_PRODUCTION)
def test_production_settings_treat_an_empty_required_variable_as_missing(missing):
    result = _django_setup_in_production(**{**PRODUCTION_VALUES, missing: ""})
    assert result.returncode != 0
    assert missing in result.stderr


def test_production_settings_start_with_every_required_variable():
    result = _django_setup_in_production(**PRODUCTION_VALUES)
    assert result.returncode == 0, result.stderr


def test_a_secret_key_beginning_with_a_dollar_sign_is_taken_as_it_is():
    # django-environ reads "$NAME" as another variable's name; get_random_secret_key() can begin with "$".
    secret = "$" + get_random_secret_key()[1:]
    result = _in_production(
        ["-c", "import django; django.setup(); from django.conf import settings; print(settings.SECRET_KEY)"],
        SECURE_SSL_REDIRECT="false",
        **{**PRODUCTION_VALUES, "SECRET_KEY": secret},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == secret


def test_the_deployment_checklist_finds_nothing_to_warn_about_in_production_settings():
    result = _in_production(
        ["manage.py", "check", "--deploy"],
        SECRET_KEY=get_random_secret_key(),
        ALLOWED_HOSTS="example.org",
        DATABASE_URL="postgres://postgres@127.0.0.1:5432/postgres",
    )
    assert result.returncode == 0, result.stderr
    # Django writes the summary to stderr, after the issues, when there are any.
    assert "System check identified no issues" in result.stdout, result.stderr
    assert "WARNINGS" not in result.stderr, result.stderr


def test_production_asks_staff_for_a_second_factor_and_finds_clients_behind_one_proxy():
    names = ["STAFF_2FA_REQUIRED", "SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SESSION_COOKIE_AGE"]
    names += list(client_ip_settings(1)._fields)
    code = (
        "import django, json; django.setup(); from django.conf import settings; "
        f"print(json.dumps([getattr(settings, name) for name in {names!r}]))"
    )
    result = _in_production(["-c", code], **PRODUCTION_VALUES)
    assert result.returncode == 0, result.stderr
    values = dict(zip(names, json.loads(result.stdout.splitlines()[-1]), strict=True))
    assert values.pop("STAFF_2FA_REQUIRED") is True
    assert values.pop("SECURE_HSTS_SECONDS") == 365 * 24 * 60 * 60
    assert values.pop("SECURE_HSTS_INCLUDE_SUBDOMAINS") is True
    assert values.pop("SESSION_COOKIE_AGE") == 9 * 60 * 60
    assert values == client_ip_settings(1)._asdict()


def test_compose_tells_production_it_sits_behind_one_proxy(compose):
    for service in APP_SERVICES:
        assert _environment(compose["services"][service])["TRUSTED_PROXY_COUNT"] == "${TRUSTED_PROXY_COUNT:-1}"


@pytest.mark.worker
def test_ping_task_returns_pong_through_the_worker_or_in_process():
    if os.environ.get("CELERY_BROKER_URL") and os.environ.get("CELERY_WORKER_RUNNING"):
        # .ci/run's second pass: the settings turned eager mode off because a broker is set,
        # and a real worker (started by .ci/run) has to answer through Redis.
        assert not app.conf.task_always_eager
        result = ping.delay()
        assert not isinstance(result, EagerResult)
        assert result.get(timeout=30) == "pong"
    else:
        # No worker to talk to: run the task in-process (forced, in case a broker is
        # configured without a worker) so the task itself is still exercised.
        # (monkeypatch cannot restore Celery's lazily loaded conf attributes, hence finally).
        was_eager = app.conf.task_always_eager
        app.conf.task_always_eager = True
        try:
            result = ping.delay()
        finally:
            app.conf.task_always_eager = was_eager
        assert isinstance(result, EagerResult)
        assert result.get() == "pong"
