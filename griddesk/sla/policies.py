"""SLA policy rows → engine objects, and the deadline of an order under them.

One :class:`SlaRules` is loaded per request / batch (three small queries: the
active policies, the business hours, the department area types) and answers
for many orders without further queries, except for an order's area type when
its customer's station is not loaded.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from griddesk.engines import sla, workdays

from .models import BusinessHours, DepartmentArea, SlaPolicy

if TYPE_CHECKING:
    from griddesk.workorders.models import WorkOrder

DEFAULT_AREA = "urban"


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


@dataclass
class SlaRules:
    policies: list[sla.Policy]
    days_by_complexity: dict[str, int]
    hours: sla.BusinessHours
    calendar: workdays.WorkdayCalendar
    areas: dict[int, str]

    # ------------------------------------------------------------ facts
    def uses_area(self, stage: str | None = None) -> bool:
        """Whether any policy (of ``stage``) looks at the area type: only then
        is an order's area type worked out (it may cost a join or a query)."""
        return any(p.area_types for p in self.policies if stage is None or p.stage == stage)

    def area_type_for_path(self, path: str) -> str:
        """The nearest department on ``path`` ("/1/4/17/") with an area type."""
        for part in reversed([p for p in path.strip("/").split("/") if p]):
            found = self.areas.get(int(part))
            if found:
                return found
        return DEFAULT_AREA

    def area_type(self, order: WorkOrder) -> str:
        customer = order.customer if order.customer_id else None
        if customer is not None and customer.station_id:
            return self.area_type_for_path(customer.station.path)  # type: ignore[union-attr]
        return self.area_type_for_path(order.company.path)

    def facts(self, order: WorkOrder, stage: str | None = "handling", **changes: Any) -> sla.Facts:
        """The order's facts for matching policies of ``stage`` (None: any stage)."""
        return sla.Facts(
            order_type=changes.get("type", order.type),
            complexity=changes.get("complexity", order.complexity),
            grade=changes.get("grade", order.grade),
            channel=order.channel,
            area_type=self.area_type(order) if self.uses_area(stage) else None,
        )

    # ------------------------------------------------------------ answers
    def policy(self, facts: sla.Facts, stage: str) -> sla.Policy | None:
        return sla.resolve(self.policies, facts, stage, self.days_by_complexity)

    def handling_policy(self, facts: sla.Facts) -> sla.Policy:
        p = self.policy(facts, "handling")
        assert p is not None  # the handling stage always falls back
        return p

    def deadline(self, policy: sla.Policy, received_at: datetime, extension: int = 0) -> workdays.Deadline:
        return sla.deadline(policy, received_at, self.calendar, hours=self.hours, extension=extension)

    def handling(self, order: WorkOrder, **changes: Any) -> tuple[sla.Policy, workdays.Deadline]:
        """The handling policy and deadline of ``order`` (suspended time
        included), from the receipt or, for a reopened order, the reopen."""
        p = self.handling_policy(self.facts(order, **changes))
        return p, self.deadline(p, order.clock_start, order.suspension_extension)

    def stages(self, facts: sla.Facts, received_at: datetime) -> dict[str, tuple[sla.Policy, workdays.Deadline]]:
        out: dict[str, tuple[sla.Policy, workdays.Deadline]] = {}
        for stage in sla.STAGES:
            p = self.policy(facts, stage)
            if p is not None:
                out[stage] = (p, self.deadline(p, received_at))
        return out


def load(calendar: workdays.WorkdayCalendar | None = None) -> SlaRules:
    from griddesk.workorders import rules

    return SlaRules(
        policies=[policy_from_row(r) for r in SlaPolicy.objects.filter(active=True)],
        days_by_complexity=rules.working_days_by_complexity(),
        hours=business_hours(),
        calendar=calendar or rules.calendar(),
        areas=dict(DepartmentArea.objects.values_list("department_id", "area_type")),
    )
