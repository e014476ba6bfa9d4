"""One HTTP POST to a checked target (stdlib ``http.client``): connects to
the address the SSRF guard approved, sends the Host (and TLS server name) of
the URL, follows no redirect, gives up after ``TIMEOUT_SECONDS``."""

from __future__ import annotations

import http.client
import socket
import ssl
import time
from dataclasses import dataclass

from .ssrf import Target

TIMEOUT_SECONDS = 15
EXCERPT_CHARS = 500


@dataclass(frozen=True)
class Response:
    status: int
    excerpt: str
    latency_ms: int


class _PinnedHTTPS(http.client.HTTPSConnection):
    def __init__(self, host: str, address: str, port: int, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]


class _PinnedHTTP(http.client.HTTPConnection):
    def __init__(self, host: str, address: str, port: int, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


def post(target: Target, body: bytes, headers: dict[str, str], timeout: float = TIMEOUT_SECONDS) -> Response:
    """POST ``body``; raises OSError / http.client.HTTPException when no answer came."""
    cls = _PinnedHTTPS if target.scheme == "https" else _PinnedHTTP
    conn = cls(target.host, target.addresses[0], target.port, timeout)
    start = time.monotonic()
    try:
        conn.request("POST", target.path, body=body, headers={
            "Content-Type": "application/json", "User-Agent": "GridDesk-Webhooks/1", **headers,
        })
        resp = conn.getresponse()
        raw = resp.read(4 * EXCERPT_CHARS)
        latency = int((time.monotonic() - start) * 1000)
        return Response(resp.status, raw.decode("utf-8", "replace")[:EXCERPT_CHARS], latency)
    finally:
        conn.close()
