"""A dense search in the web queue (a character pair in 13 % of the orders,
PostgreSQL's statistics say so): the page walks the queue's open-first order
segment by segment (running clocks by deadline, suspended ones, then the rest
newest first) by index instead of sorting every match, and the count is the
planner's estimate, said in words. Forced here (the statistics of a small
database never call a pair dense): the same pages, in the same order, as the
sort over every match; on SQLite the walk takes the FTS path, on PostgreSQL
the probe."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from griddesk.workorders.models import WorkOrder

from ..conftest import intake_payload
from .conftest import actor


def _rows(page: str) -> list[str]:
    return re.findall(r'<tr data-number="([^"]+)"', page)


@pytest.fixture
def orders(org: Any) -> list[str]:
    """Twelve orders with 表箱 in every state group and equal deadlines (a tie
    the walk must break as the sort does: newest receipt first, then id), and
    two without it."""
    from griddesk.workorders import services
    from griddesk.workorders.serializers import IntakeSerializer

    agent = actor("agent")
    numbers = []
    for i in range(14):
        s = IntakeSerializer(data=intake_payload(content=("表箱门损坏，" if i < 12 else "电费偏高，") + f"第{i}号。"))
        s.is_valid(raise_exception=True)
        numbers.append(services.work_order_intake(actor=agent, data=s.to_data())[0].number)
    now = timezone.now()
    # (state, deadline in hours or None, received hours ago)
    shapes = [
        ("received", 5, 1), ("graded", 5, 3), ("dispatched", 5, 2), ("investigating", -2, 9),  # overdue first
        ("reported", 30, 4), ("suspended", 1, 5), ("suspended", 8, 6),
        ("archived", 2, 7), ("invalid", None, 8), ("received", None, 10), ("assessed", -5, 11), ("merged", 3, 12),
        ("received", 1, 1), ("archived", None, 2),
    ]
    for number, (state, due, ago) in zip(numbers, shapes, strict=True):
        WorkOrder.objects.filter(number=number).update(
            state=state, deadline_at=None if due is None else now + timedelta(hours=due),
            received_at=now - timedelta(hours=ago),
        )
    # The three open orders due in 5 hours share one deadline.
    WorkOrder.objects.filter(number__in=numbers[:3]).update(deadline_at=now + timedelta(hours=5))
    return numbers


def _force_dense(monkeypatch: Any, estimate: int | None = None) -> None:
    from griddesk.common import pagination
    from griddesk.workorders import search

    monkeypatch.setattr(search, "search_is_dense", lambda p: True)
    if estimate is not None:
        monkeypatch.setattr(pagination, "_planner_estimate", lambda qs: estimate)


def test_the_walk_gives_the_sorted_queue_page_by_page(orders, web, monkeypatch):
    from griddesk.web import views

    specialist = web("specialist")
    monkeypatch.setattr(views, "PAGE_SIZE", 5)
    sorted_pages = [_rows(specialist.get("/", {"q": "表箱", "page": n}).content.decode()) for n in (1, 2, 3)]
    wanted = orders[:12]
    assert sorted(n for p in sorted_pages for n in p) == sorted(wanted) and [len(p) for p in sorted_pages] == [5, 5, 2]
    # open-first: the overdue order, then the tie at 5 hours (newest receipt first), …
    assert sorted_pages[0][:4] == [orders[3], orders[0], orders[2], orders[1]]
    _force_dense(monkeypatch)
    walked = [specialist.get("/", {"q": "表箱", "page": n}).content.decode() for n in (1, 2, 3)]
    assert [_rows(p) for p in walked] == sorted_pages
    assert "?q=%E8%A1%A8%E7%AE%B1&amp;page=2" in walked[0] and "page=4" not in walked[2]  # next: exactly when rows follow


def test_the_walk_is_the_plain_sort_for_every_page_size(orders, monkeypatch):
    """queue_walk against queue_order's slices, every offset and size: the
    segments' seams (running → suspended → the rest) fall anywhere in a page."""
    from griddesk.workorders import selectors

    listed = selectors.work_order_list(actor("specialist"), filters={"q": "表箱"})
    everything = [o.number for o in selectors.queue_order(listed)]
    assert len(everything) == 12
    for limit in (1, 3, 5, 13):
        for offset in range(14):
            walked = [o.number for o in selectors.queue_walk(listed, offset=offset, limit=limit)]
            assert walked == everything[offset:offset + limit], (offset, limit)


def test_a_dense_search_shows_the_estimate_in_words(orders, web, monkeypatch):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    specialist = web("specialist")
    exact = specialist.get("/", {"q": "表箱"}).content.decode()
    assert "共 12 张工单" in exact and 'id="count-estimate"' not in exact
    _force_dense(monkeypatch, estimate=132_456)
    with CaptureQueriesContext(connection) as ctx:
        page = specialist.get("/", {"q": "表箱"}).content.decode()
    assert "约 13.2 万张工单" in page and "共 12 张工单" not in page
    assert len(_rows(page)) == 12 and "第 1 页" not in page  # one page: no pager
    counted = [q["sql"] for q in ctx.captured_queries if "COUNT(" in q["sql"] and "workorders_workorder" in q["sql"]]
    assert not counted, counted  # the orders are not counted
    specialist.cookies["django_language"] = "en"
    english = specialist.get("/", {"q": "表箱"}).content.decode()
    assert "about 132,000 orders" in english


def test_a_dense_search_with_more_pages_says_which_page_without_a_total(orders, web, monkeypatch):
    from griddesk.web import views

    monkeypatch.setattr(views, "PAGE_SIZE", 5)
    _force_dense(monkeypatch, estimate=132_456)
    specialist = web("specialist")
    first = specialist.get("/", {"q": "表箱"}).content.decode()
    assert "第 1 页" in first and "第 1 / " not in first and "page=2" in first
    last = specialist.get("/", {"q": "表箱", "page": 3}).content.decode()
    assert len(_rows(last)) == 2 and "page=2" in last and "page=4" not in last
    past = specialist.get("/", {"q": "表箱", "page": 9}).content.decode()
    assert _rows(past) == []  # past the end (unknown with an estimate): an empty page, not an error


def test_a_term_the_statistics_do_not_call_dense_is_counted_exactly(orders, web):
    page = web("specialist").get("/", {"q": "电费"}).content.decode()
    assert "共 2 张工单" in page and _rows(page) == [orders[12], orders[13]]


def test_an_estimate_in_words_to_three_figures():
    from django.utils import translation

    from griddesk.web.presenters import approximate_count

    figures = (10_001, 19_521, 132_697, 1_324_567, 13_245_678, 123_456_789)
    with translation.override("zh-hans"):
        assert [approximate_count(n) for n in figures] == [
            "约 1 万张工单", "约 1.95 万张工单", "约 13.3 万张工单", "约 132 万张工单", "约 1320 万张工单", "约 1.23 亿张工单",
        ]
    with translation.override("en"):
        assert [approximate_count(n) for n in figures] == [
            "about 10,000 orders", "about 19,500 orders", "about 133,000 orders", "about 1,320,000 orders",
            "about 13,200,000 orders", "about 123,000,000 orders",
        ]
