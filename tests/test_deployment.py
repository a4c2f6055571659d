"""The production shape (docker-compose.yml, prod settings) and the Celery round trip."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from celery.result import EagerResult

from casetracker.celery import app, ping

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


def _django_setup_in_production(**overrides: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in (*REQUIRED_IN_PRODUCTION, "DJANGO_SETTINGS_MODULE")}
    env.update(DJANGO_SETTINGS_MODULE="casetracker.settings.prod", SECURE_SSL_REDIRECT="false", **overrides)
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


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
