"""Writes to the calendar layer, each audited as a ``RuleChange`` row.

After a change commits, a django-q2 task recomputes the deadlines of the open
orders it can affect: every provisional deadline, plus every open order whose
window (receipt day, due day] contains a changed date (so an override inside
an official year, e.g. a local emergency arrangement, moves those deadlines
too). See :func:`deadlines_recompute`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from griddesk.common.errors import Forbidden, InvalidInput, NotFound
from griddesk.engines import workdays
from griddesk.engines.workflow import OPEN_STATES
from griddesk.organisation.access import Actor

from . import selectors
from .models import CalendarOverride, ConfirmedYear

log = logging.getLogger(__name__)

RECOMPUTE_BATCH = 1000
RECOMPUTE_TASK = "griddesk.sla.tasks.recompute_provisional_deadlines"
#: RuleChange.model of the recomputation summary rows.
RECOMPUTE_LABEL = "sla.DeadlineRecompute"


# ------------------------------------------------------------------ helpers


def require_admin(actor: Actor) -> None:
    if not actor.is_admin:
        raise Forbidden(_("Only administrators may change the working-day calendar."))


def _user(actor: Actor) -> Any:
    return actor.user if getattr(actor.user, "pk", None) else None


def _audit(actor: Actor | None, *, model: str, object_id: str, change: str, before: Any, after: Any) -> None:
    from griddesk.workorders.models import RuleChange

    RuleChange.objects.create(
        model=model,
        object_id=object_id,
        change=change,
        before=before,
        after=after,
        actor=_user(actor) if actor is not None else None,
    )


def _override_snapshot(o: CalendarOverride) -> dict[str, Any]:
    return {"day": o.day.isoformat(), "is_workday": o.is_workday, "source_notice": o.source_notice, "note": o.note}


def _year_snapshot(y: ConfirmedYear) -> dict[str, Any]:
    return {"year": y.year, "notice": y.notice}


def check_year(year: int, field: str = "year") -> None:
    if not selectors.MIN_YEAR <= year <= selectors.MAX_YEAR:
        raise InvalidInput(
            _("The year must lie between %(min)d and %(max)d.") % {"min": selectors.MIN_YEAR, "max": selectors.MAX_YEAR},
            code="out_of_range",
            field=field,
        )


def check_override(*, day: date, source_notice: str) -> None:
    """Validation shared by the services and the Django admin form."""
    check_year(day.year, field="date")
    if not source_notice.strip():
        raise InvalidInput(
            _("Name the notice the date comes from."), code="required", field="source_notice"
        )


def check_confirm(*, year: int, notice: str) -> None:
    """A year can be confirmed once (some of) its notice's dates are entered."""
    check_year(year)
    if not notice.strip():
        raise InvalidInput(_("Name the notice that confirms the year."), code="required", field="notice")
    if year in selectors.official_years():
        return
    if not CalendarOverride.objects.filter(day__year=year).exists():
        raise InvalidInput(
            _("Enter the dates of the %(year)d notice before confirming the year.") % {"year": year},
            code="no_overrides",
            field="year",
        )


def _schedule_recompute(actor: Actor, first: date, last: date, reason: str) -> None:
    """Queue one recomputation when the surrounding transaction commits."""
    actor_id = getattr(actor.user, "pk", None)
    args = (first.isoformat(), last.isoformat(), actor_id, reason)
    transaction.on_commit(lambda: enqueue_recompute(*args))


def enqueue_recompute(first: str | None = None, last: str | None = None, actor_id: int | None = None, reason: str = "") -> None:
    from django_q.tasks import async_task

    # django-q2 reads its "sync" flag once at import; pass it per call so tests
    # (and GRIDDESK_Q_SYNC) can switch it.
    async_task(
        RECOMPUTE_TASK,
        first=first,
        last=last,
        actor_id=actor_id,
        reason=reason,
        task_name=f"sla-recompute-{first}-{last}",
        sync=bool(settings.Q_CLUSTER.get("sync", False)),
    )


# ------------------------------------------------------------------ overrides


@dataclass(frozen=True)
class OverrideResult:
    override: CalendarOverride | None
    status: str  # created / updated / unchanged / deleted


def _write_override(*, actor: Actor, day: date, is_workday: bool, source_notice: str, note: str) -> OverrideResult:
    check_override(day=day, source_notice=source_notice)
    source_notice = source_notice.strip()
    note = note.strip()
    existing = CalendarOverride.objects.select_for_update().filter(day=day).first()
    if existing is None:
        obj = CalendarOverride.objects.create(
            day=day, is_workday=is_workday, source_notice=source_notice, note=note, created_by=_user(actor)
        )
        _audit(actor, model=CalendarOverride._meta.label, object_id=day.isoformat(), change="create", before=None, after=_override_snapshot(obj))
        return OverrideResult(obj, "created")
    before = _override_snapshot(existing)
    existing.is_workday, existing.source_notice, existing.note = is_workday, source_notice, note
    after = _override_snapshot(existing)
    if before == after:
        return OverrideResult(existing, "unchanged")
    existing.save(update_fields=["is_workday", "source_notice", "note", "updated_at"])
    _audit(actor, model=CalendarOverride._meta.label, object_id=day.isoformat(), change="update", before=before, after=after)
    return OverrideResult(existing, "updated")


@transaction.atomic
def calendar_override_set(*, actor: Actor, day: date, is_workday: bool, source_notice: str, note: str = "") -> OverrideResult:
    """Create or update the override of one date (administrators only)."""
    require_admin(actor)
    result = _write_override(actor=actor, day=day, is_workday=is_workday, source_notice=source_notice, note=note)
    if result.status != "unchanged":
        _schedule_recompute(actor, day, day, reason=f"override {day.isoformat()}")
    return result


@transaction.atomic
def calendar_overrides_delete(*, actor: Actor, days: list[date]) -> int:
    """Remove the overrides of these dates; the official data or the rule applies again."""
    require_admin(actor)
    rows = list(CalendarOverride.objects.select_for_update().filter(day__in=days).order_by("day"))
    missing = sorted(set(days) - {r.day for r in rows})
    if missing:
        raise NotFound(
            _("There is no override for %(day)s.") % {"day": missing[0].isoformat()}, code="not_found", field="date"
        )
    for row in rows:
        _audit(actor, model=CalendarOverride._meta.label, object_id=row.day.isoformat(), change="delete", before=_override_snapshot(row), after=None)
        row.delete()
    if rows:
        _schedule_recompute(actor, rows[0].day, rows[-1].day, reason="override delete")
    return len(rows)


def calendar_override_delete(*, actor: Actor, day: date) -> None:
    calendar_overrides_delete(actor=actor, days=[day])


# ------------------------------------------------------------------ years


def _confirm(*, actor: Actor, year: int, notice: str) -> str:
    check_confirm(year=year, notice=notice)
    if year in selectors.official_years():
        return "official"
    notice = notice.strip()
    existing = ConfirmedYear.objects.select_for_update().filter(year=year).first()
    if existing is None:
        row = ConfirmedYear.objects.create(year=year, notice=notice, confirmed_by=_user(actor))
        _audit(actor, model=ConfirmedYear._meta.label, object_id=str(year), change="create", before=None, after=_year_snapshot(row))
        return "confirmed"
    if existing.notice == notice:
        return "unchanged"
    before = _year_snapshot(existing)
    existing.notice, existing.confirmed_by, existing.confirmed_at = notice, _user(actor), timezone.now()
    existing.save()
    _audit(actor, model=ConfirmedYear._meta.label, object_id=str(year), change="update", before=before, after=_year_snapshot(existing))
    return "updated"


def _year_range(year: int) -> tuple[date, date]:
    return date(year, 1, 1), date(year, 12, 31)


@transaction.atomic
def calendar_year_confirm(*, actor: Actor, year: int, notice: str) -> str:
    """Mark ``year`` as confirmed: its deadlines are no longer provisional.

    Returns ``official`` (the year has official data and is always confirmed;
    nothing is written), ``confirmed``, ``updated`` (new notice) or ``unchanged``.
    """
    require_admin(actor)
    status = _confirm(actor=actor, year=year, notice=notice)
    if status == "confirmed":
        _schedule_recompute(actor, *_year_range(year), reason=f"confirm {year}")
    return status


@transaction.atomic
def calendar_year_unconfirm(*, actor: Actor, year: int) -> None:
    """Withdraw a confirmation (e.g. made by mistake): the year is provisional again."""
    require_admin(actor)
    row = ConfirmedYear.objects.select_for_update().filter(year=year).first()
    if row is None:
        raise NotFound(_("The year %(year)d is not confirmed.") % {"year": year}, field="year")
    _audit(actor, model=ConfirmedYear._meta.label, object_id=str(year), change="delete", before=_year_snapshot(row), after=None)
    row.delete()
    _schedule_recompute(actor, *_year_range(year), reason=f"unconfirm {year}")


# ------------------------------------------------------------------ import


@dataclass(frozen=True)
class OverrideItem:
    day: date
    is_workday: bool
    source_notice: str
    note: str = ""


@dataclass(frozen=True)
class ImportResult:
    results: list[OverrideResult]
    confirmed: str | None  # status of the year confirmation, if one was asked for


@transaction.atomic
def calendar_overrides_import(
    *, actor: Actor, items: list[OverrideItem], confirm_year: int | None = None, notice: str = ""
) -> ImportResult:
    """Enter a notice's dates at once (all or nothing), optionally confirming
    its year; one recomputation covers the whole import."""
    require_admin(actor)
    results = [
        _write_override(actor=actor, day=i.day, is_workday=i.is_workday, source_notice=i.source_notice or notice, note=i.note)
        for i in items
    ]
    confirmed = _confirm(actor=actor, year=confirm_year, notice=notice) if confirm_year is not None else None
    days = [r.override.day for r in results if r.status != "unchanged" and r.override is not None]
    if confirmed == "confirmed":
        days += list(_year_range(confirm_year))  # type: ignore[arg-type]
    if days:
        _schedule_recompute(actor, min(days), max(days), reason=f"import {confirm_year or ''}".strip())
    return ImportResult(results=results, confirmed=confirmed)


# ------------------------------------------------------------------ recomputation


def _local_midnight(d: date) -> datetime:
    return datetime.combine(d, time.min, tzinfo=ZoneInfo(workdays.DEFAULT_TZ))


def deadlines_recompute(
    *,
    first: date | None = None,
    last: date | None = None,
    actor_id: int | None = None,
    reason: str = "",
    batch_size: int = RECOMPUTE_BATCH,
) -> dict[str, Any]:
    """Recompute the handling deadlines of open orders with the current calendar.

    Candidates: every open order with a provisional deadline, plus (when a
    changed date range [first, last] is given) every open order whose
    (receipt day, due day] window contains a date in that range. Runs in
    batches ordered by id, each its own short transaction that locks only its
    rows (``SELECT … FOR UPDATE`` on PostgreSQL), so the work-order table is
    never locked for long and a concurrent grading is not overwritten with a
    stale complexity. ``version`` is not bumped (no lifecycle event); the run
    is audited as one RuleChange summary row.

    N comes from the current time-limit rules for the order's complexity, as
    when grading.
    """
    from griddesk.workorders import rules
    from griddesk.workorders.models import WorkOrder

    cal = selectors.effective_calendar()
    days_by = rules.working_days_by_complexity()
    cond = Q(deadline_provisional=True)
    if first is not None and last is not None:
        cond |= Q(received_at__lt=_local_midnight(last), deadline_at__gte=_local_midnight(first))
    base = WorkOrder.objects.filter(cond, state__in=list(OPEN_STATES), deadline_at__isnull=False)
    examined = changed = still_provisional = 0
    sample: list[dict[str, Any]] = []
    last_pk = 0
    while True:
        with transaction.atomic():
            rows = list(
                base.filter(pk__gt=last_pk)
                .order_by("pk")
                .select_for_update()
                .only("pk", "number", "received_at", "complexity", "deadline_at", "deadline_provisional")[:batch_size]
            )
            if not rows:
                break
            last_pk = rows[-1].pk
            rows = [r for r in rows if r.complexity in days_by]
            deadlines = workdays.bulk_working_day_deadlines(
                [r.received_at for r in rows], [days_by[r.complexity] for r in rows], cal
            )
            dirty = []
            for r, dl in zip(rows, deadlines):
                examined += 1
                still_provisional += dl.provisional
                if r.deadline_at != dl.due_at or r.deadline_provisional != dl.provisional:
                    if len(sample) < 50:
                        sample.append(
                            {
                                "number": r.number,
                                "before": [r.deadline_at.isoformat() if r.deadline_at else None, r.deadline_provisional],
                                "after": [dl.due_at.isoformat(), dl.provisional],
                            }
                        )
                    r.deadline_at, r.deadline_provisional = dl.due_at, dl.provisional
                    dirty.append(r)
            if dirty:
                WorkOrder.objects.bulk_update(dirty, ["deadline_at", "deadline_provisional"])
                changed += len(dirty)
    summary = {
        "reason": reason,
        "range": [first.isoformat(), last.isoformat()] if first and last else None,
        "examined": examined,
        "recomputed": changed,
        "still_provisional": still_provisional,
        "sample": sample,
    }
    from django.contrib.auth import get_user_model

    from griddesk.workorders.models import RuleChange

    if actor_id is not None and not get_user_model().objects.filter(pk=actor_id).exists():
        actor_id = None
    RuleChange.objects.create(
        model=RECOMPUTE_LABEL,
        object_id=(f"{first.isoformat()}..{last.isoformat()}" if first and last else "provisional")[:64],
        change="recompute",
        before=None,
        after=summary,
        actor_id=actor_id,
    )
    log.info("recomputed %d of %d open deadlines (%s)", changed, examined, reason)
    return summary
