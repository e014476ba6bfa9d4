from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.test import Client

from griddesk.opinion.demo import load_opinion_demo
from griddesk.opinion.models import OpinionItem, RiskKeyword, RiskSettings, Story, TopicSeverity
from griddesk.workorders.models import RuleChange

from .conftest import item_payload


def test_demo_creates_a_storm_burst_a_critical_exposure_and_praise(org: Any) -> None:
    counts = load_opinion_demo()
    assert counts["items"] > 50
    storm = Story.objects.filter(topic="outage", area__code="east").order_by("-burst")
    assert storm.exists() and storm[0].burst >= 0.5
    viral = Story.objects.filter(items__url="https://weibo.example.com/demo/storm-0").get()
    assert viral.copies >= 5  # the reposts joined one story
    exposure = Story.objects.get(items__url="https://news.example.com/demo/exposure")
    assert exposure.risk_level in ("high", "critical") and exposure.state == "transferred" and exposure.work_order
    praise = OpinionItem.objects.get(url="https://wx.example.com/demo/praise-0")
    assert praise.risk_level == "low" and praise.negativity < 0.5
    top = Story.objects.order_by("-risk_rank", "-risk_score").first()
    assert top is not None and top.risk_rank >= 2
    again = load_opinion_demo()  # idempotent
    assert again["items"] == 0


def test_risk_settings_are_seeded_and_admin_edits_are_audited_and_used(org: Any, client_for: Any) -> None:
    row = RiskSettings.objects.get(code="default")
    assert TopicSeverity.objects.count() == 9 and RiskKeyword.objects.filter(word="曝光", kind="risk").exists()
    admin = get_user_model().objects.get(username="admin")
    c = Client()
    c.force_login(admin)
    url = f"/admin/opinion/risksettings/{row.pk}/change/"
    form = {f.name: getattr(row, f.name) for f in RiskSettings._meta.fields if f.name != "id"}
    bad = c.post(url, {**form, "medium_at": 80, "high_at": 50})
    assert bad.status_code == 200 and RiskSettings.objects.get().medium_at == 30
    r = c.post(url, {**form, "weight_keywords": 0})
    assert r.status_code == 302, r.content[:500]
    change = RuleChange.objects.get(model="opinion.RiskSettings")
    assert change.before["weight_keywords"] == 15.0 and change.after["weight_keywords"] == 0.0 and change.actor == admin
    body = client_for("specialist").post("/api/v1/opinion/items/", item_payload(text="东湖县停电了，我要找媒体曝光"),
                                         format="json").json()
    kw = next(s for s in body["risk_explanation"] if s["signal"] == "keywords")
    assert kw["evidence"] and kw["points"] == 0
