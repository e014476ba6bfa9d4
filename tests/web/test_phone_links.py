"""Tap-to-call: the customer's phone is a tel: link only where the number is shown unmasked."""

from __future__ import annotations

import re

from griddesk.satisfaction.models import VisitTask
from griddesk.web.templatetags.griddesk_web import phone_link


def test_phone_link_filter():
    assert phone_link({"phone": "138 1234-1234", "masked": False}) == '<a href="tel:13812341234" class="tel">138 1234-1234</a>'
    assert phone_link({"phone": "138****1234", "masked": True}) == "138****1234"
    assert phone_link({"phone": "138****1234", "masked": False}) == "138****1234"  # a star is never dialled
    assert phone_link({"phone": "", "masked": False}) == "—"
    assert phone_link(None) == "—"
    assert "<script>" not in phone_link({"phone": "<script>1</script>", "masked": False})


def _phone_cell(body: str) -> str:
    return re.search(r'<dd id="customer-phone">(.*?)</dd>', body, re.S).group(1)


def test_order_page_links_the_number_for_the_agent_not_for_the_masked_manager(web, order_in):
    order = order_in("received")
    assert _phone_cell(web("agent").get(f"/orders/{order.number}/").content.decode()) == (
        '<a href="tel:13812341234" class="tel">13812341234</a>'
    )
    manager = _phone_cell(web("manager").get(f"/orders/{order.number}/").content.decode())
    assert manager == "138****1234" and "tel:" not in manager


def test_return_visit_page_links_the_number_for_the_specialist(web, order_in):
    order = order_in("fed_back")
    task = VisitTask.objects.get(order=order, state="open")
    body = web("specialist").get(f"/satisfaction/visits/{task.pk}/").content.decode()
    assert '<span id="visit-phone"><a href="tel:13812341234" class="tel">13812341234</a></span>' in body
    listing = web("specialist").get("/satisfaction/visits/").content.decode()
    assert 'href="tel:13812341234"' in listing
