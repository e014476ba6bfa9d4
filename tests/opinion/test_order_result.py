"""Round 2, gap 2: the prevention work order's confirmed report is fed back to
its story automatically, and the specialist is told."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model

from griddesk.notifications.models import Notification
from griddesk.opinion import services, tasks
from griddesk.opinion.models import Story, StoryEvent
from griddesk.workorders import services as wo_services
from griddesk.workorders.models import WorkOrder

from ..walk import PATH, admin_actor, manager_actor
from .conftest import item_payload

JUDGE = {"level": "high", "may_cause_impact": True, "needs_transfer": True, "note": "可能引发投诉"}
FINDINGS = "经核实，城关镇10kV线路因暴雨跳闸，已于当晚恢复供电"


def _walk(order: WorkOrder, until: str) -> WorkOrder:
    actor = admin_actor()
    for action, data in PATH:
        if action == "grade":
            data = {**data, "reason": "舆情防范，按一般处理"}
        if action == "submit_report":
            data = {**data, "findings": FINDINGS, "rectification": "加装防雷设施，完善停电通知"}
        # four eyes: the manager confirms the report the admin submitted
        who = manager_actor() if action == "confirm_report" else actor
        wo_services.work_order_act(order=order.number, actor=who, action=action, data=data)
        if action == until:
            break
    return WorkOrder.objects.get(pk=order.pk)


@pytest.fixture
def transferred(org: Any, post_items: Any, story_act: Any) -> tuple[int, WorkOrder]:
    body = post_items("specialist", item_payload(text="东湖县城关镇停电一整天，95598打不通，要去12345投诉"), expect=201).json()
    story = int(body["story"])
    story_act("audit", story, "judge", **JUDGE)
    s = story_act("specialist", story, "transfer", note="转营销部处理")
    order = WorkOrder.objects.get(number=s["work_order"])
    assert order.type == "public_opinion"
    return story, order


def test_item_to_archive_with_the_result_fed_back_automatically(
    transferred: Any, story_act: Any, web: Any, django_capture_on_commit_callbacks: Any
) -> None:
    story, order = transferred
    with django_capture_on_commit_callbacks(execute=True):
        order = _walk(order, "confirm_report")
    assert order.state == "fed_back"
    s = Story.objects.get(pk=story)
    assert s.state == "fed_back"
    assert FINDINGS in s.result and "加装防雷设施" in s.result
    ev = StoryEvent.objects.filter(story=s).order_by("-seq").first()
    assert ev is not None and ev.action == "feed_back" and ev.actor_name == "system" and ev.seq == s.version
    assert ev.data["automatic"] is True and ev.data["work_order"] == order.number and ev.data["confirmed_by"] == "manager"
    # The specialist who transferred the story finds it in the inbox.
    specialist = get_user_model().objects.get(username="specialist")
    notes = Notification.objects.filter(recipient=specialist, kind=services.NOTICE_KIND)
    assert notes.count() == 1 and notes[0].order_id == order.pk and FINDINGS in notes[0].body
    # The story page shows the findings at the feed-back step and offers the archive, prefilled.
    page = web("specialist").get(f"/opinion/stories/{story}/").content.decode()
    assert FINDINGS in page
    # Recording again (hook and catch-up both fire) changes nothing.
    services.story_order_result(order=order.pk)
    tasks.reevaluate()
    assert StoryEvent.objects.filter(story=s, action="feed_back").count() == 1 and notes.count() == 1
    # The specialist archives the story with the investigation result.
    s2 = story_act("specialist", story, "archive", result="线路老化，已列入改造计划")
    assert s2["state"] == "archived"
    assert [e.action for e in StoryEvent.objects.filter(story_id=story).order_by("seq")] == [
        "create", "judge", "transfer", "feed_back", "archive"
    ]


def test_catch_up_records_results_the_hook_missed(transferred: Any) -> None:
    story, order = transferred
    order = _walk(order, "archive")  # no on-commit callbacks run here: the hook never fired
    assert order.state == "archived" and Story.objects.get(pk=story).state == "transferred"
    assert tasks.reevaluate()["results_fed_back"] == 1
    s = Story.objects.get(pk=story)
    assert s.state == "fed_back" and FINDINGS in s.result


def test_a_failing_story_update_never_fails_the_work_order(
    transferred: Any, monkeypatch: Any, django_capture_on_commit_callbacks: Any
) -> None:
    story, order = transferred

    def boom(**kw: Any) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(services, "story_order_result", boom)
    with django_capture_on_commit_callbacks(execute=True):
        order = _walk(order, "confirm_report")
    assert order.state == "fed_back" and Story.objects.get(pk=story).state == "transferred"


def test_orders_of_other_types_and_manual_feed_back_still_work(
    org: Any, story_act: Any, post_items: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from ..walk import walk_to

    with django_capture_on_commit_callbacks(execute=True):
        complaint = walk_to("fed_back")
    assert complaint.state == "fed_back" and not Story.objects.filter(work_order=complaint).exists()
    # The manual feed-back stays for a transferred story whose order has no result yet.
    story = int(post_items("specialist", item_payload(text="北岭县桃源镇电压不稳，灯一闪一闪"), expect=201).json()["story"])
    story_act("audit", story, "judge", **JUDGE)
    story_act("specialist", story, "transfer")
    s = story_act("marketing", story, "feed_back", result="已现场调整台区电压")
    assert s["state"] == "fed_back" and s["result"] == "已现场调整台区电压"
