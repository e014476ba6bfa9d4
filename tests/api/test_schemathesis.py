"""Property-based run of schemathesis over the whole OpenAPI schema."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from django.contrib.auth import get_user_model
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", get_wsgi_application())
schema.config.generation.update(max_examples=10, deterministic=True)

ROLES = ["admin", "agent"]


@pytest.fixture(params=ROLES)
def token(request: Any, db: Any) -> str:
    user = get_user_model().objects.get(username=request.param)
    return Token.objects.get_or_create(user=user)[0].key


@schema.parametrize()
@settings(max_examples=10, derandomize=True, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_api(case: Any, token: str) -> None:
    case.call_and_validate(
        headers={"Authorization": f"Token {token}"},
        checks=[not_a_server_error, response_schema_conformance, status_code_conformance, content_type_conformance],
    )
