"""One HTTP POST to a checked target (stdlib ``http.client``): connects to
the address the SSRF guard approved, sends the Host (and TLS server name) of
the URL, follows no redirect, gives up after ``TIMEOUT_SECONDS``.

A :class:`Connections` pool lets the posts of one batch of deliveries reuse a
kept-alive connection per target (address, port, host); it is closed when the
batch ends, so no connection outlives one task."""

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


def _connect(address: str, port: int, timeout: float | None) -> socket.socket:
    sock = socket.create_connection((address, port), timeout)
    # http.client sends the headers and the body in two writes: without
    # TCP_NODELAY the body waits for the peer's delayed ACK of the headers
    # (40 ms on Linux) on every post over a kept-alive connection.
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


class _PinnedHTTPS(http.client.HTTPSConnection):
    def __init__(self, host: str, address: str, port: int, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = address

    def connect(self) -> None:
        sock = _connect(self._address, self.port, self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]


class _PinnedHTTP(http.client.HTTPConnection):
    def __init__(self, host: str, address: str, port: int, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = _connect(self._address, self.port, self.timeout)


#: A kept-alive connection is reused only when the answer's body was read whole within this many bytes.
KEEP_ALIVE_MAX_BODY = 64 * 1024

_Key = tuple[str, str, str, int]


class Connections:
    """Kept-alive connections of one batch, one per target; ``close()`` ends them all."""

    def __init__(self) -> None:
        self._idle: dict[_Key, http.client.HTTPConnection] = {}

    def take(self, key: _Key) -> http.client.HTTPConnection | None:
        return self._idle.pop(key, None)

    def give_back(self, key: _Key, conn: http.client.HTTPConnection) -> None:
        old = self._idle.pop(key, None)
        if old is not None:
            old.close()
        self._idle[key] = conn

    def close(self) -> None:
        for conn in self._idle.values():
            conn.close()
        self._idle.clear()


def _send(conn: http.client.HTTPConnection, target: Target, body: bytes, headers: dict[str, str],
          keep: bool) -> tuple[Response, bool]:
    start = time.monotonic()
    conn.request("POST", target.path, body=body, headers={
        "Content-Type": "application/json", "User-Agent": "GridDesk-Webhooks/1", **headers,
    })
    resp = conn.getresponse()
    raw = resp.read(KEEP_ALIVE_MAX_BODY if keep else 4 * EXCERPT_CHARS)
    latency = int((time.monotonic() - start) * 1000)
    reusable = keep and not resp.will_close and resp.isclosed()  # the whole body was read
    return Response(resp.status, raw.decode("utf-8", "replace")[:EXCERPT_CHARS], latency), reusable


def post(target: Target, body: bytes, headers: dict[str, str], timeout: float = TIMEOUT_SECONDS,
         connections: Connections | None = None) -> Response:
    """POST ``body``; raises OSError / http.client.HTTPException when no answer came.

    With ``connections`` a kept-alive connection to the same target is reused
    (and kept for the next post when the answer allows it). If a reused
    connection turns out to have been closed by the peer before answering, the
    post is sent once more on a new connection (the receiver dedupes on
    ``webhook-id`` should it have got the first one)."""
    cls = _PinnedHTTPS if target.scheme == "https" else _PinnedHTTP
    key: _Key = (target.scheme, target.addresses[0], target.host, target.port)
    conn = connections.take(key) if connections is not None else None
    if conn is not None:
        try:
            resp, reusable = _send(conn, target, body, headers, True)
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
            conn.close()
        else:
            if reusable and connections is not None:
                connections.give_back(key, conn)
            else:
                conn.close()
            return resp
    conn = cls(target.host, target.addresses[0], target.port, timeout)
    reusable = False
    try:
        resp, reusable = _send(conn, target, body, headers, connections is not None)
        return resp
    finally:
        if reusable and connections is not None:
            connections.give_back(key, conn)
        else:
            conn.close()
