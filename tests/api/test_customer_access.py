"""GET /api/v1/customers/{account_no}/: a customer is visible only through an
order the user may see, or within their company to the roles that look
callers up (agent, specialist, manager, leader) — with the order's masking
and anonymity rules, one access-log row per view, and the same 404 for an
account that does not exist and one that is not the user's to see."""

from __future__ import annotations

from typing import Any

import pytest

from griddesk.customers.models import Customer, PiiAccess
from tests.conftest import intake_payload

URL = "/api/v1/customers/"


@pytest.fixture
def west_customer(org: Any) -> Customer:
    """A customer of another county (西山县), with no order anywhere."""
    return Customer.objects.create(
        account_no="5500000001", name="钱七", phone="13900001111", address="西山县石门镇2号",
        id_number="330102199001011234", station=org.departments["west-ps-2"],
    )


def _get(client: Any, account_no: str) -> Any:
    return client.get(f"{URL}{account_no}/")


def test_station_cannot_read_another_countys_customer_and_absent_looks_the_same(org, client_for, west_customer):
    station = client_for("station")
    not_yours = _get(station, west_customer.account_no)
    absent = _get(station, "5500000002")
    assert not_yours.status_code == absent.status_code == 404
    assert "13900001111" not in not_yours.content.decode()
    assert not_yours.json()["code"] == absent.json()["code"]
    # sequential probing reveals nothing: the body differs only by the number asked
    assert not_yours.content.decode().replace("5500000001", "X") == absent.content.decode().replace("5500000002", "X")
    assert not PiiAccess.objects.exists()


@pytest.mark.parametrize("username", ["audit", "marketing", "service_center"])
def test_handlers_without_a_visible_order_do_not_see_the_customer(org, client_for, username, west_customer):
    assert _get(client_for(username), west_customer.account_no).status_code == 404


def test_a_visible_order_opens_the_customer_to_its_handlers(org, client_for, act, west_customer):
    n = client_for("agent").post(
        "/api/v1/work-orders/", intake_payload(customer={"account_no": west_customer.account_no, "name": "钱七"}),
        format="json",
    ).json()["number"]
    assert _get(client_for("marketing"), west_customer.account_no).status_code == 404  # not dispatched yet
    act("agent", n, "forward")
    act("specialist", n, "grade", grade=3, complexity="ordinary", reason="测试")
    act("specialist", n, "dispatch")
    lead = client_for("agent").get(f"/api/v1/work-orders/{n}/").json()["lead_departments"][0]
    from griddesk.organisation.models import Department
    from griddesk.organisation.services import staff_create

    staff_create(username="lead_x", password="x-Griddesk-9", department=Department.objects.get(code=lead),
                 role="lead_handler", full_name="甲")
    body = _get(client_for("lead_x"), west_customer.account_no).json()
    assert body["phone"] == "13900001111" and body["masked"] is False
    assert [o["number"] for o in body["orders"]] == [n]


@pytest.mark.parametrize("username,masked", [("agent", False), ("specialist", False), ("manager", True), ("leader", True)])
def test_lookup_roles_find_company_customers_masked_by_role(org, client_for, username, masked, west_customer):
    body = _get(client_for(username), west_customer.account_no).json()
    assert body["account_no"] == west_customer.account_no and body["masked"] is masked
    if masked:
        assert body["phone"] == "139****1111" and "330102199001011234" not in str(body)
        assert not PiiAccess.objects.exists()
    else:
        assert body["id_number"] == "330102199001011234"
        row = PiiAccess.objects.get()
        assert row.user.username == username and row.via == "api-customer"
        assert row.customer == west_customer and row.accounts == f" {west_customer.account_no} "
        assert "id_number" in row.fields and row.path == f"{URL}{west_customer.account_no}/"


def test_an_anonymous_order_does_not_reveal_its_customer_to_the_handling_department(org, client_for, act):
    n = client_for("agent").post("/api/v1/work-orders/", intake_payload(anonymous=True), format="json").json()["number"]
    act("agent", n, "forward")
    act("specialist", n, "grade", grade=3, complexity="ordinary", reason="测试")
    act("specialist", n, "dispatch")
    account = Customer.objects.get(orders__number=n).account_no
    # the lead department sees the order (masked) but cannot look its customer up
    assert client_for("marketing").get(f"/api/v1/work-orders/{n}/").status_code == 200
    assert _get(client_for("marketing"), account).status_code == 404
    # the intake side sees it, with the confidential order in the history
    agent = _get(client_for("agent"), account).json()
    assert n in [o["number"] for o in agent["orders"]] and agent["masked"] is False
    # a manager sees the order (masked) but, the customer having no station in
    # the company and no other order, cannot look them up through it either
    assert _get(client_for("manager"), account).status_code == 404


def test_the_access_log_row_names_the_orders_the_view_showed(org, client_for):
    a = client_for("agent").post("/api/v1/work-orders/", intake_payload(), format="json").json()["number"]
    b = client_for("agent").post("/api/v1/work-orders/", intake_payload(category="service.attitude"), format="json").json()["number"]
    PiiAccess.objects.all().delete()
    _get(client_for("agent"), "3300112233")
    row = PiiAccess.objects.get()
    assert set(row.orders.split()) == {a, b} and row.count == 1
