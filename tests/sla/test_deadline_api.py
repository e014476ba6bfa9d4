"""GET /api/v1/sla/deadline: the issue's examples, holidays of 2026, offsets, bad input."""

from __future__ import annotations

from datetime import datetime

import pytest

URL = "/api/v1/sla/deadline"


def ask(client, **params):
    return client.get(URL, params)


@pytest.mark.parametrize(
    ("received_at", "params", "due", "working_days", "provisional"),
    [
        # The example: 10-10 (Saturday) is an adjusted working day.
        ("2026-09-30T10:00:00+08:00", {}, "2026-10-09T23:59:59+08:00", 2, False),
        ("2026-09-30T10:00:00+08:00", {"complexity": "important"}, "2026-10-12T23:59:59+08:00", 4, False),
        # grade 1 implies important unless the complexity is given
        ("2026-09-30T10:00:00+08:00", {"grade": 1}, "2026-10-12T23:59:59+08:00", 4, False),
        ("2026-09-30T10:00:00+08:00", {"grade": 1, "complexity": "ordinary"}, "2026-10-09T23:59:59+08:00", 2, False),
        ("2026-09-30T10:00:00+08:00", {"grade": 3}, "2026-10-09T23:59:59+08:00", 2, False),
        # any offset; the local (Asia/Shanghai) receipt day counts
        ("2026-09-30T02:00:00Z", {}, "2026-10-09T23:59:59+08:00", 2, False),
        ("2026-09-29T20:00:00-04:00", {}, "2026-10-09T23:59:59+08:00", 2, False),
        ("2026-09-29T15:30:00Z", {}, "2026-10-08T23:59:59+08:00", 2, False),  # 23:30 on 09-29 local
        # National Day: Sunday 09-20 is a working day
        ("2026-09-19T10:00:00+08:00", {}, "2026-09-21T23:59:59+08:00", 2, False),
        # New Year 2026: 01-01..03 off, Sunday 01-04 worked
        ("2025-12-31T10:00:00+08:00", {}, "2026-01-05T23:59:59+08:00", 2, False),
        ("2025-12-31T10:00:00+08:00", {"complexity": "important"}, "2026-01-07T23:59:59+08:00", 4, False),
        # Spring Festival: Saturday 02-14 worked, 02-15..23 off
        ("2026-02-13T10:00:00+08:00", {}, "2026-02-24T23:59:59+08:00", 2, False),
        ("2026-02-13T10:00:00+08:00", {"complexity": "important"}, "2026-02-26T23:59:59+08:00", 4, False),
        # Labour Day: 05-01..05 off, Saturday 05-09 worked
        ("2026-04-30T10:00:00+08:00", {}, "2026-05-07T23:59:59+08:00", 2, False),
        ("2026-04-30T10:00:00+08:00", {"complexity": "important"}, "2026-05-09T23:59:59+08:00", 4, False),
        # Across 2026 → 2027: 2027 has no official data yet → provisional
        ("2026-12-30T10:00:00+08:00", {"complexity": "important"}, "2027-01-06T23:59:59+08:00", 4, True),
        ("2026-12-31T10:00:00+08:00", {}, "2027-01-05T23:59:59+08:00", 2, True),
        # integrators may ask about any time, also far ahead
        ("2030-06-03T09:00:00+08:00", {}, "2030-06-05T23:59:59+08:00", 2, True),
    ],
)
def test_deadline_table(org, client_for, received_at, params, due, working_days, provisional):
    r = ask(client_for("agent"), received_at=received_at, **params)
    assert r.status_code == 200, r.content
    body = r.json()
    assert datetime.fromisoformat(body["due_at"]) == datetime.fromisoformat(due)
    assert body["provisional"] is provisional
    assert body["working_days"] == working_days
    assert body["rule"]["kind"] == "working_days"


def test_due_at_is_the_utc_instant_of_local_end_of_day(org, client_for):
    body = ask(client_for("agent"), received_at="2026-09-30T10:00:00+08:00").json()
    assert datetime.fromisoformat(body["due_at"]) == datetime.fromisoformat("2026-10-09T15:59:59+00:00")
    assert body["rule"] == {"kind": "working_days", "code": "time_limit.ordinary", "complexity": "ordinary", "type": "complaint"}


def test_trailing_slash_and_unencoded_plus_are_accepted(org, client_for):
    c = client_for("agent")
    r = c.get("/api/v1/sla/deadline/?received_at=2026-09-30T10:00:00%2B08:00")
    assert r.status_code == 200
    # "+" not URL-encoded arrives as a space
    r = c.get("/api/v1/sla/deadline?received_at=2026-09-30T10:00:00+08:00")
    assert r.status_code == 200, r.content
    assert datetime.fromisoformat(r.json()["due_at"]) == datetime.fromisoformat("2026-10-09T23:59:59+08:00")


@pytest.mark.parametrize(
    ("params", "field", "code"),
    [
        ({"received_at": "2026-09-30T10:00:00"}, "received_at", "naive"),
        ({"received_at": "yesterday"}, "received_at", "invalid"),
        ({"received_at": "2026-02-30T10:00:00+08:00"}, "received_at", "invalid"),
        ({}, "received_at", "required"),
        ({"received_at": "2026-09-30T10:00:00+08:00", "complexity": "urgent"}, "complexity", "invalid_choice"),
        ({"received_at": "2026-09-30T10:00:00+08:00", "type": "rant"}, "type", "invalid_choice"),
        ({"received_at": "2026-09-30T10:00:00+08:00", "grade": "7"}, "grade", "max_value"),
        ({"received_at": "2026-09-30T10:00:00+08:00", "grade": "0"}, "grade", "min_value"),
        ({"received_at": "2026-09-30T10:00:00+08:00", "grade": "first"}, "grade", "invalid"),
    ],
)
def test_bad_input_is_400_with_field_codes(org, client_for, params, field, code):
    r = ask(client_for("agent"), **params)
    assert r.status_code == 400
    body = r.json()
    assert body["code"] == "validation_error"
    assert body["errors"][field][0]["code"] == code
    assert body["errors"][field][0]["message"]


def test_naive_message_is_chinese_by_default(org, client_for):
    body = ask(client_for("agent"), received_at="2026-09-30T10:00:00").json()
    message = body["errors"]["received_at"][0]["message"]
    assert any("\u4e00" <= ch <= "\u9fff" for ch in message), message


def test_anonymous_is_refused(org):
    from rest_framework.test import APIClient

    r = APIClient().get(URL, {"received_at": "2026-09-30T10:00:00+08:00"})
    assert r.status_code == 401
    assert r.json()["code"] == "not_authenticated"
