from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.utils import timezone

from griddesk.webhooks.models import Delivery


@dataclass
class Got:
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Center:
    """A real HTTP server on 127.0.0.1 acting as the 95598 center: records each
    request and answers the next of ``answers`` (status, body), then ``default``."""

    port: int = 0
    got: list[Got] = field(default_factory=list)
    answers: list[tuple[int, bytes]] = field(default_factory=list)
    default: tuple[int, bytes] = (200, b'{"ack": true, "receipt": "HZ-0001"}')

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/95598/reply"


@pytest.fixture
def center() -> Iterator[Center]:
    rec = Center()
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            with lock:
                rec.got.append(Got(self.path, {k.lower(): v for k, v in self.headers.items()}, body))
                status, payload = rec.answers.pop(0) if rec.answers else rec.default
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    rec.port = server.server_address[1]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield rec
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(autouse=True)
def center_settings(settings: Any) -> None:
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "sync": True}
    settings.GRIDDESK_WEBHOOK_ALLOWED_HOSTS = "127.0.0.1"
    settings.LANGUAGE_CODE = "zh-hans"


@pytest.fixture
def committed(django_capture_on_commit_callbacks: Any):
    def run(fn: Any, *args: Any, **kwargs: Any) -> Any:
        with django_capture_on_commit_callbacks(execute=True):
            return fn(*args, **kwargs)

    return run


@pytest.fixture
def configure(client_for: Any):
    """Configure the center's endpoint through the API; returns its secret."""

    def make(url: str) -> str:
        r = client_for("admin").put("/api/v1/center/endpoint/", {"url": url}, format="json")
        assert r.status_code == 201, r.content
        return str(r.json()["secret"])

    return make


@pytest.fixture
def walk(committed: Any, act: Any):
    """Drive an order through actions (admin acts; the manager confirms: four eyes)."""

    def run(number: str, steps: list[tuple[str, dict[str, Any]]]) -> None:
        for action, data in steps:
            extra = {"reason": "同一客户再次投诉"} if action == "grade" else {}  # a repeat complaint is suggested higher
            committed(act, "manager" if action == "confirm_report" else "admin", number, action, **data, **extra)

    return run


def make_due(delivery: Delivery) -> None:
    past = timezone.now() - timedelta(minutes=10)
    Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=past, queued_at=past)
