"""The admin pages: subscriptions without their secret, the delivery log, read-only."""

from __future__ import annotations

from typing import Any

from griddesk.webhooks.models import Attempt, Delivery


def test_the_delivery_log_is_shown_read_only(receiver: Any, subscribe: Any, make_order: Any, committed: Any,
                                             client: Any, django_user_model: Any) -> None:
    sub_id, secret = subscribe(receiver.url, ["work_order.created"])
    receiver.answers = [500]
    order = committed(make_order)
    d = Delivery.objects.get()
    assert Attempt.objects.filter(delivery=d).count() == 1
    root = django_user_model.objects.create_superuser("root", "root@example.com", "pw")
    client.force_login(root)
    page = client.get("/admin/webhooks/delivery/").content.decode()
    assert order["number"] in page and "work_order.created" in page
    detail = client.get(f"/admin/webhooks/delivery/{d.pk}/change/")
    assert detail.status_code == 200
    html = detail.content.decode()
    assert "失败，将重试" in html and "500" in html  # the attempt log, in Chinese
    assert 'name="_save"' not in html and "/delete/" not in html  # read-only, the log is kept
    sub_page = client.get(f"/admin/webhooks/subscription/{sub_id}/change/").content.decode()
    assert receiver.url in sub_page and secret not in sub_page
    assert client.get("/admin/webhooks/subscription/add/").status_code == 403
