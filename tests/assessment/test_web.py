import io
import re
from datetime import datetime
from html import unescape

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from openpyxl import load_workbook

from .conftest import SH, Spec

pytestmark = pytest.mark.django_db

OCT = datetime(2026, 10, 12, 9, 0, tzinfo=SH)


def web(username):
    c = Client()
    c.force_login(get_user_model().objects.get(username=username))
    return c


@pytest.fixture
def data(drive_order):
    orders = [
        drive_order(Spec(received=OCT, station="east-ps-1", at_fault=True)),
        drive_order(Spec(received=OCT.replace(day=13), station="east-ps-2", handle_hours=100, category="service.attitude")),
        drive_order(Spec(received=OCT.replace(day=14), station="west-ps-1", stop="archived")),
        drive_order(Spec(received=OCT.replace(day=15), station="west-ps-1", stop="received")),
    ]
    from griddesk.assessment.rollups import rollup_refresh

    rollup_refresh()
    return orders


def test_dashboard_numbers_link_to_lists_with_the_same_count(data):
    c = web("manager")
    page = c.get("/assessment/?period=2026-10&level=station")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="kpi-tiles"' in html and 'id="rankings"' in html and 'id="pareto"' in html and 'id="heat"' in html
    assert "web/vendor/echarts.min.js" in html and 'id="nav-assessment"' in html
    assert "考核" in html  # Chinese by default
    assert 'id="as-of"' in html  # the figures say when the rollups were refreshed
    # every number is a link carrying the order count it stands for
    links = re.findall(r'<a href="(/assessment/orders/\?[^"]+)"[^>]*data-count="(\d+)"', html)
    assert len(links) > 40
    assert any(int(n) > 0 for _h, n in links)
    for href, shown in links:
        resp = c.get(unescape(href))
        body = resp.content.decode()
        assert resp.status_code == 200, (href, body[:500])
        m = re.search(r'id="drill-count" data-count="(\d+)"', body)
        assert m, body[-3000:]
        count = int(m.group(1))
        assert count == int(shown), href


def test_dashboard_is_for_managers_and_leaders(data):
    assert web("leader").get("/assessment/").status_code == 200
    assert web("agent").get("/assessment/").status_code == 403
    assert 'id="nav-assessment"' not in web("agent").get("/").content.decode()


@pytest.mark.parametrize("table", ["scorecard", "pareto", "heat", "trend", "overdue", "at_risk", "training"])
def test_every_table_exports_xlsx(data, table):
    r = web("manager").get(f"/assessment/export/{table}.xlsx?period=2026-10&level=station")
    assert r.status_code == 200
    ws = load_workbook(io.BytesIO(r.content)).active
    assert ws.max_column >= 2 and ws.cell(1, 1).value


def test_scorecard_xlsx_matches_the_api(data, client_for):
    card = client_for("manager").get("/api/v1/assessment/scorecards/?period=2026-10&level=station").json()
    r = web("manager").get("/assessment/export/scorecard.xlsx?period=2026-10&level=station")
    rows = list(load_workbook(io.BytesIO(r.content)).active.iter_rows(min_row=2, values_only=True))
    assert len(rows) == sum(len(u["kpis"]) for u in card["units"])
    from django.utils import translation

    from griddesk.assessment.templatetags.assessment_tags import KPI_LABELS

    with translation.override("zh-hans"):
        api = {(u["unit"], str(KPI_LABELS[k["code"]])): k["numerator"] for u in card["units"] for k in u["kpis"]}
    assert {(r[0], r[2]): r[4] for r in rows} == api


def test_xlsx_headers_names_and_links_are_words_and_web_urls(data):
    c = web("manager")
    ws = load_workbook(io.BytesIO(c.get("/assessment/export/scorecard.xlsx?period=2026-10&level=station").content)).active
    header = [ws.cell(1, i).value for i in range(1, ws.max_column + 1)]
    assert "姓名" not in header and header[:2] == ["单位代码", "单位名称"], header
    rows = list(ws.iter_rows(min_row=2, values_only=True))
    assert "万户投诉率" in {r[2] for r in rows} and not {r[2] for r in rows} & {"complaints_per_10k", "on_time_rate"}
    for r in rows:
        assert r[7].startswith("http://testserver/assessment/orders/?"), r[7]
    resp = c.get(rows[0][7].removeprefix("http://testserver"))
    assert resp.status_code == 200 and 'id="drill-count"' in resp.content.decode()
    ws = load_workbook(io.BytesIO(c.get("/assessment/export/pareto.xlsx?period=2026-10").content)).active
    assert [ws.cell(1, i).value for i in (1, 2)] == ["类别代码", "类别名称"]
    api = web("manager")
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(get_user_model().objects.get(username="manager"))
    x = api.get("/api/v1/assessment/scorecards/?period=2026-10&level=station&export=xlsx")
    assert x.status_code == 200, x.content[:300]
    ws = load_workbook(io.BytesIO(x.content)).active
    assert str(ws.cell(2, 8).value).startswith("http://testserver/assessment/orders/?")


def test_monthly_pdf_report(data):
    import warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        r = web("manager").get("/assessment/report.pdf?period=2026-10")
    assert not [w for w in caught if "Glyph" in str(w.message)], "a CJK glyph is missing from the report's font"
    assert r.status_code == 200 and r["Content-Type"] == "application/pdf"
    assert r.content.startswith(b"%PDF") and len(r.content) > 5000


def test_training_page(data):
    r = web("manager").get("/assessment/training/?period=2026-10")
    assert r.status_code == 200 and 'id="training"' in r.content.decode()


def test_drilldown_page_rejects_bad_filters(data):
    assert web("manager").get("/assessment/orders/?on_time=perhaps").status_code == 400


def test_dashboard_chart_data_parses_once_into_an_object(data):
    import json

    html = web("manager").get("/assessment/?period=2026-10&level=station").content.decode()
    m = re.search(r'<script id="assessment-charts" type="application/json">(.*?)</script>', html, re.S)
    assert m, html[-2000:]
    chart = json.loads(m.group(1))
    assert isinstance(chart, dict), type(chart)
    assert set(chart) == {"trend", "pareto"}
    assert sum(chart["trend"]["y"]) > 0 and chart["pareto"]["x"]


def test_complaints_per_10k_is_defined_per_level(data, client_for):
    api = client_for("manager")
    for level, defined in (("company", True), ("station", True), ("customer_category", True), ("department", False), ("staff", False)):
        card = api.get(f"/api/v1/assessment/scorecards/?period=2026-10&level={level}").json()
        assert card["units"], level
        for u in card["units"]:
            per_10k = [k for k in u["kpis"] if k["code"] == "complaints_per_10k"]
            if not defined:
                assert not per_10k, (level, u)
        page = web("manager").get(f"/assessment/?period=2026-10&level={level}").content.decode()
        head = re.search(r'<table class="grid" id="rankings">.*?</thead>', page, re.S).group(0)
        assert ("万户投诉率" in head) == defined, level
        assert 'id="per-10k-definition"' in page
        assert not re.search(r"—</a> <small[^>]*>\(\d+/0\)", page), level  # never "— (22/0)"
    assert any(k["code"] == "complaints_per_10k" for u in api.get("/api/v1/assessment/scorecards/?period=2026-10&level=station").json()["units"] for k in u["kpis"])
