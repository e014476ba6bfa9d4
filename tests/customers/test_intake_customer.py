"""Intake that knows the caller: the phone update with history, the phone
lookup's visibility, the customer card, and the order's company following
the customer's station or the chosen area (issue 13 §2)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from griddesk.common.errors import Forbidden, InvalidInput, NotFound
from griddesk.customers import selectors
from griddesk.customers.models import Customer, CustomerChange
from griddesk.customers.services import customer_update_phone
from griddesk.organisation.models import Department
from griddesk.workorders import search, services
from griddesk.workorders.models import WorkOrder
from griddesk.workorders.serializers import IntakeSerializer

from ..conftest import intake_payload
from ..web.conftest import PATH, actor

pytestmark = pytest.mark.django_db


def intake(username: str = "agent", **overrides):
    s = IntakeSerializer(data=intake_payload(**overrides))
    s.is_valid(raise_exception=True)
    order, _ = services.work_order_intake(actor=actor(username), data=s.to_data())
    return WorkOrder.objects.select_related("company", "customer").get(pk=order.pk)


@pytest.fixture
def east_customer(org):
    return Customer.objects.create(
        account_no="7700000001", name="陈东湖", phone="13700000001", station=Department.objects.get(code="east-ps-1"),
    )


def cust(account_no: str, phone: str, **extra):
    return {"account_no": account_no, "name": "陈东湖", "phone": phone, **extra}


# ------------------------------------------------------------------ company and leads


def test_an_east_customer_is_east_county_and_its_leads_are_nearest_east(east_customer):
    order = intake(customer=cust("7700000001", "13700000001"))
    assert order.company.code == "east"
    for username, action, data in PATH[:3]:  # forward, grade 3, dispatch
        services.work_order_act(order=order.number, actor=actor(username), action=action, data=data)
    leads = list(order.lead_assignments.values_list("department__code", flat=True))
    assert leads == ["east-marketing"]


def test_the_area_chosen_at_intake_places_an_order_without_a_station(org):
    order = intake(customer=None, anonymous=True, area="west")
    assert order.company.code == "west"
    new = intake(customer=cust("7700000099", "13700000099"), area="north")  # a new customer: no station yet
    assert new.company.code == "north"
    assert intake(customer=None, anonymous=True).company.code == "city"  # nothing chosen: the agent's company


def test_the_customer_station_wins_over_the_area(east_customer):
    assert intake(customer=cust("7700000001", "13700000001"), area="west").company.code == "east"


@pytest.mark.parametrize("area", ["nope", "east-ps-1", "city-marketing"])
def test_an_unknown_or_non_company_area_is_refused(org, area):
    s = IntakeSerializer(data=intake_payload(customer=None, anonymous=True, area=area))
    s.is_valid(raise_exception=True)
    with pytest.raises(InvalidInput) as exc:
        services.work_order_intake(actor=actor("agent"), data=s.to_data())
    assert exc.value.code == "unknown_area" and exc.value.field == "area"
    assert not WorkOrder.objects.filter(content=s.validated_data["content"], company__code=area).exists()


def test_bulk_intake_honours_the_area_and_refuses_a_bad_one(org):
    good = IntakeSerializer(data=intake_payload(customer=None, anonymous=True, area="north"))
    bad = IntakeSerializer(data=intake_payload(customer=None, anonymous=True, area="nope"))
    assert good.is_valid() and bad.is_valid()
    results = services.work_order_bulk_intake(actor=actor("agent"), items=[good.to_data(), bad.to_data()])
    by_index = {r.index: r for r in results}
    assert by_index[0].status == "created" and by_index[0].order.company.code == "north"
    assert by_index[1].status == "error" and "area" in by_index[1].errors


# ------------------------------------------------------------------ the phone


def test_a_new_number_is_kept_on_the_order_and_not_on_the_customer_unless_accepted(east_customer):
    order = intake(customer=cust("7700000001", "13799999999"))
    east_customer.refresh_from_db()
    assert order.contact_phone == "13799999999" and east_customer.phone == "13700000001"
    assert not CustomerChange.objects.exists()


def test_an_accepted_new_number_updates_the_customer_with_history(east_customer):
    order = intake(customer=cust("7700000001", "13799999999"), update_customer_phone=True)
    east_customer.refresh_from_db()
    assert east_customer.phone == "13799999999" and order.contact_phone == "13799999999"
    change = CustomerChange.objects.get()
    assert (change.customer_id, change.field, change.old_value, change.new_value) == (
        east_customer.pk, "phone", "13700000001", "13799999999")
    assert change.user.username == "agent" and change.order_number == order.number
    # the search index follows the customer's new phone
    plan = search.search_plan(actor("agent"), "13799999999")
    assert search.search_filter(WorkOrder.objects.all(), plan).filter(pk=order.pk).exists()


def test_the_same_number_changes_nothing(east_customer):
    assert customer_update_phone(actor=actor("agent"), customer=east_customer, phone="13700000001") is None
    assert not CustomerChange.objects.exists()


def test_phone_update_checks_role_input_and_visibility(east_customer):
    with pytest.raises(Forbidden):
        customer_update_phone(actor=actor("manager"), customer=east_customer, phone="13711111111")
    with pytest.raises(InvalidInput) as exc:
        customer_update_phone(actor=actor("agent"), customer=east_customer, phone="abc")
    assert exc.value.code == "invalid_phone"
    hidden = Customer.objects.create(account_no="7700000077", name="无站", phone="1")  # no station, no orders
    with pytest.raises(NotFound):
        customer_update_phone(actor=actor("agent"), customer=hidden, phone="13711111111")
    east_customer.refresh_from_db()
    assert east_customer.phone == "13700000001" and not CustomerChange.objects.exists()


def test_admin_edit_of_the_phone_is_in_the_history(east_customer):
    from django.contrib.auth import get_user_model

    from griddesk.customers.services import customer_save

    east_customer.phone = "13722222222"
    customer_save(instance=east_customer, changed=["phone"], user=get_user_model().objects.get(username="admin"))
    change = CustomerChange.objects.get()
    assert (change.old_value, change.new_value, change.user.username, change.order_number) == (
        "13700000001", "13722222222", "admin", "")


# ------------------------------------------------------------------ lookup by phone


def test_customers_by_phone_lists_every_visible_sharer(east_customer):
    west = Customer.objects.create(account_no="7700000002", name="吴西山", phone="13700000001",
                                   station=Department.objects.get(code="west-ps-1"))
    caller = Customer.objects.create(account_no="7700000003", name="赵来电", phone="13600000000")
    intake(customer=cust("7700000003", "13700000001"))  # called from the shared number (contact phone)
    found = selectors.customers_by_phone(actor("agent"), "13700000001")
    assert [c.account_no for c in found] == ["7700000001", "7700000002", "7700000003"]
    assert west in found and caller in found
    # a handler sees only customers of orders they may see: none here
    assert selectors.customers_by_phone(actor("station"), "13700000001") == []


def test_customers_by_phone_keeps_anonymous_callers_from_handlers(org):
    # a new customer (no station): the city's marketing department leads
    order = intake(customer=cust("7700000005", "13700000005"), anonymous=True)
    for username, action, data in PATH[:4]:  # marketing accepts: it may see the order
        services.work_order_act(order=order.number, actor=actor(username), action=action, data=data)
    assert selectors.customers_by_phone(actor("marketing"), "13700000005") == []
    assert [c.account_no for c in selectors.customers_by_phone(actor("specialist"), "13700000005")] == ["7700000005"]
    named = intake(customer=cust("7700000005", "13700000005"))
    for username, action, data in PATH[:4]:
        services.work_order_act(order=named.number, actor=actor(username), action=action, data=data)
    assert [c.account_no for c in selectors.customers_by_phone(actor("marketing"), "13700000005")] == ["7700000005"]


# ------------------------------------------------------------------ the card


def test_card_lists_orders_with_words_and_the_repeat_warning(org):
    old = intake(customer=cust("7700000006", "13700000006"), category="business.tariff")
    for username, action, data in PATH:  # to archived, return visit satisfied
        services.work_order_act(order=old.number, actor=actor(username), action=action, data=data)
    WorkOrder.objects.filter(pk=old.pk).update(received_at=timezone.now() - timedelta(days=40))
    open_one = intake(customer=cust("7700000006", "13700000006"), category="business.metering")
    found = selectors.customer_visible_get(actor("agent"), "7700000006")
    card = selectors.customer_card(actor("agent"), *found, category="business.tariff")
    assert card.name == "陈东湖" and card.phone == "13700000006" and not card.masked
    assert card.open_count == 1 and card.station == ""
    by_number = {o.number: o for o in card.orders}
    assert by_number[old.number].state == "已归档" and by_number[old.number].visit_outcome == "满意"
    assert by_number[open_one.number].state == "已受理" and by_number[open_one.number].open
    # archived and 40 days old: outside the 30-day window → no repeat for tariff
    assert card.repeat_window_days == 30 and card.repeat == []
    # the open meter order makes a new meter complaint a repeat
    meter = selectors.customer_card(actor("agent"), *found, category="business.metering")
    assert [o.number for o in meter.repeat] == [open_one.number]
    # a recent archived order counts too
    WorkOrder.objects.filter(pk=old.pk).update(received_at=timezone.now() - timedelta(days=5))
    found = selectors.customer_visible_get(actor("agent"), "7700000006")
    assert [o.number for o in selectors.customer_card(actor("agent"), *found, category="business.tariff").repeat] == [old.number]


def test_card_names_the_station_and_the_sensitive_flag(east_customer):
    Customer.objects.filter(pk=east_customer.pk).update(sensitive=True)
    card = selectors.customer_card(actor("agent"), *selectors.customer_visible_get(actor("agent"), "7700000001"))
    assert card.station == "城关供电所" and card.sensitive and card.category == "居民"


def test_the_repeat_window_is_the_audited_scoring_rule(east_customer):
    from griddesk.assessment.models import ScoringRuleSet
    from griddesk.assessment.services import current_rule_set, scoring_rules_publish

    rules = dict(current_rule_set().rules, repeat_window_days=60)
    scoring_rules_publish(actor=actor("admin").user, rules=rules, note="60 天")
    assert selectors.repeat_window_days() == 60
    assert ScoringRuleSet.objects.order_by("-version").first().rules["repeat_window_days"] == 60


def test_card_is_masked_for_a_role_without_personal_data_rights(east_customer):
    found = selectors.customer_visible_get(actor("manager"), "7700000001")
    card = selectors.customer_card(actor("manager"), *found)
    assert card.masked and card.name == "陈**" and card.phone == "137****0001"


def test_card_orders_cost_a_fixed_number_of_queries(east_customer, django_assert_max_num_queries):
    for _ in range(4):
        intake(customer=cust("7700000001", "13700000001"))
    agent = actor("agent")
    found = selectors.customer_visible_get(agent, "7700000001")
    with django_assert_max_num_queries(3):  # the rule's window, the visits, the changes — whatever the orders
        card = selectors.customer_card(agent, *found, category="business.tariff")
    assert len(card.orders) == 4 and [o.category for o in card.orders]


# ------------------------------------------------------------------ the API


def test_api_intake_takes_the_area_and_the_phone_update(client_for, east_customer):
    r = client_for("agent").post("/api/v1/work-orders/", intake_payload(customer=None, anonymous=True, area="nope"),
                                 format="json")
    assert r.status_code == 400 and r.json()["code"] == "unknown_area"
    assert r.json()["errors"]["area"][0]["code"] == "unknown_area"
    r = client_for("agent").post("/api/v1/work-orders/", intake_payload(customer=None, anonymous=True, area="north"),
                                 format="json")
    assert r.status_code == 201 and r.json()["company"] == "north"
    r = client_for("agent").post(
        "/api/v1/work-orders/", intake_payload(customer=cust("7700000001", "13755556666"), update_customer_phone=True),
        format="json",
    )
    assert r.status_code == 201 and r.json()["company"] == "east"
    east_customer.refresh_from_db()
    assert east_customer.phone == "13755556666"
    assert CustomerChange.objects.get().order_number == r.json()["number"]
