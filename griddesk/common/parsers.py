"""The API's one JSON parser (``REST_FRAMEWORK["DEFAULT_PARSER_CLASSES"]``).

Two checks before a view sees the body, each answered with 400 and a stable code:

``json_too_deep``  nesting deeper than ``GRIDDESK_JSON_MAX_DEPTH`` (64). The
                   bytes are scanned for bracket depth (brackets inside strings
                   do not count) *before* ``json.loads`` recurses: 10,000 nested
                   brackets used to end in a ``RecursionError`` (500).
``invalid_body``   the top level is not an object (``[1]``, ``"x"``, ``null``).
                   A view that also takes a bare list (bulk intake) says so with
                   ``json_list_body = True``.

NUL characters are refused earlier, for every input, by
:class:`griddesk.common.middleware.NulCharacterMiddleware`.
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping
from typing import IO, Any

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework import exceptions, parsers

# A whole JSON string (skipped), or one bracket.
_TOKEN = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"|[\[{]|[\]}]', re.S)


def json_depth_exceeds(raw: bytes, limit: int) -> bool:
    """True if ``raw`` (JSON text) nests arrays/objects deeper than ``limit``."""
    if raw.count(b"[") + raw.count(b"{") <= limit:
        return False  # cannot be deeper than the number of openers
    depth = 0
    for m in _TOKEN.finditer(raw):
        c = m.group()
        if c in (b"[", b"{"):
            depth += 1
            if depth > limit:
                return True
        elif c in (b"]", b"}"):
            depth -= 1
    return False


class JSONParser(parsers.JSONParser):
    def parse(self, stream: IO[bytes] | None, media_type: str | None = None,
              parser_context: Mapping[str, Any] | None = None) -> Any:
        raw = stream.read() if stream is not None else b""
        if json_depth_exceeds(raw, settings.GRIDDESK_JSON_MAX_DEPTH):
            raise exceptions.ParseError(
                _("The JSON body is nested more than %(n)d levels deep.") % {"n": settings.GRIDDESK_JSON_MAX_DEPTH},
                code="json_too_deep",
            )
        data = super().parse(io.BytesIO(raw), media_type, parser_context)
        view = (parser_context or {}).get("view")
        allowed: tuple[type, ...] = (dict, list) if getattr(view, "json_list_body", False) else (dict,)
        if not isinstance(data, allowed):
            raise exceptions.ParseError(
                _("The body must be a JSON object.") if allowed == (dict,) else _("The body must be a JSON object or list."),
                code="invalid_body",
            )
        return data
