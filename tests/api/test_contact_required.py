"""An order that will get a return visit needs a way to reach the customer."""

from __future__ import annotations

from griddesk.workorders.models import WorkOrder
from tests.conftest import intake_payload

URL = "/api/v1/work-orders/"


def test_no_customer_and_not_anonymous_is_refused_with_nothing_written(org, client_for):
    before = WorkOrder.objects.count()
    r = client_for("agent").post(URL, intake_payload(customer=None), format="json")
    assert r.status_code == 400
    err = r.json()["errors"]["customer"][0]
    assert err["code"] == "contact_required" and "回访" in err["message"]
    assert WorkOrder.objects.count() == before


def test_anonymous_or_public_opinion_orders_need_no_customer(org, client_for):
    assert client_for("agent").post(URL, intake_payload(customer=None, anonymous=True), format="json").status_code == 201
    r = client_for("specialist").post(URL, intake_payload(customer=None, type="public_opinion", category=None), format="json")
    assert r.status_code == 201, r.content


def test_bulk_reports_it_per_item(org, client_for):
    r = client_for("agent").post(URL + "bulk/", {"orders": [intake_payload(), intake_payload(customer=None)]}, format="json")
    assert r.status_code in (200, 207), r.content
    items = r.json()["results"]
    assert items[0]["status"] == "created"
    assert items[1]["status"] == "error" and items[1]["errors"]["customer"][0]["code"] == "contact_required"
