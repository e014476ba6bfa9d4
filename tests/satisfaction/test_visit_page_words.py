"""The return-visit pages in words: local times, names, method labels, the report, no preset outcome."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from griddesk.satisfaction.models import VisitTask
from tests.walk import walk_to

pytestmark = pytest.mark.django_db


def web(username: str) -> Client:
    c = Client()
    c.force_login(get_user_model().objects.get(username=username))
    return c


def test_visit_page_shows_the_log_in_words_the_report_and_no_preset_outcome(org):
    order = walk_to("fed_back", customer={"account_no": "7712340001", "name": "张三", "phone": "13812341234", "category": "residential"})
    task = VisitTask.objects.get(order=order, state="open")
    specialist = get_user_model().objects.get(username="specialist")
    assert specialist.get_full_name() and specialist.get_full_name() != "specialist"
    c = web("specialist")
    r = c.post(reverse("satisfaction:visit-record", args=[task.pk]), {"kind": "attempt", "method": "phone", "note": "无人接听"})
    assert r.status_code == 302
    body = c.get(reverse("satisfaction:visit", args=[task.pk])).content.decode()
    log = re.search(r'<ul class="timeline" id="attempts">(.*?)</ul>', body, re.S).group(1)
    at = task.attempts.get().at
    assert timezone.localtime(at).strftime("%Y-%m-%d %H:%M") in log  # Asia/Shanghai
    assert specialist.get_full_name() in log and "· specialist ·" not in log
    assert "电话" in log and "phone" not in log
    # the report the visit is about
    report = order.reports.get()
    assert 'id="visit-report"' in body and report.findings in body and report.rectification in body
    # the outcome must be chosen: nothing preselected, and an empty choice is refused
    select = re.search(r'<select id="v-outcome"[^>]*>(.*?)</select>', body, re.S).group(0)
    assert "required" in select.split(">")[0]
    assert re.search(r'<option value="" selected>', select)
    assert not re.search(r'<option value="satisfied"\s+selected', select)
    r = c.post(reverse("satisfaction:visit-record", args=[task.pk]), {"kind": "outcome", "method": "phone", "outcome": ""})
    assert r.status_code == 400
    assert "回访结果" in r.content.decode() and "outcome:" not in r.content.decode()
    task.refresh_from_db()
    assert task.state == "open" and not task.outcome


def test_visit_list_tabs_say_to_visit(org):
    body = web("specialist").get(reverse("satisfaction:visits")).content.decode()
    assert "待回访" in body and "待反馈" not in body


def test_visit_page_state_badge_says_to_visit_then_visited(org):
    """The task's state badge: 待回访 while open (the work-order catalog's "Open"
    is a station task's 待反馈, wrong here), 已回访 once the outcome is in."""
    order = walk_to("fed_back", customer={"account_no": "7712340002", "name": "张三", "phone": "13812341234", "category": "residential"})
    assert order.state == "fed_back"
    task = VisitTask.objects.get(order=order, state="open")
    c = web("specialist")
    body = c.get(reverse("satisfaction:visit", args=[task.pk])).content.decode()
    badge = re.search(r'<span class="badge[^"]*" id="visit-state">(.*?)</span>', body).group(1)
    assert badge == "待回访", badge
    r = c.post(reverse("satisfaction:visit-record", args=[task.pk]), {"kind": "outcome", "method": "phone", "outcome": "satisfied", "solved": "1"})
    assert r.status_code == 302
    body = c.get(reverse("satisfaction:visit", args=[task.pk])).content.decode()
    badge = re.search(r'<span class="badge[^"]*" id="visit-state">(.*?)</span>', body).group(1)
    assert badge == "已回访", badge


def test_rates_sheet_names_its_grouping_not_a_person(org):
    """The rates sheet's "By" row is the grouping (维度), not the work-order
    catalog's "By" (经办人, the person who did it)."""
    import io

    from openpyxl import load_workbook

    walk_to("visited", customer={"account_no": "7712340003", "name": "张三", "phone": "13812341234", "category": "residential"})
    r = web("manager").get(reverse("satisfaction:export-xlsx"))
    assert r.status_code == 200
    book = load_workbook(io.BytesIO(r.content))
    firsts = [row[0] for ws in book.worksheets for row in ws.iter_rows(values_only=True) if row and row[0]]
    assert "维度" in firsts and "经办人" not in firsts, firsts[:8]


def test_visit_page_asks_whether_the_problem_is_solved_in_its_own_words(org):
    """“Problem solved”, “Investigation report”, “Record”, “Return visits”: each
    catalogue translated them its own way and another app's words won here
    (问题已解决, 调查处理报告 vs 调查报告, 录入, 回访记录)."""
    order = walk_to("fed_back", customer={"account_no": "7712340002", "name": "李四", "phone": "13812341235", "category": "residential"})
    task = VisitTask.objects.get(order=order, state="open")
    c = web("specialist")
    body = c.get(reverse("satisfaction:visit", args=[task.pk])).content.decode()
    assert re.search(r'<label for="v-solved">问题是否解决</label>', body), body
    assert "问题已解决" not in body
    assert "<h2>调查报告</h2>" in body and "<h2>登记</h2>" in body and "录入" not in body
    assert "← 回访</a>" in body
    listing = c.get(reverse("satisfaction:visits")).content.decode()
    assert "<h1>回访</h1>" in listing and "回访记录" not in listing
