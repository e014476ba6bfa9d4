from __future__ import annotations

import itertools
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

_n = itertools.count(1)


def item_payload(**overrides: Any) -> dict[str, Any]:
    n = next(_n)
    body: dict[str, Any] = {
        "source_kind": "social",
        "source_name": "微博",
        "url": f"https://weibo.example.com/post/{n}",
        "title": "",
        "text": f"东湖县城关镇第{n}次停电了，已经三个小时没来电，供电公司什么时候修好？",
        "author": f"用户{n}",
        "published_at": (timezone.now() - timedelta(minutes=10)).isoformat(),
        "views": 100,
        "reposts": 2,
        "comments": 3,
    }
    body.update(overrides)
    return body


@pytest.fixture
def post_items(client_for: Any):
    def post(username: str, items: Any, expect: int | None = None) -> Any:
        r = client_for(username).post("/api/v1/opinion/items/", items, format="json")
        if expect is not None:
            assert r.status_code == expect, (r.status_code, r.content.decode()[:2000])
        return r

    return post


@pytest.fixture
def story_act(client_for: Any):
    def act(username: str, story: int, action: str, expect: int = 200, **data: Any) -> dict[str, Any]:
        r = client_for(username).post(f"/api/v1/opinion/stories/{story}/actions/", {"action": action, **data}, format="json")
        assert r.status_code == expect, (r.status_code, r.content.decode()[:2000])
        return r.json()  # type: ignore[no-any-return]

    return act


@pytest.fixture
def web(org: Any):
    """``web("specialist")`` → a Django test client logged in as that demo user."""
    from django.contrib.auth import get_user_model
    from django.test import Client

    def make(username: str) -> Client:
        c = Client()
        c.force_login(get_user_model().objects.get(username=username))
        return c

    return make
