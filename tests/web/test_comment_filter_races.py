"""Retries and double clicks at the same moment (PostgreSQL: real concurrent
transactions): one comment per client key, never more than 20 saved filters,
and a comment does not make a concurrent action lose."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.db import connection

from griddesk.organisation.access import actor_for
from griddesk.web import services as web_services
from griddesk.web.models import MAX_SAVED_FILTERS, SavedQueueFilter
from griddesk.workorders import services
from griddesk.workorders.models import WorkOrder, WorkOrderComment

from ..race import race
from ..walk import new_order

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="real concurrent transactions need PostgreSQL (make test runs it)"
)


@pytest.mark.django_db(transaction=True)
def test_concurrent_retries_with_one_key_make_one_comment(org):
    order = new_order()
    agent = actor_for(get_user_model().objects.get(username="agent"))
    results = race(4, lambda i: services.order_comment_add(order=order.number, actor=agent, body="重复提交", client_key="same"))
    assert all(isinstance(r, tuple) for r in results), results
    assert sorted(created for _c, created in results) == [False, False, False, True]
    assert len({c.pk for c, _created in results}) == 1
    assert WorkOrderComment.objects.filter(order=order).count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_comment_and_an_action_at_once_both_succeed(org):
    order = new_order()
    users = get_user_model().objects
    agent, admin = actor_for(users.get(username="agent")), actor_for(users.get(username="admin"))
    version = order.version

    def go(i):
        if i == 0:
            return services.order_comment_add(order=order.number, actor=agent, body="同时备注")
        return services.work_order_act(order=order.number, actor=admin, action="forward", data={"version": version})

    results = race(2, go)
    assert not any(isinstance(r, Exception) for r in results), results
    assert WorkOrder.objects.get(pk=order.pk).version == version + 1  # the forward's, not the comment's


@pytest.mark.django_db(transaction=True)
def test_concurrent_saves_never_pass_the_limit(org):
    agent = get_user_model().objects.get(username="agent")
    for i in range(MAX_SAVED_FILTERS - 2):
        web_services.queue_filter_save(user=agent, name=f"f{i}", query="grade=1")
    results = race(5, lambda i: web_services.queue_filter_save(user=agent, name=f"race{i}", query="grade=2"))
    assert sum(isinstance(r, SavedQueueFilter) for r in results) == 2, results
    assert SavedQueueFilter.objects.filter(user=agent).count() == MAX_SAVED_FILTERS
