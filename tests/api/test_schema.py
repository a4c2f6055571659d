"""Schemathesis drives the API from its own OpenAPI schema: no server errors, every answer conforms."""

import pytest
import schemathesis
from django.core.management import call_command
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance

CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]


@pytest.fixture
def connection_kept_open_between_requests():
    """As Django's test client does: the test's transaction must outlive each WSGI request."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.mark.django_db
def test_the_api_answers_every_generated_request_as_its_schema_says(
    settings_media_in_tmp, connection_kept_open_between_requests
):
    call_command("load_demo", verbosity=0)
    # schemathesis' own pytest plugin does not run under pytest 9, so the operations are
    # walked here, each with its own hypothesis run.
    schema = schemathesis.openapi.from_wsgi("/api/v1/schema/?format=json", get_wsgi_application())
    operations = [result.ok() for result in schema.get_all_operations()]
    assert {operation.path for operation in operations} >= {"/api/v1/prisoners/", "/api/v1/stats/"}
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=30, deadline=None, database=None, suppress_health_check=list(HealthCheck))
        def answers_as_documented(case):
            case.call_and_validate(checks=CHECKS)

        answers_as_documented()


@pytest.fixture
def settings_media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
