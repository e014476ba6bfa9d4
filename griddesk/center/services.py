"""Writes of the 95598 center link (ADR 0030).

- :func:`reply_write` runs INSIDE the transaction of a change to an order (an
  in-transaction subscriber to the core's domain events): a 95598 order with
  the center's id gets a ``Reply`` and one outbox row of the webhooks app
  (``webhooks.services.delivery_enqueue``), so the reply is delivered with the
  webhooks' signatures, retries, delivery log and dead letters.
- :func:`attempt_seen` listens to the webhooks' recorded attempts: a 2xx whose
  body is ``{"ack": true, "receipt": "…"}`` records the acknowledgement.
- :func:`reply_acknowledge` is the acknowledgement API's write (idempotent).
- :func:`replies_warn` (every 5 minutes) warns about unacknowledged replies
  close to their time limit.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from griddesk.common.errors import Conflict, Forbidden, InvalidInput, NotFound
from griddesk.organisation.access import Actor
from griddesk.organisation.models import StaffProfile
from griddesk.webhooks import event_types
from griddesk.webhooks import services as webhooks
from griddesk.webhooks.models import Attempt, Delivery, Subscription
from griddesk.workorders.domain_events import DomainEvent
from griddesk.workorders.models import ReturnVisit, WorkOrder

from . import contract, selectors
from .models import CenterEndpoint, Reply

log = logging.getLogger("griddesk.center")

#: The core's actions replied to the center, and the kind of reply.
REPLIED: dict[str, str] = {
    "confirm_report": Reply.Kind.RESULT,  # 确认报告并反馈: the handling result
    "return_visit": Reply.Kind.VISIT,  # the visit outcome (an unsatisfied one also reopens)
    "reopen": Reply.Kind.REOPEN,
}

MAX_RECEIPT = 100


def _name(user: Any) -> str | None:
    if user is None:
        return None
    return (user.get_full_name() or "").strip() or user.get_username()


# ------------------------------------------------------------------ the endpoint


@transaction.atomic
def endpoint_save(*, actor: Actor, url: str, active: bool = True, description: str = "") -> tuple[CenterEndpoint, str | None]:
    """Configure the center's endpoint: the first time a dedicated webhooks
    subscription with a new secret (returned this once), later its URL/state."""
    webhooks.require_admin(actor)
    ep = CenterEndpoint.objects.select_for_update().select_related("subscription").order_by("pk").first()
    if ep is None:
        sub, secret = webhooks.subscription_create(
            actor=actor, url=url, events=[], active=active, description=description or _("95598 center replies"),
            dedicated=True,
        )
        return CenterEndpoint.objects.create(subscription=sub), secret
    changes: dict[str, Any] = {"url": url, "active": active}
    if description:
        changes["description"] = description
    webhooks.subscription_update(actor=actor, subscription_id=ep.subscription_id, **changes)
    ep.subscription.refresh_from_db()
    return ep, None


# ------------------------------------------------------------------ replies


def _context(reply: Reply, order: WorkOrder, event: DomainEvent) -> contract.Context:
    report = (order.reports.select_related("responsible_department", "submitted_by", "confirmed_by")
              .order_by("-pk").first())
    handler_department = None
    if report is not None and report.submitted_by_id:
        profile = StaffProfile.objects.select_related("department").filter(user_id=report.submitted_by_id).first()
        handler_department = profile.department.name if profile else None
    if handler_department is None:
        lead = order.lead_assignments.select_related("department").order_by("-primary", "pk").first()
        handler_department = lead.department.name if lead else None
    visit = None
    if reply.kind == Reply.Kind.VISIT:
        visit = ReturnVisit.objects.select_related("visited_by").filter(order=order, pk=event.data.get("visit") or 0).first()
    reopened = reply.kind == Reply.Kind.REOPEN or (reply.kind == Reply.Kind.VISIT and bool(event.data.get("reopened")))
    return contract.Context(
        reply=reply, order=order, report=report, visit=visit,
        handler=_name(report.submitted_by) if report else None, handler_department=handler_department,
        confirmer=_name(report.confirmed_by) if report else None,
        visitor=_name(visit.visited_by) if visit else None,
        reopen_reason=(event.note or None) if reply.kind == Reply.Kind.REOPEN else None,
        reopened_at=event.occurred_at if reopened else None,
    )


def reply_write(event: DomainEvent) -> Reply | None:
    """In the change's transaction: the reply to the center of ``event``, if
    the order is a 95598 one with the center's id and a center is configured."""
    kind = REPLIED.get(event.action)
    if kind is None or event.order_id is None:
        return None
    ep = selectors.active_endpoint()
    if ep is None:
        return None
    order = WorkOrder.objects.filter(pk=event.order_id).first()
    if order is None or not selectors.applies_to(order):
        return None
    existing = Reply.objects.filter(event_id=event.id).first()
    if existing is not None:
        return existing
    etype = event_types.public_type(event.action) or event.name
    reply = Reply.objects.create(
        order=order, kind=kind, event_id=event.id, event_type=etype, actor_id=event.actor_id,
        occurred_at=event.occurred_at, due_at=event.occurred_at + selectors.reply_rule().ack_limit,
    )
    payload = {
        "type": etype,
        "timestamp": contract.iso(event.occurred_at),
        "data": contract.build_data(_context(reply, order, event), selectors.mapping()),
    }
    reply.delivery = webhooks.delivery_enqueue(
        subscription=ep.subscription, event_id=event.id, event_type=etype, payload=payload, order_number=order.number,
    )
    reply.save(update_fields=["delivery"])
    return reply


def parse_ack(body: str) -> tuple[bool, str]:
    """``{"ack": true, "receipt": "…"}`` in a 2xx answer → (True, receipt);
    anything else (no JSON, no ``ack: true``) → not acknowledged."""
    try:
        data = json.loads(body)
    except ValueError:
        return False, ""
    if not isinstance(data, dict) or data.get("ack") is not True:
        return False, ""
    receipt = data.get("receipt")
    return True, receipt.strip()[:MAX_RECEIPT] if isinstance(receipt, str) else ""


def attempt_seen(delivery: Delivery, attempt: Attempt) -> None:
    """A webhooks attempt was recorded (in its transaction): a delivered reply
    whose answer acknowledges it is acknowledged."""
    if attempt.outcome != Attempt.Outcome.DELIVERED:
        return
    reply = Reply.objects.select_for_update().filter(delivery_id=delivery.pk).first()
    if reply is None or reply.acknowledged_at is not None:
        return
    acked, receipt = parse_ack(attempt.response_excerpt)
    if acked:
        reply.acknowledged_at, reply.receipt, reply.ack_source = timezone.now(), receipt, Reply.AckSource.RESPONSE
        reply.save(update_fields=["acknowledged_at", "receipt", "ack_source"])


def clean_ack(data: Any) -> str:
    """The acknowledgement API's body: ``{"ack": true, "receipt": "…"}`` (receipt optional)."""
    if not isinstance(data, dict) or data.get("ack") is not True:
        raise InvalidInput(_("Send \"ack\": true to acknowledge the reply."), code="ack_required", field="ack")
    receipt = data.get("receipt", "")
    if receipt is None:
        receipt = ""
    if not isinstance(receipt, str) or len(receipt.strip()) > MAX_RECEIPT:
        raise InvalidInput(_("The receipt must be text of at most %(max)s characters.") % {"max": MAX_RECEIPT},
                           code="bad_receipt", field="receipt")
    return receipt.strip()


@transaction.atomic
def reply_acknowledge(*, reply_id: int, receipt: str, by: Any = None) -> tuple[Reply, bool]:
    """Record the center's acknowledgement (API). Idempotent: acknowledging
    again returns the recorded acknowledgement (False: nothing changed); a
    different receipt for an acknowledged reply is a conflict."""
    reply = Reply.objects.select_for_update().filter(pk=reply_id).first()
    if reply is None:
        raise NotFound(_("No such reply to the 95598 center."))
    if reply.acknowledged_at is not None:
        if receipt and reply.receipt and receipt != reply.receipt:
            raise Conflict(_("This reply was already acknowledged with receipt %(receipt)s.") % {"receipt": reply.receipt},
                           code="receipt_mismatch")
        return reply, False
    reply.acknowledged_at, reply.receipt, reply.ack_source = timezone.now(), receipt, Reply.AckSource.API
    reply.ack_by = by if getattr(by, "pk", None) else None
    reply.save(update_fields=["acknowledged_at", "receipt", "ack_source", "ack_by"])
    return reply, True


def ack_authorise(*, user: Any, body: bytes | None, headers: dict[str, str]) -> Any:
    """Who may acknowledge: the center itself, signing its request with the
    endpoint's secret (Standard Webhooks headers, same scheme as the replies),
    or an administrator (token or session). Returns the user (None: the center)."""
    from standardwebhooks.webhooks import Webhook, WebhookVerificationError

    if "webhook-signature" in headers:
        ep = selectors.endpoint()
        if ep is None:
            raise Forbidden(_("No 95598 center is configured."), code="no_center")
        sub: Subscription = ep.subscription
        secrets = webhooks.signing_secrets(sub, timezone.now()) if body is not None else []
        for secret in secrets:
            try:
                Webhook(secret).verify(body or b"", headers)
                return None
            except WebhookVerificationError:
                continue
        raise Forbidden(_("The signature does not match the center's secret."), code="bad_signature")
    if user is None or not getattr(user, "is_authenticated", False):
        raise Forbidden(_("Sign the request with the center's secret or sign in as an administrator."),
                        code="not_authenticated")
    from griddesk.organisation.access import actor_for

    webhooks.require_admin(actor_for(user))
    return user


# ------------------------------------------------------------------ warnings


def _recipients(reply: Reply) -> list[int]:
    ids = set(webhooks.administrators())
    if reply.actor_id:
        ids.add(reply.actor_id)
    active = set(get_user_model().objects.filter(pk__in=ids, is_active=True).values_list("pk", flat=True))
    return sorted(active)


def replies_warn(*, now: Any = None) -> int:
    """Warn (once per reply) about unacknowledged replies within the rule's
    warning time of their limit: a notice to who did what was replied and to
    the administrators. Returns how many replies were warned about."""
    from griddesk.notifications.models import Kind
    from griddesk.notifications.services import Notice, notices_create

    now = now or timezone.now()
    rule = selectors.reply_rule()
    due = list(Reply.objects.select_related("order").filter(
        acknowledged_at__isnull=True, warned_at__isnull=True, due_at__lte=now + rule.warn_before,
    ).order_by("due_at")[:1000])
    if not due:
        return 0
    notices = []
    with translation.override(settings.LANGUAGE_CODE):
        for r in due:
            words = {"number": r.order.number, "external_id": r.order.external_id, "kind": r.get_kind_display(),
                     "due": timezone.localtime(r.due_at).strftime("%Y-%m-%d %H:%M"),
                     "status": selectors.STATUS_LABELS[selectors.status(r)]}
            title = _("95598 reply of %(number)s not acknowledged") % words
            body = _("The reply (%(kind)s) of work order %(number)s (95598 order %(external_id)s) has not been "
                     "acknowledged by the center; its limit is %(due)s. Now: %(status)s.") % words
            notices += [Notice(recipient_id=uid, order_id=r.order_id, kind=Kind.CENTER_REPLY_DUE, title=title, body=body,
                               dedupe_key=f"center_reply_due:{r.pk}:{uid}", occurred_at=None)
                        for uid in _recipients(r)]
    with transaction.atomic():
        notices_create(notices)
        Reply.objects.filter(pk__in=[r.pk for r in due]).update(warned_at=now)
    return len(due)
