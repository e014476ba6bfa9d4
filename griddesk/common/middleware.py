from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qsl

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.http.request import RawPostDataException
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views import defaults

log = logging.getLogger(__name__)


class RequestTooBigMiddleware:
    """Answer an oversized body with 413 and the usual error shape.

    Django raises ``RequestDataTooBig`` lazily, when the body is first read; the
    default handling is a bare 400 page. API clients get JSON instead.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # DRF's parsers read the stream directly, bypassing Django's own body
        # limit, so the declared length is checked here before any view runs.
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        # Only the API: file uploads (imports) stream to disk and have their own
        # limits, and pages should not answer with JSON.
        if length > settings.DATA_UPLOAD_MAX_MEMORY_SIZE and request.path.startswith("/api/"):
            return self._too_big()
        return self.get_response(request)

    @staticmethod
    def _too_big() -> HttpResponse:
        return JsonResponse({"code": "request_too_large", "message": _("The request body is too large.")}, status=413)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, RequestDataTooBig):
            return self._too_big()
        return None


# A NUL escaped in JSON text: ``\u0000`` after an odd number of backslashes
# (``\\u0000`` is a backslash followed by the letters "u0000").
_JSON_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")
_FORM_TYPES = ("application/x-www-form-urlencoded",)


def _is_api(request: HttpRequest) -> bool:
    return request.path_info.startswith("/api/")


def _error_page(request: HttpRequest, *, status: int, code: str, title: str, message: str) -> HttpResponse:
    """A JSON error for the API, a plain page for the web. The page does not
    extend the site's layout: that reads the user (the database)."""
    if _is_api(request):
        return JsonResponse({"code": code, "message": message}, status=status)
    return render(request, "common/error.html", {"title": title, "message": message, "code": code}, status=status)


class NulCharacterMiddleware:
    """Refuse a NUL character in any input with 400 ``nul_character``.

    PostgreSQL cannot store or compare text containing NUL (psycopg raises
    ``ValueError``, a 500), and no field of this application has a use for
    one. Checked here, once, before sessions, tokens or views read anything:
    the path, the query string, cookies and headers, and the body of JSON and
    form posts (raw or escaped: ``%00``, ``\\u0000``), and the fields of
    multipart posts. Uploaded files are checked by their importers, row by row.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        where = self._nul_at(request)
        if where is not None:
            message = _("The request contains a NUL character (\\u0000 or %00).")
            if _is_api(request):
                error = {"code": "nul_character", "message": message}
                return JsonResponse({**error, "errors": {where: [error]}}, status=400)
            return render(request, "common/error.html",
                          {"title": _("Bad request"), "message": message, "code": "nul_character"}, status=400)
        return self.get_response(request)

    @staticmethod
    def _nul_at(request: HttpRequest) -> str | None:
        """Where the first NUL is: ``path``, a parameter or field name (dotted
        for nested JSON: ``customer.name``, ``items.3.text``), a header; None if nowhere."""
        if "\x00" in request.path_info or "\x00" in request.path:
            return "path"
        query = request.META.get("QUERY_STRING", "")
        if "\x00" in query or "%00" in query:
            return _first_key(parse_qsl(query, keep_blank_values=True)) or "query"
        for key, value in request.META.items():
            if key.startswith("HTTP_") and "\x00" in str(value):
                return key[5:].lower().replace("_", "-")
        if any("\x00" in k or "\x00" in v for k, v in request.COOKIES.items()):
            return "cookie"  # (a quoted cookie may spell it "\\000")
        content_type = (request.content_type or "").lower()
        is_json = content_type == "application/json" or content_type.endswith("+json")
        if is_json or content_type in _FORM_TYPES:
            try:
                length = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = 0
            if not length or length > settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
                return None  # nothing to read, or refused with 413 further on
            try:
                body = request.body
            except (RequestDataTooBig, RawPostDataException):
                return None
            if is_json:
                if b"\x00" not in body and _JSON_NUL.search(body) is None:
                    return None
                return _json_path(body) or "body"
            if b"\x00" not in body and b"%00" not in body:
                return None
            return _first_key(parse_qsl(body.decode("latin-1"), keep_blank_values=True)) or "body"
        if content_type == "multipart/form-data" and request.method == "POST":
            try:  # the fields, not the files (parsed once; DRF reuses request.POST)
                fields = request.POST
            except (MultiPartParserError, RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent):
                return None  # the view answers that as before
            return _first_key((k, v) for k, vs in fields.lists() for v in vs)
        return None


def _first_key(pairs: Iterable[tuple[str, str]]) -> str | None:
    for key, value in pairs:
        if "\x00" in key or "\x00" in value:
            return key.replace("\x00", "") or "body"
    return None


def _json_path(body: bytes) -> str | None:
    """The dotted path of the first string (value or key) holding a NUL."""
    from .parsers import json_depth_exceeds

    if json_depth_exceeds(body, settings.GRIDDESK_JSON_MAX_DEPTH):
        return None
    try:
        data = json.loads(body)
    except ValueError:
        return None  # raw NUL bytes: not JSON at all
    stack: list[tuple[str, Any]] = [("", data)]
    while stack:
        path, node = stack.pop()
        items: Iterable[tuple[Any, Any]]
        if isinstance(node, dict):
            items = node.items()
        elif isinstance(node, list):
            items = enumerate(node)
        else:
            if isinstance(node, str) and "\x00" in node:
                return path or None
            continue
        for key, value in reversed(list(items)):
            name = str(key).replace("\x00", "")
            child = f"{path}.{name}" if path else name
            if "\x00" in str(key):
                return child or None
            stack.append((child, value))
    return None


DATABASE_DOWN = (OperationalError, InterfaceError)


def database_unavailable(request: HttpRequest) -> HttpResponse:
    return _error_page(
        request, status=503, code="database_unavailable", title=_("Service unavailable"),
        message=_("The database is not reachable. Please try again in a moment."),
    )


class DatabaseUnavailableMiddleware:
    """While the database is down (connection refused, connection lost), answer
    503 ``database_unavailable`` — JSON for the API, a plain page for the web —
    instead of Django's HTML "Server Error (500)". DRF re-raises exceptions its
    handler does not know, so API views end up here too. (``handler500`` does
    the same for a database error raised outside a view.)"""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, DATABASE_DOWN):
            log.warning("database unavailable (%s %s): %s", request.method, request.path, exception)
            return database_unavailable(request)
        return None


def server_error(request: HttpRequest) -> HttpResponse:
    """``handler500``: a database outage is a 503 (see above); any other
    unhandled error a 500 — JSON with a code for the API."""
    exc = sys.exc_info()[1]
    if isinstance(exc, DATABASE_DOWN):
        return database_unavailable(request)
    if _is_api(request):
        return JsonResponse({"code": "server_error", "message": _("An internal error occurred.")}, status=500)
    return defaults.server_error(request)
