"""Schemathesis drives the API from its own OpenAPI schema: every check it has, valid and invalid requests.

SCHEMA_EXAMPLES (default 20, the CI form) sets the examples per operation and generation mode; a
long run is e.g. `SCHEMA_EXAMPLES=500 .venv/bin/pytest tests/api/test_schema.py`.
"""

import inspect
import os

import pytest
import schemathesis
from django.core.management import call_command
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import CHECKS, load_all_checks
from schemathesis.generation import GenerationMode

EXAMPLES = int(os.environ.get("SCHEMA_EXAMPLES", "20"))


def all_checks() -> list:
    """Every response check schemathesis 4 registers (4.x has no ALL constant; the registry is the list)."""
    load_all_checks()
    # Classes are run-wide checks for its own runner (none are built in); functions check one response.
    return [check for check in CHECKS.get_all() if not inspect.isclass(check)]


@pytest.fixture
def connection_kept_open_between_requests():
    """As Django's test client does: the test's transaction must outlive each WSGI request."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def test_all_checks_are_the_ones_schemathesis_documents():
    # A schemathesis upgrade that renames or drops a check shows here, not as a quieter test.
    assert {check.__name__ for check in all_checks()} >= {
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_headers_conformance",
        "response_schema_conformance",
        "negative_data_rejection",
        "positive_data_acceptance",
        "missing_required_header",
        "unsupported_method",
        "allow_header_conformance",
        "use_after_free",
        "ensure_resource_availability",
        "ignored_auth",
    }


@pytest.mark.django_db
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_the_api_answers_every_generated_request_as_its_schema_says(
    settings_media_in_tmp, connection_kept_open_between_requests, mode
):
    call_command("load_demo", verbosity=0)
    # schemathesis' own pytest plugin does not run under pytest 9, so the operations are
    # walked here, each with its own hypothesis run.
    schema = schemathesis.openapi.from_wsgi("/api/v1/schema/?format=json", get_wsgi_application())
    operations = [result.ok() for result in schema.get_all_operations()]
    assert {operation.path for operation in operations} >= {"/api/v1/prisoners/", "/api/v1/stats/"}
    checks = all_checks()
    failures = []
    for operation in operations:

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
        def answers_as_documented(case):
            case.call_and_validate(checks=checks)

        # Every operation is walked even when one fails, so one run reports them all.
        try:
            answers_as_documented()
        except Unsatisfiable:
            # Nothing about the operation can be made invalid (its one parameter is a path segment
            # of any string), so there is no negative request to send: not a finding.
            assert mode == GenerationMode.NEGATIVE, operation.label
        except (Exception, BaseExceptionGroup) as failure:  # schemathesis' FailureGroup is a BaseExceptionGroup
            failures.append(f"{operation.label} ({mode.value}): {failure}")
    assert not failures, "\n\n".join(failures)


@pytest.fixture
def settings_media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
