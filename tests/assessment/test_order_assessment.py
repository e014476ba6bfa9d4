from datetime import datetime

import pytest

from griddesk.assessment.models import OrderAssessment, ScoringRuleSet
from griddesk.assessment.services import scoring_rules_publish
from griddesk.common.errors import InvalidInput
from griddesk.engines.scoring import DEFAULT_RULES
from griddesk.workorders.models import RuleChange

from .conftest import SH, Spec, actor

pytestmark = pytest.mark.django_db

# Tuesday 2026-10-13 10:00: two working days later is Thursday 23:59:59.
TUE = datetime(2026, 10, 13, 10, 0, tzinfo=SH)


def test_on_time_clean_order_keeps_full_score(drive_order):
    o = drive_order(Spec(received=TUE, handle_hours=3))
    oa = OrderAssessment.objects.get(order=o)
    assert oa.on_time and oa.overdue_hours == 0
    assert oa.handling_hours == 3.0
    assert oa.at_fault is False and oa.visit_outcome == "satisfied" and oa.satisfied is True
    assert not oa.repeat and not oa.escalated and oa.first_time
    assert oa.score == 100 and oa.final_score == 100
    assert oa.rule_set.version == ScoringRuleSet.objects.order_by("-version").first().version
    assert oa.assessment is not None and oa.assessment.order_id == o.pk
    ev = o.events.get(action="assess")
    assert ev.data["score"] == 100 and ev.data["rules_version"] == oa.rule_set.version


def test_overdue_order_counts_working_hours_past_the_deadline(drive_order):
    # Deadline Thu 15th 23:59:59; closed Mon 19th 12:00 → Fri (9) + Mon 8:30..12:00 (3.5) working hours late.
    o = drive_order(Spec(received=TUE, handle_hours=(datetime(2026, 10, 19, 12, 0, tzinfo=SH) - TUE).total_seconds() / 3600))
    oa = OrderAssessment.objects.get(order=o)
    assert not oa.on_time
    assert oa.overdue_hours == 12.5
    # Tue 10:00–17:30 (7.5) + Wed, Thu, Fri (27) + Mon 8:30–12:00 (3.5)
    assert oa.handling_hours == 38.0
    assert oa.items["overdue"] == -10 and oa.items["overdue_hours"] == -12.5
    assert oa.score == 100 - 10 - 12.5


def test_fault_urges_escalation_reopen_and_repeat_are_scored(drive_order):
    first = drive_order(Spec(received=TUE, account="7000000001"))
    o = drive_order(
        Spec(received=TUE.replace(day=20), account="7000000001", channel="12345", at_fault=True, urges=2, reopen=True,
             outcome="basically_satisfied")
    )
    oa = OrderAssessment.objects.get(order=o)
    assert oa.at_fault is True and oa.escalated and oa.urge_count == 2 and oa.reopen_count == 1
    assert oa.repeat and oa.repeat_of_id == first.pk
    assert not oa.first_time and oa.satisfied is True
    assert oa.items == {"overdue": 0, "overdue_hours": 0, "at_fault": -20, "unsatisfied": 0, "repeat": -10,
                        "escalated": -10, "urged": -4, "reopened": -5}
    assert oa.score == 100 - 20 - 10 - 10 - 4 - 5


def test_repeat_window_is_editable_and_versioned(drive_order):
    drive_order(Spec(received=TUE, account="7000000002"))
    later = TUE.replace(month=11, day=24)  # 42 days later
    o1 = drive_order(Spec(received=later, account="7000000002"))
    assert OrderAssessment.objects.get(order=o1).repeat is False  # 30-day default window
    admin = actor("admin").user
    v = scoring_rules_publish(actor=admin, rules={**DEFAULT_RULES, "repeat_window_days": 90}, note="90 天")
    o2 = drive_order(Spec(received=later.replace(day=25), account="7000000002", category="business.tariff"))
    oa2 = OrderAssessment.objects.get(order=o2)
    assert oa2.repeat is True and oa2.rule_set == v
    # the first order still points at the version it used
    assert OrderAssessment.objects.get(order=o1).rule_set.version == v.version - 1
    audit = RuleChange.objects.filter(model="assessment.ScoringRuleSet", object_id=str(v.pk)).get()
    assert audit.after["rules"]["repeat_window_days"] == 90 and audit.before["version"] == v.version - 1


def test_invalid_rules_are_refused_and_nothing_is_published(org):
    before = ScoringRuleSet.objects.count()
    with pytest.raises(InvalidInput) as e:
        scoring_rules_publish(actor=actor("admin").user, rules={**DEFAULT_RULES, "items": {"nope": {"points": 1}}})
    assert e.value.code == "invalid_rules"
    assert ScoringRuleSet.objects.count() == before


def test_department_weight_applies(drive_order):
    scoring_rules_publish(actor=actor("admin").user, rules={**DEFAULT_RULES, "weights": {"marketing": 0.5}})
    o = drive_order(Spec(received=TUE, at_fault=True))
    oa = OrderAssessment.objects.get(order=o)
    assert oa.department.type == "marketing" and oa.weight == 0.5 and oa.score == 90


def test_manager_adjusts_with_reason_and_original_stays(drive_order, client_for):
    o = drive_order(Spec(received=TUE, at_fault=True))
    url = f"/api/v1/assessment/orders/{o.number}/"
    r = client_for("manager").post(url, {"score": 95}, format="json")
    assert r.status_code == 400 and "reason" in r.json()["errors"]
    r = client_for("marketing").post(url, {"score": 95, "reason": "x"}, format="json")
    assert r.status_code == 403
    r = client_for("manager").post(url, {"score": 95, "reason": "客户诉求不合理，责任认定有误"}, format="json")
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["score"] == 80 and body["final_score"] == 95 and body["adjusted"]
    assert body["adjustments"][0]["score_before"] == 80 and body["adjustments"][0]["actor"] == "manager"
    assert client_for("manager").get(url).json()["final_score"] == 95


def test_unassessed_order_cannot_be_adjusted(drive_order, client_for):
    o = drive_order(Spec(received=TUE, stop="visited"))
    r = client_for("manager").post(f"/api/v1/assessment/orders/{o.number}/", {"score": 90, "reason": "x"}, format="json")
    assert r.status_code == 409 and r.json()["code"] == "not_assessed"


def test_admin_publishes_a_new_version_and_keeps_the_old(org):
    import json

    from django.contrib.auth import get_user_model
    from django.test import Client

    c = Client()
    c.force_login(get_user_model().objects.get(username="admin"))
    before = list(ScoringRuleSet.objects.values_list("version", "rules"))
    page = c.get("/admin/assessment/scoringruleset/add/")
    assert page.status_code == 200 and "repeat_window_days" in page.content.decode()
    r = c.post("/admin/assessment/scoringruleset/add/", {"rules": json.dumps({**DEFAULT_RULES, "training_threshold": 5}), "note": "阈值 5"})
    assert r.status_code == 302, r.content.decode()[-2000:]
    assert list(ScoringRuleSet.objects.filter(version__in=[v for v, _r in before]).values_list("version", "rules")) == before
    latest = ScoringRuleSet.objects.order_by("-version").first()
    assert latest.rules["training_threshold"] == 5 and latest.created_by.username == "admin"
    assert RuleChange.objects.filter(model="assessment.ScoringRuleSet", object_id=str(latest.pk)).exists()
    bad = c.post("/admin/assessment/scoringruleset/add/", {"rules": json.dumps({"items": {"x": {}}}), "note": ""})
    assert bad.status_code == 200 and ScoringRuleSet.objects.count() == len(before) + 1
    # old versions cannot be edited
    old = ScoringRuleSet.objects.order_by("version").first()
    assert c.post(f"/admin/assessment/scoringruleset/{old.pk}/change/", {"rules": "{}", "note": "x"}).status_code == 403


def test_reassessment_after_reopen_updates_the_one_assessment(drive_order):
    from griddesk.demo.clock import simulated_clock
    from griddesk.workorders import services

    o = drive_order(Spec(received=TUE))
    admin = actor("admin")
    with simulated_clock() as clock:
        clock.at = TUE.replace(day=14, hour=9)
        for action, data in [
            ("reopen", {"reason": "客户再次反映"}),
            ("submit_report", {"findings": "复查", "responsibility": "公司责任", "rectification": "更换", "company_at_fault": True}),
            ("confirm_report", {}),
            ("return_visit", {"method": "phone", "outcome": "satisfied"}),
            ("assess", {}),
        ]:
            # four eyes: the manager confirms the report the admin submitted
            who = actor("manager") if action == "confirm_report" else admin
            services.work_order_act(order=o.number, actor=who, action=action, data=data)
    oa = OrderAssessment.objects.get(order=o)
    assert OrderAssessment.objects.filter(order=o).count() == 1
    assert oa.reopen_count == 1 and not oa.first_time and oa.at_fault is True
    assert oa.items["reopened"] == -5 and oa.items["at_fault"] == -20
    assert o.assessments.count() == 2 and oa.assessment == o.assessments.order_by("-pk").first()


def test_a_failed_assessment_leaves_nothing_half_written(drive_order, monkeypatch):
    from griddesk.assessment import services as a_services
    from griddesk.workorders import services

    o = drive_order(Spec(received=TUE, stop="visited"))

    def boom(**_kw):
        raise RuntimeError("scoring failed")

    monkeypatch.setattr(a_services, "order_assessment_compute", boom)
    with pytest.raises(RuntimeError):
        services.work_order_act(order=o.number, actor=actor("admin"), action="assess", data={})
    o.refresh_from_db()
    assert o.state == "visited" and o.assessments.count() == 0 and not OrderAssessment.objects.filter(order=o).exists()


def test_backfill_command_fills_missing_assessments_and_entries(drive_order):
    from django.core.management import call_command

    from griddesk.assessment.models import ArchiveEntry

    a = drive_order(Spec(received=TUE))
    b = drive_order(Spec(received=TUE, stop="archived", content="抄表员估抄导致电费异常"))
    OrderAssessment.objects.all().delete()
    ArchiveEntry.objects.all().delete()
    call_command("assessment_backfill", batch=1)
    assert set(OrderAssessment.objects.values_list("order_id", flat=True)) == {a.pk, b.pk}
    assert OrderAssessment.objects.get(order=a).assessment == a.assessments.get()
    assert list(ArchiveEntry.objects.values_list("order_id", flat=True)) == [b.pk]
    call_command("assessment_backfill")  # idempotent
    assert OrderAssessment.objects.count() == 2 and ArchiveEntry.objects.count() == 1
