"""Dates outside 2000–2100 (GRIDDESK_DATE_MIN_YEAR/MAX_YEAR) are refused with
``date_out_of_range`` by every date field of the API, and can never reach an
order number (which embeds the received day)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from griddesk.common.errors import InvalidInput
from griddesk.satisfaction import defaults
from griddesk.satisfaction.models import SurveyResponse
from griddesk.workorders import services
from griddesk.workorders.models import WorkOrder
from tests.conftest import intake_payload

BAD_TIMES = ["0072-09-21T10:00:00+08:00", "1900-01-01T00:00:00+08:00", "1999-12-31T23:59:59+00:00",
             "2101-01-01T00:00:00+08:00", "9999-12-31T23:59:59+08:00", "9999-12-31T23:59:59-05:00"]


def _codes(body: dict[str, Any], field: str) -> list[str]:
    return [e["code"] for e in body["errors"][field]]


@pytest.mark.parametrize("when", BAD_TIMES[:3])
def test_intake_refuses_received_at_before_2000(org: Any, client_for: Any, when: str) -> None:
    r = client_for("agent").post("/api/v1/work-orders/", intake_payload(received_at=when), format="json")
    assert r.status_code == 400, r.content
    assert _codes(r.json(), "received_at") == ["date_out_of_range"]
    assert any("\u4e00" <= ch <= "\u9fff" for ch in r.json()["errors"]["received_at"][0]["message"])
    assert not WorkOrder.objects.exists()


def test_bulk_intake_refuses_an_old_order_and_takes_the_rest(org: Any, client_for: Any) -> None:
    items = [intake_payload(), intake_payload(received_at="0072-09-21T10:00:00+08:00")]
    body = client_for("agent").post("/api/v1/work-orders/bulk/", {"orders": items}, format="json").json()
    assert [r["status"] for r in body["results"]] == ["created", "error"]
    assert body["results"][1]["errors"]["received_at"][0]["code"] == "date_out_of_range"
    assert all(len(n) == 16 for n in WorkOrder.objects.values_list("number", flat=True))


def test_a_modern_received_at_still_gives_a_sixteen_character_number(org: Any, make_order: Any) -> None:
    when = (timezone.now() - timedelta(days=3)).astimezone(ZoneInfo("Asia/Shanghai"))
    number = make_order(received_at=when.isoformat())["number"]
    assert number[2:10] == when.strftime("%Y%m%d") and len(number) == 16


def test_the_number_day_is_always_eight_digits_and_never_out_of_range() -> None:
    tz = ZoneInfo("Asia/Shanghai")
    assert services._number_day(datetime(2026, 9, 21, 10, tzinfo=tz)) == "20260921"
    for year in (72, 1900, 2101):
        with pytest.raises(InvalidInput) as exc:
            services._number_day(datetime(year, 9, 21, 10, tzinfo=tz))
        assert exc.value.code == "date_out_of_range"


@pytest.mark.parametrize("when", BAD_TIMES)
def test_deadline_api_refuses_times_out_of_range(org: Any, client_for: Any, when: str) -> None:
    r = client_for("agent").get("/api/v1/sla/deadline", {"received_at": when})
    assert r.status_code == 400, r.content
    assert _codes(r.json(), "received_at") == ["date_out_of_range"]


def test_deadline_api_still_answers_for_the_future_within_range(org: Any, client_for: Any) -> None:
    r = client_for("agent").get("/api/v1/sla/deadline", {"received_at": "2099-06-01T10:00:00+08:00"})
    assert r.status_code == 200, r.content


@pytest.mark.parametrize("when", ["1900-01-01T00:00:00+08:00", "9999-12-31T23:59:59-05:00"])
def test_opinion_published_at_out_of_range(org: Any, client_for: Any, when: str) -> None:
    from tests.opinion.conftest import item_payload

    r = client_for("specialist").post("/api/v1/opinion/items/", item_payload(published_at=when), format="json")
    assert r.status_code == 400, r.content
    assert _codes(r.json(), "published_at") == ["date_out_of_range"]


@pytest.mark.parametrize("param", ["received_from", "received_to"])
def test_order_list_filters_refuse_dates_out_of_range(org: Any, client_for: Any, param: str) -> None:
    r = client_for("admin").get("/api/v1/work-orders/", {param: "9999-12-31T23:59:59-05:00"})
    assert r.status_code == 400, r.content
    assert _codes(r.json(), param) == ["date_out_of_range"]


def test_calendar_override_date_out_of_range(org: Any, client_for: Any) -> None:
    r = client_for("admin").post("/api/v1/calendar/overrides/",
                                 {"date": "9999-12-31", "is_workday": True, "source_notice": "国办发"}, format="json")
    assert r.status_code == 400 and _codes(r.json(), "date") == ["date_out_of_range"]


@pytest.mark.parametrize("period", ["9999", "9999-12", "9999-Q4", "1900-01"])
def test_periods_out_of_range_are_400(org: Any, client_for: Any, period: str) -> None:
    c = client_for("manager")
    for url in (f"/api/v1/satisfaction/index/?questionnaire={defaults.DEFAULT_CODE}&period={period}",
                f"/api/v1/assessment/scorecards/?period={period}"):
        r = c.get(url)
        assert r.status_code == 400, (url, r.content)
        assert r.json()["code"] == "date_out_of_range"


def test_survey_answered_on_out_of_range_is_a_row_error(org: Any, client_for: Any) -> None:
    answers = {code: 8 for _c, _n, items in defaults.CONSTRUCTS for code, _t in items}
    row = {"respondent": "r-old", "answered_on": "0072-10-15", "area": "east", "answers": answers}
    r = client_for("manager").post(f"/api/v1/satisfaction/questionnaires/{defaults.DEFAULT_CODE}/responses/",
                                   {"responses": [row]}, format="json")
    assert r.status_code == 400, r.content
    assert {(e["field"], e["code"]) for e in r.json()["errors"]} == {("answered_on", "date_out_of_range")}
    assert not SurveyResponse.objects.filter(respondent="r-old").exists()
