from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from griddesk.webhooks import event_types

ALL = [e.type for e in event_types.EVENT_TYPES]


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    """A real HTTP server on 127.0.0.1: records every request, answers the
    next status of ``answers`` (then ``default``); 3xx answers redirect to /elsewhere."""

    port: int = 0
    got: list[Received] = field(default_factory=list)
    answers: list[int] = field(default_factory=list)
    default: int = 200

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def bodies(self, path: str = "/hook") -> list[Any]:
        return [r.json for r in self.got if r.path == path]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    rec = Receiver()
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            with lock:
                rec.got.append(Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body))
                status = rec.answers.pop(0) if rec.answers else rec.default
            self.send_response(status)
            if 300 <= status < 400:
                self.send_header("Location", f"http://127.0.0.1:{rec.port}/elsewhere")
            payload = b"ok" if status < 300 else b"x" * 2000
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    rec.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield rec
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(autouse=True)
def webhook_settings(settings: Any) -> None:
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "sync": True}
    settings.GRIDDESK_WEBHOOK_ALLOWED_HOSTS = "127.0.0.1"


@pytest.fixture
def subscribe(client_for: Any):
    def make(url: str, events: list[str] | None = None, **extra: Any) -> tuple[int, str]:
        r = client_for("admin").post("/api/v1/webhooks/", {"url": url, "events": events or ALL, **extra}, format="json")
        assert r.status_code == 201, r.content
        body = r.json()
        assert body["secret"].startswith("whsec_")
        return body["id"], body["secret"]

    return make


@pytest.fixture
def committed(django_capture_on_commit_callbacks: Any):
    """Run ``fn`` as if its transaction committed (the on-commit queueing runs)."""

    def run(fn: Any, *args: Any, **kwargs: Any) -> Any:
        with django_capture_on_commit_callbacks(execute=True):
            return fn(*args, **kwargs)

    return run
