"""Two work queues (ADR 0021): a 4-row import does not wait behind a burst of
notice deliveries. Real django-q2 machinery on the ORM broker: the tasks are
queued as OrmQ rows and taken by django-q2's own pusher → worker → monitor,
as a cluster's processes do, for one cluster name."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from multiprocessing import Event, Queue, Value
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django_q.brokers import get_broker
from django_q.models import OrmQ, Task
from django_q.monitor import monitor
from django_q.pusher import pusher
from django_q.worker import worker

from griddesk.common.queues import BACKGROUND, INTERACTIVE, cluster_name, clusters
from griddesk.imports import services as import_services
from griddesk.notifications.models import Delivery, Kind
from griddesk.notifications.services import Notice, notices_create
from griddesk.organisation.access import actor_for
from griddesk.workorders.models import WorkOrder
from tests.web import test_imports as rows

ROOT = Path(__file__).resolve().parents[2]


def run_cluster(name: str) -> int:
    """What one cluster's processes do until its queue is empty: the pusher
    takes tasks of *its* queue (broker key = cluster name), a worker runs them,
    the monitor stores the results and acknowledges. Returns the tasks run."""
    broker = get_broker(name)
    ran = 0
    while broker.queue_size():
        task_queue: Queue = Queue()
        result_queue: Queue = Queue()
        stop = Event()
        stop.set()  # one round of the pusher
        pusher(task_queue, stop, broker=broker)
        n = task_queue.qsize()
        task_queue.put("STOP")
        worker(task_queue, result_queue, Value("f", -1))
        result_queue.put("STOP")
        monitor(result_queue, broker=broker)
        ran += n
    return ran


@pytest.mark.django_db(transaction=True)  # the worker closes connections, as in a real cluster
def test_import_runs_on_its_own_queue_ahead_of_a_burst_of_deliveries(org, settings):
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "sync": False}
    settings.GRIDDESK_NOTICE_DIGEST = {"window_minutes": 10, "threshold": 0}  # one delivery task per notice
    specialist = get_user_model().objects.get(username="specialist")
    burst = 60
    notices_create([
        Notice(specialist.pk, None, Kind.URGED, f"通知 {i}", "", f"queue-test:{i}") for i in range(burst)
    ])
    background = cluster_name(BACKGROUND)
    assert OrmQ.objects.filter(key=background).count() == burst  # one delivery task per notice (log sender)
    agent = actor_for(get_user_model().objects.get(username="agent"))
    job = import_services.import_job_create(
        actor=agent, filename="four.csv", data=rows.csv_bytes([rows.good_row(i) for i in range(1, 5)])
    )
    assert OrmQ.objects.filter(key=INTERACTIVE).count() == 1

    assert run_cluster(INTERACTIVE) == 1
    job.refresh_from_db()
    assert (job.state, job.created) == ("done", 4) and WorkOrder.objects.count() == 4
    assert Task.objects.get(name=f"import-{job.pk}").success
    # The burst is untouched, still queued for the background workers.
    assert OrmQ.objects.filter(key=background).count() == burst
    assert Delivery.objects.filter(channel="log", state="pending").count() == burst

    # The background cluster serves its own queue only.
    assert run_cluster(background) == burst
    assert Delivery.objects.filter(channel="log", state="sent").count() == burst
    assert not OrmQ.objects.exists()


def test_serve_starts_a_cluster_per_queue_with_its_settings():
    assert clusters() == ["griddesk", "interactive"]
    code = (
        "import django, json; django.setup(); from django_q.conf import Conf; "
        "print(json.dumps([Conf.CLUSTER_NAME, Conf.PREFIX, Conf.WORKERS, Conf.TIMEOUT, Conf.RETRY]))"
    )
    seen = {}
    for name in clusters():
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "griddesk.settings", "Q_CLUSTER_NAME": name, "PYTHONPATH": str(ROOT)}
        out = subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True, check=True)
        seen[name] = json.loads(out.stdout.strip().splitlines()[-1])
    # Same signing prefix (one site), own queue names; imports may run an hour.
    assert seen["griddesk"][:2] == ["griddesk", "griddesk"] and seen["griddesk"][3:] == [120, 300]
    assert seen["interactive"][:2] == ["interactive", "griddesk"] and seen["interactive"][3:] == [3600, 3660]
