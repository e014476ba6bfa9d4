from __future__ import annotations

import re
from typing import Any

from django.utils import timezone

from griddesk.opinion.models import ItemPiiAccess, OpinionItem, Story

from .conftest import item_payload

PII_TEXT = "东湖县城关镇停电两天，户号3300112233，电话13812345678，再不来电就找媒体曝光"


def _story(post_items: Any, **kw: Any) -> int:
    return int(post_items("specialist", item_payload(**kw), expect=201).json()["story"])


def test_board_lists_stories_riskiest_first_with_charts_and_areas(web: Any, post_items: Any) -> None:
    low = _story(post_items, text="感谢西山县石门供电所师傅上门服务，很满意", views=1)
    high = _story(post_items, text=PII_TEXT, views=50_000, reposts=800, comments=600)
    r = web("audit").get("/opinion/")
    assert r.status_code == 200
    html = r.content.decode()
    order = [int(x) for x in re.findall(r'data-story="(\d+)"', html)]
    assert order.index(high) < order.index(low)
    assert 'id="trend-topic"' in html and 'id="trend-area"' in html and 'id="areas"' in html
    assert "echarts.min.js" in html and 'id="opinion-charts"' in html
    assert "东湖县供电公司" in html  # area breakdown
    assert 'id="nav-opinion"' in html
    assert "舆情看板" in html and "风险依据" not in html  # Chinese by default
    filtered = web("audit").get("/opinion/", {"topic": "billing_tariff"}).content.decode()
    assert f'data-story="{high}"' not in filtered


def test_board_is_hidden_from_roles_that_do_not_monitor(web: Any) -> None:
    assert web("agent").get("/opinion/").status_code == 403
    assert web("station").get("/opinion/").status_code == 403
    assert 'id="nav-opinion"' not in web("agent").get("/").content.decode()


def test_story_page_highlights_and_masks_numbers_for_roles_without_pii(web: Any, post_items: Any) -> None:
    sid = _story(post_items, text=PII_TEXT)
    logged = ItemPiiAccess.objects.count()  # the intake response showed the specialist the item
    leader = web("leader").get(f"/opinion/stories/{sid}/").content.decode()
    assert "13812345678" not in leader and "138****5678" in leader
    assert "3300112233" not in leader
    assert '<mark class="hl-keyword"' in leader and "曝光</mark>" in leader
    assert '<mark class="hl-place"' in leader or '<mark class="hl-station"' in leader
    assert 'id="explanation"' in leader
    assert 'id="actions"' not in leader  # read-only leader
    assert ItemPiiAccess.objects.count() == logged
    spec = web("specialist").get(f"/opinion/stories/{sid}/").content.decode()
    assert "13812345678" in spec
    assert ItemPiiAccess.objects.filter(item__story_id=sid, via="web", user__username="specialist").count() == 1
    api = web("leader").get(f"/api/v1/opinion/stories/{sid}/").json()
    assert "13812345678" not in api["items"][0]["text"] and api["items"][0]["masked"] is True


def test_actions_through_the_web_forms(web: Any, post_items: Any) -> None:
    sid = _story(post_items, text=PII_TEXT)
    c = web("specialist")
    page = c.get(f"/opinion/stories/{sid}/").content.decode()
    assert 'id="form-judge"' in page and 'id="form-transfer"' not in page
    r = c.post(f"/opinion/stories/{sid}/act/", {"action": "judge", "level": "critical", "may_cause_impact": "on",
                                                 "needs_transfer": "on", "note": "媒体关注"}, follow=True)
    assert r.status_code == 200
    s = Story.objects.get(pk=sid)
    assert s.state == "judged" and s.judged_level == "critical" and s.may_cause_impact and s.needs_transfer
    page = c.get(f"/opinion/stories/{sid}/").content.decode()
    assert 'id="form-transfer"' in page and 'id="form-emergency"' in page
    c.post(f"/opinion/stories/{sid}/act/", {"action": "transfer", "note": ""}, follow=True)
    s.refresh_from_db()
    assert s.state == "transferred" and s.work_order is not None
    page = c.get(f"/opinion/stories/{sid}/").content.decode()
    assert s.work_order.number in page
    # wrong state → message, no change
    r = c.post(f"/opinion/stories/{sid}/act/", {"action": "dismiss", "reason": "x"}, follow=True)
    assert "msg-error" in r.content.decode()
    assert Story.objects.get(pk=sid).state == "transferred"


def test_inspection_finding_form(web: Any) -> None:
    c = web("audit")
    assert c.get("/opinion/new/").status_code == 200
    when = timezone.localtime().strftime("%Y-%m-%dT%H:%M")
    r = c.post("/opinion/new/", {"source_kind": "inspection", "source_name": "暗访城关营业厅", "title": "营业厅服务",
                                 "text": "暗访发现城关营业厅工作人员态度生硬，让客户反复跑腿办理业务", "published_at": when,
                                 "area": "east"})
    assert r.status_code == 302
    item = OpinionItem.objects.get(source_name="暗访城关营业厅")
    assert item.via == "form" and item.area is not None and item.area.code == "east" and item.source_kind == "inspection"
    bad = c.post("/opinion/new/", {"source_kind": "inspection", "text": "<script>x</script>", "published_at": when})
    assert bad.status_code == 400 and "error" in bad.content.decode()
    assert web("leader").get("/opinion/new/").status_code == 403


def test_story_page_speaks_words_not_codes(web: Any, post_items: Any) -> None:
    from django.contrib.auth import get_user_model

    sid = _story(post_items, text=PII_TEXT, views=50_000, reposts=800, comments=600)
    c = web("specialist")
    page = c.get(f"/opinion/stories/{sid}/").content.decode()
    # who may transfer is said beside the tick box
    hint = re.search(r'<p class="muted" id="transfer-who">(.*?)</p>', page, re.S)
    assert hint and "营销服务专责" in hint.group(1)
    c.post(f"/opinion/stories/{sid}/act/", {"action": "judge", "level": "high", "needs_transfer": "on", "note": "x"})
    page = c.get(f"/opinion/stories/{sid}/").content.decode()
    explanation = re.search(r'<table class="grid" id="explanation">.*?</table>', page, re.S).group(0)
    for code in ("negativity", "reach", "burst", "keywords", "outage ×", "sensitive customer"):
        assert code not in explanation, code
    assert "传播" in explanation or "负面" in explanation
    assert "停电 ×" in explanation
    timeline = re.search(r'<ol id="timeline">(.*?)</ol>', page, re.S).group(1)
    assert "new → judged" not in timeline and "→ judged" not in timeline
    assert "已研判" in timeline or "研判" in timeline
    name = get_user_model().objects.get(username="specialist").get_full_name()
    assert name and name in timeline and "· specialist" not in timeline
    assert name in page.split('id="story-state"')[1]  # judged by (name)


def test_story_sparkline_data_parses_once_into_a_list_of_counts(web: Any, post_items: Any) -> None:
    import json

    sid = _story(post_items, text=PII_TEXT, views=50_000)
    page = web("specialist").get(f"/opinion/stories/{sid}/").content.decode()
    m = re.search(r'<script id="story-spark-data" type="application/json">(.*?)</script>', page, re.S)
    assert m, page[-2000:]
    spark = json.loads(m.group(1))
    assert isinstance(spark, list), type(spark)
    assert len(spark) == 48 and all(isinstance(n, int) for n in spark) and sum(spark) >= 1
    assert "JSON.parse(JSON.parse(" not in page


def test_emergency_and_board_words_are_their_own(web: Any) -> None:
    """"Open"/"Closed" on an emergency response are not the work-order catalog's
    words for other things (待反馈, 办结时间)."""
    from django.utils import translation

    from griddesk.opinion.models import EmergencyResponse

    with translation.override("zh-hans"):
        assert str(EmergencyResponse.State.OPEN.label) == "进行中"
        assert str(EmergencyResponse.State.CLOSED.label) == "已关闭"
    board = web("specialist").get("/opinion/").content.decode()
    assert "<th>进行中</th>" in board
