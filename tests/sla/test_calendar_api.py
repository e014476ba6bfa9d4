"""The calendar API: year view, administrator overrides (single, bulk), confirmation, audit."""

from __future__ import annotations

import pytest

from griddesk.sla.models import CalendarOverride, ConfirmedYear
from griddesk.workorders.models import RuleChange

OVERRIDES = "/api/v1/calendar/overrides/"
NOTICE = "国务院办公厅关于2027年部分节假日安排的通知"


def days_of(body):
    return {d["date"]: d for d in body["days"]}


def test_official_year(org, client_for):
    r = client_for("agent").get("/api/v1/calendar/2026/")
    assert r.status_code == 200
    body = r.json()
    assert body["year"] == 2026 and body["provisional"] is False and body["official"] is True
    days = days_of(body)
    assert len(days) == 365
    assert days["2026-10-10"] == {"date": "2026-10-10", "is_workday": True, "source": "official"}  # adjusted Saturday
    assert days["2026-10-01"]["is_workday"] is False
    assert days["2026-09-30"]["is_workday"] is True


def test_unknown_year_uses_the_rule_and_is_provisional(org, client_for):
    body = client_for("leader").get("/api/v1/calendar/2027/").json()
    assert body["provisional"] is True and body["official"] is False and body["confirmation"] is None
    days = days_of(body)
    assert days["2027-01-01"] == {"date": "2027-01-01", "is_workday": False, "source": "rule"}
    assert days["2027-01-04"] == {"date": "2027-01-04", "is_workday": True, "source": "rule"}
    assert days["2027-10-03"]["is_workday"] is False and days["2027-01-02"]["is_workday"] is False


def test_year_out_of_range(org, client_for):
    r = client_for("agent").get("/api/v1/calendar/1800/")
    assert r.status_code == 400
    assert r.json()["errors"]["year"][0]["code"] == "out_of_range"


@pytest.mark.parametrize("username", ["agent", "specialist", "manager", "leader", "station"])
def test_only_administrators_change_the_calendar(org, client_for, username):
    c = client_for(username)
    body = {"date": "2027-01-04", "is_workday": False, "source_notice": NOTICE}
    for r in (
        c.post(OVERRIDES, body, format="json"),
        c.post(OVERRIDES, {"overrides": [body], "confirm_year": 2027, "notice": NOTICE}, format="json"),
        c.delete(f"{OVERRIDES}2027-01-04/"),
        c.post("/api/v1/calendar/2027/confirm/", {"notice": NOTICE}, format="json"),
    ):
        assert r.status_code == 403, r.content
        assert r.json()["code"] == "permission_denied"
    assert not CalendarOverride.objects.exists() and not ConfirmedYear.objects.exists()
    assert not RuleChange.objects.filter(model__startswith="sla.").exists()


def test_set_update_and_delete_an_override_are_audited(org, client_for):
    c = client_for("admin")
    body = {"date": "2027-01-04", "is_workday": False, "source_notice": NOTICE, "note": "元旦调休"}
    r = c.post(OVERRIDES, body, format="json")
    assert r.status_code == 201, r.content
    assert r.json()["status"] == "created" and r.json()["created_by"] == "admin"
    day = days_of(c.get("/api/v1/calendar/2027/").json())["2027-01-04"]
    assert day == {"date": "2027-01-04", "is_workday": False, "source": "override"}

    audit = RuleChange.objects.get(model="sla.CalendarOverride", change="create")
    assert audit.object_id == "2027-01-04" and audit.before is None and audit.actor.username == "admin"
    assert audit.after == {"day": "2027-01-04", "is_workday": False, "source_notice": NOTICE, "note": "元旦调休"}

    again = c.post(OVERRIDES, body, format="json")
    assert again.status_code == 200 and again.json()["status"] == "unchanged"
    assert RuleChange.objects.filter(model="sla.CalendarOverride").count() == 1

    r = c.post(OVERRIDES, {**body, "is_workday": True}, format="json")
    assert r.status_code == 200 and r.json()["status"] == "updated"
    upd = RuleChange.objects.get(model="sla.CalendarOverride", change="update")
    assert upd.before["is_workday"] is False and upd.after["is_workday"] is True

    assert c.delete(f"{OVERRIDES}2027-01-04/").status_code == 204
    assert not CalendarOverride.objects.exists()
    assert RuleChange.objects.get(model="sla.CalendarOverride", change="delete").before["is_workday"] is True
    assert days_of(c.get("/api/v1/calendar/2027/").json())["2027-01-04"]["source"] == "rule"

    missing = c.delete(f"{OVERRIDES}2027-01-04/")
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"
    bad = c.delete(f"{OVERRIDES}tomorrow/")
    assert bad.status_code == 400 and bad.json()["errors"]["date"][0]["code"] == "invalid"


def test_an_override_beats_official_data(org, client_for):
    c = client_for("admin")
    r = c.post(OVERRIDES, {"date": "2026-10-10", "is_workday": False, "source_notice": "本地应急安排"}, format="json")
    assert r.status_code == 201
    assert days_of(c.get("/api/v1/calendar/2026/").json())["2026-10-10"]["source"] == "override"
    due = c.get("/api/v1/sla/deadline", {"received_at": "2026-09-30T10:00:00+08:00", "complexity": "important"}).json()
    assert due["due_at"].startswith("2026-10-13T23:59:59")


@pytest.mark.parametrize(
    ("change", "field", "code"),
    [
        ({"date": "2027-02-30"}, "date", "invalid"),
        ({"date": "2027-01-04T00:00:00+08:00"}, "date", "invalid"),
        ({"date": "1800-01-01"}, "date", "date_out_of_range"),
        ({"date": None}, "date", "null"),
        ({"is_workday": "maybe"}, "is_workday", "invalid"),
        ({"is_workday": None}, "is_workday", "null"),
        ({"source_notice": ""}, "source_notice", "blank"),
        ({"source_notice": "通知\x01"}, "source_notice", "control_characters"),
        ({"source_notice": "通知\x00"}, "source_notice", "nul_character"),
        ({"note": "x" * 501}, "note", "max_length"),
    ],
)
def test_bad_override_is_400_with_codes(org, client_for, change, field, code):
    body = {"date": "2027-01-04", "is_workday": False, "source_notice": NOTICE, **change}
    r = client_for("admin").post(OVERRIDES, body, format="json")
    assert r.status_code == 400, r.content
    assert r.json()["errors"][field][0]["code"] == code
    assert not CalendarOverride.objects.exists()


def test_missing_fields(org, client_for):
    r = client_for("admin").post(OVERRIDES, {}, format="json")
    assert r.status_code == 400
    errors = r.json()["errors"]
    assert {f: e[0]["code"] for f, e in errors.items()} == {
        "date": "required", "is_workday": "required", "source_notice": "required"
    }


def test_bulk_import_reports_errors_per_item_and_writes_nothing(org, client_for):
    items = [
        {"date": "2027-01-01", "is_workday": False},
        {"date": "2027-02-30", "is_workday": False},
        {"date": "2027-01-01", "is_workday": False},
        {"date": "2027-02-20", "is_workday": True, "source_notice": ""},
    ]
    r = client_for("admin").post(OVERRIDES, {"overrides": items, "confirm_year": 2027, "notice": NOTICE}, format="json")
    assert r.status_code == 400, r.content
    per_item = r.json()["errors"]["overrides"]
    assert set(per_item) == {"1"}  # keyed by the index of the failing item
    assert per_item["1"]["date"][0]["code"] == "invalid"
    r = client_for("admin").post(
        OVERRIDES, {"overrides": [items[0], items[0]], "confirm_year": 2027}, format="json"
    )
    errors = r.json()["errors"]
    assert errors["overrides"]["1"]["date"][0]["code"] == "duplicate"
    assert errors["overrides"]["0"]["source_notice"][0]["code"] == "required"
    assert errors["notice"][0]["code"] == "required"
    assert not CalendarOverride.objects.exists() and not ConfirmedYear.objects.exists()


def test_bulk_import_and_confirm(org, client_for, committed):
    items = [{"date": d, "is_workday": False} for d in ("2027-01-01", "2027-02-06", "2027-02-07")]
    items.append({"date": "2027-02-13", "is_workday": True, "note": "春节调休上班"})
    with committed():
        r = client_for("admin").post(OVERRIDES, {"overrides": items, "confirm_year": 2027, "notice": NOTICE}, format="json")
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["created"] == 4 and body["confirmation"] == "confirmed" and body["confirmed_year"] == 2027
    assert [x["status"] for x in body["results"]] == ["created"] * 4
    assert CalendarOverride.objects.get(day="2027-02-13").source_notice == NOTICE
    year = client_for("agent").get("/api/v1/calendar/2027/").json()
    assert year["provisional"] is False
    assert year["confirmation"]["notice"] == NOTICE and year["confirmation"]["confirmed_by"] == "admin"
    assert len(year["overrides"]) == 4
    assert RuleChange.objects.filter(model="sla.CalendarOverride", change="create").count() == 4
    assert RuleChange.objects.get(model="sla.ConfirmedYear").after == {"year": 2027, "notice": NOTICE}
    # one recomputation for the whole import
    assert RuleChange.objects.filter(model="sla.DeadlineRecompute").count() == 1


def test_confirming_needs_the_notice_dates_first(org, client_for):
    c = client_for("admin")
    r = c.post("/api/v1/calendar/2028/confirm/", {"notice": "2028通知"}, format="json")
    assert r.status_code == 400 and r.json()["errors"]["year"][0]["code"] == "no_overrides"
    r = c.post(OVERRIDES, {"overrides": [], "confirm_year": 2028, "notice": "2028通知"}, format="json")
    assert r.status_code == 400 and r.json()["errors"]["confirm_year"][0]["code"] == "no_overrides"
    r = c.post("/api/v1/calendar/2028/confirm/", {}, format="json")
    assert r.status_code == 400 and r.json()["errors"]["notice"][0]["code"] == "required"
    # an official year is always confirmed; nothing is written
    r = c.post("/api/v1/calendar/2026/confirm/", {"notice": "x"}, format="json")
    assert r.status_code == 200 and r.json()["status"] == "official"
    assert not ConfirmedYear.objects.exists()
    r = c.delete("/api/v1/calendar/2028/confirm/")
    assert r.status_code == 404


def test_schema_lists_the_calendar_endpoints(org, client_for):
    r = client_for("agent").get("/api/schema/")
    assert r.status_code == 200
    for path in (b"/api/v1/calendar/{year}/", b"/api/v1/calendar/overrides/", b"/api/v1/sla/deadline"):
        assert path in r.content
