"""Writes to the SLA data — the working-day calendar layer and (through the
admin) the policies, business hours and area types — each audited as a
``RuleChange`` row (``common.rule_audit``).

After a change commits it is announced (``sla.changes``); the order clock
(``workorders.clock_services``, subscribed in its ``AppConfig.ready()``)
recomputes the deadlines of the open orders it can affect in the background.
This app knows nothing of orders.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from griddesk.common import rule_audit
from griddesk.common.errors import Forbidden, InvalidInput, NotFound
from griddesk.organisation.access import Actor

from . import changes, selectors
from .models import CalendarOverride, ConfirmedYear

# ------------------------------------------------------------------ helpers


def require_admin(actor: Actor) -> None:
    if not actor.is_admin:
        raise Forbidden(_("Only administrators may change the working-day calendar."))


def _user(actor: Actor) -> Any:
    return actor.user if getattr(actor.user, "pk", None) else None


def _audit(actor: Actor | None, *, model: str, object_id: str, change: str, before: Any, after: Any) -> None:
    rule_audit.record(actor=actor, model=model, object_id=object_id, change=change, before=before, after=after)


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
    """Announce the changed dates once the surrounding transaction commits: the
    order clock (``workorders.clock_services``) recomputes the open orders' deadlines."""
    changes.announce_on_commit(
        changes.CalendarChange(first=first, last=last, actor_id=getattr(actor.user, "pk", None), reason=reason)
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


# ------------------------------------------------------------------ SLA rule edits


def _policy_types(instance: Any) -> set[str] | None:
    """The order types a policy row can apply to (None: any)."""
    types = getattr(instance, "order_types", None)
    return set(types) if types else None


def _affected_types(before: Any, after: Any) -> list[str] | None:
    """Types whose orders a policy edit can move: the union of the old and new
    row's criteria; None (every type) if either is open or it is not a policy."""
    from .models import SlaPolicy

    rows = [r for r in (before, after) if r is not None]
    if not rows or not all(isinstance(r, SlaPolicy) for r in rows):
        return None
    out: set[str] = set()
    for r in rows:
        t = _policy_types(r)
        if t is None:
            return None
        out |= t
    return sorted(out)


def _schedule_rules_recompute(actor: Any, order_types: list[str] | None, reason: str) -> None:
    changes.announce_on_commit(changes.PolicyChange(order_types=order_types, actor_id=getattr(actor, "pk", None), reason=reason))


@transaction.atomic
def sla_rule_save(*, actor: Any, instance: Any, created: bool) -> Any:
    """Save an SLA policy, the business hours or a department's area type
    (audited, ``common.rule_audit``) and, once committed, announce it: the order
    clock recomputes the affected open orders' deadlines and stage limits in the
    background."""
    model = type(instance)
    before = None if created or instance.pk is None else model.objects.filter(pk=instance.pk).first()
    saved = rule_audit.rule_save(actor=actor, instance=instance, created=created)
    label = f"{model._meta.label} {getattr(saved, 'code', saved.pk)}"
    _schedule_rules_recompute(actor, _affected_types(before, saved), reason=f"{'create' if created else 'update'} {label}")
    return saved


@transaction.atomic
def sla_rule_delete(*, actor: Any, instance: Any) -> None:
    types = _affected_types(instance, None)
    label = f"{type(instance)._meta.label} {getattr(instance, 'code', instance.pk)}"
    rule_audit.rule_delete(actor=actor, instance=instance)
    _schedule_rules_recompute(actor, types, reason=f"delete {label}")
