"""Pluggable senders. Configure with ``GRIDDESK_NOTIFICATION_SENDERS`` (dotted
class paths); each sender has a ``channel`` and ``send(notification)`` that
raises on failure (the delivery task retries with backoff) or raises
:class:`Undeliverable` when retrying cannot help (no address).

- :class:`LogSender` (default): writes the notice to the log;
- :class:`EmailSender`: Django's e-mail backend (``EMAIL_BACKEND``), to the
  recipient user's ``email``;
- :class:`SmsSender`: an HTTP SMS gateway, ``GRIDDESK_SMS`` = {"url", "template",
  "username", "password" or "token", "timeout"}, to the recipient's staff phone.

Each delivery is sent once: one Delivery row per (notice, channel), locked while
sending, skipped once sent; the notice's ``dedupe_key`` travels with the message
(e-mail header ``X-GridDesk-Notice``, SMS field ``id`` and header
``Idempotency-Key``) so a gateway can drop a resend after a lost response."""

from __future__ import annotations

import base64
import json
import logging
import urllib.error
import urllib.request
from typing import TYPE_CHECKING, Any, Protocol

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


class Undeliverable(Exception):
    """The notice cannot be delivered on this channel (no address): not retried."""


class EmailSender:
    channel = "email"

    def send(self, notification: Notification) -> None:
        from django.core.mail import EmailMessage

        user = notification.recipient
        if not user.email:
            raise Undeliverable(f"user {user.get_username()} has no e-mail address")
        EmailMessage(
            subject=notification.title,
            body=notification.body,
            from_email=getattr(settings, "GRIDDESK_EMAIL_FROM", None) or settings.DEFAULT_FROM_EMAIL,
            to=[user.email],
            headers={"X-GridDesk-Notice": notification.dedupe_key},
        ).send(fail_silently=False)


DEFAULT_SMS_TEMPLATE = "【GridDesk】{title}：{body}"


class SmsSender:
    channel = "sms"

    def __init__(self) -> None:
        conf: dict[str, Any] = dict(getattr(settings, "GRIDDESK_SMS", {}) or {})
        self.url = str(conf.get("url", ""))
        self.template = str(conf.get("template", DEFAULT_SMS_TEMPLATE))
        self.username = str(conf.get("username", ""))
        self.password = str(conf.get("password", ""))
        self.token = str(conf.get("token", ""))
        self.timeout = float(conf.get("timeout", 10))

    def send(self, notification: Notification) -> None:
        from griddesk.organisation.models import StaffProfile

        if not self.url:
            raise LookupError("GRIDDESK_SMS['url'] is not configured")
        phone = StaffProfile.objects.filter(user_id=notification.recipient_id).values_list("phone", flat=True).first()
        if not phone:
            raise Undeliverable(f"user {notification.recipient_id} has no phone number")
        number = notification.order.number if notification.order_id and notification.order else ""
        message = self.template.format(title=notification.title, body=notification.body, number=number)
        payload = json.dumps({"phone": phone, "message": message, "id": notification.dedupe_key}).encode()
        headers = {"Content-Type": "application/json; charset=utf-8", "Idempotency-Key": notification.dedupe_key[:200]}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        elif self.username:
            cred = base64.b64encode(f"{self.username}:{self.password}".encode()).decode()
            headers["Authorization"] = f"Basic {cred}"
        request = urllib.request.Request(self.url, data=payload, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310 — configured URL
                status = response.status
                body = response.read(2000).decode("utf-8", "replace")
        except urllib.error.HTTPError as exc:
            raise ConnectionError(f"SMS gateway answered {exc.code}") from None
        if not 200 <= status < 300:
            raise ConnectionError(f"SMS gateway answered {status}: {body[:200]}")


def configured_senders() -> list[Sender]:
    paths = getattr(settings, "GRIDDESK_NOTIFICATION_SENDERS", DEFAULT_SENDERS)
    return [import_string(p)() for p in paths]


def sender_for(channel: str) -> Sender | None:
    for s in configured_senders():
        if s.channel == channel:
            return s
    return None
