"""Reads: return-visit tasks, visit satisfaction rates, survey responses and snapshots."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Case, Count, F, IntegerField, OuterRef, Q, QuerySet, Subquery, Value, When
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _

from griddesk.common.errors import InvalidInput
from griddesk.common.validation import date_out_of_range_message, period_in_date_range
from griddesk.engines.workflow import Role
from griddesk.organisation.access import Actor
from griddesk.organisation.models import Department
from griddesk.workorders.models import LeadAssignment, ReturnVisit, WorkOrder

from .models import IndexSnapshot, Questionnaire, SurveyResponse, VisitTask

LOCAL = ZoneInfo("Asia/Shanghai")
_COMPANY_WIDE = frozenset({Role.MANAGER, Role.LEADER, Role.SERVICE_SPECIALIST})
#: Roles that see satisfaction figures (rates, index, dashboard).
ANALYST_ROLES = frozenset({Role.ADMIN, Role.MANAGER, Role.LEADER, Role.SERVICE_SPECIALIST})


def _company_orders(actor: Actor) -> QuerySet[WorkOrder] | None:
    """None = everything (administrator)."""
    if actor.role == Role.ADMIN:
        return None
    if actor.company is None:
        return WorkOrder.objects.none()
    return WorkOrder.objects.filter(company__path__startswith=actor.company.path)


# ------------------------------------------------------------------ tasks


def visit_tasks_visible_to(actor: Actor) -> QuerySet[VisitTask]:
    qs = VisitTask.objects.all()
    if actor.role is None:
        return qs.none()
    if actor.role == Role.ADMIN:
        return qs
    if actor.role in _COMPANY_WIDE and actor.company is not None:
        return qs.filter(order__company__path__startswith=actor.company.path)
    if actor.role == Role.LEAD_HANDLER and actor.department is not None:
        return qs.filter(department=actor.department)
    return qs.none()


def visit_task_list(actor: Actor, *, state: str = "open", mine: bool = True) -> QuerySet[VisitTask]:
    """Due first; ``overdue`` annotated. ``mine``: for specialists, only tasks
    assigned to the specialist (not the customer service center's)."""
    qs = visit_tasks_visible_to(actor).select_related("order__customer", "order__category", "department")
    if state:
        qs = qs.filter(state=state)
    if mine and actor.role == Role.SERVICE_SPECIALIST:
        qs = qs.filter(assignee="specialist")
    now = timezone.now()
    qs = qs.annotate(
        overdue=Case(When(state="open", due_at__lt=now, then=Value(1)), default=Value(0), output_field=IntegerField())
    )
    if state == "open":
        return qs.order_by("due_at", "pk")
    return qs.order_by("-closed_at", "-pk")


def visit_task_get(actor: Actor, task_id: int) -> VisitTask | None:
    return (
        visit_tasks_visible_to(actor)
        .select_related("order__customer", "order__category", "order__company", "department", "closed_by")
        .prefetch_related("attempts__by")
        .filter(pk=task_id)
        .first()
    )


# ------------------------------------------------------------------ periods


@dataclass(frozen=True)
class Period:
    label: str
    start: date
    end: date  # exclusive

    def bounds(self) -> tuple[datetime, datetime]:
        return (datetime.combine(self.start, time(), LOCAL), datetime.combine(self.end, time(), LOCAL))


def parse_period(text: str | None) -> Period | None:
    """``2026-10`` (month), ``2026-Q4`` (quarter) or ``2026`` (year); empty → None."""
    if not text:
        return None
    text = text.strip().upper()
    if not period_in_date_range(text):
        raise InvalidInput(date_out_of_range_message(), code="date_out_of_range", field="period")
    m = re.fullmatch(r"(\d{4})-(\d{1,2})", text)
    if m and 1 <= int(m.group(2)) <= 12:
        y, mo = int(m.group(1)), int(m.group(2))
        end = date(y + 1, 1, 1) if mo == 12 else date(y, mo + 1, 1)
        return Period(f"{y}-{mo:02d}", date(y, mo, 1), end)
    m = re.fullmatch(r"(\d{4})-Q([1-4])", text)
    if m:
        y, q = int(m.group(1)), int(m.group(2))
        start = date(y, 3 * q - 2, 1)
        end = date(y + 1, 1, 1) if q == 4 else date(y, 3 * q + 1, 1)
        return Period(f"{y}-Q{q}", start, end)
    m = re.fullmatch(r"(\d{4})", text)
    if m:
        y = int(m.group(1))
        return Period(str(y), date(y, 1, 1), date(y + 1, 1, 1))
    raise InvalidInput(_("Period must look like 2026-10, 2026-Q4 or 2026."), code="invalid_period", field="period")


# ------------------------------------------------------------------ return-visit rates

#: ``by`` → (value expression, label expression) over ReturnVisit.
RATE_DIMENSIONS = ("department", "station", "staff", "category", "channel", "period")

SATISFIED = (ReturnVisit.Outcome.SATISFIED, ReturnVisit.Outcome.BASICALLY)


def visit_rates(actor: Actor, *, by: str, period: str | None = None) -> list[dict[str, Any]]:
    """Return-visit satisfaction rate per group.

    Definition: rate = (satisfied + basically satisfied) / reached visits, where a
    *reached* visit is any recorded return visit whose outcome is not
    *unreachable*. Every ``ReturnVisit`` row counts (a reopened order visited
    twice counts twice); the period is the local (Asia/Shanghai) date of the visit.
    Department = the order's primary lead department; station = the customer's
    supply station; staff = who recorded the visit."""
    if by not in RATE_DIMENSIONS:
        raise InvalidInput(
            _("“by” must be one of: %(choices)s.") % {"choices": ", ".join(RATE_DIMENSIONS)}, code="invalid_choice", field="by"
        )
    qs = ReturnVisit.objects.all()
    scope = _company_orders(actor)
    if scope is not None:
        qs = qs.filter(order__in=scope)
    p = parse_period(period)
    if p is not None:
        start, end = p.bounds()
        qs = qs.filter(visited_at__gte=start, visited_at__lt=end)
    if by == "department":
        primary = LeadAssignment.objects.filter(order=OuterRef("order_id"), primary=True).order_by("pk")
        qs = qs.annotate(key=Subquery(primary.values("department__code")[:1]), label=Subquery(primary.values("department__name")[:1]))
    elif by == "station":
        qs = qs.annotate(key=F("order__customer__station__code"), label=F("order__customer__station__name"))
    elif by == "staff":
        qs = qs.annotate(key=F("visited_by__username"), label=Coalesce(F("visited_by__first_name"), F("visited_by__username")))
    elif by == "category":
        qs = qs.annotate(key=F("order__category__code"), label=F("order__category__name"))
    elif by == "channel":
        qs = qs.annotate(key=F("order__channel"), label=F("order__channel"))
    else:
        qs = qs.annotate(key=TruncMonth("visited_at", tzinfo=LOCAL), label=Value(""))
    rows = (
        qs.values("key", "label")
        .annotate(
            visits=Count("pk"),
            satisfied=Count("pk", filter=Q(outcome=ReturnVisit.Outcome.SATISFIED)),
            basically_satisfied=Count("pk", filter=Q(outcome=ReturnVisit.Outcome.BASICALLY)),
            unsatisfied=Count("pk", filter=Q(outcome=ReturnVisit.Outcome.UNSATISFIED)),
            unreachable=Count("pk", filter=Q(outcome=ReturnVisit.Outcome.UNREACHABLE)),
            solved=Count("pk", filter=Q(solved=True)),
        )
        .order_by("key")
    )
    from griddesk.workorders.models import Channel

    channel_labels = dict(Channel.choices)
    out: list[dict[str, Any]] = []
    for r in rows:
        key = r["key"]
        label = r["label"] or ""
        if by == "period" and key is not None:
            key = timezone.localtime(key, LOCAL).strftime("%Y-%m") if isinstance(key, datetime) else str(key)[:7]
            label = key
        elif by == "channel" and key:
            label = str(channel_labels.get(key, key))
        numerator = r["satisfied"] + r["basically_satisfied"]
        denominator = r["visits"] - r["unreachable"]
        out.append(
            {
                "key": key,
                "label": label or (_("(none)") if key is None else str(key)),
                "visits": r["visits"],
                "satisfied": r["satisfied"],
                "basically_satisfied": r["basically_satisfied"],
                "unsatisfied": r["unsatisfied"],
                "unreachable": r["unreachable"],
                "solved": r["solved"],
                "numerator": numerator,
                "denominator": denominator,
                "rate": round(numerator / denominator, 4) if denominator else None,
            }
        )
    return out


# ------------------------------------------------------------------ surveys


def questionnaires_visible_to(actor: Actor) -> QuerySet[Questionnaire]:
    if actor.role not in ANALYST_ROLES:
        return Questionnaire.objects.none()
    return Questionnaire.objects.all()


def responses_for(
    questionnaire: Questionnaire, *, period: str | None = None, segment: str = "", actor: Actor | None = None
) -> QuerySet[SurveyResponse]:
    qs = SurveyResponse.objects.filter(questionnaire=questionnaire)
    if actor is not None and actor.role != Role.ADMIN and actor.company is not None:
        # Responses of the actor's company tree (plus those without an area).
        qs = qs.filter(Q(area__isnull=True) | Q(area__path__startswith=actor.company.path))
    p = parse_period(period)
    if p is not None:
        qs = qs.filter(answered_on__gte=p.start, answered_on__lt=p.end)
    if segment:
        field, value = parse_segment(segment)
        if field == "area":
            dept = Department.objects.filter(code=value).first()
            qs = qs.filter(area__path__startswith=dept.path) if dept is not None else qs.none()
        else:
            qs = qs.filter(**{field: value})
    return qs


SEGMENT_FIELDS = ("area", "customer_category", "channel")


def parse_segment(segment: str) -> tuple[str, str]:
    field, sep, value = segment.partition("=")
    if not sep or field not in SEGMENT_FIELDS or not value:
        raise InvalidInput(
            _("Segment must look like area=east, customer_category=residential or channel=95598."),
            code="invalid_segment",
            field="segment",
        )
    return field, value


def latest_snapshot(questionnaire: Questionnaire, *, period: str = "", segment: str = "") -> IndexSnapshot | None:
    return (
        IndexSnapshot.objects.filter(questionnaire=questionnaire, period=period, segment=segment)
        .order_by("-created_at", "-pk")
        .first()
    )


def response_periods(questionnaire: Questionnaire) -> list[str]:
    """Months with responses, oldest first."""
    months = (
        SurveyResponse.objects.filter(questionnaire=questionnaire)
        .annotate(m=TruncMonth("answered_on"))
        .values_list("m", flat=True)
        .distinct()
        .order_by("m")
    )
    return [m.strftime("%Y-%m") for m in months if m is not None]


# ------------------------------------------------------------------ drill-down

DRILL_DIMENSIONS = ("area", "customer_category", "channel", "period")


def snapshot_responses(snap: IndexSnapshot, *, dim: str = "", key: str | None = None,
                       actor: Actor | None = None) -> QuerySet[SurveyResponse]:
    """The responses behind a snapshot's number: the snapshot's own period and
    segment, responses stored when it was computed (``pk ≤ max_pk``), the
    complete ones only under the listwise policy, then one segment row
    (``dim``/``key`` exactly as the snapshot grouped: an area's own code, not
    its subtree; "" = none). For the viewer's company (like every list)."""
    qs = responses_for(snap.questionnaire, period=snap.period or None, segment=snap.segment, actor=actor)
    ds = (snap.result or {}).get("dataset") or {}
    if "max_pk" in ds:
        qs = qs.filter(pk__lte=ds["max_pk"])
    if ds.get("policy") == "listwise":
        for c in ds.get("columns") or []:
            qs = qs.filter(**{f"answers__{c}__isnull": False}).exclude(**{f"answers__{c}": None})
    if not dim:
        return qs
    if dim not in DRILL_DIMENSIONS or key is None:
        raise InvalidInput(_("Drill down by one of: %(choices)s.") % {"choices": ", ".join(DRILL_DIMENSIONS)},
                           code="invalid_choice", field="dim")
    if dim == "area":
        return qs.filter(area__isnull=True) if key == "" else qs.filter(area__code=key)
    if dim == "period":
        p = parse_period(key)
        if p is None:
            raise InvalidInput(_("Period must look like 2026-10, 2026-Q4 or 2026."), code="invalid_period", field="key")
        return qs.filter(answered_on__gte=p.start, answered_on__lt=p.end)
    return qs.filter(**{dim: key})


def snapshot_get(questionnaire: Questionnaire, snapshot_id: Any) -> IndexSnapshot | None:
    try:
        pk = int(snapshot_id)
    except (TypeError, ValueError):
        return None
    return IndexSnapshot.objects.filter(questionnaire=questionnaire, pk=pk).select_related("questionnaire").first()
