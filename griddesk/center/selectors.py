"""Reads of the 95598 center link: the endpoint, the mapping and rule as they
apply, and replies with their status in words."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from griddesk.workorders.models import Channel

from . import contract
from .models import (
    DEFAULT_ACK_LIMIT_MINUTES,
    DEFAULT_WARN_MINUTES,
    CenterEndpoint,
    FieldMapping,
    Reply,
    ReplyRule,
)


def endpoint() -> CenterEndpoint | None:
    return CenterEndpoint.objects.select_related("subscription").order_by("pk").first()


def active_endpoint() -> CenterEndpoint | None:
    ep = endpoint()
    return ep if ep is not None and ep.subscription.active else None


def mapping() -> list[tuple[str, str]]:
    """The active (source, center name) pairs in order; the documented default
    when the table is empty."""
    rows = list(FieldMapping.objects.order_by("position", "pk").values_list("source", "target", "active"))
    if not rows:
        return list(contract.DEFAULT_MAPPING)
    return [(s, t) for s, t, active in rows if active]


@dataclass(frozen=True)
class Rule:
    ack_limit: timedelta
    warn_before: timedelta


def reply_rule() -> Rule:
    row = ReplyRule.objects.order_by("pk").first()
    limit = row.ack_limit_minutes if row else DEFAULT_ACK_LIMIT_MINUTES
    warn = row.warn_minutes if row else DEFAULT_WARN_MINUTES
    return Rule(timedelta(minutes=limit), timedelta(minutes=warn))


def applies_to(order: Any) -> bool:
    """Whether an order is replied to the center: from the 95598 channel with the center's order id."""
    return order.channel == Channel.HOTLINE_95598 and bool(order.external_id)


# ------------------------------------------------------------------ status

STATUS_LABELS: dict[str, Promise] = {
    "acknowledged": _("Acknowledged by the center"),
    "sent": _("Sent, awaiting the center's acknowledgement"),
    "pending": _("Being sent"),
    "retrying": _("Sending failed, retrying"),
    "dead": _("Sending failed, no more attempts"),
    "cancelled": _("Not sent: the center endpoint is disabled"),
}


def status(reply: Reply) -> str:
    if reply.acknowledged_at is not None:
        return "acknowledged"
    d = reply.delivery
    if d is None:
        return "cancelled"
    if d.state == "delivered":
        return "sent"
    if d.state == "pending":
        return "retrying" if d.attempts else "pending"
    return "dead" if d.state == "dead" else "cancelled"


@dataclass(frozen=True)
class ReplyView:
    reply: Reply
    status: str
    status_label: str
    kind_label: str
    sent_at: datetime | None
    attempts: int
    at_risk: bool
    overdue: bool


def view(reply: Reply, now: datetime | None = None) -> ReplyView:
    now = now or timezone.now()
    rule = reply_rule()
    st = status(reply)
    open_ = reply.acknowledged_at is None
    d = reply.delivery
    return ReplyView(
        reply=reply, status=st, status_label=str(STATUS_LABELS[st]), kind_label=str(reply.get_kind_display()),
        sent_at=d.delivered_at if d is not None else None, attempts=d.attempts if d is not None else 0,
        at_risk=open_ and now >= reply.due_at - rule.warn_before, overdue=open_ and now >= reply.due_at,
    )


def replies() -> QuerySet[Reply]:
    return Reply.objects.select_related("order", "delivery", "actor", "ack_by").order_by("-pk")


def replies_filtered(*, order: str = "", unacknowledged: bool = False, at_risk: bool = False,
                     now: datetime | None = None) -> QuerySet[Reply]:
    now = now or timezone.now()
    qs = replies()
    if order:
        qs = qs.filter(order__number=order)
    if unacknowledged or at_risk:
        qs = qs.filter(acknowledged_at__isnull=True)
    if at_risk:
        qs = qs.filter(due_at__lte=now + reply_rule().warn_before)
    return qs


def reply_panel(order: Any) -> dict[str, Any]:
    """What the order page shows: whether the order is replied to, whether a
    center is configured, and its replies (oldest first) in words."""
    applies = applies_to(order)
    rows = list(replies().filter(order=order).order_by("pk")) if applies else []
    now = timezone.now()
    return {
        "applies": applies,
        "configured": active_endpoint() is not None,
        "replies": [view(r, now) for r in rows],
    }
