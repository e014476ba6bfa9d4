from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model

from griddesk.engines import opinion_workflow as workflow
from griddesk.opinion.models import EmergencyEvent, EmergencyResponse, Story, StoryEvent
from griddesk.organisation.services import staff_create
from griddesk.workorders.models import WorkOrder, WorkOrderEvent

from .conftest import item_payload

JUDGE = {"level": "high", "may_cause_impact": True, "needs_transfer": True, "note": "可能引发投诉"}


@pytest.fixture
def story(org: Any, post_items: Any) -> int:
    body = post_items("specialist", item_payload(text="东湖县城关镇停电一整天，95598打不通，要去12345投诉"), expect=201).json()
    return int(body["story"])


def test_full_path_judge_transfer_feed_back_archive(story: int, story_act: Any) -> None:
    s = story_act("audit", story, "judge", **JUDGE)
    assert s["state"] == "judged" and s["judged_level"] == "high" and s["level"] == "high"
    s = story_act("specialist", story, "transfer", note="转营销部处理")
    assert s["state"] == "transferred"
    order = WorkOrder.objects.get(number=s["work_order"])
    assert order.type == "public_opinion" and order.channel == "media" and order.state == "received"
    assert f"#{story}" in order.content and "12345" in order.content
    assert order.external_id == f"opinion-story-{story}"
    assert Story.objects.get(pk=story).work_order_id == order.pk and order.opinion_story.pk == story  # both ways
    assert WorkOrderEvent.objects.filter(order=order, action="create").exists()
    s = story_act("marketing", story, "feed_back", result="已抢修恢复供电并回复网友")
    assert s["state"] == "fed_back"
    s = story_act("specialist", story, "archive", result="线路老化，已列入改造计划")
    assert s["state"] == "archived"
    events = list(StoryEvent.objects.filter(story_id=story).order_by("seq"))
    assert [e.action for e in events] == ["create", "judge", "transfer", "feed_back", "archive"]
    assert [e.seq for e in events] == [1, 2, 3, 4, 5]
    judge = events[1]
    assert judge.actor_name == "audit" and judge.department is not None and judge.department.type == "audit"
    assert judge.data["may_cause_impact"] is True and judge.data["level"] == "high"
    assert events[2].data["work_order"] == order.number


def test_dismiss_needs_a_reason_and_then_archive(story: int, story_act: Any) -> None:
    err = story_act("service_center", story, "dismiss", expect=400)
    assert err["errors"]["reason"][0]["code"] == "required"
    s = story_act("service_center", story, "dismiss", reason="与我公司无关")
    assert s["state"] == "dismissed" and s["dismiss_reason"] == "与我公司无关"
    story_act("specialist", story, "archive", result="无需处理")
    assert Story.objects.get(pk=story).state == "archived"


def test_wrong_state_is_409_with_allowed_actions(story: int, story_act: Any) -> None:
    body = story_act("specialist", story, "transfer", expect=409)
    assert body["code"] == "invalid_transition" and "judge" in body["allowed_actions"]
    story_act("specialist", story, "judge", **JUDGE)
    story_act("specialist", story, "transfer")
    assert story_act("specialist", story, "transfer", expect=409)["code"] == "invalid_transition"
    assert WorkOrder.objects.filter(type="public_opinion").count() == 1


def test_stale_version_is_409(story: int, story_act: Any) -> None:
    story_act("audit", story, "judge", **JUDGE)
    assert story_act("marketing", story, "judge", expect=409, version=1, **JUDGE)["code"] == "stale_version"


def test_emergency_plan_only_for_critical_and_tracked_to_closure(story: int, story_act: Any, client_for: Any) -> None:
    plan = {"level": "2", "leader": "吴经理", "members": "营销部、客服中心、东湖县公司", "actions": "抢修、发布停电说明"}
    assert story_act("manager", story, "emergency", expect=409, **plan)["code"] == "not_critical"
    story_act("manager", story, "judge", **{**JUDGE, "level": "critical"})
    body = story_act("manager", story, "emergency", expect=201, **plan)
    rid = body["emergency_id"]
    assert body["emergencies"][0]["state"] == "open"
    assert story_act("manager", story, "emergency", expect=409, **plan)["code"] == "already_open"
    c = client_for("manager")
    assert c.post(f"/api/v1/opinion/emergencies/{rid}/actions/", {"action": "notice", "note": "18:00 已恢复 80%"},
                  format="json").status_code == 200
    r = c.post(f"/api/v1/opinion/emergencies/{rid}/actions/", {"action": "close"}, format="json")
    assert r.status_code == 400 and r.json()["errors"]["summary"][0]["code"] == "required"
    assert client_for("specialist").post(f"/api/v1/opinion/emergencies/{rid}/actions/",
                                         {"action": "close", "summary": "x"}, format="json").status_code == 403
    r = c.post(f"/api/v1/opinion/emergencies/{rid}/actions/", {"action": "close", "summary": "全部恢复"}, format="json")
    assert r.status_code == 200 and r.json()["state"] == "closed"
    resp = EmergencyResponse.objects.get(pk=rid)
    assert [e.action for e in EmergencyEvent.objects.filter(response=resp).order_by("seq")] == ["start", "notice", "close"]
    assert StoryEvent.objects.filter(story_id=story, action="emergency").count() == 1


# ---------------------------------------------------------------- role matrix

USERS = ["admin", "specialist", "manager", "leader", "marketing", "audit", "service_center", "party", "agent", "station"]
#: Expected: which users may take each action (the monitoring departments' handlers judge and dismiss,
#: the specialist transfers and archives, managers start and close emergencies, the leader only reads).
EXPECTED = {
    "view": {"admin", "specialist", "manager", "leader", "marketing", "audit", "service_center", "party"},
    "intake": {"admin", "specialist", "marketing", "audit", "service_center", "party"},
    "judge": {"admin", "specialist", "manager", "marketing", "audit", "service_center", "party"},
    "dismiss": {"admin", "specialist", "manager", "marketing", "audit", "service_center", "party"},
    "transfer": {"admin", "specialist"},
    "feed_back": {"admin", "manager", "marketing", "audit", "service_center", "party"},
    "archive": {"admin", "specialist"},
    "emergency": {"admin", "specialist", "manager"},
    "emergency_close": {"admin", "manager"},
}


@pytest.fixture
def party_user(org: Any) -> Any:
    if not get_user_model().objects.filter(username="party").exists():
        staff_create(username="party", password="x", department=org.departments["city-party"], role="lead_handler",
                     full_name="党群")
    return get_user_model().objects.get(username="party")


def test_permission_matrix_table(org: Any, party_user: Any) -> None:
    from griddesk.organisation.access import actor_for
    from griddesk.opinion.selectors import can

    for username in USERS:
        actor = actor_for(get_user_model().objects.get(username=username))
        for action, allowed in EXPECTED.items():
            assert can(actor, action) == (username in allowed), (username, action)


def test_permission_matrix_through_the_api(org: Any, party_user: Any, client_for: Any, post_items: Any) -> None:
    ids = []
    for username in USERS:
        r = post_items(username, item_payload())
        assert (r.status_code in (200, 201)) == (username in EXPECTED["intake"]), (username, r.status_code)
        if r.status_code == 201:
            ids.append(r.json()["story"])
    for username in USERS:
        r = client_for(username).get("/api/v1/opinion/stories/")
        assert (r.status_code == 200) == (username in EXPECTED["view"]), username
        if r.status_code == 200:
            assert {s["id"] for s in r.json()["results"]} >= set(ids)
    story = ids[0]
    for username in USERS:
        r = client_for(username).post(f"/api/v1/opinion/stories/{story}/actions/", {"action": "judge", **JUDGE}, format="json")
        expected = 200 if username in EXPECTED["judge"] else (404 if username not in EXPECTED["view"] else 403)
        assert r.status_code == expected, (username, r.status_code, r.content[:300])


def test_county_handler_sees_only_their_county(org: Any, post_items: Any, client_for: Any) -> None:
    staff_create(username="westm", password="x", department=org.departments["west-marketing"], role="lead_handler", full_name="西")
    east = post_items("specialist", item_payload(text="东湖县城关镇停电了"), expect=201).json()["story"]
    west = post_items("specialist", item_payload(text="西山县石门镇停电了"), expect=201).json()["story"]
    seen = {s["id"] for s in client_for("westm").get("/api/v1/opinion/stories/").json()["results"]}
    assert west in seen and east not in seen


def test_transitions_table_is_consistent() -> None:
    assert workflow.actions_from("new") == ["judge", "dismiss", "emergency"]
    assert workflow.target("judge", "judged") == "judged"
    with pytest.raises(ValueError):
        workflow.target("archive", "new")
