"""SLA policy matching and rule-kind arithmetic (pure engine, no Django)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from griddesk.engines import sla
from griddesk.engines.sla import BusinessHours, Facts, Policy
from griddesk.engines.workdays import WorkdayCalendar, official_calendar

SH = ZoneInfo("Asia/Shanghai")


@pytest.fixture(scope="module")
def cal() -> WorkdayCalendar:
    return official_calendar()


def at(s: str) -> datetime:
    return datetime.fromisoformat(s).replace(tzinfo=SH)


ARRIVAL = [
    Policy("arrival.urban", "arrival", "natural", 45, order_types=frozenset({"fault_repair"}), area_types=frozenset({"urban"})),
    Policy("arrival.rural", "arrival", "natural", 90, order_types=frozenset({"fault_repair"}), area_types=frozenset({"rural"})),
    Policy("arrival.remote", "arrival", "natural", 120, order_types=frozenset({"fault_repair"}), area_types=frozenset({"remote"})),
]
POLICIES = [
    *ARRIVAL,
    Policy("forward", "forward", "working_hours", 120),
    Policy("grade", "grade", "working_hours", 120),
    Policy("handling.fault", "handling", "working_hours", 8 * 60, order_types=frozenset({"fault_repair"})),
    Policy("handling.media.important", "handling", "working_days", 3,
           channels=frozenset({"media"}), complexities=frozenset({"important"})),
    Policy("handling.grade1", "handling", "working_days", 1, grades=frozenset({1})),
]
DAYS = {"ordinary": 2, "important": 4}


@pytest.mark.parametrize(
    ("facts", "stage", "code"),
    [
        (Facts("fault_repair", "ordinary", area_type="urban"), "arrival", "arrival.urban"),
        (Facts("fault_repair", "ordinary", area_type="rural"), "arrival", "arrival.rural"),
        (Facts("fault_repair", "ordinary", area_type="remote"), "arrival", "arrival.remote"),
        # area type unknown: no area-specific policy matches
        (Facts("fault_repair", "ordinary"), "arrival", None),
        (Facts("complaint", "ordinary", area_type="urban"), "arrival", None),
        (Facts("complaint", "ordinary"), "forward", "forward"),
        (Facts("complaint", "ordinary"), "handling", "time_limit.ordinary"),  # fallback
        (Facts("complaint", "important"), "handling", "time_limit.important"),
        (Facts("fault_repair", "ordinary"), "handling", "handling.fault"),
        # two criteria (channel + complexity) beat one (grade)
        (Facts("complaint", "important", grade=1, channel="media"), "handling", "handling.media.important"),
        (Facts("complaint", "important", grade=1, channel="95598"), "handling", "handling.grade1"),
        # grade not known yet: the grade policy does not match
        (Facts("complaint", "important", channel="95598"), "handling", "time_limit.important"),
    ],
)
def test_most_specific_match_wins(facts: Facts, stage: str, code: str | None) -> None:
    found = sla.resolve(POLICIES, facts, stage, DAYS)
    assert (found.code if found else None) == code


def test_tie_on_specificity_goes_to_priority_then_code() -> None:
    a = Policy("b-first", "handling", "working_days", 5, channels=frozenset({"media"}), priority=10)
    b = Policy("a-second", "handling", "working_days", 6, order_types=frozenset({"complaint"}), priority=20)
    facts = Facts("complaint", "ordinary", channel="media")
    assert sla.match([a, b], facts, "handling") == a
    c = Policy("a-same", "handling", "working_days", 7, order_types=frozenset({"complaint"}), priority=10)
    assert sla.match([a, c], facts, "handling") == c  # same priority: lower code
    assert sla.match([c, a], facts, "handling") == c  # input order irrelevant


def test_policy_validation() -> None:
    with pytest.raises(ValueError, match="stage"):
        Policy("x", "lunch", "natural", 1)
    with pytest.raises(ValueError, match="kind"):
        Policy("x", "handling", "fortnights", 1)
    with pytest.raises(ValueError, match="amount"):
        Policy("x", "handling", "natural", -1)
    with pytest.raises(ValueError, match="area"):
        Policy("x", "arrival", "natural", 1, area_types=frozenset({"suburb"}))
    with pytest.raises(ValueError, match="grades"):
        Policy("x", "handling", "natural", 1, grades=frozenset({5}))
    with pytest.raises(ValueError):
        BusinessHours(time(17, 30), time(8, 30))
    with pytest.raises(ValueError, match="stage"):
        sla.match(POLICIES, Facts("complaint", "ordinary"), "lunch")


def test_deadline_by_kind(cal: WorkdayCalendar) -> None:
    wd = Policy("wd", "handling", "working_days", 2)
    # The example: received 2026-09-30, National Day, due 10-09.
    assert sla.deadline(wd, at("2026-09-30T10:00"), cal).due_at == at("2026-10-09T23:59:59")
    # one extra (suspended) working day: 10-10 is an adjusted working Saturday
    assert sla.deadline(wd, at("2026-09-30T10:00"), cal, extension=1).due_at == at("2026-10-10T23:59:59")
    wh = Policy("wh", "forward", "working_hours", 120)
    # Friday 16:30 + 2 working hours → 1 h on Friday, 1 h on Monday morning
    assert sla.deadline(wh, at("2026-11-27T16:30"), cal).due_at == at("2026-11-30T09:30")
    hours = BusinessHours(time(9, 0), time(17, 0))
    assert sla.deadline(wh, at("2026-11-27T16:30"), cal, hours=hours).due_at == at("2026-11-30T10:30")
    nat = Policy("n", "arrival", "natural", 45)
    # natural time runs through the night and holidays
    assert sla.deadline(nat, at("2026-10-01T23:30"), cal).due_at == at("2026-10-02T00:15")
    assert sla.deadline(nat, at("2026-10-01T23:30"), cal, extension=15).due_at == at("2026-10-02T00:30")
    with pytest.raises(ValueError):
        sla.deadline(nat, at("2026-10-01T23:30"), cal, extension=-1)


def test_working_minutes_between(cal: WorkdayCalendar) -> None:
    f = sla.working_minutes_between
    assert f(at("2026-11-30T08:00"), at("2026-11-30T09:00"), cal) == 30  # opens 08:30
    assert f(at("2026-11-27T17:00"), at("2026-11-30T09:00"), cal) == 60  # over the weekend
    assert f(at("2026-11-30T09:00"), at("2026-11-30T09:00"), cal) == 0
    assert f(at("2026-11-30T10:00"), at("2026-11-30T09:00"), cal) == 0
    # the National Day week: 10-01..07 off; 09-30 afternoon + 10-08 morning
    assert f(at("2026-09-30T16:30"), at("2026-10-08T09:30"), cal) == 120
    # Mon 08:30 → Fri 17:30 = five full days
    assert f(at("2026-11-23T08:30"), at("2026-11-27T17:30"), cal) == 5 * 9 * 60
    with pytest.raises(ValueError):
        f(datetime(2026, 1, 1), at("2026-11-27T17:30"), cal)


def test_suspension_extension(cal: WorkdayCalendar) -> None:
    ext = sla.suspension_extension
    # same day: no working day lost
    assert ext("working_days", at("2026-11-30T09:00"), at("2026-11-30T16:00"), cal) == 0
    # Monday → Wednesday: Tuesday and Wednesday
    assert ext("working_days", at("2026-11-30T09:00"), at("2026-12-02T10:00"), cal) == 2
    # Friday → Monday: only Monday is a working day
    assert ext("working_days", at("2026-11-27T15:00"), at("2026-11-30T10:00"), cal) == 1
    assert ext("working_hours", at("2026-11-27T15:00"), at("2026-11-30T10:00"), cal) == 150 + 90
    assert ext("natural", at("2026-11-27T15:00"), at("2026-11-27T16:30"), cal) == 90
    assert ext("natural", at("2026-11-27T16:30"), at("2026-11-27T15:00"), cal) == 0
    with pytest.raises(ValueError):
        ext("weeks", at("2026-11-27T15:00"), at("2026-11-27T16:30"), cal)


# ------------------------------------------------------------------ properties

_moments = st.datetimes(
    min_value=datetime(2025, 1, 1), max_value=datetime(2027, 6, 30), timezones=st.just(UTC)
)
_facts = st.builds(
    Facts,
    order_type=st.sampled_from(["complaint", "fault_repair", "opinion"]),
    complexity=st.sampled_from(["ordinary", "important"]),
    grade=st.sampled_from([None, 1, 2, 3, 4]),
    channel=st.sampled_from([None, "95598", "media", "12345"]),
    area_type=st.sampled_from([None, "urban", "rural", "remote"]),
)


@settings(max_examples=200, deadline=None)
@given(received=_moments, minutes=st.integers(min_value=0, max_value=60 * 40))
def test_prop_working_hours_budget_is_exactly_consumed(received: datetime, minutes: int) -> None:
    cal = official_calendar()
    policy = Policy("wh", "handling", "working_hours", minutes)
    due = sla.deadline(policy, received, cal).due_at
    assert due >= received
    assert sla.working_minutes_between(received, due, cal) == minutes
    if minutes:
        local = due.astimezone(SH)
        assert cal.is_workday(local.date())
        assert time(8, 30) < local.time() <= time(17, 30)


@settings(max_examples=200, deadline=None)
@given(received=_moments, ext1=st.integers(0, 5), ext2=st.integers(0, 5), kind=st.sampled_from(sla.KINDS))
def test_prop_monotonic_in_extension(received: datetime, ext1: int, ext2: int, kind: str) -> None:
    cal = official_calendar()
    policy = Policy("p", "handling", kind, 3 if kind == "working_days" else 90)
    lo, hi = sorted((ext1, ext2))
    assert sla.deadline(policy, received, cal, extension=lo).due_at <= sla.deadline(
        policy, received, cal, extension=hi
    ).due_at


@settings(max_examples=200, deadline=None)
@given(a=_moments, span=st.integers(min_value=0, max_value=60 * 24 * 20))
def test_prop_suspension_then_extension_is_exact_for_working_hours(a: datetime, span: int) -> None:
    # A working-hours deadline extended by the business time suspended ends as
    # many business minutes after resumption as were left at suspension.
    cal = official_calendar()
    b = a + timedelta(minutes=span)
    lost = sla.suspension_extension("working_hours", a, b, cal)
    assert lost == sla.working_minutes_between(a, b, cal)
    assert 0 <= lost <= span


@settings(max_examples=300, deadline=None)
@given(facts=_facts, stage=st.sampled_from(sla.STAGES), shuffle=st.randoms(use_true_random=False))
def test_prop_match_is_the_most_specific_and_order_independent(facts: Facts, stage: str, shuffle: object) -> None:
    pols = list(POLICIES)
    found = sla.match(pols, facts, stage)
    shuffle.shuffle(pols)  # type: ignore[attr-defined]
    assert sla.match(pols, facts, stage) == found
    matching = [p for p in pols if p.stage == stage and p.matches(facts)]
    if found is None:
        assert matching == []
    else:
        assert found.matches(facts) and found.stage == stage
        assert all(found.specificity >= p.specificity for p in matching)
