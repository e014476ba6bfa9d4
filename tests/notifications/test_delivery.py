from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from griddesk.notifications.models import Delivery, Notification
from griddesk.notifications.tasks import watch_deadlines

from .conftest import DEADLINE

pytestmark = pytest.mark.django_db

calls: list[int] = []


class FailingSender:
    channel = "sms"

    def send(self, notification: Notification) -> None:
        calls.append(notification.pk)
        raise ConnectionError("SMS gateway down")


class FlakySender:
    channel = "email"

    def send(self, notification: Notification) -> None:
        calls.append(notification.pk)
        if len(calls) < 3:
            raise TimeoutError("smtp timeout")


@pytest.fixture(autouse=True)
def _reset() -> None:
    calls.clear()


def test_failing_sender_is_retried_then_marked_failed(settings: Any, order_at: Any) -> None:
    settings.GRIDDESK_NOTIFICATION_SENDERS = [
        "griddesk.notifications.senders.LogSender",
        "tests.notifications.test_delivery.FailingSender",
    ]
    order_at("received")
    watch_deadlines(now=DEADLINE - timedelta(hours=1))  # both warnings for the specialist
    sms = Delivery.objects.filter(channel="sms")
    assert sms.count() == 2
    for d in sms:
        assert (d.state, d.attempts) == ("failed", 5)
        assert "SMS gateway down" in d.last_error
    assert len(calls) == 10
    assert set(Delivery.objects.filter(channel="log").values_list("state", flat=True)) == {"sent"}


def test_flaky_sender_succeeds_on_retry(settings: Any, order_at: Any) -> None:
    settings.GRIDDESK_NOTIFICATION_SENDERS = ["tests.notifications.test_delivery.FlakySender"]
    order_at("investigating")
    watch_deadlines(now=DEADLINE + timedelta(hours=1))
    d = Delivery.objects.filter(channel="email").order_by("pk").first()
    assert d is not None and (d.state, d.attempts) == ("sent", 3)
    assert d.sent_at is not None


def test_sent_delivery_is_not_sent_again() -> None:
    from griddesk.notifications.services import delivery_send

    assert delivery_send(delivery_id=999999) == "skipped"
