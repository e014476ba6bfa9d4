"""The pages render for every role, in Chinese by default, with an English switch."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from griddesk.organisation.demo import DEMO_PASSWORD

from ..conftest import DEMO_USERNAMES


def test_login_page_is_chinese_and_logs_in(org):
    c = Client()
    r = c.get("/accounts/login/")
    assert r.status_code == 200
    body = r.content.decode()
    assert "登录" in body and 'lang="zh-hans"' in body
    assert 'name="language" value="en"' in body  # the English switch
    r = c.post("/accounts/login/", {"username": "agent", "password": DEMO_PASSWORD})
    assert r.status_code == 302 and r["Location"] == "/"
    assert "王坐席" in c.get("/").content.decode()


def test_wrong_password_is_refused_in_chinese(org):
    r = Client().post("/accounts/login/", {"username": "agent", "password": "nope"})
    assert r.status_code == 200
    assert "用户名和密码不匹配" in r.content.decode()


def test_pages_need_login(org):
    c = Client()
    for url in ("/", "/orders/new/", "/orders/TS1/", "/imports/"):
        r = c.get(url)
        assert r.status_code == 302 and r["Location"].startswith("/accounts/login/?next="), url


@pytest.mark.parametrize("username", DEMO_USERNAMES)
def test_queue_renders_for_every_role(web, order_in, username):
    order = order_in("dispatched")
    r = web(username).get("/")
    assert r.status_code == 200
    body = r.content.decode()
    assert "我的待办" in body
    sees = username in {"agent", "specialist", "marketing", "manager", "leader", "admin"}
    assert (order.number in body) is sees
    # Only intake roles get the "new order" and import links.
    assert ('href="/orders/new/"' in body) is (username in {"agent", "specialist", "admin"})
    assert ('href="/imports/"' in body) is (username in {"agent", "specialist", "admin"})


@pytest.mark.parametrize("username", DEMO_USERNAMES)
def test_detail_renders_for_every_role_that_sees_the_order(web, order_in, username):
    order = order_in("investigating")
    r = web(username).get(f"/orders/{order.number}/")
    if username in {"station", "audit", "service_center"}:
        assert r.status_code == 404
        assert "未找到" in r.content.decode()
    else:
        assert r.status_code == 200
        body = r.content.decode()
        assert order.number in body and "调查处理中" in body
        assert "时间线" in body and "受理" in body  # the timeline starts with the intake event


def test_queue_puts_overdue_first_then_least_time_left_and_closed_last(web, order_in):
    now = timezone.now()
    fresh = order_in(received_at=(now - timedelta(minutes=5)).isoformat())
    old = order_in(received_at=(now - timedelta(days=30)).isoformat())
    older = order_in(received_at=(now - timedelta(days=40)).isoformat())
    closed = order_in("visited", received_at=(now - timedelta(days=50)).isoformat())
    body = web("specialist").get("/").content.decode()
    positions = [body.index(f'data-number="{o.number}"') for o in (older, old, fresh, closed)]
    assert positions == sorted(positions)
    assert 'data-level="red"' in body and "已超期" in body
    assert 'data-level="green"' in body


def test_queue_filters(web, order_in):
    now = timezone.now()
    overdue = order_in(received_at=(now - timedelta(days=30)).isoformat())
    graded = order_in("graded")
    archived = order_in("archived")
    c = web("manager")

    def numbers(query: str) -> set[str]:
        body = c.get("/" + query).content.decode()
        return {n for n in (overdue.number, graded.number, archived.number) if f'data-number="{n}"' in body}

    assert numbers("") == {overdue.number, graded.number}  # closed orders are hidden by default
    assert numbers("?state=all") == {overdue.number, graded.number, archived.number}
    assert numbers("?state=archived") == {archived.number}
    assert numbers("?overdue=yes") == {overdue.number}
    assert numbers("?overdue=no") == {graded.number}
    assert numbers("?grade=3") == {graded.number}
    assert numbers("?type=praise") == set()
    assert numbers("?grade=9&state=bogus") == {overdue.number, graded.number}  # bad filters are ignored


def test_queue_is_paginated(web, order_in):
    for _ in range(27):
        order_in()
    c = web("agent")
    first = c.get("/").content.decode()
    assert first.count("data-number=") == 25
    assert "第 1 / 2 页" in first
    second = c.get("/?page=2").content.decode()
    assert second.count("data-number=") == 2


def test_provisional_deadline_is_marked(web, order_in):
    order = order_in()
    type(order).objects.filter(pk=order.pk).update(deadline_provisional=True)
    assert "暂定" in web("agent").get(f"/orders/{order.number}/").content.decode()
    assert "暂定" in web("agent").get("/").content.decode()


def test_english_switch(web, order_in):
    order = order_in()
    c = web("agent")
    r = c.post("/i18n/setlang/", {"language": "en", "next": f"/orders/{order.number}/"})
    assert r.status_code == 302
    body = c.get(f"/orders/{order.number}/").content.decode()
    assert 'lang="en"' in body and "Forward to specialist" in body and "Timeline" in body
    c.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    assert "转派营销专责" in c.get(f"/orders/{order.number}/").content.decode()


def test_user_without_role_sees_an_empty_queue(org, django_user_model):
    user = django_user_model.objects.create_user(username="nobody", password="x" * 10)
    c = Client()
    c.force_login(user)
    body = c.get("/").content.decode()
    assert "没有角色" in body
    assert c.get("/orders/new/").status_code == 403


def test_static_assets_are_vendored():
    from django.contrib.staticfiles import finders

    assert finders.find("web/griddesk.css")
    assert finders.find("web/vendor/htmx.min.js")
    assert finders.find("web/vendor/htmx.LICENSE")


def test_order_page_shows_the_running_stage_clock_and_links_return_visit_tasks(org) -> None:
    from tests.walk import walk_to

    fed_back = walk_to("fed_back")
    order = walk_to("received", category="business.metering")  # not a repeat of the first
    c = Client()
    c.login(username="specialist", password=DEMO_PASSWORD)
    page = c.get(f"/orders/{order.number}/").content.decode()
    assert 'id="stage-clock"' in page and order.stage_deadline_at is not None
    page = c.get(f"/orders/{fed_back.number}/").content.decode()
    assert f"/satisfaction/visits/?order={fed_back.number}" in page
