"""GET /healthz for load balancers."""

from __future__ import annotations

from typing import Any


def test_healthz_answers_without_login(db: Any, client: Any) -> None:
    r = client.get("/healthz")
    assert r.status_code == 200
    assert r.json() == {"status": "ok", "database": "ok"}
    assert "no-cache" in r.headers["Cache-Control"]
    assert client.post("/healthz").status_code == 405

