"""The public event types: ``<subject>.<past-tense verb>``, one table.

Internal names (``work_order.<action>``, the core's domain events, ADR 0026)
may change with the code; the public types are a contract with the systems
that subscribe, so they live here and nowhere else. ``GET
/api/v1/webhooks/event-types/`` lists this table.

``confirm_report`` is the core's one action "confirm the report and feed the
result back" (确认报告并反馈): it is published as ``work_order.report_confirmed``
(there is no separate ``work_order.fed_back`` fact in the core; if the core
ever splits the two, ``work_order.fed_back`` is added then, ADR 0029).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class EventType:
    type: str
    action: str
    description: Promise | str


#: (public type, internal action, description) — the public types never change meaning.
EVENT_TYPES: tuple[EventType, ...] = (
    EventType("work_order.created", "create", _("A work order was taken in.")),
    EventType("work_order.forwarded", "forward", _("A work order was forwarded to a service specialist.")),
    EventType("work_order.graded", "grade", _("A work order was graded (grade, complexity, deadline).")),
    EventType("work_order.dispatched", "dispatch", _("A work order was dispatched to its lead departments.")),
    EventType("work_order.accepted", "accept", _("A lead department accepted a work order.")),
    EventType("work_order.station_assigned", "assign_station", _("Power-supply stations were asked for on-site findings.")),
    EventType("work_order.station_findings_recorded", "station_findings", _("A station recorded its on-site findings.")),
    EventType("work_order.report_submitted", "submit_report", _("A handling report was submitted.")),
    EventType("work_order.report_confirmed", "confirm_report", _("The handling report was confirmed and the result fed back.")),
    EventType("work_order.report_returned", "return_report", _("The handling report was returned for rework.")),
    EventType("work_order.visited", "return_visit", _("The customer was visited back (the outcome is in the data).")),
    EventType("work_order.assessed", "assess", _("A work order was assessed.")),
    EventType("work_order.archived", "archive", _("A work order was archived.")),
    EventType("work_order.reopened", "reopen", _("A work order was reopened.")),
    EventType("work_order.invalidated", "invalidate", _("A work order was marked invalid.")),
    EventType("work_order.merged", "merge", _("A work order was merged into another one.")),
    EventType("work_order.urged", "urge", _("A work order was urged.")),
    EventType("work_order.suspended", "suspend", _("A work order was suspended (its clock stopped).")),
    EventType("work_order.resumed", "resume", _("A suspended work order was resumed.")),
    EventType("work_order.overdue", "overdue", _("A work order passed its handling deadline.")),
    EventType("work_order.stage_overdue", "stage_overdue", _("A work order passed its current stage's time limit.")),
    EventType("work_order.deadline_changed", "deadline", _("A work order's deadline was recomputed.")),
)

BY_TYPE: dict[str, EventType] = {e.type: e for e in EVENT_TYPES}
BY_ACTION: dict[str, EventType] = {e.action: e for e in EVENT_TYPES}


def public_type(action: str) -> str | None:
    """The public type of a core action, None when it is not published."""
    e = BY_ACTION.get(action)
    return e.type if e else None
