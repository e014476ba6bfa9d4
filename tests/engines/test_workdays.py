from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import chinese_calendar  # type: ignore[import-untyped]
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from griddesk.engines.workdays import (
    DEFAULT_WORKING_DAYS_BY_COMPLEXITY,
    DayInfo,
    Deadline,
    WorkdayCalendar,
    bulk_working_day_deadlines,
    natural_deadline,
    official_calendar,
    official_data,
    working_day_deadline,
    working_hours_deadline,
)

SH = ZoneInfo("Asia/Shanghai")
CST = timezone(timedelta(hours=8))


@pytest.fixture(scope="module")
def cal() -> WorkdayCalendar:
    return official_calendar()


def d(s: str) -> date:
    return date.fromisoformat(s)


def dates(start: str, end: str) -> list[date]:
    a, b = d(start), d(end)
    return [a + timedelta(days=i) for i in range((b - a).days + 1)]


# --------------------------------------------------------------- 2026 data
# Official 2026 notice (国办发明电〔2025〕…): the package agrees with every date.
# NB: National Day 2026 is 10-01..10-07; 2026-10-08 (Thursday) is an ordinary
# working day (unlike 2025, when Mid-autumn made it 10-01..10-08).
HOLIDAYS_2026 = (
    dates("2026-01-01", "2026-01-03")
    + dates("2026-02-15", "2026-02-23")
    + dates("2026-04-04", "2026-04-06")
    + dates("2026-05-01", "2026-05-05")
    + dates("2026-06-19", "2026-06-21")
    + dates("2026-09-25", "2026-09-27")
    + dates("2026-10-01", "2026-10-07")
)
ADJUSTED_WORKDAYS_2026 = [
    d(s) for s in ("2026-01-04", "2026-02-14", "2026-02-28", "2026-05-09", "2026-09-20", "2026-10-10")
]


def test_2026_official_holidays(cal: WorkdayCalendar) -> None:
    for day in HOLIDAYS_2026:
        info = cal.day_info(day)
        assert info == DayInfo(day=day, is_workday=False, source="official"), day
        assert day in chinese_calendar.holidays


def test_2026_adjusted_working_weekends(cal: WorkdayCalendar) -> None:
    for day in ADJUSTED_WORKDAYS_2026:
        assert day.weekday() >= 5
        assert cal.day_info(day) == DayInfo(day=day, is_workday=True, source="official")


def test_2026_exceptions_are_exactly_the_notice(cal: WorkdayCalendar) -> None:
    """Every 2026 day that deviates from Mon-Fri is listed in the notice."""
    deviating = {i.day for i in cal.year_days(2026) if i.is_workday != (i.day.weekday() < 5)}
    expected = {x for x in HOLIDAYS_2026 if x.weekday() < 5} | set(ADJUSTED_WORKDAYS_2026)
    assert deviating == expected
    assert cal.is_workday(d("2026-10-08"))


@pytest.mark.parametrize("year", [2004, 2020, 2024, 2025, 2026])
def test_matches_chinese_calendar_package(cal: WorkdayCalendar, year: int) -> None:
    for info in cal.year_days(year):
        assert info.is_workday == chinese_calendar.is_workday(info.day), info


def test_official_years_detected_from_package() -> None:
    data, years = official_data()
    assert min(years) == 2004
    last = max(years)
    assert last >= 2026
    assert years == frozenset(range(2004, last + 1))
    with pytest.raises(NotImplementedError):
        chinese_calendar.is_workday(date(last + 1, 6, 1))
    # Every date of every official year is listed.
    assert len(data) == (date(last + 1, 1, 1) - date(2004, 1, 1)).days


def test_official_calendar_is_cached() -> None:
    assert official_calendar() is official_calendar()
    over = {d("2027-02-06"): True}
    assert official_calendar(over) is official_calendar(dict(over))
    assert official_calendar(over) is not official_calendar()


# ---------------------------------------------------------------- rule layer
def test_rule_years_are_provisional(cal: WorkdayCalendar) -> None:
    assert not cal.is_provisional_year(2026)
    assert cal.is_provisional_year(2027)
    assert cal.is_provisional_year(2003)
    assert cal.day_info(d("2027-01-01")) == DayInfo(d("2027-01-01"), False, "rule")  # Friday
    assert not cal.is_workday(d("2027-10-01"))  # Friday
    assert cal.is_workday(d("2027-05-03"))  # Monday: only 05-01/02 fixed by law
    assert cal.is_workday(d("2027-01-04"))
    assert not cal.is_workday(d("2027-01-02"))  # Saturday
    assert not cal.is_workday(d("2030-05-01")) and not cal.is_workday(d("2030-05-02"))  # Wed/Thu
    assert not cal.is_workday(d("2030-10-03"))  # Thursday


def test_extra_confirmed_years() -> None:
    cal = official_calendar(extra_confirmed_years=[2027])
    assert not cal.is_provisional_year(2027)
    assert cal.is_provisional_year(2028)


def test_year_fully_covered_by_overrides_is_not_provisional() -> None:
    full = {x: x.weekday() < 5 for x in dates("2027-01-01", "2027-12-31")}
    cal = official_calendar(full)
    assert not cal.is_provisional_year(2027)
    assert cal.day_info(d("2027-01-01")) == DayInfo(d("2027-01-01"), True, "override")


def test_overrides_win() -> None:
    cal = official_calendar(
        {d("2027-02-06"): True, d("2026-06-10"): False, d("2026-10-10"): False}
    )
    assert cal.day_info(d("2027-02-06")) == DayInfo(d("2027-02-06"), True, "override")  # Saturday
    assert cal.day_info(d("2026-06-10")) == DayInfo(d("2026-06-10"), False, "override")  # Wednesday
    assert not cal.is_workday(d("2026-10-10"))
    # Index agrees with the override.
    assert cal.add_workdays(d("2027-02-05"), 1) == d("2027-02-06")
    assert cal.add_workdays(d("2026-06-09"), 1) == d("2026-06-11")
    received = datetime(2026, 9, 30, 10, tzinfo=CST)
    assert working_day_deadline(received, 3, cal).due_at == datetime(2026, 10, 12, 23, 59, 59, tzinfo=CST)


def test_constructor_with_partial_official_data() -> None:
    cal = WorkdayCalendar(
        official={d("2026-06-10"): False},
        official_years=frozenset({2026}),
        overrides={d("2026-06-11"): False},
        index_start=d("2026-01-01"),
        index_end=d("2026-12-31"),
    )
    assert cal.day_info(d("2026-06-10")).source == "official"
    assert cal.day_info(d("2026-06-11")).source == "override"
    assert cal.day_info(d("2026-06-12")) == DayInfo(d("2026-06-12"), True, "rule")
    assert cal.add_workdays(d("2026-06-09"), 1) == d("2026-06-12")
    with pytest.raises(TypeError):
        WorkdayCalendar(official={datetime(2026, 1, 1): True}, official_years=frozenset())
    with pytest.raises(ValueError):
        WorkdayCalendar(
            official={}, official_years=frozenset(), index_start=d("2026-01-02"), index_end=d("2026-01-01")
        )


# -------------------------------------------------------------- arithmetic
def test_add_workdays_basics(cal: WorkdayCalendar) -> None:
    assert cal.add_workdays(d("2026-09-30"), 1) == d("2026-10-08")
    assert cal.add_workdays(d("2026-06-12"), 1) == d("2026-06-15")  # Fri -> Mon
    assert cal.add_workdays(d("2026-06-13"), 0) == d("2026-06-15")  # n=0 on Saturday
    assert cal.add_workdays(d("2026-06-15"), 0) == d("2026-06-15")  # n=0 on a workday
    with pytest.raises(ValueError):
        cal.add_workdays(d("2026-06-15"), -1)
    with pytest.raises(TypeError):
        cal.add_workdays(datetime(2026, 6, 15), 1)


def test_add_workdays_uses_the_index(cal: WorkdayCalendar, monkeypatch: pytest.MonkeyPatch) -> None:
    """Inside the index range, no per-day classification happens."""

    def boom(self: WorkdayCalendar, day: date) -> tuple[bool, str]:
        raise AssertionError("classified a day inside the index")

    monkeypatch.setattr(WorkdayCalendar, "_classify", boom)
    assert cal.add_workdays(d("2010-01-01"), 2000) > d("2017-01-01")
    assert cal.workdays_between(d("2004-01-01"), d("2035-12-31")) > 7000


def _slow_add(cal: WorkdayCalendar, start: date, n: int) -> date:
    cur = start
    while n:
        cur += timedelta(days=1)
        if cal.day_info(cur).is_workday:
            n -= 1
    return cur


@pytest.mark.parametrize(
    ("start", "n"),
    [
        ("1999-12-20", 3),  # before the index, ending before it
        ("2003-12-25", 10),  # crossing into the index
        ("2035-12-20", 20),  # crossing out of the index
        ("2040-03-01", 5),  # entirely after the index
        ("1990-01-01", 4000),  # far before, crossing the whole index start
    ],
)
def test_add_workdays_outside_index(cal: WorkdayCalendar, start: str, n: int) -> None:
    assert cal.add_workdays(d(start), n) == _slow_add(cal, d(start), n)


def test_workdays_between(cal: WorkdayCalendar) -> None:
    assert cal.workdays_between(d("2026-09-30"), d("2026-10-09")) == 2
    assert cal.workdays_between(d("2026-09-30"), d("2026-10-12")) == 4
    assert cal.workdays_between(d("2026-10-09"), d("2026-09-30")) == 0
    assert cal.workdays_between(d("2026-10-09"), d("2026-10-09")) == 0
    for start, end in [("2003-06-01", "2004-03-01"), ("2035-11-01", "2036-02-01"), ("1999-01-01", "2040-01-01")]:
        a, b = d(start), d(end)
        expected = sum(1 for i in range(1, (b - a).days + 1) if cal.day_info(a + timedelta(days=i)).is_workday)
        assert cal.workdays_between(a, b) == expected


def test_provisional_between(cal: WorkdayCalendar) -> None:
    assert not cal.provisional_between(d("2026-01-01"), d("2026-12-31"))
    assert cal.provisional_between(d("2026-12-31"), d("2027-01-01"))
    assert cal.provisional_between(d("2040-01-01"), d("2040-01-02"))
    assert cal.provisional_between(d("2003-12-31"), d("2004-01-01"))


# --------------------------------------------------------------- deadlines
def sh(y: int, m: int, day: int, hh: int = 23, mm: int = 59, ss: int = 59) -> datetime:
    return datetime(y, m, day, hh, mm, ss, tzinfo=CST)


DEADLINE_CASES = [
    # received, n, expected due (Shanghai), provisional
    pytest.param(sh(2026, 9, 30, 10, 0, 0), 2, sh(2026, 10, 9), False, id="national-day-n2"),
    pytest.param(sh(2026, 9, 30, 10, 0, 0), 4, sh(2026, 10, 12), False, id="national-day-n4-sat-1010"),
    pytest.param(sh(2026, 9, 30, 10, 0, 0), 3, sh(2026, 10, 10), False, id="national-day-due-on-sat"),
    pytest.param(sh(2026, 9, 18, 9, 0, 0), 1, sh(2026, 9, 20), False, id="sun-0920-working"),
    pytest.param(sh(2026, 9, 24, 9, 0, 0), 1, sh(2026, 9, 28), False, id="mid-autumn"),
    pytest.param(sh(2025, 12, 31, 16, 0, 0), 1, sh(2026, 1, 4), False, id="new-year-sun-0104"),
    pytest.param(sh(2025, 12, 31, 16, 0, 0), 2, sh(2026, 1, 5), False, id="new-year-n2"),
    pytest.param(sh(2026, 2, 13, 9, 0, 0), 1, sh(2026, 2, 14), False, id="spring-sat-0214"),
    pytest.param(sh(2026, 2, 13, 9, 0, 0), 2, sh(2026, 2, 24), False, id="spring-festival"),
    pytest.param(sh(2026, 2, 14, 9, 0, 0), 1, sh(2026, 2, 24), False, id="received-on-working-sat"),
    pytest.param(sh(2026, 2, 26, 9, 0, 0), 2, sh(2026, 2, 28), False, id="spring-sat-0228"),
    pytest.param(sh(2026, 2, 18, 9, 0, 0), 4, sh(2026, 2, 27), False, id="received-during-holiday"),
    pytest.param(sh(2026, 4, 30, 9, 0, 0), 2, sh(2026, 5, 7), False, id="labour-day"),
    pytest.param(sh(2026, 4, 30, 9, 0, 0), 4, sh(2026, 5, 9), False, id="labour-sat-0509"),
    pytest.param(sh(2026, 4, 2, 9, 0, 0), 2, sh(2026, 4, 7), False, id="qingming"),
    pytest.param(sh(2026, 6, 18, 9, 0, 0), 1, sh(2026, 6, 22), False, id="dragon-boat"),
    # 2026-09-29 17:30 UTC is already 2026-09-30 01:30 in Shanghai.
    pytest.param(datetime(2026, 9, 29, 17, 30, tzinfo=UTC), 2, sh(2026, 10, 9), False, id="utc-next-day"),
    # ... while 15:59:59 UTC is still 2026-09-29 in Shanghai.
    pytest.param(datetime(2026, 9, 29, 15, 59, 59, tzinfo=UTC), 2, sh(2026, 10, 8), False, id="utc-same-day"),
    pytest.param(sh(2026, 12, 30, 10, 0, 0), 1, sh(2026, 12, 31), False, id="year-end-official"),
    # 2027-01-01 (Friday) is a holiday by rule; 2027 is provisional.
    pytest.param(sh(2026, 12, 30, 10, 0, 0), 2, sh(2027, 1, 4), True, id="into-2027"),
    pytest.param(sh(2026, 12, 30, 10, 0, 0), 4, sh(2027, 1, 6), True, id="into-2027-n4"),
    pytest.param(sh(2026, 12, 31, 23, 59, 59), 0, sh(2026, 12, 31), False, id="n0-workday"),
    pytest.param(sh(2027, 9, 30, 12, 0, 0), 1, sh(2027, 10, 4), True, id="2027-national-day-rule"),
]


@pytest.mark.parametrize(("received", "n", "expected", "provisional"), DEADLINE_CASES)
def test_working_day_deadline_table(
    cal: WorkdayCalendar, received: datetime, n: int, expected: datetime, provisional: bool
) -> None:
    result = working_day_deadline(received, n, cal)
    assert result == Deadline(due_at=expected.astimezone(UTC), provisional=provisional)
    assert result.due_at.tzinfo is UTC
    assert bulk_working_day_deadlines([received], n, cal) == [result]


def test_deadline_is_utc(cal: WorkdayCalendar) -> None:
    result = working_day_deadline(sh(2026, 9, 30, 10, 0, 0), 2, cal)
    assert result.due_at == datetime(2026, 10, 9, 15, 59, 59, tzinfo=UTC)
    assert result.due_at.utcoffset() == timedelta(0)


def test_naive_datetime_refused(cal: WorkdayCalendar) -> None:
    naive = datetime(2026, 9, 30, 10)
    with pytest.raises(ValueError, match="timezone-aware"):
        working_day_deadline(naive, 2, cal)
    with pytest.raises(ValueError, match="timezone-aware"):
        bulk_working_day_deadlines([sh(2026, 9, 30), naive], 2, cal)
    with pytest.raises(ValueError, match="timezone-aware"):
        natural_deadline(naive, 5)
    with pytest.raises(ValueError, match="timezone-aware"):
        working_hours_deadline(naive, 1, cal)


def test_negative_n_refused(cal: WorkdayCalendar) -> None:
    with pytest.raises(ValueError):
        working_day_deadline(sh(2026, 9, 30), -1, cal)
    with pytest.raises(ValueError):
        bulk_working_day_deadlines([sh(2026, 9, 30)], [-1], cal)


def test_bulk_mixed_n_and_length_check(cal: WorkdayCalendar) -> None:
    received = [sh(2026, 9, 30, 10, 0, 0), sh(2026, 9, 30, 11, 0, 0), sh(2026, 12, 30, 9, 0, 0)]
    ns = [2, 4, 4]
    assert bulk_working_day_deadlines(received, ns, cal) == [
        working_day_deadline(r, k, cal) for r, k in zip(received, ns)
    ]
    with pytest.raises(ValueError):
        bulk_working_day_deadlines(received, [1, 2], cal)


def test_other_timezone_parameter(cal: WorkdayCalendar) -> None:
    # Same instant, but the business day is counted in UTC.
    received = datetime(2026, 9, 29, 17, 30, tzinfo=UTC)
    result = working_day_deadline(received, 1, cal, tz="UTC")
    assert result.due_at == datetime(2026, 9, 30, 23, 59, 59, tzinfo=UTC)


def test_default_working_days_by_complexity() -> None:
    assert dict(DEFAULT_WORKING_DAYS_BY_COMPLEXITY) == {"ordinary": 2, "important": 4}


def test_natural_deadline() -> None:
    received = sh(2026, 9, 30, 23, 30, 0)
    assert natural_deadline(received, 45) == Deadline(
        due_at=datetime(2026, 9, 30, 16, 15, tzinfo=UTC), provisional=False
    )
    with pytest.raises(ValueError):
        natural_deadline(received, -1)


HOURS_CASES = [
    # received (Shanghai), hours, expected due (Shanghai)
    pytest.param(sh(2026, 6, 15, 9, 0, 0), 2, sh(2026, 6, 15, 11, 0, 0), id="same-day"),
    pytest.param(sh(2026, 6, 15, 7, 0, 0), 2, sh(2026, 6, 15, 10, 30, 0), id="before-opening"),
    pytest.param(sh(2026, 6, 15, 16, 30, 0), 2, sh(2026, 6, 16, 9, 30, 0), id="spill-next-day"),
    pytest.param(sh(2026, 6, 15, 16, 30, 0), 1, sh(2026, 6, 15, 17, 30, 0), id="exactly-closing"),
    pytest.param(sh(2026, 6, 15, 20, 0, 0), 9, sh(2026, 6, 16, 17, 30, 0), id="after-closing-full-day"),
    pytest.param(sh(2026, 6, 12, 16, 30, 0), 2, sh(2026, 6, 15, 9, 30, 0), id="over-weekend"),
    pytest.param(sh(2026, 9, 30, 17, 0, 0), 1, sh(2026, 10, 8, 9, 0, 0), id="over-national-day"),
    pytest.param(sh(2026, 10, 9, 12, 0, 0), 16, sh(2026, 10, 12, 10, 0, 0), id="through-working-sat"),
    pytest.param(sh(2026, 6, 13, 10, 0, 0), 18, sh(2026, 6, 16, 17, 30, 0), id="from-weekend-two-days"),
    pytest.param(sh(2026, 6, 15, 10, 0, 0), 0.5, sh(2026, 6, 15, 10, 30, 0), id="fractional"),
    pytest.param(sh(2026, 6, 13, 10, 0, 0), 0, sh(2026, 6, 13, 10, 0, 0), id="zero"),
]


@pytest.mark.parametrize(("received", "hours", "expected"), HOURS_CASES)
def test_working_hours_deadline(
    cal: WorkdayCalendar, received: datetime, hours: float, expected: datetime
) -> None:
    result = working_hours_deadline(received, hours, cal)
    assert result.due_at == expected.astimezone(UTC)
    assert result.due_at.tzinfo is UTC
    assert not result.provisional


def test_working_hours_custom_window_and_validation(cal: WorkdayCalendar) -> None:
    result = working_hours_deadline(
        sh(2026, 6, 15, 8, 0, 0), 10, cal, day_start=time(9, 0), day_end=time(17, 0)
    )
    assert result.due_at == sh(2026, 6, 16, 11, 0, 0).astimezone(UTC)
    with pytest.raises(ValueError):
        working_hours_deadline(sh(2026, 6, 15, 8, 0, 0), 1, cal, day_start=time(17), day_end=time(9))
    with pytest.raises(ValueError):
        working_hours_deadline(sh(2026, 6, 15, 8, 0, 0), -1, cal)
    provisional = working_hours_deadline(sh(2026, 12, 31, 17, 0, 0), 1, cal)
    assert provisional.provisional
    assert provisional.due_at == sh(2027, 1, 4, 9, 0, 0).astimezone(UTC)


# ------------------------------------------------------------- properties
ZONES = st.sampled_from([UTC, SH, CST, ZoneInfo("America/New_York"), timezone(timedelta(hours=-11))])
RECEIPTS = st.datetimes(
    min_value=datetime(2003, 12, 1), max_value=datetime(2028, 12, 31), timezones=ZONES
)
# Time limits are at least one working day ("within N working days", N >= 1);
# n = 0 ("by the end of the receipt day") is covered by its own example test.
NS = st.integers(min_value=1, max_value=30)
PROPS = settings(max_examples=200, deadline=None)


@PROPS
@given(received=RECEIPTS, n=NS)
def test_prop_due_day_is_a_workday_and_not_before_receipt(received: datetime, n: int) -> None:
    cal = official_calendar()
    result = working_day_deadline(received, n, cal)
    local_due = result.due_at.astimezone(SH)
    assert local_due.time() == time(23, 59, 59)
    assert cal.is_workday(local_due.date())
    assert result.due_at >= received
    receipt_day = received.astimezone(SH).date()
    if n >= 1:
        assert local_due.date() > receipt_day
        assert cal.workdays_between(receipt_day, local_due.date()) == n
    expected_prov = any(
        cal.is_provisional_year(y) for y in range(min(receipt_day + timedelta(days=1), local_due.date()).year, local_due.year + 1)
    )
    assert result.provisional == expected_prov


@PROPS
@given(a=RECEIPTS, b=RECEIPTS, n=NS)
def test_prop_monotonic_in_receipt_time(a: datetime, b: datetime, n: int) -> None:
    cal = official_calendar()
    early, late = sorted((a, b))
    assert working_day_deadline(early, n, cal).due_at <= working_day_deadline(late, n, cal).due_at


@PROPS
@given(received=RECEIPTS, n1=NS, n2=NS)
def test_prop_monotonic_in_n(received: datetime, n1: int, n2: int) -> None:
    cal = official_calendar()
    lo, hi = sorted((n1, n2))
    assert working_day_deadline(received, lo, cal).due_at <= working_day_deadline(received, hi, cal).due_at


@PROPS
@given(
    start=st.dates(min_value=date(1995, 1, 1), max_value=date(2045, 12, 31)),
    n=st.integers(min_value=1, max_value=60),
)
def test_prop_index_matches_stepping(start: date, n: int) -> None:
    cal = official_calendar()
    assert cal.add_workdays(start, n) == _slow_add(cal, start, n)


@PROPS
@given(received=st.lists(RECEIPTS, max_size=20), n=NS)
def test_prop_bulk_equals_scalar(received: list[datetime], n: int) -> None:
    cal = official_calendar()
    assert bulk_working_day_deadlines(received, n, cal) == [
        working_day_deadline(r, n, cal) for r in received
    ]


@PROPS
@given(received=RECEIPTS, hours=st.floats(min_value=0, max_value=200, allow_nan=False))
def test_prop_working_hours_not_before_receipt(received: datetime, hours: float) -> None:
    cal = official_calendar()
    result = working_hours_deadline(received, hours, cal)
    assert result.due_at >= received
    local = result.due_at.astimezone(SH)
    if timedelta(hours=hours) > timedelta(0):
        assert cal.is_workday(local.date())
        assert time(8, 30) <= local.time() <= time(17, 30)


def test_n_zero_means_end_of_the_receipt_working_day() -> None:
    cal = official_calendar()
    # A Monday: due the same evening; a Saturday (not adjusted): the next Monday.
    assert working_day_deadline(sh(2026, 6, 15, 9, 0, 0), 0, cal).due_at == sh(2026, 6, 15)
    assert working_day_deadline(sh(2026, 6, 13, 9, 0, 0), 0, cal).due_at == sh(2026, 6, 15)
    # Received in the last second of the day: already due (a zero limit is a same-day promise).
    late = sh(2026, 6, 15, 23, 59, 59).replace(microsecond=500_000)
    assert working_day_deadline(late, 0, cal).due_at < late
