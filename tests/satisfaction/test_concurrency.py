"""Two specialists recording the same visit at the same moment (PostgreSQL only)."""

from __future__ import annotations


import pytest
from django.contrib.auth import get_user_model
from django.db import connection

from griddesk.common.errors import Conflict
from griddesk.organisation.access import actor_for
from griddesk.satisfaction import services
from griddesk.satisfaction.models import VisitAttempt, VisitTask
from griddesk.workorders.models import ReturnVisit

from .test_visits import fed_back
from ..race import race

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="real concurrent transactions need PostgreSQL")




@pytest.mark.django_db(transaction=True)
def test_concurrent_outcomes_one_visit(org):
    order = fed_back()
    task = VisitTask.objects.get(order=order)
    users = get_user_model().objects.filter(username__in=["specialist", "admin"]).order_by("username")
    actors = [actor_for(u) for u in users]
    outcomes = ["satisfied", "unsatisfied"]
    results = race(2, lambda i: services.visit_outcome_record(
        task_id=task.pk, actor=actors[i], method="phone", outcome=outcomes[i], customer_words="不满意"))
    assert sum(isinstance(r, tuple) for r in results) == 1 and sum(isinstance(r, Conflict) for r in results) == 1, results
    assert ReturnVisit.objects.filter(order=order).count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_failed_attempts_count_exactly(org):
    order = fed_back()
    task = VisitTask.objects.get(order=order)
    actor = actor_for(get_user_model().objects.get(username="specialist"))
    results = race(5, lambda i: services.visit_attempt_record(task_id=task.pk, actor=actor, method="phone", reached=False))
    task.refresh_from_db()
    # 3 attempts close the visit; the later ones find it closed.
    assert task.state == "done" and task.outcome == "unreachable" and task.failed_attempts == 3
    assert VisitAttempt.objects.filter(task=task).count() == 3
    assert sum(isinstance(r, Conflict) for r in results) == 2, results
    assert ReturnVisit.objects.filter(order=order).count() == 1
