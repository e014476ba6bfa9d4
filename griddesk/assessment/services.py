"""Writes of the assessment app: per-order assessment, adjustments, rule
versions, archive entries and corrections."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from griddesk.common import rule_audit
from griddesk.common.errors import Conflict, Forbidden, InvalidInput, NotFound
from griddesk.engines import scoring
from griddesk.engines.workflow import Role
from griddesk.organisation.access import Actor
from griddesk.workorders import selectors as wo_selectors
from griddesk.workorders.models import (
    ESCALATED_CHANNELS,
    Assessment,
    LeadAssignment,
    Report,
    ReturnVisit,
    StateChoice,
    WorkOrder,
)

from .models import ArchiveCorrection, ArchiveEntry, AssessmentAdjustment, OrderAssessment, ScoringRuleSet
from .rollups import rollup_order_mark

MANAGING_ROLES = frozenset({Role.MANAGER, Role.ADMIN})


# ------------------------------------------------------------------ rules


def current_rule_set() -> ScoringRuleSet:
    rs = ScoringRuleSet.objects.order_by("-version").first()
    if rs is None:  # the data migration seeds v1; re-seed if a flush emptied it
        rs = ScoringRuleSet.objects.create(version=1, rules=scoring.DEFAULT_RULES, note="default")
    return rs


def engine_rules(rule_set: ScoringRuleSet) -> scoring.ScoringRules:
    return scoring.rules_from_dict(rule_set.rules)


@transaction.atomic
def scoring_rules_publish(*, actor: Any, rules: dict[str, Any], note: str = "") -> ScoringRuleSet:
    """Validate and publish a new version (old versions stay; audited)."""
    try:
        scoring.rules_from_dict(rules)
    except scoring.RulesError as exc:
        raise InvalidInput(
            _("Invalid scoring rules: %(field)s: %(message)s") % {"field": exc.field, "message": exc.message},
            code="invalid_rules",
            field="rules",
        ) from None
    # Serialise publishers: the unique version number decides, the loser retries once.
    previous = ScoringRuleSet.objects.select_for_update().order_by("-version").first()
    version = (previous.version if previous else 0) + 1
    user = actor if getattr(actor, "pk", None) else None
    rs = ScoringRuleSet.objects.create(version=version, rules=rules, note=note, created_by=user)
    rule_audit.record(
        actor=user,
        model="assessment.ScoringRuleSet",
        object_id=str(rs.pk),
        change="create",
        before={"version": previous.version, "rules": previous.rules} if previous else None,
        after={"version": rs.version, "rules": rs.rules, "note": note},
    )
    return rs


# ------------------------------------------------------------------ per-order assessment


def _repeat_of(order: WorkOrder, window_days: int) -> WorkOrder | None:
    if not order.customer_id or not order.category_id:
        return None
    return (
        WorkOrder.objects.filter(
            customer_id=order.customer_id,
            category_id=order.category_id,
            received_at__gte=order.received_at - timedelta(days=window_days),
            received_at__lte=order.received_at,
        )
        .exclude(pk=order.pk)
        .exclude(state__in=[StateChoice.INVALID, StateChoice.MERGED])
        .order_by("-received_at", "-pk")
        .first()
    )


def order_assessment_compute(*, order: WorkOrder, assessment: Assessment | None = None) -> OrderAssessment:
    """Compute and store the assessment of ``order`` (the caller holds the row
    lock, inside the assess transaction). Recomputed on a re-assessment."""
    from griddesk.workorders.rules import calendar

    rollup_order_mark(received_at=order.received_at)  # first: see rollups.rollup_days_mark
    rule_set = current_rule_set()
    rules = engine_rules(rule_set)
    cal = calendar()
    closed, deadline = order.closed_at, order.deadline_at
    on_time = bool(closed and deadline and closed <= deadline)
    hours = lambda a, b: scoring.working_hours_between(a, b, cal, day_start=rules.day_start, day_end=rules.day_end)  # noqa: E731
    overdue_hours = 0.0
    if closed and deadline and not on_time:
        overdue_hours = max(0.0, hours(deadline, closed))
    handling = hours(order.received_at, closed) if closed else None
    report = (
        Report.objects.filter(order=order, confirmed_at__isnull=False).order_by("-pk").first()
        or Report.objects.filter(order=order).order_by("-pk").first()
    )
    visit = ReturnVisit.objects.filter(order=order).order_by("-pk").first()
    outcome = visit.outcome if visit else ""
    satisfied: bool | None = None
    if outcome and outcome != ReturnVisit.Outcome.UNREACHABLE:
        satisfied = outcome in scoring.SATISFIED_OUTCOMES
    lead = (
        LeadAssignment.objects.select_related("department").filter(order=order).order_by("-primary", "pk").first()
    )
    earlier = _repeat_of(order, rules.repeat_window_days)
    escalated = order.channel in ESCALATED_CHANNELS or order.escalated
    facts = scoring.OrderFacts(
        on_time=on_time,
        overdue_hours=overdue_hours,
        at_fault=report.company_at_fault if report else None,
        visit_outcome=outcome,
        repeat=earlier is not None,
        escalated=escalated,
        urge_count=order.urge_count,
        reopen_count=order.reopen_count,
        department_type=lead.department.type if lead else "",
    )
    result = scoring.score_order(facts, rules)
    customer = order.customer
    values = dict(
        assessment=assessment,
        rule_set=rule_set,
        received_at=order.received_at,
        order_type=order.type,
        company_id=order.company_id,
        department=lead.department if lead else None,
        station_id=customer.station_id if customer else None,
        staff_id=report.submitted_by_id if report else None,
        category_id=order.category_id,
        customer_category=customer.category if customer else "",
        on_time=on_time,
        overdue_hours=round(overdue_hours, 2),
        handling_hours=round(handling, 2) if handling is not None else None,
        at_fault=facts.at_fault,
        visit_outcome=outcome,
        satisfied=satisfied,
        repeat=facts.repeat,
        repeat_of=earlier,
        escalated=escalated,
        urge_count=order.urge_count,
        reopen_count=order.reopen_count,
        first_time=order.reopen_count == 0,
        items=dict(result.items),
        weight=result.weight,
        score=result.score,
        final_score=result.score,
        adjusted=False,
        computed_at=timezone.now(),
    )
    oa, _created = OrderAssessment.objects.update_or_create(order=order, defaults=values)
    return oa


def _require_manager(actor: Actor) -> None:
    if actor.role not in MANAGING_ROLES:
        raise Forbidden(_("Only managers may do this."), code="permission_denied")


@transaction.atomic
def order_assessment_adjust(*, actor: Actor, number: str, score: float, reason: str) -> OrderAssessment:
    _require_manager(actor)
    if not reason or not reason.strip():
        raise InvalidInput(_("Give a reason for the adjustment."), code="required", field="reason")
    if not 0 <= score <= 1000:
        raise InvalidInput(_("The score must be between 0 and 1000."), code="out_of_range", field="score")
    order = wo_selectors.work_orders_visible_to(actor).filter(number=number).first()
    if order is None:
        raise NotFound(_("Work order %(number)s was not found.") % {"number": number})
    oa = OrderAssessment.objects.select_for_update().filter(order=order).first()
    if oa is None:
        raise Conflict(_("This order has not been assessed yet."), code="not_assessed")
    rollup_order_mark(received_at=oa.received_at)
    AssessmentAdjustment.objects.create(
        order_assessment=oa, score_before=oa.final_score, score_after=score, reason=reason.strip(), actor=actor.user
    )
    oa.final_score = score
    oa.adjusted = True
    oa.save(update_fields=["final_score", "adjusted"])
    return oa


# ------------------------------------------------------------------ archive


def _archive_body(order: WorkOrder) -> str:
    """Searchable text: no phone numbers or addresses (search results are shown
    to roles that see masked data)."""
    parts = [order.number, order.title, order.content, order.remedy_sought]
    if order.category_id and order.category:
        parts.append(order.category.name)
    for r in Report.objects.filter(order=order).order_by("pk"):
        parts += [r.findings, r.responsibility, r.rectification]
    parts += [v.customer_words for v in ReturnVisit.objects.filter(order=order).order_by("pk")]
    parts += list(order.events.exclude(note="").values_list("note", flat=True))
    return "\n".join(p for p in parts if p)


def archive_entry_write(*, order: WorkOrder) -> ArchiveEntry:
    """Index an order as it is archived (inside the archive transaction)."""
    rollup_order_mark(received_at=order.received_at)
    entry, _created = ArchiveEntry.objects.update_or_create(
        order=order,
        defaults={"number": order.number, "company_id": order.company_id, "archived_at": timezone.now(), "body": _archive_body(order)},
    )
    if connection.vendor == "sqlite":
        with connection.cursor() as c:
            c.execute("INSERT OR REPLACE INTO assessment_archive_fts(rowid, body) VALUES (%s, %s)", [entry.pk, entry.body])
    return entry


@transaction.atomic
def archive_correction_add(*, actor: Actor, number: str, note: str, data: dict[str, Any] | None = None) -> ArchiveCorrection:
    if actor.role not in MANAGING_ROLES | {Role.SERVICE_SPECIALIST}:
        raise Forbidden(_("Your role may not correct archived orders."), code="permission_denied")
    if not note or not note.strip():
        raise InvalidInput(_("Describe the correction."), code="required", field="note")
    order = wo_selectors.work_orders_visible_to(actor).select_for_update(of=("self",)).filter(number=number).first()
    if order is None:
        raise NotFound(_("Work order %(number)s was not found.") % {"number": number})
    if order.state != StateChoice.ARCHIVED:
        raise Conflict(_("Only archived orders take corrections; change an open order through its actions."), code="not_archived")
    correction = ArchiveCorrection.objects.create(order=order, note=note.strip(), data=data or {}, actor=actor.user)
    entry = ArchiveEntry.objects.filter(order=order).first()
    if entry is not None:  # the correction's text becomes searchable too
        entry.body = f"{entry.body}\n{correction.note}"
        entry.save(update_fields=["body"])
        if connection.vendor == "sqlite":
            with connection.cursor() as c:
                c.execute("INSERT OR REPLACE INTO assessment_archive_fts(rowid, body) VALUES (%s, %s)", [entry.pk, entry.body])
    return correction
