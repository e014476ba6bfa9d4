"""Reads the editable rules (grading, routing, time limits) into engine objects."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from griddesk.engines import grading, routing, workdays

from .models import GradingRule, RoutingRule, TimeLimitRule

if TYPE_CHECKING:
    from griddesk.sla.policies import SlaRules


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
    """SLA policies + business hours + area types + the calendar (griddesk.sla)."""
    from griddesk.sla import policies

    return policies.load(cal)


def handling_deadline(
    received_at: datetime, complexity: str, *, type: str = "complaint", grade: int | None = None, channel: str | None = None
) -> workdays.Deadline:
    """The handling deadline of an order with these facts (area type unknown)."""
    from griddesk.engines import sla

    r = sla_rules()
    policy = r.handling_policy(sla.Facts(order_type=type, complexity=complexity, grade=grade, channel=channel))
    return r.deadline(policy, received_at)
