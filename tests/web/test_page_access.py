"""One rule for pages a role may not open: 403 with a translated explanation.
(Objects outside the user's visibility stay 404 so their existence is not leaked.)"""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from griddesk.organisation.demo import DEMO_USERS

pytestmark = pytest.mark.django_db

#: Every staff page reachable by GET without an object id.
PAGES = [
    "/", "/orders/new/", "/inbox/", "/imports/",
    "/opinion/", "/opinion/new/", "/opinion/import/",
    "/satisfaction/", "/satisfaction/weights/", "/satisfaction/responses/", "/satisfaction/visits/",
    "/assessment/", "/assessment/training/", "/assessment/orders/",
]


def test_every_page_for_every_role_is_200_or_a_translated_403(org):
    seen_403 = set()
    for username, *_rest in DEMO_USERS:
        c = Client()
        c.force_login(get_user_model().objects.get(username=username))
        for page in PAGES:
            r = c.get(page)
            assert r.status_code in (200, 403), (username, page, r.status_code)
            if r.status_code == 403:
                body = r.content.decode()
                assert "无权访问" in body, (username, page)  # the 403 page, in Chinese
                assert 'id="forbidden-reason"' in body, (username, page)  # says why
                seen_403.add(page)
    assert {"/opinion/", "/assessment/", "/satisfaction/", "/imports/"} <= seen_403


def test_an_object_outside_the_users_visibility_stays_404(org, order_in):
    order = order_in("investigating")
    c = Client()
    c.force_login(get_user_model().objects.get(username="station"))
    assert c.get(f"/orders/{order.number}/").status_code == 404
    manager = Client()
    manager.force_login(get_user_model().objects.get(username="manager"))
    assert manager.get("/opinion/stories/999999/").status_code == 404
