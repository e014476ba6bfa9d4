"""The JSON contract of the reply to the 95598 center (docs/integrations/95598-reply.md).

The body is ``{"type", "timestamp", "data"}`` like every webhook delivery; the
``data`` object is built from the field mapping: each active row sends one
GridDesk field (a ``source`` below) under the center's name (``target``).
``DEFAULT_MAPPING`` is the documented contract and the seed of the mapping
table (and what applies when the table is empty).

Times are ISO 8601 in China Standard Time with the offset (``+08:00``), to the
second. Fields that do not apply (no visit yet, no reopen) are ``null``; every
mapped field is present in every reply.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

CST = ZoneInfo("Asia/Shanghai")
#: A center field name: letters, digits and underscores, starting with a letter.
TARGET_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,63}$")


def iso(dt: datetime | None) -> str | None:
    return dt.astimezone(CST).isoformat(timespec="seconds") if dt else None


@dataclass(frozen=True)
class Context:
    """What a reply is built from (read in the transaction of the change)."""

    reply: Any
    order: Any
    report: Any | None
    visit: Any | None
    handler: str | None
    handler_department: str | None
    confirmer: str | None
    visitor: str | None
    reopen_reason: str | None
    reopened_at: datetime | None


@dataclass(frozen=True)
class Source:
    key: str
    label: Promise | str
    get: Callable[[Context], Any]


def _report(attr: str) -> Callable[[Context], Any]:
    return lambda c: getattr(c.report, attr) if c.report is not None else None


def _visit(attr: str) -> Callable[[Context], Any]:
    return lambda c: getattr(c.visit, attr) if c.visit is not None else None


def _state_name(c: Context) -> str:
    from django.utils import translation

    from griddesk.workorders.models import StateChoice

    with translation.override("zh-hans"):
        try:
            return str(StateChoice(c.order.state).label)
        except ValueError:
            return str(c.order.state)


def _outcome_name(c: Context) -> str | None:
    if c.visit is None:
        return None
    from django.utils import translation

    with translation.override("zh-hans"):
        return str(c.visit.get_outcome_display())


#: Every GridDesk field a reply can carry, in the documented order.
SOURCES: tuple[Source, ...] = (
    Source("reply.id", _("Reply id (for the acknowledgement API)"), lambda c: c.reply.pk),
    Source("reply.kind", _("Reply kind: result, visit or reopen"), lambda c: c.reply.kind),
    Source("order.external_id", _("95598 order id"), lambda c: c.order.external_id),
    Source("order.number", _("GridDesk order number"), lambda c: c.order.number),
    Source("order.state", _("Order state (code)"), lambda c: c.order.state),
    Source("order.state_name", _("Order state (Chinese name)"), _state_name),
    Source("order.received_at", _("Received at"), lambda c: iso(c.order.received_at)),
    Source("order.closed_at", _("Handling closed at (result fed back)"), lambda c: iso(c.order.closed_at)),
    Source("order.deadline_at", _("Handling deadline"), lambda c: iso(c.order.deadline_at)),
    Source("order.reopen_count", _("Times reopened"), lambda c: c.order.reopen_count),
    Source("report.findings", _("Investigation findings"), _report("findings")),
    Source("report.responsibility", _("Responsibility analysis"), _report("responsibility")),
    Source("report.rectification", _("Rectification measures"), _report("rectification")),
    Source("report.company_at_fault", _("Company at fault"), _report("company_at_fault")),
    Source("report.responsible_department", _("Responsible department (name)"),
           lambda c: c.report.responsible_department.name if c.report is not None and c.report.responsible_department else None),
    Source("report.handler", _("Handler (who wrote the report, full name)"), lambda c: c.handler),
    Source("report.handler_department", _("Handler's department (name)"), lambda c: c.handler_department),
    Source("report.submitted_at", _("Report submitted at"), lambda c: iso(c.report.submitted_at) if c.report else None),
    Source("report.confirmed_by", _("Confirmed and fed back by (full name)"), lambda c: c.confirmer),
    Source("report.confirmed_at", _("Confirmed and fed back at"), lambda c: iso(c.report.confirmed_at) if c.report else None),
    Source("visit.outcome", _("Return-visit outcome (code)"), _visit("outcome")),
    Source("visit.outcome_name", _("Return-visit outcome (Chinese name)"), _outcome_name),
    Source("visit.method", _("Return-visit method (code)"), _visit("method")),
    Source("visit.solved", _("Problem solved (customer's view)"), _visit("solved")),
    Source("visit.visited_at", _("Visited at"), lambda c: iso(c.visit.visited_at) if c.visit else None),
    Source("visit.visitor", _("Visited by (full name)"), lambda c: c.visitor),
    Source("reopen.reason", _("Reason for reopening"), lambda c: c.reopen_reason),
    Source("reopen.at", _("Reopened at"), lambda c: iso(c.reopened_at)),
)
BY_KEY: dict[str, Source] = {s.key: s for s in SOURCES}
SOURCE_CHOICES = [(s.key, s.key) for s in SOURCES]

#: The documented contract: (source, center field name).
DEFAULT_MAPPING: tuple[tuple[str, str], ...] = (
    ("reply.id", "reply_id"),
    ("reply.kind", "reply_type"),
    ("order.external_id", "center_order_id"),
    ("order.number", "order_no"),
    ("order.state", "state"),
    ("order.state_name", "state_name"),
    ("order.received_at", "received_at"),
    ("order.closed_at", "closed_at"),
    ("order.deadline_at", "deadline_at"),
    ("order.reopen_count", "reopen_count"),
    ("report.findings", "findings"),
    ("report.responsibility", "responsibility"),
    ("report.rectification", "rectification"),
    ("report.company_at_fault", "company_at_fault"),
    ("report.responsible_department", "responsible_department"),
    ("report.handler", "handler_name"),
    ("report.handler_department", "handler_department"),
    ("report.submitted_at", "reported_at"),
    ("report.confirmed_by", "fed_back_by"),
    ("report.confirmed_at", "fed_back_at"),
    ("visit.outcome", "visit_outcome"),
    ("visit.outcome_name", "visit_outcome_name"),
    ("visit.method", "visit_method"),
    ("visit.solved", "visit_solved"),
    ("visit.visited_at", "visited_at"),
    ("visit.visitor", "visitor_name"),
    ("reopen.reason", "reopen_reason"),
    ("reopen.at", "reopened_at"),
)


def build_data(ctx: Context, mapping: list[tuple[str, str]]) -> dict[str, Any]:
    """The reply's ``data``: each (source, target) of the mapping, in order."""
    return {target: BY_KEY[source].get(ctx) for source, target in mapping if source in BY_KEY}
