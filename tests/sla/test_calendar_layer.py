"""The effective calendar's cache, the services' own checks, and the Django admin."""

from __future__ import annotations

from datetime import date

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from griddesk.common.errors import Forbidden, InvalidInput
from griddesk.organisation.access import actor_for
from griddesk.sla import selectors, services
from griddesk.sla.models import CalendarOverride, ConfirmedYear
from griddesk.workorders import rules
from griddesk.workorders.models import RuleChange

NOTICE = "国务院办公厅关于2027年部分节假日安排的通知"


def actor(username):
    return actor_for(get_user_model().objects.get(username=username))


def test_effective_calendar_is_cached_against_a_one_query_fingerprint(org, django_assert_num_queries):
    first = selectors.effective_calendar()
    with django_assert_num_queries(1):
        assert rules.calendar() is first
    services.calendar_override_set(actor=actor("admin"), day=date(2027, 1, 4), is_workday=False, source_notice=NOTICE)
    changed = rules.calendar()
    assert changed is not first and changed.is_workday(date(2027, 1, 4)) is False
    assert changed.day_info(date(2027, 1, 4)).source == "override"
    services.calendar_year_confirm(actor=actor("admin"), year=2027, notice=NOTICE)
    assert rules.calendar().is_provisional_year(2027) is False


def test_the_cache_notices_changes_made_elsewhere(org):
    selectors.effective_calendar()
    # A write that bypasses the services (another process, a fixture) is still seen.
    CalendarOverride.objects.create(day=date(2027, 1, 5), is_workday=False, source_notice=NOTICE)
    assert selectors.effective_calendar().is_workday(date(2027, 1, 5)) is False
    CalendarOverride.objects.filter(day=date(2027, 1, 5)).update(is_workday=True)  # updated_at not touched by update()
    CalendarOverride.objects.filter(day=date(2027, 1, 5)).delete()
    ConfirmedYear.objects.create(year=2027, notice=NOTICE)
    cal = selectors.effective_calendar()
    assert cal.day_info(date(2027, 1, 5)).source == "rule" and cal.is_provisional_year(2027) is False


def test_services_refuse_non_administrators_and_bad_values(org):
    with pytest.raises(Forbidden):
        services.calendar_override_set(actor=actor("manager"), day=date(2027, 1, 4), is_workday=False, source_notice=NOTICE)
    with pytest.raises(Forbidden):
        services.calendar_year_confirm(actor=actor("specialist"), year=2027, notice=NOTICE)
    with pytest.raises(InvalidInput) as exc:
        services.calendar_override_set(actor=actor("admin"), day=date(2027, 1, 4), is_workday=False, source_notice="  ")
    assert exc.value.code == "required" and exc.value.field == "source_notice"
    with pytest.raises(InvalidInput) as exc:
        services.calendar_override_set(actor=actor("admin"), day=date(2200, 1, 4), is_workday=False, source_notice=NOTICE)
    assert exc.value.code == "out_of_range"
    assert not CalendarOverride.objects.exists()


def test_keyword_only(org):
    with pytest.raises(TypeError):
        services.calendar_override_set(actor("admin"), date(2027, 1, 4), False, NOTICE)  # type: ignore[misc]


@pytest.fixture
def admin_site(org):
    user = get_user_model().objects.get(username="admin")
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    c = Client()
    c.force_login(user)
    return c


def test_django_admin_goes_through_the_services(admin_site, django_capture_on_commit_callbacks):
    url = "/admin/sla/calendaroverride/add/"
    assert admin_site.get(url).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        r = admin_site.post(url, {"day": "2027-01-04", "is_workday": "", "source_notice": NOTICE, "note": "admin"})
    assert r.status_code == 302, r.content.decode()[:2000]
    o = CalendarOverride.objects.get(day=date(2027, 1, 4))
    assert o.is_workday is False and o.created_by.username == "admin"
    assert RuleChange.objects.filter(model="sla.CalendarOverride", change="create", actor__username="admin").exists()
    assert RuleChange.objects.filter(model="sla.DeadlineRecompute").count() == 1

    r = admin_site.post(f"/admin/sla/calendaroverride/{o.pk}/change/", {"is_workday": "on", "source_notice": NOTICE, "note": "x"})
    assert r.status_code == 302
    assert RuleChange.objects.filter(model="sla.CalendarOverride", change="update").count() == 1

    # Confirming a year without its notice's dates is refused by the form.
    r = admin_site.post("/admin/sla/confirmedyear/add/", {"year": "2028", "notice": "2028通知"})
    assert r.status_code == 200 and not ConfirmedYear.objects.filter(year=2028).exists()
    r = admin_site.post("/admin/sla/confirmedyear/add/", {"year": "2027", "notice": NOTICE})
    assert r.status_code == 302
    y = ConfirmedYear.objects.get(year=2027)
    assert y.confirmed_by.username == "admin"
    assert RuleChange.objects.filter(model="sla.ConfirmedYear", change="create").count() == 1

    r = admin_site.post(f"/admin/sla/confirmedyear/{y.pk}/delete/", {"post": "yes"})
    assert r.status_code == 302 and not ConfirmedYear.objects.exists()
    r = admin_site.post(
        "/admin/sla/calendaroverride/", {"action": "delete_selected", "_selected_action": [o.pk], "post": "yes"}
    )
    assert r.status_code == 302 and not CalendarOverride.objects.exists()
    assert RuleChange.objects.filter(model__in=["sla.CalendarOverride", "sla.ConfirmedYear"], change="delete").count() == 2


def test_django_admin_is_for_administrators_only(org):
    user = get_user_model().objects.get(username="manager")
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    c = Client()
    c.force_login(user)
    assert c.get("/admin/sla/calendaroverride/").status_code == 403
    assert c.get("/admin/sla/calendaroverride/add/").status_code == 403
