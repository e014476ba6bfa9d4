"""An API URL that matches no route answers in the API's error shape, not
Django's HTML page (e.g. a non-numeric id where the route takes an integer)."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.mark.parametrize("path", ["/api/v1/return-visits/null,null/", "/api/v1/inbox/x/read/", "/api/v1/nowhere/"])
def test_unknown_api_url_is_a_json_404(org: Any, client_for: Any, path: str) -> None:
    r = client_for("agent").get(path)
    assert r.status_code == 404
    assert r["Content-Type"] == "application/json"
    assert r.json()["code"] == "not_found" and r.json()["message"]


def test_unknown_page_is_still_html(org: Any, client: Any) -> None:
    r = client.get("/imports/nowhere/")
    assert r.status_code == 404
    assert r["Content-Type"].startswith("text/html")
