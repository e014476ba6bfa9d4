"""China's official working-day calendar and deadline arithmetic.

Pure Python, no Django.  Three layers decide whether a day is a working day,
highest priority first:

1. ``override`` -- per-date administrator overrides (e.g. a newly published
   State Council holiday notice entered before the ``chinesecalendar`` package
   is upgraded, or a local emergency arrangement);
2. ``official`` -- the State Council holiday notices as shipped by the
   ``chinesecalendar`` package (2004 up to the last year the package covers);
3. ``rule`` -- for years without official data: Monday-Friday are working days,
   except the holidays that fall on a fixed Gregorian date under the
   2025-revised 《全国年节及纪念日放假办法》: 1 Jan, 1-2 May and 1-3 Oct.
   Lunar holidays and the make-up ("调休") weekends cannot be known before the
   notice is published, so deadlines that rely on this layer are marked
   *provisional*.

Deadline business rule ("N 个工作日内"): an order received at any time on local
day D (Asia/Shanghai) is due at 23:59:59 local time on the N-th working day
strictly after D.  All returned datetimes are aware and in UTC.

Performance: :class:`WorkdayCalendar` precomputes a per-day index over
``INDEX_START``..``INDEX_END`` (a workday flag per day, the sorted ordinals of
all working days and a prefix count) so that :meth:`WorkdayCalendar.add_workdays`
and :meth:`WorkdayCalendar.workdays_between` are O(1) inside that range.
Dates outside the range still work by stepping day by day.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from types import MappingProxyType
from typing import Final, Literal
from zoneinfo import ZoneInfo

__all__ = [
    "DEFAULT_TZ",
    "DEFAULT_WORKING_DAYS_BY_COMPLEXITY",
    "END_OF_DAY",
    "INDEX_END",
    "INDEX_START",
    "RULE_FIXED_HOLIDAYS",
    "DayInfo",
    "DaySource",
    "Deadline",
    "WorkdayCalendar",
    "bulk_working_day_deadlines",
    "natural_deadline",
    "official_calendar",
    "official_data",
    "working_day_deadline",
    "working_hours_deadline",
]

DaySource = Literal["override", "official", "rule"]

DEFAULT_TZ: Final = "Asia/Shanghai"

#: Local wall-clock time at which a working-day deadline falls due.
END_OF_DAY: Final = time(23, 59, 59)

#: Default range of the precomputed index (inclusive on both ends).
INDEX_START: Final = date(2004, 1, 1)
INDEX_END: Final = date(2035, 12, 31)

#: (month, day) of holidays fixed by Gregorian date under the 2025-revised
#: holiday law: New Year's Day, Labour Day (1-2 May), National Day (1-3 Oct).
RULE_FIXED_HOLIDAYS: Final[frozenset[tuple[int, int]]] = frozenset(
    {(1, 1), (5, 1), (5, 2), (10, 1), (10, 2), (10, 3)}
)

#: Working days allowed to close a complaint, by complexity code.
DEFAULT_WORKING_DAYS_BY_COMPLEXITY: Final[Mapping[str, int]] = MappingProxyType(
    {"ordinary": 2, "important": 4}
)

_DEADLINE_CACHE_MAX: Final = 200_000
_EMPTY_OVERRIDES: Final[Mapping[date, bool]] = MappingProxyType({})
_UTC: Final = UTC


@dataclass(frozen=True, slots=True)
class DayInfo:
    """Classification of one calendar day and which layer decided it."""

    day: date
    is_workday: bool
    source: DaySource


@dataclass(frozen=True, slots=True)
class Deadline:
    """A computed due time.

    ``due_at`` is timezone-aware UTC.  ``provisional`` is True when the
    computation touched a year without confirmed (official) calendar data,
    i.e. the result relied on the weekday/fixed-holiday rule and may move
    once the State Council notice for that year is published.
    """

    due_at: datetime
    provisional: bool


def _rule_is_workday(d: date) -> bool:
    return d.weekday() < 5 and (d.month, d.day) not in RULE_FIXED_HOLIDAYS


def _days_in_year(year: int) -> int:
    return date(year + 1, 1, 1).toordinal() - date(year, 1, 1).toordinal() if year < 9999 else 365


def _check_date(d: date, name: str = "d") -> None:
    if isinstance(d, datetime) or not isinstance(d, date):
        raise TypeError(f"{name} must be a datetime.date (not a datetime), got {type(d).__name__}")


def _require_aware(value: datetime, name: str = "received_at") -> None:
    if not isinstance(value, datetime):
        raise TypeError(f"{name} must be a datetime, got {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got naive datetime {value.isoformat()}")


@lru_cache(maxsize=32)
def _zone(tz: str) -> ZoneInfo:
    return ZoneInfo(tz)


class WorkdayCalendar:
    """Immutable working-day calendar with an O(1) deadline index.

    :param official: ``date -> is_workday`` for the official years.  It should
        list every date of those years; a date missing from it falls back to the
        rule layer.
    :param official_years: years whose data is confirmed (official).  The
        Django side adds a year here once an administrator confirms it.
    :param overrides: ``date -> is_workday``; beats the official data.
    :param index_start, index_end: inclusive range of the precomputed index.
    """

    __slots__ = (
        "_confirmed_years",
        "_cum",
        "_deadline_cache",
        "_flags",
        "_hi",
        "_lo",
        "_official",
        "_official_years",
        "_overrides",
        "_prov_cum",
        "_work_ords",
    )

    def __init__(
        self,
        *,
        official: Mapping[date, bool],
        official_years: frozenset[int],
        overrides: Mapping[date, bool] = _EMPTY_OVERRIDES,
        index_start: date = INDEX_START,
        index_end: date = INDEX_END,
    ) -> None:
        _check_date(index_start, "index_start")
        _check_date(index_end, "index_end")
        if index_end < index_start:
            raise ValueError(f"index_end {index_end} is before index_start {index_start}")
        for name, mapping in (("official", official), ("overrides", overrides)):
            for key in mapping:
                _check_date(key, f"{name} key")
        self._official: Mapping[date, bool] = MappingProxyType(
            {d: bool(v) for d, v in official.items()}
        )
        self._official_years: frozenset[int] = frozenset(int(y) for y in official_years)
        self._overrides: Mapping[date, bool] = MappingProxyType(
            {d: bool(v) for d, v in overrides.items()}
        )
        # A year whose every date is overridden does not rely on the rule either.
        per_year: dict[int, int] = {}
        for d in self._overrides:
            per_year[d.year] = per_year.get(d.year, 0) + 1
        fully_overridden = {y for y, c in per_year.items() if c >= _days_in_year(y)}
        self._confirmed_years: frozenset[int] = self._official_years | fully_overridden

        lo = index_start.toordinal()
        hi = index_end.toordinal()
        flags = bytearray(hi - lo + 1)
        work_ords: list[int] = []
        cum: list[int] = []  # cum[i] = number of workdays with ordinal <= lo + i
        prov_cum: list[int] = []  # same, counting days in provisional years
        n_work = 0
        n_prov = 0
        confirmed = self._confirmed_years
        for i, o in enumerate(range(lo, hi + 1)):
            d = date.fromordinal(o)
            if self._classify(d)[0]:
                flags[i] = 1
                work_ords.append(o)
                n_work += 1
            if d.year not in confirmed:
                n_prov += 1
            cum.append(n_work)
            prov_cum.append(n_prov)
        self._lo = lo
        self._hi = hi
        self._flags = bytes(flags)
        self._work_ords = work_ords
        self._cum = cum
        self._prov_cum = prov_cum
        # (tz, local receipt ordinal, n) -> Deadline.  Safe because the
        # calendar is immutable; bounded by _DEADLINE_CACHE_MAX.
        self._deadline_cache: dict[tuple[str, int, int], Deadline] = {}

    # ------------------------------------------------------------------ info
    @property
    def official_years(self) -> frozenset[int]:
        return self._official_years

    @property
    def overrides(self) -> Mapping[date, bool]:
        return self._overrides

    @property
    def index_range(self) -> tuple[date, date]:
        return date.fromordinal(self._lo), date.fromordinal(self._hi)

    def __repr__(self) -> str:
        years = sorted(self._official_years)
        span = f"{years[0]}-{years[-1]}" if years else "none"
        return f"<WorkdayCalendar official_years={span} overrides={len(self._overrides)}>"

    def _classify(self, d: date) -> tuple[bool, DaySource]:
        v = self._overrides.get(d)
        if v is not None:
            return v, "override"
        v = self._official.get(d)
        if v is not None:
            return v, "official"
        return _rule_is_workday(d), "rule"

    def is_provisional_year(self, year: int) -> bool:
        """True when ``year`` is neither in ``official_years`` nor fully overridden."""
        return year not in self._confirmed_years

    def is_workday(self, d: date) -> bool:
        _check_date(d)
        return self._is_work_ord(d.toordinal())

    def day_info(self, d: date) -> DayInfo:
        _check_date(d)
        is_work, source = self._classify(d)
        return DayInfo(day=d, is_workday=is_work, source=source)

    def year_days(self, year: int) -> list[DayInfo]:
        start = date(year, 1, 1).toordinal()
        return [self.day_info(date.fromordinal(start + i)) for i in range(_days_in_year(year))]

    # ------------------------------------------------------------ arithmetic
    def _is_work_ord(self, o: int) -> bool:
        if self._lo <= o <= self._hi:
            return self._flags[o - self._lo] == 1
        return self._classify(date.fromordinal(o))[0]

    def _add_ord(self, o: int, n: int) -> int:
        """Ordinal of the n-th workday strictly after ordinal ``o`` (n >= 1)."""
        lo = self._lo
        if o < lo - 1:  # before the index: step up to the index start
            while o < lo - 1:
                o += 1
                if self._is_work_ord(o):
                    n -= 1
                    if n == 0:
                        return o
        if o <= self._hi:
            work_ords = self._work_ords
            idx = (self._cum[o - lo] if o >= lo else 0) + n - 1
            if idx < len(work_ords):
                return work_ords[idx]
            n = idx - len(work_ords) + 1
            o = self._hi
        while True:  # after the index: step
            o += 1
            if self._is_work_ord(o):
                n -= 1
                if n == 0:
                    return o

    def _nth_ord(self, o: int, n: int) -> int:
        if n > 0:
            return self._add_ord(o, n)
        if n == 0:
            return o if self._is_work_ord(o) else self._add_ord(o, 1)
        raise ValueError(f"n must be >= 0, got {n}")

    def add_workdays(self, d: date, n: int) -> date:
        """Return the n-th working day strictly after ``d``.

        ``n == 0`` returns ``d`` itself when it is a working day, otherwise the
        next working day.  Negative ``n`` raises ValueError.  O(1) inside the
        precomputed index range; steps day by day outside it.
        """
        _check_date(d)
        return date.fromordinal(self._nth_ord(d.toordinal(), n))

    def _count_rel(self, o: int) -> int:
        """Workdays in (lo - 1, o], negative-counted for o < lo - 1."""
        lo, hi = self._lo, self._hi
        if o < lo - 1:
            return -sum(1 for x in range(o + 1, lo) if self._is_work_ord(x))
        if o == lo - 1:
            return 0
        if o <= hi:
            return self._cum[o - lo]
        return self._cum[-1] + sum(1 for x in range(hi + 1, o + 1) if self._is_work_ord(x))

    def workdays_between(self, start: date, end: date) -> int:
        """Number of working days in the half-open interval (start, end].

        Returns 0 when ``end <= start``.
        """
        _check_date(start, "start")
        _check_date(end, "end")
        a, b = start.toordinal(), end.toordinal()
        if b <= a:
            return 0
        return self._count_rel(b) - self._count_rel(a)

    def _provisional_ords(self, a: int, b: int) -> bool:
        """True if any day in [a, b] (ordinals, a <= b) lies in a provisional year."""
        lo, hi = self._lo, self._hi
        if lo <= a and b <= hi:
            prov = self._prov_cum
            before = prov[a - lo - 1] if a > lo else 0
            return prov[b - lo] - before > 0
        y1 = date.fromordinal(a).year
        y2 = date.fromordinal(b).year
        return any(y not in self._confirmed_years for y in range(y1, y2 + 1))

    def provisional_between(self, start: date, end: date) -> bool:
        """True if any day in [start, end] lies in a provisional year."""
        _check_date(start, "start")
        _check_date(end, "end")
        a, b = sorted((start.toordinal(), end.toordinal()))
        return self._provisional_ords(a, b)


# ---------------------------------------------------------------- official
@lru_cache(maxsize=1)
def official_data() -> tuple[Mapping[date, bool], frozenset[int]]:
    """``(date -> is_workday, covered years)`` from the chinesecalendar package.

    Every date of every covered year is listed.  The covered years are
    detected from the package (not hard-coded), so upgrading the package
    extends them automatically.  Cached: the data is immutable.
    """
    import chinese_calendar  # type: ignore[import-untyped]

    holidays: Mapping[date, object] = chinese_calendar.holidays
    workdays: Mapping[date, object] = chinese_calendar.workdays
    candidate_years = {d.year for d in holidays} | {d.year for d in workdays}
    years: set[int] = set()
    for year in range(min(candidate_years), max(candidate_years) + 1):
        try:
            chinese_calendar.is_workday(date(year, 6, 1))
        except NotImplementedError:
            continue
        years.add(year)
    data: dict[date, bool] = {}
    for year in sorted(years):
        start = date(year, 1, 1).toordinal()
        for o in range(start, start + _days_in_year(year)):
            d = date.fromordinal(o)
            # Same decision as chinese_calendar.is_workday, without its
            # per-call range validation (which scans all keys).
            data[d] = d in workdays or (d.weekday() < 5 and d not in holidays)
    return MappingProxyType(data), frozenset(years)


@lru_cache(maxsize=16)
def _cached_official_calendar(
    overrides: tuple[tuple[date, bool], ...], extra_years: frozenset[int]
) -> WorkdayCalendar:
    data, years = official_data()
    return WorkdayCalendar(
        official=data, official_years=years | extra_years, overrides=dict(overrides)
    )


def official_calendar(
    overrides: Mapping[date, bool] | None = None,
    extra_confirmed_years: Iterable[int] = (),
) -> WorkdayCalendar:
    """Calendar built from the chinesecalendar package plus overrides.

    ``extra_confirmed_years`` are years an administrator has confirmed (their
    notice has been entered as overrides); they are no longer provisional.
    Calendars are cached per (overrides, extra years) combination.
    """
    items = tuple(sorted((overrides or {}).items()))
    for d, _ in items:
        _check_date(d, "override key")
    return _cached_official_calendar(
        tuple((d, bool(v)) for d, v in items), frozenset(int(y) for y in extra_confirmed_years)
    )


# --------------------------------------------------------------- deadlines
def _deadline_for_local_ord(
    calendar: WorkdayCalendar, tz: str, zone: ZoneInfo, d_ord: int, n: int
) -> Deadline:
    key = (tz, d_ord, n)
    cache = calendar._deadline_cache
    result = cache.get(key)
    if result is None:
        if n < 0:
            raise ValueError(f"n must be >= 0, got {n}")
        due_ord = calendar._nth_ord(d_ord, n)
        due_local = datetime.combine(date.fromordinal(due_ord), END_OF_DAY, tzinfo=zone)
        first = min(d_ord + 1, due_ord)
        result = Deadline(
            due_at=due_local.astimezone(_UTC),
            provisional=calendar._provisional_ords(first, due_ord),
        )
        if len(cache) >= _DEADLINE_CACHE_MAX:
            cache.clear()
        cache[key] = result
    return result


def working_day_deadline(
    received_at: datetime, n: int, calendar: WorkdayCalendar, tz: str = DEFAULT_TZ
) -> Deadline:
    """Due 23:59:59 local on the n-th working day after the local receipt day.

    ``received_at`` must be timezone-aware (ValueError otherwise).  ``n == 0``
    means "by the end of the receipt day, or of the next working day if the
    receipt day is not a working day".
    """
    if received_at.tzinfo is None or received_at.utcoffset() is None:
        _require_aware(received_at)
    zone = _zone(tz)
    return _deadline_for_local_ord(calendar, tz, zone, received_at.astimezone(zone).toordinal(), n)


def bulk_working_day_deadlines(
    received: Sequence[datetime],
    n: Sequence[int] | int,
    calendar: WorkdayCalendar,
    tz: str = DEFAULT_TZ,
) -> list[Deadline]:
    """Vectorised :func:`working_day_deadline`.

    ``n`` is either one value for all receipts or a sequence of the same
    length.  Results for the same (local receipt day, n) are computed once and
    the (immutable) :class:`Deadline` instance is shared (the calendar keeps a
    bounded cache of them, also used by :func:`working_day_deadline`).
    """
    zone = _zone(tz)
    if isinstance(n, int):
        ns: Sequence[int] = (n,) * len(received)
    else:
        ns = n
        if len(ns) != len(received):
            raise ValueError(f"len(n) {len(ns)} != len(received) {len(received)}")
    cache = calendar._deadline_cache
    get = cache.get
    out: list[Deadline] = []
    append = out.append
    for r, k in zip(received, ns):
        if r.tzinfo is None or r.utcoffset() is None:
            _require_aware(r)
        d_ord = r.astimezone(zone).toordinal()
        dl = get((tz, d_ord, k))
        if dl is None:
            dl = _deadline_for_local_ord(calendar, tz, zone, d_ord, k)
        append(dl)
    return out


def natural_deadline(received_at: datetime, minutes: int) -> Deadline:
    """Plain elapsed time: ``received_at + minutes``, in UTC, never provisional."""
    _require_aware(received_at)
    if minutes < 0:
        raise ValueError(f"minutes must be >= 0, got {minutes}")
    return Deadline(
        due_at=(received_at + timedelta(minutes=minutes)).astimezone(_UTC), provisional=False
    )


def working_hours_deadline(
    received_at: datetime,
    hours: float,
    calendar: WorkdayCalendar,
    *,
    day_start: time = time(8, 30),
    day_end: time = time(17, 30),
    tz: str = DEFAULT_TZ,
) -> Deadline:
    """Deadline counting only business hours (day_start..day_end) on working days.

    Time received outside business hours starts counting at the next business
    opening.  When the budget runs out exactly at ``day_end`` the deadline is
    that ``day_end`` (not the next morning).  ``hours == 0`` returns
    ``received_at``.  Wall-clock arithmetic in ``tz``.
    """
    _require_aware(received_at)
    if hours < 0:
        raise ValueError(f"hours must be >= 0, got {hours}")
    if day_start.tzinfo is not None or day_end.tzinfo is not None:
        raise ValueError("day_start/day_end must be naive local times")
    if day_end <= day_start:
        raise ValueError(f"day_end {day_end} must be after day_start {day_start}")
    zone = _zone(tz)
    local = received_at.astimezone(zone)
    start_ord = local.toordinal()
    remaining = timedelta(hours=hours)
    if not remaining:
        return Deadline(
            due_at=received_at.astimezone(_UTC),
            provisional=calendar._provisional_ords(start_ord, start_ord),
        )

    def opening(o: int) -> datetime:
        return datetime.combine(date.fromordinal(o), day_start, tzinfo=zone)

    def closing(o: int) -> datetime:
        return datetime.combine(date.fromordinal(o), day_end, tzinfo=zone)

    # Length of a business day in wall-clock time (the same every day).
    per_day = datetime.combine(date(2000, 1, 1), day_end) - datetime.combine(
        date(2000, 1, 1), day_start
    )
    day = start_ord
    if calendar._is_work_ord(day) and local < closing(day):
        cursor = max(local, opening(day))
        available = closing(day) - cursor
        if remaining <= available:
            due = cursor + remaining
            return Deadline(
                due_at=due.astimezone(_UTC),
                provisional=calendar._provisional_ords(start_ord, day),
            )
        remaining -= available
    # Whole working days, then a partial one.
    full_days, rest = divmod(remaining, per_day)
    if rest:
        day = calendar._add_ord(day, full_days + 1)
        due = opening(day) + rest
    else:
        day = calendar._add_ord(day, full_days)
        due = closing(day)
    return Deadline(
        due_at=due.astimezone(_UTC), provisional=calendar._provisional_ords(start_ord, day)
    )
