"""Every KPI's order count equals the count of its drill-down list."""

from datetime import datetime
from urllib.parse import urlparse

import pytest

from griddesk.assessment.models import OrderAssessment
from griddesk.customers.models import Customer

from .conftest import SH

pytestmark = pytest.mark.django_db

OCT = datetime(2026, 10, 12, 9, 0, tzinfo=SH)  # Monday


def _count(client, url):
    r = client.get(url + "&page_size=500")
    assert r.status_code == 200, r.content
    return r.json()["count"]


def test_drilldown_counts_stay_exact_above_the_list_count_cap(dataset, client_for, monkeypatch):
    """Lists count exactly only up to a cap (10,000; here 1): a drill-down link
    asks for the exact count, so at any size its count equals the figure."""
    from griddesk.common import pagination

    monkeypatch.setattr(pagination.CappedCountPaginator, "cap", 1)
    client = client_for("admin")
    card = client.get("/api/v1/assessment/scorecards/?period=2026-10&level=company").json()
    above = 0
    for unit in card["units"]:
        for k in unit["kpis"]:
            expected = k["numerator"] if k["counts"] == "numerator" else k["denominator"]
            assert "count=exact" in k["drilldown"]
            assert _count(client, k["drilldown"]) == expected, (unit["unit"], k)
            above += expected > 1
    assert above, "some figure must exceed the cap, or this proves nothing"
    plain = client.get("/api/v1/work-orders/?page_size=1").json()
    assert plain["count_exact"] is False  # the cap is in force for ordinary lists


def test_every_kpi_reconciles_with_its_drilldown(dataset, client_for):
    """One data set, every level, two viewers (admin: everything; manager: the company subtree)."""
    for who in ("manager", "admin"):
        client = client_for(who)
        for level in ("company", "department", "station", "staff", "customer_category"):
            r = client.get(f"/api/v1/assessment/scorecards/?period=2026-10&level={level}")
            assert r.status_code == 200, r.content
            card = r.json()
            assert card["source"] == "rollup" and card["as_of"], "the figures come from the refreshed rollups"
            assert card["units"], f"the data set has units on level {level}"
            checked = 0
            for unit in card["units"]:
                for k in unit["kpis"]:
                    assert urlparse(k["drilldown"]).path == "/api/v1/work-orders/"
                    expected = k["numerator"] if k["counts"] == "numerator" else k["denominator"]
                    assert _count(client, k["drilldown"]) == expected, (who, level, unit["unit"], k)
                    checked += 1
            assert checked >= len(card["units"]) * 9
            nonzero = [k for u in card["units"] for k in u["kpis"] if k["numerator"]]
            assert nonzero, "reconciling only zeros would prove nothing"


def test_scorecard_figures_are_the_expected_ones(dataset, client_for):
    card = client_for("admin").get("/api/v1/assessment/scorecards/?period=2026-10&level=station").json()
    units = {u["unit"]: {k["code"]: k for k in u["kpis"]} for u in card["units"]}
    e1 = units["east-ps-1"]
    # received in October (valid): 2 assessed + 1 investigating; the invalid one is out
    assert e1["complaints_per_10k"]["numerator"] == 3
    customers = Customer.objects.filter(station__code="east-ps-1", created_at__lt=datetime(2026, 11, 1, tzinfo=SH)).count()
    assert customers == Customer.objects.filter(station__code="east-ps-1").count() - 2  # the new one and November's
    assert e1["complaints_per_10k"]["denominator"] == customers
    assert e1["complaints_per_10k"]["value"] == pytest.approx(3 * 10000 / customers, rel=1e-4)
    assert (e1["on_time_rate"]["numerator"], e1["on_time_rate"]["denominator"]) == (1, 2)
    assert e1["at_fault_rate"]["value"] == 50.0
    e2 = units["east-ps-2"]
    assert (e2["repeat_rate"]["numerator"], e2["escalation_rate"]["numerator"], e2["first_time_rate"]["numerator"]) == (1, 1, 2)
    w1 = units["west-ps-1"]
    # one unreachable visit: not in the satisfaction denominator
    assert (w1["satisfaction_rate"]["numerator"], w1["satisfaction_rate"]["denominator"]) == (1, 1)
    assert w1["escalation_rate"]["numerator"] == 1
    # previous period comparison: east-ps-1 had one at-fault order in September (100 %)
    assert e1["at_fault_rate"]["previous"]["previous"] == 100.0
    assert e1["at_fault_rate"]["previous"]["change"] == -50.0
    # rankings: the on-time rate ranks the stations, best first
    ranks = {u: k["on_time_rate"]["rank"] for u, k in units.items()}
    best = [u for u, r in ranks.items() if r == 1]
    assert all(units[u]["on_time_rate"]["value"] == 100.0 for u in best)


def test_p90_and_average_handling_hours(dataset, client_for):
    card = client_for("admin").get("/api/v1/assessment/scorecards/?period=2026-10&level=company").json()
    for unit in card["units"]:
        k = {x["code"]: x for x in unit["kpis"]}
        hours = sorted(
            OrderAssessment.objects.filter(
                company__code=unit["unit"], order_type="complaint",
                received_at__gte=datetime(2026, 10, 1, tzinfo=SH), received_at__lt=datetime(2026, 11, 1, tzinfo=SH),
            ).values_list("handling_hours", flat=True)
        )
        if not hours:
            continue
        assert k["avg_handling_hours"]["denominator"] == len(hours)
        assert k["avg_handling_hours"]["value"] == pytest.approx(sum(hours) / len(hours), abs=1e-3)
        assert min(hours) <= k["p90_handling_hours"]["value"] <= max(hours)


def test_quarter_and_year_periods_and_bad_input(dataset, client_for):
    c = client_for("manager")
    q = c.get("/api/v1/assessment/scorecards/?period=2026-Q4&level=company&compare=false").json()
    y = c.get("/api/v1/assessment/scorecards/?period=2026&level=company&compare=false").json()
    m = c.get("/api/v1/assessment/scorecards/?period=2026-10&level=company&compare=false").json()

    def total(card):
        return sum(k["numerator"] for u in card["units"] for k in u["kpis"] if k["code"] == "complaints_per_10k")

    assert total(m) == 14 and total(q) == 15 and total(y) == 17
    r = c.get("/api/v1/assessment/scorecards/?period=2026-13&level=company")
    assert r.status_code == 400 and r.json()["errors"]["period"][0]["code"] == "invalid_period"
    r = c.get("/api/v1/assessment/scorecards/?period=2026-10&level=planet")
    assert r.status_code == 400 and "level" in r.json()["errors"]
    assert client_for("agent").get("/api/v1/assessment/scorecards/?period=2026-10").status_code == 403


def test_training_flags_follow_the_editable_threshold(dataset, client_for):
    from django.contrib.auth import get_user_model

    from griddesk.assessment.services import scoring_rules_publish
    from griddesk.engines.scoring import DEFAULT_RULES

    c = client_for("manager")
    body = c.get("/api/v1/assessment/training-flags/?period=2026-10").json()
    assert body["threshold"] == 3
    # three at-fault reports each in October (admin's September one is another period)
    assert [s["username"] for s in body["staff"]] == ["admin", "marketing"]
    for flagged in body["staff"]:
        assert _count(c, flagged["drilldown"]) == flagged["at_fault"] == 3
    scoring_rules_publish(actor=get_user_model().objects.get(username="admin"), rules={**DEFAULT_RULES, "training_threshold": 4})
    assert c.get("/api/v1/assessment/training-flags/?period=2026-10").json()["staff"] == []


def test_a_county_manager_sees_and_reconciles_only_the_county(dataset):
    from django.contrib.auth import get_user_model
    from rest_framework.test import APIClient

    from griddesk.organisation.models import Department, StaffProfile

    user = get_user_model().objects.create_user("east_manager")
    StaffProfile.objects.create(user=user, department=Department.objects.get(code="east"), role="manager")
    client = APIClient()
    client.force_authenticate(user)
    for level in ("company", "station", "staff"):
        card = client.get(f"/api/v1/assessment/scorecards/?period=2026-10&level={level}&compare=false").json()
        if level == "company":
            assert [u["unit"] for u in card["units"]] == ["east"]
        if level == "station":
            assert {u["unit"] for u in card["units"]} == {"east-ps-1", "east-ps-2"}
        for unit in card["units"]:
            for k in unit["kpis"]:
                expected = k["numerator"] if k["counts"] == "numerator" else k["denominator"]
                assert _count(client, k["drilldown"]) == expected, (level, unit["unit"], k)
    flags = client.get("/api/v1/assessment/training-flags/?period=2026-10&compare=false").json()
    # admin reported two at-fault east orders: below the threshold of 3 inside the county
    assert flags["staff"] == []
