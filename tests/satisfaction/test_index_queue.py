"""Queued index computations: refused for the read-only leader, one at a time
per questionnaire / period / segment for everyone else."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.utils import timezone
from django_q.models import OrmQ

from griddesk.common.queues import INTERACTIVE
from griddesk.satisfaction import defaults, index
from griddesk.satisfaction.models import IndexSnapshot, Questionnaire

from ..race import race

pytestmark = pytest.mark.django_db

URL = "/api/v1/satisfaction/index/"


@pytest.fixture
def queued(settings):
    """Tasks go to the ORM broker (not run inline), as in production."""
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "sync": False}


def test_leader_may_not_queue_or_refresh_the_index(org, client_for, queued):
    q = Questionnaire.objects.get(code=defaults.DEFAULT_CODE)
    leader = client_for("leader")
    r = leader.post(URL, {"questionnaire": q.code}, format="json")
    assert r.status_code == 403, r.content
    assert r.json()["code"] == "index_compute_forbidden" and r.json()["message"] == "您的角色无权重新计算指数。"
    r = leader.get(f"{URL}?questionnaire={q.code}&refresh=1")
    assert r.status_code == 403 and r.json()["code"] == "index_compute_forbidden"
    assert not IndexSnapshot.objects.exists() and not OrmQ.objects.exists()
    # Reading stays allowed for the leader.
    assert leader.get(f"{URL}?questionnaire={q.code}").status_code == 200


def test_repeated_request_returns_the_queued_computation(org, client_for, queued, django_capture_on_commit_callbacks):
    q = Questionnaire.objects.get(code=defaults.DEFAULT_CODE)
    manager = client_for("manager")
    with django_capture_on_commit_callbacks(execute=True):
        first = manager.post(URL, {"questionnaire": q.code, "period": "2026-10"}, format="json")
    assert first.status_code == 202 and first.json()["state"] == "pending"
    with django_capture_on_commit_callbacks(execute=True):
        again = [client_for(u).post(URL, {"questionnaire": q.code, "period": "2026-10"}, format="json")
                 for u in ("manager", "specialist", "admin")]
    assert [r.status_code for r in again] == [200, 200, 200]
    assert {r.json()["id"] for r in again} == {first.json()["id"]}
    # Other parameters are another computation.
    with django_capture_on_commit_callbacks(execute=True):
        other = manager.post(URL, {"questionnaire": q.code, "period": "2026-11"}, format="json")
    assert other.status_code == 202 and other.json()["id"] != first.json()["id"]
    assert IndexSnapshot.objects.filter(state="pending").count() == 2
    # One task each, on the interactive queue.
    assert OrmQ.objects.filter(key=INTERACTIVE).count() == 2 and OrmQ.objects.count() == 2
    # Once it has run, a new request queues a new computation.
    index.snapshot_run(snapshot_id=first.json()["id"])
    with django_capture_on_commit_callbacks(execute=True):
        later = manager.post(URL, {"questionnaire": q.code, "period": "2026-10"}, format="json")
    assert later.status_code == 202 and later.json()["id"] != first.json()["id"]


def test_abandoned_computation_is_failed_and_queued_anew(org, queued):
    q = Questionnaire.objects.get(code=defaults.DEFAULT_CODE)
    old, created = index.index_queue(questionnaire=q)
    assert created
    IndexSnapshot.objects.filter(pk=old.pk).update(created_at=timezone.now() - index.PENDING_STALE_AFTER - timedelta(minutes=1))
    new, created = index.index_queue(questionnaire=q)
    assert created and new.pk != old.pk
    old.refresh_from_db()
    assert old.state == "failed" and "abandoned" in old.message


def test_the_database_refuses_a_second_pending_snapshot(org):
    from django.db import IntegrityError, transaction

    q = Questionnaire.objects.get(code=defaults.DEFAULT_CODE)
    IndexSnapshot.objects.create(questionnaire=q, period="2026", segment="")
    with pytest.raises(IntegrityError), transaction.atomic():
        IndexSnapshot.objects.create(questionnaire=q, period="2026", segment="")
    IndexSnapshot.objects.create(questionnaire=q, period="2026", segment="", state="done")  # finished ones may repeat


@pytest.mark.skipif(connection.vendor != "postgresql", reason="real concurrent transactions need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_queue_one_computation(org, settings):
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "sync": False}
    q = Questionnaire.objects.get(code=defaults.DEFAULT_CODE)
    users = ["manager", "specialist", "admin", "manager", "specialist", "admin"]
    tokens = {u: Token.objects.get_or_create(user=get_user_model().objects.get(username=u))[0].key for u in set(users)}

    def post(i: int):
        c = APIClient()
        c.credentials(HTTP_AUTHORIZATION=f"Token {tokens[users[i]]}")
        return c.post(URL, {"questionnaire": q.code, "segment": "area=east"}, format="json")

    responses = race(len(users), post)
    codes = sorted(r.status_code for r in responses)
    assert codes == [200] * 5 + [202], [getattr(r, "content", r) for r in responses]
    assert len({r.json()["id"] for r in responses}) == 1
    assert IndexSnapshot.objects.filter(state="pending").count() == 1
    assert OrmQ.objects.filter(key=INTERACTIVE).count() == 1
