"""The daily rollups (ADR 0011) give the same figures as a direct recount of the
orders, on varied data and after the changes that move figures between days
and periods; the refresh is incremental; the command and the schedule exist."""

from datetime import date, datetime, timedelta
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import transaction

from griddesk.assessment import rollups, selectors
from griddesk.assessment.models import DailyRollup, OrderAssessment, RollupDirtyDay
from griddesk.assessment.services import order_assessment_adjust
from griddesk.demo.clock import simulated_clock
from griddesk.engines import kpi
from griddesk.organisation.access import actor_for
from griddesk.workorders import services
from griddesk.workorders.models import WorkOrder

from .conftest import OCT, SH, Spec, actor, drive

pytestmark = pytest.mark.django_db

PERIODS = ["2026-09", "2026-10", "2026-11", "2026-Q4"]


def act(number: str, action: str, at: datetime, who: str = "admin", **data: Any) -> None:
    with simulated_clock() as clock:
        clock.at = at
        services.work_order_act(order=number, actor=actor(who), action=action, data=data)


def viewers() -> list[Any]:
    from griddesk.organisation.models import Department, StaffProfile

    user, created = get_user_model().objects.get_or_create(username="east_manager")
    if created:
        StaffProfile.objects.create(user=user, department=Department.objects.get(code="east"), role="manager")
    return [actor("admin"), actor("manager"), actor_for(user)]


def assert_rollup_equals_recount(who: Any) -> int:
    """Every figure of every level and period, the dashboard tables and the
    training flags: rollup == live recount (p90: within one histogram bucket)."""
    compared = 0
    for label in PERIODS:
        period = kpi.parse_period(label)
        for level in (*selectors.LEVELS, selectors.ALL):
            rolled = selectors.scorecards(who, period=period, level=level, source="rollup")
            live = selectors.scorecards(who, period=period, level=level, source="live")
            assert rolled["source"] == "rollup" and live["source"] == "live"
            r_units = {u["unit"]: {k["code"]: k for k in u["kpis"]} for u in rolled["units"]}
            l_units = {u["unit"]: {k["code"]: k for k in u["kpis"]} for u in live["units"]}
            assert set(r_units) == set(l_units), (label, level)
            for unit, l_kpis in l_units.items():
                for code, lk in l_kpis.items():
                    rk = r_units[unit][code]
                    where = (who.user.username, label, level, unit, code)
                    assert rk["drilldown"] == lk["drilldown"], where
                    assert rk["denominator"] == pytest.approx(lk["denominator"], abs=1e-6), where
                    if code == "p90_handling_hours":
                        assert (rk["value"] is None) == (lk["value"] is None), where
                        if lk["value"] is not None:
                            assert abs(rk["value"] - lk["value"]) <= rollups.BUCKET_HOURS + 1e-9, where
                        continue
                    assert rk["numerator"] == pytest.approx(lk["numerator"], abs=1e-3), where
                    if lk["value"] is None:
                        assert rk["value"] is None, where
                    else:
                        assert rk["value"] == pytest.approx(lk["value"], abs=1e-3), where
                    for cmp in ("previous", "same_period_last_year"):
                        assert (rk[cmp]["previous"] is None) == (lk[cmp]["previous"] is None), where
                    compared += 1
        assert selectors.category_pareto(who, period=period, source="rollup") == selectors.category_pareto(who, period=period, source="live")
        assert selectors.heat_table(who, period=period, source="rollup") == selectors.heat_table(who, period=period, source="live")
        assert selectors.trend(who, period=period, source="rollup") == selectors.trend(who, period=period, source="live")
        flags = [selectors.training_flags(who, period=period, source=s) for s in ("rollup", "live")]
        assert flags[0]["staff"] == flags[1]["staff"]
    return compared


def received(who: Any, label: str, level: str = selectors.ALL, source: str = "rollup") -> dict[str, float]:
    card = selectors.scorecards(who, period=kpi.parse_period(label), level=level, source=source, compare=False)
    return {u["unit"]: next(k["numerator"] for k in u["kpis"] if k["code"] == "complaints_per_10k") for u in card["units"]}


def test_rollup_and_direct_recount_agree_through_changes(dataset, monkeypatch):
    # --- orders at the edges of local months (UTC dates differ from Asia/Shanghai dates)
    late_oct = drive(Spec(received=datetime(2026, 10, 31, 23, 30, tzinfo=SH), station="east-ps-1", at_fault=True))
    early_nov = drive(Spec(received=datetime(2026, 11, 1, 0, 10, tzinfo=SH), station="east-ps-1", handle_hours=30))
    early_oct = drive(Spec(received=datetime(2026, 10, 1, 0, 30, tzinfo=SH), station="west-ps-1"))
    # the local day is marked dirty, not the UTC one (16:10 UTC on 31 October)
    assert RollupDirtyDay.objects.filter(day=date(2026, 11, 1)).exists()
    # --- a September order handled late: its return visit and assessment happen in October
    late = drive(Spec(received=datetime(2026, 9, 30, 22, 0, tzinfo=SH), station="east-ps-2", stop="investigating"))
    rollups.rollup_refresh()
    for who in viewers():
        assert assert_rollup_equals_recount(who) > 100
    admin = actor("admin")
    sept_before = received(admin, "2026-09")
    assert received(admin, "2026-10", "company")  # non-empty
    at = datetime(2026, 10, 20, 10, 0, tzinfo=SH)
    report = dict(findings="核实", responsibility="分析", rectification="整改", company_at_fault=True)
    act(late.number, "submit_report", at, **report)
    act(late.number, "confirm_report", at + timedelta(hours=1), who="manager")  # four eyes
    act(late.number, "return_visit", at + timedelta(days=2), method="phone", outcome="satisfied")
    act(late.number, "assess", at + timedelta(days=3))
    assert OrderAssessment.objects.get(order=late).received_at.astimezone(SH).date() == date(2026, 9, 30)
    # --- reopen an assessed order and re-assess it (at fault this time)
    first = dataset[0]
    fact_before = OrderAssessment.objects.get(order=first)
    assert fact_before.at_fault is False and fact_before.first_time
    nov = datetime(2026, 11, 10, 9, 0, tzinfo=SH)
    act(first.number, "reopen", nov, reason="客户再次来电")
    act(first.number, "submit_report", nov + timedelta(hours=1), **report)
    act(first.number, "confirm_report", nov + timedelta(hours=2), who="manager")
    act(first.number, "return_visit", nov + timedelta(days=1), method="phone", outcome="satisfied")
    act(first.number, "assess", nov + timedelta(days=2))
    fact_after = OrderAssessment.objects.get(order=first)
    assert fact_after.at_fault is True and not fact_after.first_time
    # --- invalidate an open order (an event, no assessment service involved)
    open_order = next(o for o in dataset if o.state == "received")
    act(open_order.number, "invalidate", nov, reason="重复来电")
    # --- adjust a score
    order_assessment_adjust(actor=actor("manager"), number=early_oct.number, score=42.0, reason="复核")

    # before the refresh the rollups still show the old figures; the lists are live
    assert received(admin, "2026-10") != received(admin, "2026-10", source="live")
    result = rollups.rollup_refresh()
    assert result.kind == "refresh" and result.days >= 4
    assert not RollupDirtyDay.objects.exists()
    for who in viewers():
        assert_rollup_equals_recount(who)
    assert received(admin, "2026-09")[selectors.ALL] == sept_before[selectors.ALL]  # received is not assessed
    # the re-assessed order moved into the at-fault counts of its station
    period = kpi.parse_period("2026-10")
    card = selectors.scorecards(admin, period=period, level="station", source="rollup", compare=False)
    e1 = {u["unit"]: {k["code"]: k for k in u["kpis"]} for u in card["units"]}["east-ps-1"]
    # east-ps-1 in October: the overdue at-fault order, the re-assessed one, the one at 23:30 on the 31st
    assert e1["at_fault_rate"]["numerator"] == 3 and e1["first_time_rate"]["numerator"] == 2
    # the orders at the month edges count in their local months
    nov_units = received(admin, "2026-11", "station")
    assert nov_units["east-ps-1"] == 2  # the November noise order and the one at 00:10 on 1 November
    oct_days = set(DailyRollup.objects.filter(level="all", day__gte=date(2026, 10, 31)).values_list("day", flat=True))
    assert {date(2026, 10, 31), date(2026, 11, 1)} <= oct_days  # 23:30 and 00:10 local: two local days
    assert late_oct.received_at.astimezone(SH).date() != early_nov.received_at.astimezone(SH).date()


def test_refresh_is_incremental_and_marks_days_in_the_transaction(dataset, monkeypatch):
    monkeypatch.setattr(rollups, "EVENT_OVERLAP", 0)
    rollups.rollup_refresh()
    again = rollups.rollup_refresh()
    assert again.kind == "refresh" and again.days == 0  # nothing changed
    order = next(o for o in dataset if OrderAssessment.objects.filter(order=o).exists())
    order_assessment_adjust(actor=actor("manager"), number=order.number, score=1.0, reason="复核")
    day = order.received_at.astimezone(SH).date()
    assert list(RollupDirtyDay.objects.values_list("day", flat=True)) == [day]
    res = rollups.rollup_refresh()
    assert res.days == 1  # the adjustment writes no work-order event: only the marked day
    card = selectors.scorecards(actor("admin"), period=kpi.parse_period("2026-10"), level=selectors.ALL, source="rollup")
    live = selectors.scorecards(actor("admin"), period=kpi.parse_period("2026-10"), level=selectors.ALL, source="live")
    score = lambda c: next(k for k in c["units"][0]["kpis"] if k["code"] == "avg_score")["numerator"]  # noqa: E731
    assert score(card) == pytest.approx(score(live))
    # a failed change marks nothing: the mark is in the same transaction
    with pytest.raises(RuntimeError), transaction.atomic():
        order_assessment_adjust(actor=actor("manager"), number=order.number, score=5.0, reason="复核")
        assert RollupDirtyDay.objects.filter(day=day).exists()
        raise RuntimeError("rolled back")
    assert not RollupDirtyDay.objects.exists()
    # an event-only change (invalidation) reaches the rollup through the event log
    open_order = next(o for o in dataset if o.state == "received")
    act(open_order.number, "invalidate", OCT + timedelta(days=12), reason="无效")
    res = rollups.rollup_refresh()
    assert res.days == 1


def test_auto_source_uses_rollups_once_built(dataset, client_for):
    admin = actor("admin")
    assert selectors.scorecards(admin, period=kpi.parse_period("2026-10"), level="company")["source"] == "rollup"
    body = client_for("manager").get("/api/v1/assessment/scorecards/?period=2026-10&level=company").json()
    assert body["source"] == "rollup" and body["as_of"]
    # roles outside the company-wide viewers never read the rollups
    with pytest.raises(ValueError):
        selectors.scorecards(actor("agent"), period=kpi.parse_period("2026-10"), level="company", source="rollup")


def test_rebuild_command_and_schedule(dataset, capsys):
    from django_q.models import Schedule

    from griddesk.assessment.tasks import refresh_rollups

    DailyRollup.objects.all().delete()
    call_command("assessment", "rebuild-rollups", "--from", "2026-10-01", "--to", "2026-10-31")
    out = capsys.readouterr().out
    assert '"kind": "rebuild"' in out and '"days": 31' in out
    days = set(DailyRollup.objects.values_list("day", flat=True))
    assert days and all(date(2026, 10, 1) <= d <= date(2026, 10, 31) for d in days)
    assert received(actor("admin"), "2026-10", "station") == received(actor("admin"), "2026-10", "station", source="live")
    with pytest.raises(CommandError):
        call_command("assessment", "rebuild-rollups", "--from", "2026-10-31", "--to", "2026-10-01")
    with pytest.raises(CommandError):
        call_command("assessment", "rebuild-rollups", "--from", "31.10.2026")
    s = Schedule.objects.get(func="griddesk.assessment.tasks.refresh_rollups")
    assert s.schedule_type == "I" and s.minutes == 10
    assert refresh_rollups()["kind"] == "refresh"
    assert WorkOrder.objects.exists()


def test_the_scheduled_task_leaves_a_big_first_build_to_the_command(dataset):
    from griddesk.assessment.models import RollupState

    RollupState.objects.all().delete()  # never built
    skipped = rollups.rollup_refresh(max_rebuild_orders=3)
    assert skipped.kind.startswith("skipped") and rollups.rollup_as_of() is None
    # until then the figures are counted live
    assert selectors.scorecards(actor("admin"), period=kpi.parse_period("2026-10"), level="company")["source"] == "live"
    built = rollups.rollup_refresh(max_rebuild_orders=10_000)
    assert built.kind == "rebuild" and rollups.rollup_as_of() is not None


def test_customer_station_or_category_edit_reaches_the_rollups(dataset, admin_client):
    """Moving a customer to another station or category (admin form) moves its
    past orders between units; the edit marks their days, and after the
    scheduled refresh the rollups equal the live recount again."""
    from griddesk.customers.models import Customer
    from griddesk.organisation.models import Department

    rollups.rollup_refresh()
    order = next(o for o in dataset if o.customer_id and o.customer.station_id)
    customer = Customer.objects.get(pk=order.customer_id)
    other = Department.objects.filter(type="power_station").exclude(pk=customer.station_id).first()
    new_category = "commercial" if customer.category != "commercial" else "residential"
    url = f"/admin/customers/customer/{customer.pk}/change/"
    page = admin_client.get(url)
    assert page.status_code == 200
    form = page.context["adminform"].form
    data = {k: ("" if v is None else v) for k, v in form.initial.items() if k in form.fields}
    data.update(station=other.pk, category=new_category, sensitive="on" if customer.sensitive else "")
    if not customer.sensitive:
        data.pop("sensitive")
    r = admin_client.post(url, data)
    assert r.status_code == 302, r.content[:2000]
    customer.refresh_from_db()
    assert (customer.station_id, customer.category) == (other.pk, new_category)
    days = {rollups.local_day(o.received_at) for o in WorkOrder.objects.filter(customer=customer)}
    assert days and days <= set(RollupDirtyDay.objects.values_list("day", flat=True))
    rollups.rollup_refresh()
    assert_rollup_equals_recount(actor("admin"))


def test_customer_edit_of_other_fields_marks_nothing(dataset):
    from griddesk.customers.models import Customer
    from griddesk.customers.services import customer_save

    rollups.rollup_refresh()
    customer = Customer.objects.filter(orders__isnull=False).first()
    customer.name = "改名"
    customer_save(instance=customer, changed=["name"])
    assert not RollupDirtyDay.objects.exists()
