"""SLA policy rows → engine objects: the conversions of the policy data that
the admin form's validation and the order clock (``workorders.clock.SlaRules``,
which applies the policies to orders) share.
"""

from __future__ import annotations

from griddesk.engines import sla

from .models import BusinessHours, SlaPolicy


def policy_from_row(r: SlaPolicy) -> sla.Policy:
    """The engine policy for a row (saved or not): used by the running system
    and by the admin form's validation."""
    return sla.Policy(
        code=r.code,
        stage=r.stage,
        kind=r.kind,
        amount=int(r.amount),
        order_types=frozenset(r.order_types or ()),
        grades=frozenset(int(g) for g in (r.grades or ())),
        complexities=frozenset(r.complexities or ()),
        channels=frozenset(r.channels or ()),
        area_types=frozenset(r.area_types or ()),
        priority=int(r.priority),
    )


def business_hours() -> sla.BusinessHours:
    row = BusinessHours.objects.order_by("pk").first()
    return sla.BusinessHours(row.start, row.end) if row is not None else sla.DEFAULT_BUSINESS_HOURS
