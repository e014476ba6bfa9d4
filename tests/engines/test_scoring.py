from datetime import datetime, time
from zoneinfo import ZoneInfo

import pytest

from griddesk.engines import workdays
from griddesk.engines.scoring import (
    DEFAULT_RULES,
    OrderFacts,
    RulesError,
    rules_from_dict,
    score_order,
    working_hours_between,
)

SH = ZoneInfo("Asia/Shanghai")
CAL = workdays.official_calendar()


def facts(**kw):
    base = dict(on_time=True, overdue_hours=0.0, at_fault=False, visit_outcome="satisfied", repeat=False,
                escalated=False, urge_count=0, reopen_count=0, department_type="marketing")
    base.update(kw)
    return OrderFacts(**base)


def test_clean_order_keeps_the_base():
    r = score_order(facts(), rules_from_dict(DEFAULT_RULES))
    assert r.score == 100 and all(v == 0 for v in r.items.values())


def test_items_add_up_and_caps_apply():
    rules = rules_from_dict(DEFAULT_RULES)
    r = score_order(facts(on_time=False, overdue_hours=35.0, at_fault=True, urge_count=9, reopen_count=1), rules)
    assert r.items["overdue"] == -10
    assert r.items["overdue_hours"] == -20  # capped at 20
    assert r.items["at_fault"] == -20
    assert r.items["urged"] == -10  # 9 × −2 capped at 10
    assert r.items["reopened"] == -5
    assert r.score == 100 - 10 - 20 - 20 - 10 - 5


def test_department_weight_and_floor():
    doc = {**DEFAULT_RULES, "weights": {"audit": 2.0}, "floor": 30}
    rules = rules_from_dict(doc)
    r = score_order(facts(at_fault=True, repeat=True, escalated=True, department_type="audit"), rules)
    assert r.weight == 2.0
    assert r.score == 30  # 100 + 2 × (−40) = 20 → floor 30
    r2 = score_order(facts(at_fault=True, department_type="marketing"), rules)
    assert r2.weight == 1.0 and r2.score == 80


@pytest.mark.parametrize(
    "doc,field",
    [
        ({"items": {"bogus": {"points": 1}}}, "items.bogus"),
        ({"items": {"urged": {"points": "x"}}}, "items.urged.points"),
        ({"items": {"urged": {"points": -1, "cap": -3}}}, "items.urged.cap"),
        ({"repeat_window_days": 0}, "repeat_window_days"),
        ({"training_threshold": 0}, "training_threshold"),
        ({"day_start": "18:00", "day_end": "09:00"}, "day_end"),
        ({"weights": {"audit": -1}}, "weights.audit"),
        ({"base": 50, "floor": 60}, "floor"),
    ],
)
def test_bad_rules_are_refused_with_the_field(doc, field):
    with pytest.raises(RulesError) as e:
        rules_from_dict(doc)
    assert e.value.field == field


def test_working_hours_same_day_and_outside_hours():
    a = datetime(2026, 11, 24, 9, 0, tzinfo=SH)  # Tuesday
    assert working_hours_between(a, a.replace(hour=11, minute=30), CAL) == 2.5
    assert working_hours_between(a.replace(hour=7), a.replace(hour=20), CAL) == 9.0
    assert working_hours_between(a.replace(hour=18), a.replace(hour=20), CAL) == 0.0


def test_working_hours_skip_weekends_and_holidays():
    fri = datetime(2026, 11, 27, 16, 30, tzinfo=SH)
    mon = datetime(2026, 11, 30, 9, 30, tzinfo=SH)
    assert working_hours_between(fri, mon, CAL) == 2.0
    # National day week 2026: Oct 1–7 are holidays
    before = datetime(2026, 9, 30, 17, 0, tzinfo=SH)
    after = datetime(2026, 10, 8, 9, 0, tzinfo=SH)
    expected = 0.5 + 0.5 + sum(9.0 for d in range(1, 8) if CAL.is_workday(datetime(2026, 10, d).date()))
    assert working_hours_between(before, after, CAL) == expected


def test_working_hours_are_antisymmetric_and_use_custom_hours():
    a = datetime(2026, 11, 23, 8, 0, tzinfo=SH)
    b = datetime(2026, 11, 25, 12, 0, tzinfo=SH)
    h = working_hours_between(a, b, CAL)
    assert h == 9 + 9 + 3.5
    assert working_hours_between(b, a, CAL) == -h
    assert working_hours_between(a, b, CAL, day_start=time(9), day_end=time(17)) == 8 + 8 + 3


def test_working_hours_need_aware_times():
    with pytest.raises(ValueError):
        working_hours_between(datetime(2026, 1, 1), datetime(2026, 1, 2), CAL)
