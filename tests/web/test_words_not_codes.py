"""The new-user walk: people see words, not codes (order page, inbox, return visits)."""

from __future__ import annotations

import re

import pytest

from griddesk.workorders.models import Category, GradingRule

pytestmark = pytest.mark.django_db


def test_grade_suggestion_reasons_are_words(web, order_in):
    order = order_in("received")
    assert order.suggestion_reasons[0] == "business_quality"
    body = web("agent").get(f"/orders/{order.number}/").content.decode()
    reasons = re.search(r'<span id="suggestion-reasons">(.*?)</span>', body, re.S)
    assert reasons, body
    text = reasons.group(1)
    assert "business_quality" not in text and "business.tariff" not in text and "category:" not in text
    assert GradingRule.objects.get(code="business_quality").description in text
    assert Category.objects.get(code="business.tariff").name in text
    assert "类别" in text
