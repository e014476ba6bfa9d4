"""Round 2, gap 3: two batches racing for the same new item. The unique key
decides per item: one row, the right copy counts, both requests answered."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection

from griddesk.opinion import services
from griddesk.opinion.models import OpinionItem, Story, StoryEvent

from ..race import race
from .conftest import item_payload

TEXT = "东湖县城关镇从昨晚十点停电到现在还没来电，冰箱里的东西全坏了，供电公司电话一直打不通！"



@pytest.mark.skipif(connection.vendor != "postgresql", reason="real concurrent transactions need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_concurrent_batches_with_the_same_new_item(org: Any, client_for: Any) -> None:
    from rest_framework.test import APIClient

    shared = item_payload(text=TEXT, url="https://weibo.example.com/post/shared", views=1000, reposts=10, comments=5)
    repost = item_payload(text="【转发】" + TEXT, url="https://weibo.example.com/post/shared-rt", views=1, reposts=0, comments=0)
    tokens = {u: client_for(u)._credentials["HTTP_AUTHORIZATION"] for u in ("specialist", "audit", "marketing", "admin")}
    users = list(tokens)
    rounds = 3
    for r in range(rounds):
        # Each batch: the shared new item (and its repost) plus items of its own.
        batches = [
            [{**shared, "url": f"{shared['url']}-{r}"}, {**repost, "url": f"{repost['url']}-{r}"}]
            + [item_payload(text=f"西山县石门镇第{r}-{i}-{k}户电费单看不懂", url=f"https://x.example.com/{r}/{i}/{k}") for k in range(3)]
            for i in range(len(users))
        ]

        def post(i: int) -> Any:
            c = APIClient()
            c.credentials(HTTP_AUTHORIZATION=tokens[users[i]])
            return c.post("/api/v1/opinion/items/", batches[i], format="json")

        responses = race(len(users), timeout=60, fn=post)
        assert all(not isinstance(x, Exception) for x in responses), responses
        assert [x.status_code for x in responses] == [200] * len(users), [x.content[:500] for x in responses]
        bodies = [x.json() for x in responses]
        created = [b["results"][0]["status"] for b in bodies]
        assert created.count("created") == 1 and created.count("existing") == len(users) - 1, created
        ids = {b["results"][0]["id"] for b in bodies}
        assert len(ids) == 1
        assert OpinionItem.objects.filter(url=f"{shared['url']}-{r}").count() == 1
        assert OpinionItem.objects.filter(url=f"{repost['url']}-{r}").count() == 1
        story = Story.objects.get(items__url=f"{shared['url']}-{r}")
        # The copy counts agree with the stored rows, whoever won.
        assert story.copies == story.items.count()
        assert story.total_views == sum(story.items.values_list("views", flat=True))
        assert StoryEvent.objects.filter(story=story, action="create").count() == 1
        # Every batch's own items were stored.
        assert sum(b["created"] for b in bodies) == 2 + 3 * len(users)
    # No story was left without copies.
    assert not Story.objects.filter(items__isnull=True).exists()
    assert all(s.copies == s.items.count() for s in Story.objects.all())


def test_an_item_stored_meanwhile_is_reported_existing_and_the_rest_kept(org: Any, monkeypatch: Any) -> None:
    """The per-item fallback, deterministically on any database: the batch's
    existence check misses an item another batch stored in the meantime."""
    from griddesk.opinion.serializers import parse_items

    first = services.opinion_items_intake(actor=None, items=parse_items([item_payload(text=TEXT, views=1000)]))
    stored = first[0].item
    real = services._existing_items
    calls = {"n": 0}

    def stale(keys: list[str]) -> Any:
        calls["n"] += 1
        return {} if calls["n"] == 1 else real(keys)  # the first look happened "before" the other batch committed

    monkeypatch.setattr(services, "_existing_items", stale)
    p = item_payload(text=TEXT, views=1000)
    p["url"] = stored.url
    batch = [p, item_payload(text="【转发】" + TEXT, views=7), item_payload(text="西山县石门镇电费单看不懂，问了也说不清")]
    out = services.opinion_items_intake(actor=None, items=parse_items(batch))
    assert [r.status for r in out] == ["existing", "created", "created"]
    assert out[0].item is not None and out[0].item.pk == stored.pk
    assert OpinionItem.objects.filter(url=stored.url).count() == 1
    s = Story.objects.get(pk=stored.story_id)
    assert out[1].item is not None and out[1].item.story_id == s.pk  # the repost joined the stored story
    assert s.copies == 2 and s.total_views == 1007
    assert not Story.objects.filter(items__isnull=True).exists()
    assert all(x.copies == x.items.count() for x in Story.objects.all())


def test_a_new_story_founded_by_a_lost_item_is_rebuilt_from_the_copies_it_kept(org: Any, monkeypatch: Any) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from griddesk.opinion.serializers import parse_items

    old = (timezone.now() - timedelta(days=20)).isoformat()  # its story is too old to take copies
    lone = item_payload(text="北岭县桃源镇电压不稳，灯一闪一闪的，家电都不敢开", published_at=old)
    (first,) = services.opinion_items_intake(actor=None, items=parse_items([lone]))
    real = services._existing_items
    calls = {"n": 0}

    def stale(keys: list[str]) -> Any:
        calls["n"] += 1
        return {} if calls["n"] == 1 else real(keys)

    monkeypatch.setattr(services, "_existing_items", stale)
    repost = item_payload(text="转：北岭县桃源镇电压不稳，灯一闪一闪的，家电都不敢开", views=42)
    out = services.opinion_items_intake(actor=None, items=parse_items([lone, repost]))
    assert [r.status for r in out] == ["existing", "created"]
    assert out[0].item is not None and first.item is not None and out[0].item.pk == first.item.pk
    new_item = out[1].item
    assert new_item is not None and new_item.story_id != first.item.story_id
    s = Story.objects.get(pk=new_item.story_id)
    assert s.copies == 1 and s.total_views == 42 and s.representative_id == new_item.pk
    assert s.first_seen == new_item.published_at and "转" in s.title
    assert StoryEvent.objects.filter(story=s, action="create").count() == 1
    assert Story.objects.count() == 2 and not Story.objects.filter(items__isnull=True).exists()
