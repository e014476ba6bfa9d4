"""Reads the editable rules (grading, routing, time limits) into engine objects."""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.db import connection, models

from griddesk.engines import grading, routing, workdays

from .models import Category, GradingRule, RoutingRule, TimeLimitRule, WorkflowRule

if TYPE_CHECKING:
    from .clock import SlaRules


def grading_rule_from_row(r: GradingRule) -> grading.GradingRule:
    """The engine rule for a row (saved or not): the one conversion both the
    intake and the admin form's validation use."""
    return grading.GradingRule(
        code=r.code,
        priority=r.priority,
        grade=r.grade,
        complexity=r.complexity,
        description=r.description,
        order_types=frozenset(r.order_types or ()),
        channels=frozenset(r.channels or ()),
        categories=frozenset(r.categories or ()),
        keywords=tuple(r.keywords or ()),
        sensitive_customer=r.sensitive_customer,
        escalated=r.escalated,
        repeat=r.repeat,
        any_of=r.any_of,
    )


def routing_rule_from_row(r: RoutingRule) -> routing.RoutingRule:
    return routing.RoutingRule(grade=r.grade, lead_types=tuple(r.lead_types or ()))


def workflow_rule(code: str) -> bool:
    """Whether the workflow rule ``code`` is on (its default when no row exists)."""
    enabled = WorkflowRule.objects.filter(code=code).values_list("enabled", flat=True).first()
    return WorkflowRule.DEFAULTS[code] if enabled is None else bool(enabled)


def four_eyes_on_reports() -> bool:
    return workflow_rule(WorkflowRule.Code.FOUR_EYES_REPORTS.value)


def grading_rules() -> list[grading.GradingRule]:
    return [grading_rule_from_row(r) for r in GradingRule.objects.filter(active=True)]


def routing_rules() -> list[routing.RoutingRule]:
    rows = list(RoutingRule.objects.all())
    if not rows:
        return list(routing.DEFAULT_ROUTING_RULES)
    return [routing_rule_from_row(r) for r in rows]


def working_days_by_complexity() -> dict[str, int]:
    days = dict(workdays.DEFAULT_WORKING_DAYS_BY_COMPLEXITY)
    days.update(TimeLimitRule.objects.values_list("complexity", "working_days"))
    return days


def working_days_for(complexity: str) -> int:
    return working_days_by_complexity()[complexity]


def calendar() -> workdays.WorkdayCalendar:
    # Official data + administrator overrides + confirmed years (griddesk.sla),
    # cached per process against a one-query fingerprint.
    from griddesk.sla.selectors import effective_calendar

    return effective_calendar()


def sla_rules(cal: workdays.WorkdayCalendar | None = None) -> SlaRules:
    """SLA policies + business hours + area types + the calendar (the data in
    griddesk.sla, applied to orders by workorders.clock)."""
    from . import clock

    return clock.load(cal)


def handling_deadline(
    received_at: datetime, complexity: str, *, type: str = "complaint", grade: int | None = None, channel: str | None = None
) -> workdays.Deadline:
    """The handling deadline of an order with these facts (area type unknown)."""
    from griddesk.engines import sla

    r = sla_rules()
    policy = r.handling_policy(sla.Facts(order_type=type, complexity=complexity, grade=grade, channel=channel))
    return r.deadline(policy, received_at)


# ------------------------------------------------------------------ per-process cache for the intake
#
# Every intake needs the grading rules, the time limits, the SLA policies, the
# business hours, the area types, the calendar and the business categories.
# Loading them took ~7 queries and ~20 % of an intake's CPU. They are cached
# per process against a *content* fingerprint of their tables, read in one
# query: a hash of every row (PostgreSQL: md5 of the rows' text; SQLite: the
# rows' quoted values). Because the fingerprint is computed from what the
# current transaction sees, a change made by another process, an uncommitted
# change of this transaction and a rolled-back change (tests!) all give a
# different fingerprint, so the cache can never serve stale rules; there is
# nothing to invalidate.


@dataclass(frozen=True)
class IntakeRules:
    grading_rules: list[grading.GradingRule]
    days_by_complexity: dict[str, int]
    calendar: workdays.WorkdayCalendar
    sla: SlaRules
    categories: dict[str, Category]  # active categories by code


_intake_lock = threading.Lock()
_intake_cached: tuple[Any, IntakeRules] | None = None


def _fingerprint_models() -> list[type[models.Model]]:
    from griddesk.sla.models import BusinessHours, CalendarOverride, ConfirmedYear, DepartmentArea, SlaPolicy

    return [GradingRule, TimeLimitRule, SlaPolicy, BusinessHours, DepartmentArea, CalendarOverride, ConfirmedYear, Category]


def _fingerprint_sql() -> str:
    qn = connection.ops.quote_name
    parts = []
    for model in _fingerprint_models():
        table = qn(model._meta.db_table)
        if connection.vendor == "postgresql":
            parts.append(f"(SELECT md5(COALESCE(string_agg(t::text, '|' ORDER BY t.id), '')) FROM {table} t)")
        else:
            cols = "||','||".join(f"quote({qn(f.column)})" for f in model._meta.concrete_fields)
            parts.append(f"(SELECT group_concat(r, '|') FROM (SELECT {cols} AS r FROM {table} ORDER BY id))")
    return "SELECT " + ", ".join(parts)


def _intake_fingerprint() -> tuple[Any, ...]:
    from griddesk.common import rows

    with rows.cursor() as cur:  # prepared: the same statement every time, no parameters
        cur.execute(_fingerprint_sql())
        row = cur.fetchone()
    if connection.vendor != "postgresql":
        row = tuple(hashlib.md5((r or "").encode()).hexdigest() for r in row)
    return (connection.alias, connection.settings_dict.get("NAME"), *row)


def intake_rules() -> IntakeRules:
    """The rules an intake needs, cached per process (one query per call)."""
    global _intake_cached
    fp = _intake_fingerprint()
    cached = _intake_cached
    if cached is not None and cached[0] == fp:
        return cached[1]
    cal = calendar()
    bundle = IntakeRules(
        grading_rules=grading_rules(),
        days_by_complexity=working_days_by_complexity(),
        calendar=cal,
        sla=sla_rules(cal),
        categories={c.code: c for c in Category.objects.filter(active=True)},
    )
    with _intake_lock:
        _intake_cached = (fp, bundle)
    return bundle


def clear_intake_cache() -> None:
    global _intake_cached
    with _intake_lock:
        _intake_cached = None
