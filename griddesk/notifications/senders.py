"""Pluggable senders. Configure with ``GRIDDESK_NOTIFICATION_SENDERS`` (dotted
class paths); each sender has a ``channel`` and ``send(notification)`` that
raises on failure (the delivery task retries)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Protocol

from django.conf import settings
from django.utils.module_loading import import_string

if TYPE_CHECKING:
    from .models import Notification

log = logging.getLogger("griddesk.notifications")

DEFAULT_SENDERS = ["griddesk.notifications.senders.LogSender"]


class Sender(Protocol):
    channel: str

    def send(self, notification: Notification) -> None: ...


class LogSender:
    channel = "log"

    def send(self, notification: Notification) -> None:
        log.info(
            "notification %s to user %s [%s] %s: %s",
            notification.pk, notification.recipient_id, notification.kind, notification.title, notification.body,
        )


def configured_senders() -> list[Sender]:
    paths = getattr(settings, "GRIDDESK_NOTIFICATION_SENDERS", DEFAULT_SENDERS)
    return [import_string(p)() for p in paths]


def sender_for(channel: str) -> Sender | None:
    for s in configured_senders():
        if s.channel == channel:
            return s
    return None
