"""Reads the editable rules (grading, routing, time limits) into engine objects."""

from __future__ import annotations

from datetime import datetime

from griddesk.engines import grading, routing, workdays

from .models import GradingRule, RoutingRule, TimeLimitRule


def grading_rules() -> list[grading.GradingRule]:
    rows = GradingRule.objects.filter(active=True)
    return [
        grading.GradingRule(
            code=r.code,
            priority=r.priority,
            grade=r.grade,
            complexity=r.complexity,
            description=r.description,
            order_types=frozenset(r.order_types),
            channels=frozenset(r.channels),
            categories=frozenset(r.categories),
            keywords=tuple(r.keywords),
            sensitive_customer=r.sensitive_customer,
            escalated=r.escalated,
            repeat=r.repeat,
            any_of=r.any_of,
        )
        for r in rows
    ]


def routing_rules() -> list[routing.RoutingRule]:
    rows = list(RoutingRule.objects.all())
    if not rows:
        return list(routing.DEFAULT_ROUTING_RULES)
    return [routing.RoutingRule(grade=r.grade, lead_types=tuple(r.lead_types)) for r in rows]


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


def handling_deadline(received_at: datetime, complexity: str) -> workdays.Deadline:
    return workdays.working_day_deadline(received_at, working_days_for(complexity), calendar())
