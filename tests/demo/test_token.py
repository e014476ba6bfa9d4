"""``griddesk token USERNAME``."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from rest_framework.test import APIClient

from griddesk.cli import main

pytestmark = pytest.mark.django_db


def token(username: str) -> str:
    out = io.StringIO()
    call_command("token", username, stdout=out)
    return out.getvalue()


def test_token_prints_only_a_key_that_authenticates(org) -> None:
    printed = token("agent")
    key = printed.strip()
    assert printed == key + "\n" and len(key) == 40
    assert token("agent").strip() == key  # the same token, not a new one each time
    client = APIClient()
    assert client.get("/api/v1/work-orders/").status_code in (401, 403)
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    r = client.get("/api/v1/work-orders/")
    assert r.status_code == 200, r.content
    assert "results" in r.json()


def test_token_for_an_unknown_user_is_an_error(org, capsys) -> None:
    with pytest.raises(CommandError, match="nosuchuser"):
        call_command("token", "nosuchuser")
    # through the console script: message on stderr, non-zero exit, nothing on stdout
    with pytest.raises(SystemExit) as exc:
        main(["token", "nosuchuser"])
    assert exc.value.code == 1
    captured = capsys.readouterr()
    assert captured.out == "" and "nosuchuser" in captured.err
