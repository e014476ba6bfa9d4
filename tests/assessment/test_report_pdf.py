"""/assessment/report.pdf: the monthly report a manager sends upward.

The PDF is read back with pypdf (tests/assessment/pdftext.py) and checked for what it
must say; with poppler's pdftoppm installed, its pages are rendered to
test-artifacts/report-pdf-*.png to be looked at."""

from __future__ import annotations

import shutil
import subprocess
import warnings
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone, translation

from griddesk.assessment import report_pdf, selectors
from griddesk.assessment.templatetags.assessment_tags import KPI_LABELS
from griddesk.engines import kpi
from griddesk.engines.workflow import OPEN_STATES
from griddesk.workorders.models import WorkOrder

from . import pdftext
from .conftest import actor

pytestmark = pytest.mark.django_db
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
needs_cjk = pytest.mark.skipif(report_pdf.cjk_font() is None, reason="no CJK font installed (make browser-deps)")

ZH_KPIS = ["万户投诉率", "责任投诉率", "及时办结率", "回访满意率", "重复投诉率", "一次解决率", "越级投诉率", "平均处理时长（工作小时）",
           "P90 处理时长（工作小时）", "平均考核得分"]


def web(username: str, language: str | None = None) -> Client:
    c = Client(HTTP_ACCEPT_LANGUAGE=language) if language else Client()
    c.force_login(get_user_model().objects.get(username=username))
    return c


def get_pdf(c: Client, query: str = "?period=2026-10") -> bytes:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        r = c.get("/assessment/report.pdf" + query)
    assert r.status_code == 200, r.content[:500]
    assert r["Content-Type"] == "application/pdf"
    assert not [w for w in caught if "Glyph" in str(w.message)], [str(w.message) for w in caught]
    return r.content


def to_png(content: bytes, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / f"{name}.pdf").write_bytes(content)
    if shutil.which("pdftoppm"):
        for old in ARTIFACTS.glob(f"{name}-*.png"):
            old.unlink()
        subprocess.run(["pdftoppm", "-png", "-r", "80", str(ARTIFACTS / f"{name}.pdf"), str(ARTIFACTS / name)], check=True)


def overdue_numbers() -> list[str]:
    return list(
        WorkOrder.objects.filter(state__in=[s.value for s in OPEN_STATES], deadline_at__lt=timezone.now())
        .order_by("deadline_at").values_list("number", flat=True)
    )


@needs_cjk
def test_the_report_says_who_what_when_in_chinese(dataset):
    content = get_pdf(web("manager"))
    to_png(content, "report-pdf-zh")
    pdf = pdftext.read(content)
    assert len(pdf.pages) >= 5
    title = pdf.pages[0]
    manager = get_user_model().objects.get(username="manager")
    company = actor("manager").company.name
    assert company in title and "供电服务考核月报" in title and "2026年10月" in title, title
    assert "2026-10-01 至 2026-10-31" in title
    assert (manager.get_full_name() or manager.username) in title
    assert "生成时间" in title and "北京时间" in title
    text = pdf.text
    for name in ZH_KPIS:
        assert name in text, name
    assert name_of(KPI_LABELS["on_time_rate"]) == "及时办结率"  # the labels are the web page's
    for heading in ("一、总体情况", "二、关键指标", "三、排名", "四、趋势与类别帕累托", "五、超期工单"):
        assert heading in text, heading
    assert "供电公司（市、县公司）" in text and "部门" in text and "供电所" in text
    numbers = overdue_numbers()
    assert numbers, "the data set has overdue orders"
    for n in numbers:
        assert n in pdf.pages[-1] or n in text, n
    assert "较上期" in text  # the change against the previous period


def name_of(lazy: object) -> str:
    with translation.override("zh-hans"):
        return str(lazy)


@needs_cjk
def test_the_kpi_table_shows_value_fraction_and_change(dataset):
    report = selectors.monthly_report(actor("manager"), period=kpi.parse_period("2026-10"))
    k = {row["code"]: row for row in report["kpis"]}
    text = pdftext.read(get_pdf(web("manager"))).text
    on_time = k["on_time_rate"]
    assert f"{int(on_time['numerator'])} / {int(on_time['denominator'])}" in text
    assert f"{on_time['value']:.2f}%" in text
    # September had complaints too: the rates have a previous value and a signed, arrowed change
    changes = {code: k[code]["previous"]["change"] for code in ("on_time_rate", "at_fault_rate", "repeat_rate")}
    assert changes["on_time_rate"] and changes["repeat_rate"], changes  # one down, one up in this data set
    for code, change in changes.items():
        if abs(change) < 0.005:
            assert "= 0.00" in text
        else:
            assert f"{'▲' if change > 0 else '▼'} {change:+.2f} 个百分点" in text, code
    assert f"{k['on_time_rate']['previous']['previous']:.2f}%" in text  # the previous value itself
    # 万户投诉率 over the whole scope: valid complaints ÷ customers × 10,000, with its definition
    per_10k = k["complaints_per_10k"]
    assert per_10k["denominator"] > 0 and f"{per_10k['value']:.2f}" in text
    assert "万户投诉率 = 本期受理的有效投诉数" in text.replace("\n", "")
    # a department has no customers: no 万户投诉率 in its ranking, and the page says why
    assert "部门和个人没有自己的客户" in text.replace("\n", "")


@needs_cjk
def test_rankings_list_companies_departments_and_stations(dataset):
    from griddesk.organisation.models import Department

    text = pdftext.read(get_pdf(web("manager"))).text
    for code in ("east-ps-1", "west-ps-1", "east-ps-2"):
        assert Department.objects.get(code=code).name in text, code


@needs_cjk
def test_english_when_the_ui_is_english(dataset):
    content = get_pdf(web("manager", "en"))
    to_png(content, "report-pdf-en")
    text = pdftext.read(content).text
    assert "Monthly service assessment report" in text and "October 2026" in text
    for code in ("on_time_rate", "complaints_per_10k", "avg_score"):
        with translation.override("en"):
            assert str(KPI_LABELS[code]) in text
    assert "按时办结率" not in text
    for n in overdue_numbers():
        assert n in text


def test_bad_period_or_level_is_a_400_in_chinese(dataset):
    c = web("manager")
    cases = (("?period=2026-13", "invalid_period"), ("?period=soon", "invalid_period"),
             ("?period=1900-01", "date_out_of_range"), ("?period=2026-10&level=planet", "invalid_choice"))
    # the dashboard, its exports and the training page answer the same way (they
    # used to fall back to this month without a word)
    pages = ("/assessment/report.pdf", "/assessment/", "/assessment/export/scorecard.xlsx", "/assessment/training/")
    for page, (query, code) in ((p, case) for p in pages for case in cases):
        if page == "/assessment/training/" and "level" in query:
            continue  # the training page has no level
        r = c.get(page + query)
        assert r.status_code == 400, (page, query)
        body = r.content.decode()
        assert code in body, (query, body)
        assert any("\u4e00" <= ch <= "\u9fff" for ch in body), body  # the message is Chinese


def test_same_access_as_the_dashboard(dataset):
    assert web("agent").get("/assessment/report.pdf?period=2026-10").status_code == 403
    anonymous = Client().get("/assessment/report.pdf?period=2026-10")
    assert anonymous.status_code == 302
    assert web("leader").get("/assessment/report.pdf?period=2026-10").status_code == 200


@needs_cjk
def test_quarter_and_extra_level(dataset):
    pdf = pdftext.read(get_pdf(web("manager"), "?period=2026-Q4&level=staff"))
    assert "供电服务考核季报" in pdf.pages[0] and "2026年第4季度" in pdf.pages[0]
    assert "2026-10-01 至 2026-12-31" in pdf.pages[0]
    assert "3.4 人员" in pdf.text  # the level asked for, after the three standard rankings


def test_no_cjk_font_falls_back_to_english_with_a_note(dataset, monkeypatch, caplog):
    monkeypatch.setattr(report_pdf, "cjk_font", lambda: None)
    r = web("manager").get("/assessment/report.pdf?period=2026-10")
    assert r.status_code == 200
    to_png(r.content, "report-pdf-nofont")
    pdf = pdftext.read(r.content)
    assert "Monthly service assessment report" in pdf.pages[0]
    assert "No Chinese font was found on the server (install fonts-wqy-microhei)" in pdf.pages[0]
    assert any("no CJK font" in rec.getMessage() for rec in caplog.records)
