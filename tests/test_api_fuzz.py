"""Issue 11: no input gives a 500 or a traceback. Schemathesis generates requests from the API's
own OpenAPI schema (valid and invalid bodies, parameters, paths) and sends them, as an
administrator, to the real application (WSGI, the test database): every answer must be below
500, and every error must be the JSON envelope. Bounded so the suite stays fast."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from vestige.api import api
from vestige.wsgi import application

schema = schemathesis.openapi.from_dict(api.get_openapi_schema(path_prefix="/api/"))
schema.app = application


@pytest.fixture(autouse=True)
def _keep_the_test_connection():
    """The WSGI app ends each request with close_old_connections, which closes (as does the start of each request) a
    connection inside the test's transaction (PostgreSQL then fails every later test); Django's own test
    client disconnects it the same way."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def token(users, site, grave, settings):
    settings.VESTIGE_TASKS_INLINE = True  # a matching run started by the fuzzer runs in the request
    from vestige.accounts.services import create_token
    return create_token(users["administrator"], "fuzz")[1]


def _envelope(ctx, response, case):
    if response.status_code >= 400:
        body = response.json()
        assert isinstance(body, dict) and isinstance(body.get("error"), dict), response.text[:300]
        assert {"type", "message"} <= set(body["error"]), response.text[:300]
    assert b"Traceback" not in response.content


@pytest.mark.django_db
@schema.parametrize()
@settings(max_examples=6, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
def test_no_request_breaks_the_api(case, token):
    response = case.call(headers={"Authorization": f"Bearer {token}"})
    assert response.status_code < 500, f"{case.method} {case.formatted_path}: {response.status_code} {response.text[:300]}"
    _envelope(None, response, case)
