"""The app's OpenAPI schema loaded for schemathesis, and a WSGI client whose
responses are validated against it (shared by the schemathesis run and the
tests that walk real data through the API)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from typing import Any

import schemathesis
from django.contrib.auth import get_user_model
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from rest_framework.authtoken.models import Token
from werkzeug.test import Client


@cache
def app() -> Any:
    return get_wsgi_application()


@cache
def schema() -> Any:
    with same_connection():
        return schemathesis.openapi.from_wsgi("/api/schema/?format=json", app())


@contextmanager
def same_connection() -> Iterator[None]:
    """Keep the test's database connection across requests to the real WSGI
    handler, as Django's test client does: at each request's start and end
    Django closes a connection whose autocommit differs from the settings —
    on PostgreSQL that is the test's open transaction (SQLite's in-memory
    database is never closed)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


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
        with same_connection():  # per request: Django's own test client reconnects the signal after each of its calls
            response = self.client.open(url or template, method=method, **kwargs)
        if expect is not None:
            assert response.status_code == expect, (response.status_code, response.get_data(as_text=True))
        operation = schema()[template][method.upper()]
        operation.validate_response(response)  # raises with the mismatch
        return response.get_json(silent=True)
