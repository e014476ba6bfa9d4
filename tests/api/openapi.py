"""The app's OpenAPI schema loaded for schemathesis, and a WSGI client whose
responses are validated against it (shared by the schemathesis run and the
tests that walk real data through the API)."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

import schemathesis
from django.contrib.auth import get_user_model
from django.core.wsgi import get_wsgi_application
from rest_framework.authtoken.models import Token
from werkzeug.test import Client


@cache
def app() -> Any:
    return get_wsgi_application()


@cache
def schema() -> Any:
    return schemathesis.openapi.from_wsgi("/api/schema/?format=json", app())


def token_for(username: str) -> str:
    user = get_user_model().objects.get(username=username)
    return str(Token.objects.get_or_create(user=user)[0].key)


class CheckedClient:
    """Calls the API as one user; every response must match the schema of
    the operation ``template`` names (status, content type and body)."""

    def __init__(self, username: str) -> None:
        self.headers = {"Authorization": f"Token {token_for(username)}"}
        self.client = Client(app())

    def call(self, method: str, template: str, url: str | None = None, body: Any = None, expect: int | None = None) -> Any:
        kwargs: dict[str, Any] = {"headers": self.headers}
        if body is not None:
            kwargs["data"] = json.dumps(body)
            kwargs["content_type"] = "application/json"
        response = self.client.open(url or template, method=method, **kwargs)
        if expect is not None:
            assert response.status_code == expect, (response.status_code, response.get_data(as_text=True))
        operation = schema()[template][method.upper()]
        operation.validate_response(response)  # raises with the mismatch
        return response.get_json(silent=True)
