"""While the database is down: 503 ``database_unavailable`` (JSON for the API,
a plain page for the web), and /healthz's 503. The outage is real: the
default connection is pointed at a port where nothing listens (PostgreSQL) or
at a file that cannot be opened (SQLite) — the driver's own refusal, no mock."""

from __future__ import annotations

import copy
import socket
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import OperationalError, connections
from django.test import Client


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])  # closed again on leaving: nothing listens there


@pytest.fixture
def database_down(django_db_blocker: Any) -> Iterator[None]:
    original = connections["default"]
    settings_dict = copy.deepcopy(original.settings_dict)
    if original.vendor == "postgresql":
        settings_dict.update(HOST="127.0.0.1", PORT=str(_closed_port()))
    else:
        settings_dict["NAME"] = "/nonexistent-directory/griddesk.sqlite3"
    broken = original.__class__(settings_dict, alias="default")
    connections["default"] = broken
    try:
        with django_db_blocker.unblock():
            with pytest.raises(OperationalError):
                broken.ensure_connection()  # the outage is real
            yield
    finally:
        broken.close()
        connections["default"] = original


def test_api_answers_json_503_with_a_code(database_down: None) -> None:
    c = Client(HTTP_AUTHORIZATION="Token 0123456789abcdef0123456789abcdef01234567")
    for r in (c.get("/api/v1/work-orders/"), c.post("/api/v1/work-orders/", {"content": "停电"}, content_type="application/json"),
              c.get("/api/v1/sla/deadline", {"received_at": "2026-09-30T10:00:00+08:00"})):
        assert r.status_code == 503, r.content[:300]
        assert r["Content-Type"].startswith("application/json")
        body = r.json()
        assert body["code"] == "database_unavailable"
        assert any("\u4e00" <= ch <= "\u9fff" for ch in body["message"])  # Chinese by default


def test_web_answers_a_plain_503_page(database_down: None) -> None:
    c = Client()
    c.cookies["sessionid"] = "abcdefghijklmnopqrstuvwxyz012345"  # a session lookup needs the database
    for path in ("/", "/opinion/"):
        r = c.get(path)
        assert r.status_code == 503
        assert r["Content-Type"].startswith("text/html")
        page = r.content.decode()
        assert "database_unavailable" in page and "数据库" in page


def test_healthz_is_503(database_down: None) -> None:
    r = Client().get("/healthz")
    assert r.status_code == 503
    assert r.json() == {"status": "unavailable", "database": "error"}


def test_after_the_outage_the_api_answers_again(org: Any, client_for: Any) -> None:
    assert client_for("agent").get("/api/v1/work-orders/").status_code == 200
    assert Client().get("/healthz").status_code == 200


def test_handler500_answers_api_clients_in_json(db: Any) -> None:
    """Errors raised outside a view reach ``handler500`` (inside Django's except block)."""
    from django.test import RequestFactory

    from griddesk.common.middleware import server_error

    rf = RequestFactory()
    try:
        raise OperationalError("connection refused")
    except OperationalError:
        r = server_error(rf.get("/api/v1/work-orders/"))
    assert r.status_code == 503 and r["Content-Type"].startswith("application/json")
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        api, page = server_error(rf.get("/api/v1/work-orders/")), server_error(rf.get("/"))
    assert api.status_code == 500 and api["Content-Type"].startswith("application/json")
    assert b'"code": "server_error"' in api.content or b'"code":"server_error"' in api.content
    assert page.status_code == 500 and page["Content-Type"].startswith("text/html")
