"""Round 2, gap 1: the scheduled burst re-evaluation, and back-filled items
judged against their own time."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from griddesk.opinion import tasks
from griddesk.opinion.models import OpinionItem, RiskSettings, Story, StoryEvent

from .conftest import item_payload

TOWNS = ["城关", "临湖", "青山", "白沙", "城西", "石门"]
WHAT = ["冰箱化了", "孩子热哭了", "电梯困人", "水泵停了", "老人中暑", "店里没法营业"]


def storm(n: int, at: Any, spread_minutes: int = 40) -> list[dict[str, Any]]:
    return [
        item_payload(
            text=f"暴雨！东湖县{TOWNS[i % 6]}镇{i}号楼全停电，{WHAT[i % 6]}，第{i}次打95598没人接",
            published_at=(at - timedelta(minutes=(i * spread_minutes) // max(1, n - 1))).isoformat(),
        )
        for i in range(n)
    ]


def test_schedule_is_seeded(org: Any) -> None:
    from django_q.models import Schedule

    s = Schedule.objects.get(func="griddesk.opinion.tasks.reevaluate")
    assert s.schedule_type == "I" and s.minutes == 15 and s.repeats == -1


def test_reevaluation_raises_stories_of_a_bursting_key_with_rescore_events(org: Any, post_items: Any) -> None:
    now = timezone.now()
    # Six posts in the last hour: below the minimum of 8, no burst at intake.
    r = post_items("specialist", storm(6, now - timedelta(minutes=1)), expect=200).json()
    ids = [x["id"] for x in r["results"]]
    items = OpinionItem.objects.filter(pk__in=ids)
    assert {i.topic for i in items} == {"outage"} and {i.area.code for i in items if i.area} == {"east"}
    assert all(i.burst == 0 for i in items)
    stories = Story.objects.filter(items__in=ids).distinct()
    assert stories.exists() and all(s.burst == 0 for s in stories)
    # A quiet, unrelated key must stay untouched.
    other = post_items("specialist", item_payload(text="西山县石门镇电费单看不懂，供电所也说不清楚"), expect=201).json()["story"]
    other_before = Story.objects.get(pk=other)

    # The monitoring team lowers the minimum burst size and narrows the levels so
    # that the burst's points move every storm story up to "high".
    top = max(s.risk_score for s in stories)
    RiskSettings.objects.filter(code="default").update(burst_min_count=4, medium_at=1.0, high_at=top + 1, critical_at=top + 60)
    before = {s.pk: (s.risk_level, s.version) for s in stories}
    out = tasks.reevaluate()
    assert out["bursting"] == 1 and out["stories"] == len(before)

    for s in Story.objects.filter(pk__in=before):
        assert 0.5 <= s.burst <= 1.0
        assert any(e["signal"] == "burst" and e["points"] > 0 for e in s.risk_explanation)
        assert s.risk_level == "high" and s.risk_level != before[s.pk][0]
        ev = StoryEvent.objects.get(story=s, action="rescore")
        assert ev.seq == s.version == before[s.pk][1] + 1
        assert ev.data["from_level"] == before[s.pk][0] and ev.data["to_level"] == "high" and ev.actor_name == "system"
    o = Story.objects.get(pk=other)
    assert (o.burst, o.risk_score, o.version) == (0, other_before.risk_score, other_before.version)
    # Idempotent: a second run changes nothing and writes no event.
    tasks.reevaluate()
    assert StoryEvent.objects.filter(action="rescore").count() == len(before)


def test_reevaluation_without_recent_items_does_nothing(org: Any) -> None:
    assert tasks.reevaluate()["keys"] == 0


def test_backfilled_storm_is_judged_at_its_own_time(org: Any, post_items: Any) -> None:
    now = timezone.now()
    # A storm two days ago, inside one clock hour (back-filled today from an archive).
    hour = (now - timedelta(days=2)).replace(minute=0, second=0, microsecond=0)
    old = post_items("specialist", storm(12, hour + timedelta(minutes=50)), expect=200).json()
    old_items = OpinionItem.objects.filter(pk__in=[x["id"] for x in old["results"]])
    assert old_items.count() == 12
    assert all(i.burst >= 0.5 for i in old_items), [i.burst for i in old_items]
    for s in Story.objects.filter(items__in=old_items).distinct():
        assert s.burst >= 0.5
    # The same back-filled posts spread over two days are no burst at their times …
    spread = [
        {**p, "url": p["url"] + "-spread", "text": p["text"] + "（旧帖）", "published_at": (now - timedelta(days=3, hours=4 * i)).isoformat()}
        for i, p in enumerate(storm(12, now))
    ]
    r = post_items("specialist", spread, expect=200).json()
    assert all(i.burst == 0 for i in OpinionItem.objects.filter(pk__in=[x["id"] for x in r["results"]]))
    # … and a fresh post in that key is judged against now: the old storm is history, not a surge now.
    fresh = post_items("specialist", item_payload(text="东湖县城关镇又停电了，什么时候来电？"), expect=201).json()
    assert OpinionItem.objects.get(pk=fresh["id"]).burst == 0
