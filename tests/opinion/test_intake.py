from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from griddesk.opinion.models import OpinionItem, Story, StoryEvent

from .conftest import item_payload


def test_single_item_is_analysed_scored_and_starts_a_story(org: Any, post_items: Any) -> None:
    r = post_items("specialist", item_payload(text="东湖县城关镇停电三天了没人管，电话打不通，准备找媒体曝光！"), expect=201)
    body = r.json()
    item = OpinionItem.objects.get(pk=body["id"])
    assert item.topic == "outage" and item.relevant
    assert item.negativity > 0.5
    assert "曝光" in item.keywords and "媒体" in item.keywords
    assert item.area is not None and item.area.code == "east"  # 东湖县 → the county company
    assert {s["signal"] for s in item.risk_explanation} >= {"negativity", "topic", "keywords", "reach"}
    assert item.risk_score == pytest.approx(sum(s["points"] for s in item.risk_explanation), abs=0.05)
    story = Story.objects.get(pk=body["story"])
    assert story.copies == 1 and story.representative_id == item.pk and story.state == "new"
    assert StoryEvent.objects.filter(story=story, action="create").count() == 1


def test_same_url_or_same_text_is_stored_once(org: Any, post_items: Any) -> None:
    p = item_payload()
    first = post_items("specialist", p, expect=201).json()
    again = post_items("specialist", {**p, "url": p["url"] + "?utm_source=wx#c"}, expect=200).json()
    assert again["id"] == first["id"]
    no_url = item_payload(url="", text="西山县石门镇电费怎么这么贵？一个月三百多")
    a = post_items("specialist", no_url, expect=201).json()
    b = post_items("specialist", {**no_url, "text": "西山县石门镇电费怎么这么贵!一个月三百多。"}, expect=200).json()
    assert a["id"] == b["id"]
    assert OpinionItem.objects.count() == 2


def test_reposts_join_the_story_which_counts_copies_and_reach(org: Any, post_items: Any) -> None:
    text = "东湖县城关镇从昨晚十点停电到现在还没来电，冰箱里的东西全坏了，供电公司电话一直打不通！"
    a = post_items("specialist", item_payload(text=text, views=1000, reposts=10, comments=5), expect=201).json()
    b = post_items("specialist", item_payload(text="【转发】" + text + "#停电#", views=500, reposts=1, comments=0), expect=201).json()
    other = post_items("specialist", item_payload(text="本月电费比上个月多了三百块，电表是不是有问题？", views=5), expect=201).json()
    assert b["story"] == a["story"] and b["joined_story"] is True
    assert other["story"] != a["story"]
    s = Story.objects.get(pk=a["story"])
    assert s.copies == 2
    assert (s.total_views, s.total_reposts, s.total_comments) == (1500, 11, 5)


def test_bulk_batch_refuses_bad_items_one_by_one_and_takes_the_rest(org: Any, post_items: Any) -> None:
    future = (timezone.now() + timedelta(days=2)).isoformat()
    items = [
        item_payload(),
        item_payload(text="", title=""),
        item_payload(text="abc\x03\x01\x02def"),
        item_payload(text="停电" * 10_001),
        item_payload(text="<p>停电了</p><script>alert(1)</script>"),
        item_payload(text="ç”µè´¹å¤ªé«˜äº†ï¼Œä¾›ç”µå…¬å¸"),
        item_payload(published_at=future),
        item_payload(text="<p>西山县<b>石门镇</b>电压不稳，灯一直闪&amp;空调开不了</p>"),
        "not an object",
        item_payload(text="电费\ufffd\ufffd太高"),
    ]
    r = post_items("specialist", {"items": items}, expect=200).json()
    status = [x["status"] for x in r["results"]]
    assert status == ["created", "error", "error", "error", "error", "error", "error", "created", "error", "error"]
    codes = {x["index"]: [e["code"] for errs in x["errors"].values() for e in errs] for x in r["results"] if x["errors"]}
    assert codes[1] == ["empty"]
    assert codes[2] == ["binary"]
    assert codes[3] == ["too_long"]
    assert codes[4] == ["script"]
    assert codes[5] == ["encoding"]
    assert codes[6] == ["future"]
    assert codes[8] == ["invalid"]
    assert codes[9] == ["encoding"]
    messages = [e["message"] for x in r["results"] if x["errors"] for errs in x["errors"].values() for e in errs]
    assert all(any("\u4e00" <= ch <= "\u9fff" for ch in m) for m in messages), messages  # Chinese reasons
    html_item = OpinionItem.objects.get(pk=r["results"][7]["id"])
    assert html_item.text == "西山县 石门镇 电压不稳，灯一直闪&空调开不了" or "<" not in html_item.text
    assert (r["created"], r["errors"]) == (2, 8)


def test_a_nul_anywhere_in_a_batch_refuses_the_request_and_names_the_item(org: Any, post_items: Any) -> None:
    r = post_items("specialist", {"items": [item_payload(), item_payload(text="abc\x00def")]}, expect=400).json()
    assert r["code"] == "nul_character" and r["errors"]["items.1.text"][0]["code"] == "nul_character"
    assert OpinionItem.objects.count() == 0


def test_single_bad_item_is_400_with_code_and_nothing_written(org: Any, post_items: Any) -> None:
    r = post_items("specialist", item_payload(text="<script>x</script>"), expect=400)
    assert r.json()["errors"]["text"][0]["code"] == "script"
    assert OpinionItem.objects.count() == 0 and Story.objects.count() == 0


def test_bulk_is_idempotent_and_duplicates_in_a_batch_are_stored_once(org: Any, post_items: Any) -> None:
    p = item_payload()
    batch = [p, item_payload(), p]
    r1 = post_items("specialist", batch, expect=200).json()
    assert [x["status"] for x in r1["results"]] == ["created", "created", "existing"]
    assert r1["results"][2]["id"] == r1["results"][0]["id"]
    r2 = post_items("specialist", batch, expect=200).json()
    assert [x["status"] for x in r2["results"]] == ["existing"] * 3
    assert OpinionItem.objects.count() == 2


def test_bulk_batch_calls_the_analyser_once(org: Any, post_items: Any, monkeypatch: Any) -> None:
    from griddesk.opinion import analysis

    calls: list[int] = []
    real = analysis.analyse_many

    def counting(texts: list[str]) -> Any:
        calls.append(len(texts))
        return real(texts)

    monkeypatch.setattr(analysis, "analyse_many", counting)
    post_items("specialist", [item_payload() for _ in range(25)], expect=200)
    assert calls == [25]


def test_storm_burst_raises_risk_of_the_bursting_stories(org: Any, post_items: Any) -> None:
    now = timezone.now()
    towns = ["城关", "临湖", "青山", "白沙"]
    quiet = [
        item_payload(text=f"东湖县{towns[i % 4]}镇第{i}户反映电费单寄晚了", published_at=(now - timedelta(hours=30 + i)).isoformat())
        for i in range(3)
    ]
    post_items("specialist", quiet, expect=200)
    storm = [
        item_payload(
            text=f"暴雨！东湖县{towns[i % 4]}镇{i}号楼全停电，{['冰箱化了', '孩子热哭了', '电梯困人', '水泵停了'][i % 4]}，第{i}次打95598没人接",
            published_at=(now - timedelta(minutes=i)).isoformat(),
        )
        for i in range(30)
    ]
    r = post_items("specialist", storm, expect=200).json()
    items = OpinionItem.objects.filter(pk__in=[x["id"] for x in r["results"]])
    assert all(i.burst >= 0.5 for i in items if i.topic == "outage" and i.area_id)
    outage_stories = Story.objects.filter(topic="outage", last_seen__gte=now - timedelta(hours=1))
    assert outage_stories.count() >= 5
    assert all(s.burst >= 0.5 for s in outage_stories)
    burst_points = [e["points"] for s in outage_stories for e in s.risk_explanation if e["signal"] == "burst"]
    assert min(burst_points) > 0
