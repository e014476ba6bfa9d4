"""What the access logs need to know about the request being served, without
passing the request through every selector and serializer: its path and the
client's address, held in a context variable for the request's duration.

``RequestContextMiddleware`` also marks every API response and every page
served to a browser with a session (a signed-in user) ``Cache-Control: no-store``: they may carry personal
data, which no browser or proxy cache should keep (static files are served
before this middleware and keep their long cache lifetimes)."""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest, HttpResponse


@dataclass(frozen=True)
class RequestMeta:
    path: str
    ip: str | None


_current: ContextVar[RequestMeta | None] = ContextVar("griddesk_request_meta", default=None)


def current() -> RequestMeta | None:
    """The request being served on this thread, or None (commands, tasks)."""
    return _current.get()


def _meta(request: HttpRequest) -> RequestMeta:
    path = request.get_full_path()
    return RequestMeta(path=path[:500], ip=request.META.get("REMOTE_ADDR") or None)


class RequestContextMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = _current.set(_meta(request))
        try:
            response = self.get_response(request)
        finally:
            _current.reset(token)
        # A session cookie marks a signed-in browser; asking request.user would
        # load the session (a database read) while answering.
        if "Cache-Control" not in response and (
            request.path.startswith("/api/") or settings.SESSION_COOKIE_NAME in request.COOKIES
        ):
            response["Cache-Control"] = "no-store"
        return response
