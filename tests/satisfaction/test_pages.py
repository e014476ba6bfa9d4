"""The return-visit and satisfaction pages, exports and the audited admin."""

from __future__ import annotations

import io

import pytest
from django.test import Client

from griddesk.satisfaction import defaults
from griddesk.satisfaction.demo import demo_responses_create
from griddesk.satisfaction.index import index_compute
from griddesk.satisfaction.models import Questionnaire, VisitRule, VisitTask
from griddesk.workorders.models import RuleChange

from .test_visits import fed_back

pytestmark = pytest.mark.django_db


def _web(username: str) -> Client:
    from django.contrib.auth import get_user_model

    c = Client()
    c.force_login(get_user_model().objects.get(username=username))
    return c


def test_visit_pages_record_attempt_and_outcome(org):
    order = fed_back()
    task = VisitTask.objects.get(order=order)
    c = _web("specialist")
    page = c.get("/satisfaction/visits/")
    assert page.status_code == 200 and order.number in page.content.decode()
    assert "/satisfaction/visits/" in c.get("/").content.decode()  # nav link
    r = c.post(f"/satisfaction/visits/{task.pk}/record/", {"kind": "attempt", "method": "phone", "note": "忙音"})
    assert r.status_code == 302
    task.refresh_from_db()
    assert task.failed_attempts == 1
    r = c.post(f"/satisfaction/visits/{task.pk}/record/", {"kind": "outcome", "method": "phone", "outcome": "unsatisfied"})
    assert r.status_code == 400 and "customer_words" in r.content.decode()
    r = c.post(f"/satisfaction/visits/{task.pk}/record/",
               {"kind": "outcome", "method": "phone", "outcome": "satisfied", "solved": "1", "customer_words": "满意"})
    assert r.status_code == 302
    task.refresh_from_db()
    order.refresh_from_db()
    assert task.outcome == "satisfied" and task.solved is True and order.state == "visited"
    detail = c.get(f"/satisfaction/visits/{task.pk}/").content.decode()
    assert "满意" in detail and "忙音" in detail
    # An agent sees no visits and cannot open one.
    assert _web("agent").get(f"/satisfaction/visits/{task.pk}/").status_code == 404


def test_dashboard_exports_and_drilldown(org):
    q = Questionnaire.objects.get(code=defaults.DEFAULT_CODE)
    q.bootstrap = 20
    q.save()
    demo_responses_create(n=300, seed=11)
    m = _web("manager")
    assert 'id="compute"' in m.get("/satisfaction/").content.decode()
    r = m.post("/satisfaction/compute/", {"questionnaire": q.code})
    assert r.status_code == 302
    page = m.get("/satisfaction/").content.decode()
    assert 'id="chart-model"' in page and "客户满意" in page and "echarts.min.js" in page
    drill = m.get("/satisfaction/responses/?questionnaire=ccsi-power&segment=area=east")
    assert drill.status_code == 200 and "东湖县" in drill.content.decode()
    x = m.get("/satisfaction/export.xlsx")
    assert x.status_code == 200
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(x.content))
    assert len(wb.sheetnames) == 5
    rows = list(wb.worksheets[1].iter_rows(values_only=True))
    assert rows[0][0] and any(r[1] == "客户满意" for r in rows[1:] if r)
    pdf = m.get("/satisfaction/report.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF") and len(pdf.content) > 5000
    assert _web("agent").get("/satisfaction/").status_code == 403
    assert _web("leader").post("/satisfaction/compute/", {"questionnaire": q.code}).status_code == 403


def test_pdf_needs_a_snapshot(org):
    assert _web("manager").get("/satisfaction/report.pdf").status_code == 302
    q = Questionnaire.objects.get(code=defaults.DEFAULT_CODE)
    assert index_compute(questionnaire=q).state == "failed"  # no responses yet


def test_admin_edits_are_audited(org):
    a = _web("admin")
    rule = VisitRule.objects.get(code="default")
    r = a.post(f"/admin/satisfaction/visitrule/{rule.pk}/change/",
               {"code": "default", "due_working_days": 4, "max_attempts": 5, "assignee": "customer_center", "active": "on"})
    assert r.status_code == 302, r.content.decode()[:2000]
    rule.refresh_from_db()
    assert rule.due_working_days == 4
    change = RuleChange.objects.filter(model="satisfaction.VisitRule").latest("at")
    assert change.before["due_working_days"] == 2 and change.after["due_working_days"] == 4


def test_dashboard_breakdown_in_words_and_improve_first_before_keep_up(org):
    import re

    q = Questionnaire.objects.get(code=defaults.DEFAULT_CODE)
    q.bootstrap = 20
    q.save()
    demo_responses_create(n=300, seed=11)
    m = _web("manager")
    m.post("/satisfaction/compute/", {"questionnaire": q.code})
    for by, word in (("department", "主办部门"), ("station", "供电所"), ("channel", "渠道"), ("period", "月份")):
        page = m.get(f"/satisfaction/?by={by}").content.decode()
        select = re.search(r'<select name="by".*?</select>', page, re.S).group(0)
        options = re.findall(r'<option value="(\w+)"[^>]*>([^<]*)</option>', select)
        assert len(options) == 6 and all(label != code and re.search(r"[\u4e00-\u9fff]", label) for code, label in options)
        head = re.search(r'<section class="card" id="visit-rates">.*?</thead>', page, re.S).group(0)
        assert f"<th>{word}</th>" in head and f"<th>{by}</th>" not in head
    page = m.get("/satisfaction/").content.decode()
    first = re.search(r'<ol id="priorities">(.*?)</ol>', page, re.S).group(1)
    quadrants = re.findall(r'data-quadrant="(\w+)"', first)
    assert quadrants and not {"keep_up", "possible_overkill"} & set(quadrants), quadrants
    assert quadrants == sorted(quadrants, key=["concentrate_here", "low_priority"].index)
    keep = re.findall(r'data-quadrant="(\w+)"', page.split('id="keep-up"')[1].split("</ul>")[0]) if 'id="keep-up"' in page else []
    assert set(keep) <= {"keep_up", "possible_overkill"} and len(quadrants) + len(keep) == 5
