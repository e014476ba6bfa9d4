"""Reads: an order's attachments, one attachment, the upload rule."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import QuerySet

from griddesk.engines.workflow import Role, State
from griddesk.organisation.access import Actor
from griddesk.workorders.models import WorkOrder
from griddesk.workorders.selectors import work_orders_visible_to

from .models import Attachment, AttachmentRule

#: Leaders oversee; everyone else who can see an order may add evidence to it.
_READ_ONLY_ROLES = frozenset({Role.LEADER})


def attachment_rule() -> AttachmentRule:
    """The editable limits (the admin's row, else the defaults)."""
    return AttachmentRule.objects.order_by("pk").first() or AttachmentRule()


def may_upload_role(actor: Actor) -> bool:
    return actor.role is not None and actor.role not in _READ_ONLY_ROLES


def may_upload(actor: Actor, order: WorkOrder) -> bool:
    """For the page: whether to offer the upload form (the service decides)."""
    return may_upload_role(actor) and order.state != State.ARCHIVED.value


def attachments_of(order: WorkOrder) -> QuerySet[Attachment]:
    return Attachment.objects.filter(order=order).select_related("uploaded_by").order_by("created_at", "pk")


def attachment_get(actor: Actor, pk: int) -> Attachment | None:
    """The attachment if its order is visible to ``actor``."""
    return (
        Attachment.objects.filter(pk=pk, order__in=work_orders_visible_to(actor))
        .select_related("order", "uploaded_by")
        .first()
    )


def attachments_by_order(order_ids: Iterable[int]) -> dict[int, list[Attachment]]:
    """Order id → its attachments, in one query (archive export)."""
    out: dict[int, list[Attachment]] = {}
    ids = list(order_ids)
    if ids:
        for a in Attachment.objects.filter(order_id__in=ids).order_by("order_id", "created_at", "pk"):
            out.setdefault(a.order_id, []).append(a)
    return out
