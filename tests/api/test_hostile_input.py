"""Hostile input found by fuzzing: NUL characters, deeply nested JSON and
bodies that are not objects get a 4xx with the usual error shape on every
endpoint — never a 500 (griddesk.common.parsers, griddesk.common.middleware)."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.test import Client
from drf_spectacular.generators import EndpointEnumerator

from griddesk.common.parsers import json_depth_exceeds

DEEP = "[" * 10_000 + "]" * 10_000
DEEP_OBJECT = '{"a":' * 10_000 + "1" + "}" * 10_000


def _endpoints() -> list[tuple[str, str, Any]]:
    out = []
    for path, _regex, method, callback in EndpointEnumerator().get_api_endpoints():
        if path.startswith("/api/v1/"):
            out.append((path, method, getattr(callback, "cls", None)))
    return sorted(set(out), key=lambda e: (e[0], e[1]))


ENDPOINTS = _endpoints()
WRITES = [(p, m, cls) for p, m, cls in ENDPOINTS if m in ("POST", "PUT", "PATCH")]
NON_LIST = [(p, m, cls) for p, m, cls in WRITES if not getattr(cls, "json_list_body", False)]


@pytest.fixture
def fill(org: Any, make_order: Any, client_for: Any) -> Any:
    """Path templates → paths to real objects, so the walk reaches the views' parsing and serializers."""
    from griddesk.satisfaction import defaults
    from tests.opinion.conftest import item_payload

    order = make_order()
    item = client_for("specialist").post("/api/v1/opinion/items/", item_payload(), format="json").json()
    values = {"number": order["number"], "account_no": "3300112233", "code": defaults.DEFAULT_CODE,
              "year": "2027", "day": "2027-01-04", "story_id": str(item["story"])}

    def run(template: str) -> str:
        return re.sub(r"\{([^}]+)\}", lambda m: values.get(m.group(1), "1"), template)

    return run


def _send(client: Any, method: str, path: str, body: str) -> Any:
    return getattr(client, method.lower())(path, data=body, content_type="application/json")


def _assert_error(r: Any, *codes: str) -> dict[str, Any]:
    assert 400 <= r.status_code < 500, (r.status_code, r.content[:300])
    assert r["Content-Type"].startswith("application/json"), r["Content-Type"]
    body = r.json()
    assert isinstance(body.get("code"), str) and isinstance(body.get("message"), str), body
    # The parser runs when the view first reads the body: a view that checks
    # the role or the object first may answer that instead.
    assert body["code"] in {*codes, "not_found", "permission_denied", "unsupported_media_type"}, body
    return body  # type: ignore[no-any-return]


def test_the_walk_covers_the_api() -> None:
    paths = {p for p, _m, _c in WRITES}
    assert len(WRITES) >= 15, WRITES
    assert "/api/v1/opinion/emergencies/{response_id}/actions/" in paths and "/api/v1/work-orders/" in paths


@pytest.mark.parametrize(("path", "method", "cls"), WRITES, ids=[f"{m} {p}" for p, m, _ in WRITES])
def test_every_write_endpoint_refuses_deep_json_and_nul(fill: Any, client_for: Any, path: str, method: str, cls: Any) -> None:
    c, path = client_for("admin"), fill(path)
    for body in (DEEP, DEEP_OBJECT, '{"items": ' + DEEP + ', "orders": ' + DEEP + "}"):
        _assert_error(_send(c, method, path, body), "json_too_deep")
    nul = _assert_error(_send(c, method, path, '{"action": "close", "note": "a\\u0000b", "summary": "x"}'), "nul_character")
    assert nul["code"] == "nul_character"  # checked before anything else
    # An escaped backslash followed by "u0000" is not a NUL.
    r = _send(c, method, path, '{"note": "a\\\\u0000b"}')
    assert r.status_code < 500 and r.json()["code"] != "nul_character"


@pytest.mark.parametrize(("path", "method", "cls"), NON_LIST, ids=[f"{m} {p}" for p, m, _ in NON_LIST])
def test_every_object_endpoint_refuses_a_body_that_is_not_an_object(
    fill: Any, client_for: Any, path: str, method: str, cls: Any
) -> None:
    c, path = client_for("admin"), fill(path)
    for body in ("[1]", '"x"', "null", "1", "[]", '[{"action": "close"}]'):
        _assert_error(_send(c, method, path, body), "invalid_body")


def test_list_endpoints_still_take_a_list_but_not_a_scalar(org: Any, client_for: Any) -> None:
    c = client_for("admin")
    r = _send(c, "POST", "/api/v1/work-orders/bulk/", "[]")
    assert r.status_code == 200 and r.json()["results"] == []
    for body in ('"x"', "null", "7"):
        assert _assert_error(_send(c, "POST", "/api/v1/work-orders/bulk/", body), "invalid_body")["code"] == "invalid_body"


def test_emergency_action_with_a_list_body_is_400_invalid_body(org: Any, client_for: Any) -> None:
    # The fuzzer's case: the view called request.data.get on a list (500).
    r = _send(client_for("manager"), "POST", "/api/v1/opinion/emergencies/1/actions/", "[1]")
    assert r.status_code == 400 and r.json()["code"] == "invalid_body"


@pytest.mark.parametrize(("path", "method", "cls"), ENDPOINTS, ids=[f"{m} {p}" for p, m, _ in ENDPOINTS])
def test_every_endpoint_refuses_nul_in_the_query_string(fill: Any, client_for: Any, path: str, method: str, cls: Any) -> None:
    c, path = client_for("admin"), fill(path)
    r = getattr(c, method.lower())(path + "?q=a%00b&questionnaire=a%00b&received_at=a%00b")
    body = _assert_error(r, "nul_character")
    assert r.status_code == 400 and body["code"] == "nul_character"


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/work-orders/a%00b/",
        "/api/v1/work-orders/a%00b/events/",
        "/api/v1/customers/a%00b/",
        "/api/v1/assessment/orders/a%00b/",
        "/api/v1/calendar/overrides/a%00b/",
        "/api/v1/work-orders/?q=a%00b",
        "/api/v1/satisfaction/index/?questionnaire=a%00b",
        "/api/v1/archive/search/?q=%00",
    ],
)
def test_nul_in_an_api_path_or_query_is_400_json(org: Any, client_for: Any, path: str) -> None:
    r = client_for("admin").get(path)
    assert r.status_code == 400, r.content[:300]
    assert r.json()["code"] == "nul_character" and r.json()["message"]


@pytest.mark.parametrize("path", ["/orders/a%00b/", "/?q=a%00b", "/opinion/?area=%00", "/accounts/login/?next=/%00"])
def test_nul_in_a_web_path_or_query_is_a_400_page(org: Any, path: str) -> None:
    from django.contrib.auth import get_user_model

    c = Client()
    c.force_login(get_user_model().objects.get(username="admin"))
    r = c.get(path)
    assert r.status_code == 400
    assert r["Content-Type"].startswith("text/html") and "nul_character" in r.content.decode()


def test_nul_in_a_form_post_or_cookie_is_refused(org: Any, client_for: Any) -> None:
    from django.contrib.auth import get_user_model

    c = Client()
    c.force_login(get_user_model().objects.get(username="agent"))
    r = c.post("/orders/new/", {"content": "a\x00b", "channel": "95598"})
    assert r.status_code == 400 and "nul_character" in r.content.decode()
    r = client_for("admin").post("/api/v1/work-orders/", "content=a%00b", content_type="application/x-www-form-urlencoded")
    assert r.status_code == 400 and r.json()["code"] == "nul_character"
    c2 = Client()
    c2.cookies["sessionid"] = "a\x00b"
    assert c2.get("/").status_code == 400


def test_moderate_nesting_and_brackets_inside_strings_are_fine() -> None:
    assert not json_depth_exceeds(json.dumps({"a": "[" * 500 + "{" * 500}).encode(), 64)
    assert not json_depth_exceeds(json.dumps({"a": 'x\\"[[[' * 100}).encode(), 64)
    nested: Any = 1
    for _ in range(64):
        nested = [nested]
    assert not json_depth_exceeds(json.dumps(nested).encode(), 64)
    assert json_depth_exceeds(json.dumps([nested]).encode(), 64)


def test_the_intake_still_takes_an_ordinary_body(org: Any, make_order: Any) -> None:
    assert make_order(content="客户反映电压低，\"[{引号和括号}]\" 都是正文。")["number"]


TYPE_CONFUSED = [
    {"action": []}, {"action": {}}, {"action": 1}, {"action": None},
    {"action": "close", "summary": [], "note": {}}, {"action": "notice", "note": ["x"]},
    {"items": {}}, {"orders": "x"}, {"responses": {"a": 1}}, {"overrides": "x"},
    {"questionnaire": [], "period": {}, "segment": []}, {"notice": [], "confirm_year": "x"},
    {"file": []}, {"score": [], "reason": {}}, {"note": [], "data": "x"},
]


@pytest.mark.parametrize(("path", "method", "cls"), WRITES, ids=[f"{m} {p}" for p, m, _ in WRITES])
def test_every_write_endpoint_survives_type_confused_fields(
    fill: Any, client_for: Any, path: str, method: str, cls: Any
) -> None:
    c, path = client_for("admin"), fill(path)
    for body in TYPE_CONFUSED:
        r = _send(c, method, path, json.dumps(body))
        assert r.status_code < 500, (body, r.status_code, r.content[:300])
        if r.status_code >= 400:
            assert isinstance(r.json().get("code"), str), (body, r.content[:300])
