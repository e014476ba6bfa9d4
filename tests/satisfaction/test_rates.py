"""Return-visit satisfaction rates by dimension and period."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from griddesk.satisfaction.models import VisitTask
from griddesk.workorders.models import ReturnVisit

from .test_visits import fed_back

pytestmark = pytest.mark.django_db


def _visit(client, outcome: str, *, words: str = "", attempts: int = 0) -> str:
    order = fed_back()
    task = VisitTask.objects.get(order=order)
    for _ in range(attempts):
        client.post(f"/api/v1/return-visits/{task.pk}/attempts/", {"method": "phone", "reached": False}, format="json")
    if outcome != "unreachable":
        r = client.post(f"/api/v1/return-visits/{task.pk}/outcome/",
                        {"method": "phone", "outcome": outcome, "customer_words": words or "好"}, format="json")
        assert r.status_code == 200, r.content
    return order.number


def test_rates_by_department_and_staff(org, client_for):
    c = client_for("specialist")
    for outcome in ["satisfied", "satisfied", "basically_satisfied", "unsatisfied"]:
        _visit(c, outcome)
    _visit(c, "unreachable", attempts=3)
    body = client_for("manager").get("/api/v1/satisfaction/visit-rates/?by=department").json()
    (row,) = body["rows"]
    assert row["key"] == "city-marketing"  # grade 3 → marketing leads
    assert row["visits"] == 5 and row["unreachable"] == 1
    assert (row["numerator"], row["denominator"]) == (3, 4) and row["rate"] == 0.75
    assert body["total"]["rate"] == 0.75
    staff = client_for("manager").get("/api/v1/satisfaction/visit-rates/?by=staff").json()["rows"]
    assert [(r["key"], r["denominator"]) for r in staff] == [("specialist", 4)]
    chan = client_for("manager").get("/api/v1/satisfaction/visit-rates/?by=channel").json()["rows"]
    assert chan[0]["key"] == "95598" and chan[0]["label"]
    cat = client_for("manager").get("/api/v1/satisfaction/visit-rates/?by=category").json()["rows"]
    assert cat[0]["key"] == "business.tariff"


def test_rates_by_period_use_local_month(org, client_for):
    c = client_for("specialist")
    n1 = _visit(c, "satisfied")
    n2 = _visit(c, "unsatisfied", words="不满意")
    tz = ZoneInfo("Asia/Shanghai")
    # 2026-10-31 23:30 local is October even though it is still the 31st in UTC… and 2026-11-01 00:30 local is November.
    ReturnVisit.objects.filter(order__number=n1).update(visited_at=datetime(2026, 10, 31, 23, 30, tzinfo=tz))
    ReturnVisit.objects.filter(order__number=n2).update(visited_at=datetime(2026, 11, 1, 0, 30, tzinfo=tz))
    rows = client_for("manager").get("/api/v1/satisfaction/visit-rates/?by=period").json()["rows"]
    assert [(r["key"], r["numerator"], r["denominator"]) for r in rows] == [("2026-10", 1, 1), ("2026-11", 0, 1)]
    only = client_for("manager").get("/api/v1/satisfaction/visit-rates/?by=department&period=2026-10").json()
    assert only["total"] == {"numerator": 1, "denominator": 1, "rate": 1.0}
    q4 = client_for("manager").get("/api/v1/satisfaction/visit-rates/?by=staff&period=2026-Q4").json()
    assert q4["total"]["denominator"] == 2


def test_rates_bad_input_and_roles(org, client_for):
    m = client_for("manager")
    r = m.get("/api/v1/satisfaction/visit-rates/?by=colour")
    assert r.status_code == 400 and "by" in r.json()["errors"]
    r = m.get("/api/v1/satisfaction/visit-rates/?by=station&period=2026-13")
    assert r.status_code == 400 and r.json()["code"] == "invalid_period"
    assert client_for("agent").get("/api/v1/satisfaction/visit-rates/?by=station").status_code == 403
    assert m.get("/api/v1/satisfaction/visit-rates/?by=station").json()["rows"] == []
