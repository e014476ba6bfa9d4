"""E-mail (Django's backend, locmem) and SMS (HTTP gateway on a local server)
senders: each notice sent once per channel, retried with backoff on failure."""

from __future__ import annotations

import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django_q.models import Schedule

from griddesk.notifications import services
from griddesk.notifications.models import Delivery, Notification
from griddesk.notifications.tasks import watch_deadlines
from griddesk.organisation.models import StaffProfile

from .conftest import DEADLINE

pytestmark = pytest.mark.django_db

EMAIL = "griddesk.notifications.senders.EmailSender"
SMS = "griddesk.notifications.senders.SmsSender"


class Gateway(BaseHTTPRequestHandler):
    """A fake SMS gateway: records requests; fails the first ``fail`` of them."""

    requests: list[dict[str, Any]] = []
    fail = 0

    def do_POST(self) -> None:  # noqa: N802
        length = int(self.headers["Content-Length"])
        body = json.loads(self.rfile.read(length))
        Gateway.requests.append({"body": body, "headers": dict(self.headers), "path": self.path})
        if len(Gateway.requests) <= Gateway.fail:
            self.send_response(503)
            self.end_headers()
            self.wfile.write(b"busy")
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b'{"ok": true}')

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def gateway(settings: Any):
    Gateway.requests = []
    Gateway.fail = 0
    server = HTTPServer(("127.0.0.1", 0), Gateway)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.GRIDDESK_SMS = {
        "url": f"http://127.0.0.1:{server.server_port}/send",
        "template": "[{number}] {title}",
        "username": "griddesk",
        "password": "s3cret",
        "timeout": 5,
    }
    yield Gateway
    server.shutdown()
    server.server_close()
    thread.join(5)


def _contacts() -> None:
    User = get_user_model()
    User.objects.filter(username="marketing").update(email="marketing@example.cn")
    StaffProfile.objects.filter(user__username="marketing").update(phone="13900000001")


def test_email_sender_uses_the_django_backend_once(settings: Any, order_at: Any) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.GRIDDESK_NOTIFICATION_SENDERS = [EMAIL]
    _contacts()
    o = order_at("investigating")
    watch_deadlines(now=DEADLINE + timedelta(minutes=1))
    overdue = Notification.objects.get(kind="overdue")
    assert [m.to for m in mail.outbox if o.number in m.subject and m.to == ["marketing@example.cn"]] == [["marketing@example.cn"]]
    msg = next(m for m in mail.outbox if m.to == ["marketing@example.cn"])
    assert msg.extra_headers["X-GridDesk-Notice"] == overdue.dedupe_key
    d = Delivery.objects.get(notification=overdue, channel="email")
    assert (d.state, d.attempts) == ("sent", 1)
    # the manager and specialist have no e-mail address: failed at once, not retried
    for d in Delivery.objects.filter(channel="email", notification__kind="escalation"):
        assert (d.state, d.attempts) == ("failed", 1) and "no e-mail" in d.last_error
    # a second run and a repeated send change nothing
    sent = len(mail.outbox)
    watch_deadlines(now=DEADLINE + timedelta(minutes=6))
    assert services.delivery_send(delivery_id=Delivery.objects.get(notification=overdue, channel="email").pk) == "skipped"
    assert len(mail.outbox) == sent


def test_sms_sender_posts_to_the_gateway_with_credentials(settings: Any, order_at: Any, gateway: Any) -> None:
    settings.GRIDDESK_NOTIFICATION_SENDERS = [SMS]
    _contacts()
    o = order_at("investigating")
    watch_deadlines(now=DEADLINE + timedelta(minutes=1))
    overdue = Notification.objects.get(kind="overdue")
    assert len(gateway.requests) == 1  # only the handler has a phone
    req = gateway.requests[0]
    assert req["path"] == "/send"
    assert req["body"] == {"phone": "13900000001", "message": f"[{o.number}] {overdue.title}", "id": overdue.dedupe_key}
    assert req["headers"]["Authorization"].startswith("Basic ")
    assert req["headers"]["Idempotency-Key"] == overdue.dedupe_key
    assert Delivery.objects.get(notification=overdue, channel="sms").state == "sent"
    watch_deadlines(now=DEADLINE + timedelta(minutes=6))
    assert len(gateway.requests) == 1


def test_sms_gateway_failure_is_retried_until_it_works(settings: Any, order_at: Any, gateway: Any) -> None:
    settings.GRIDDESK_NOTIFICATION_SENDERS = [SMS]
    _contacts()
    gateway.fail = 2
    order_at("investigating")
    watch_deadlines(now=DEADLINE + timedelta(minutes=1))
    d = Delivery.objects.get(notification__kind="overdue", channel="sms")
    assert (d.state, d.attempts) == ("sent", 3)
    assert len(gateway.requests) == 3
    assert len({r["body"]["id"] for r in gateway.requests}) == 1  # the same notice each time


def test_retries_back_off_exponentially_when_queued(settings: Any, order_at: Any, gateway: Any) -> None:
    settings.GRIDDESK_NOTIFICATION_SENDERS = [SMS]
    _contacts()
    gateway.fail = 100
    assert [services.retry_delay(n) for n in (1, 2, 3, 4)] == [timedelta(seconds=s) for s in (30, 60, 120, 240)]
    assert services.retry_delay(20) == timedelta(minutes=30)
    order_at("investigating")
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "sync": False}
    watch_deadlines(now=DEADLINE + timedelta(minutes=1))
    d = Delivery.objects.get(notification__kind="overdue", channel="sms")
    assert d.state == "pending" and d.attempts == 0  # queued, not sent inline
    assert services.delivery_send(delivery_id=d.pk) == "pending"
    retry = Schedule.objects.get(func=services.SEND_TASK, args=f"({d.pk},)")
    assert retry.schedule_type == Schedule.ONCE and retry.next_run is not None
    d.refresh_from_db()
    assert d.attempts == 1 and "503" in d.last_error


def test_sms_without_gateway_url_fails_after_retries(settings: Any, order_at: Any) -> None:
    settings.GRIDDESK_NOTIFICATION_SENDERS = [SMS]
    settings.GRIDDESK_SMS = {}
    _contacts()
    order_at("investigating")
    watch_deadlines(now=DEADLINE + timedelta(minutes=1))
    d = Delivery.objects.get(notification__kind="overdue", channel="sms")
    assert (d.state, d.attempts) == ("failed", services.MAX_ATTEMPTS)
    assert "not configured" in d.last_error
