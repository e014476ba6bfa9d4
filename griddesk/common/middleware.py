from __future__ import annotations

import re
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _


_ATTACHMENT_UPLOAD = re.compile(r"^/api/v1/work-orders/[^/]+/attachments/$")
#: Room for the multipart envelope, stage and note around an attachment.
_MULTIPART_OVERHEAD = 64 * 1024


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
            if _ATTACHMENT_UPLOAD.match(request.path):
                # Attachments have their own, editable limit (griddesk.attachments).
                from griddesk.attachments.selectors import attachment_rule

                limit = attachment_rule().max_bytes
                if length > limit + _MULTIPART_OVERHEAD:
                    return JsonResponse(
                        {"code": "file_too_large", "message": _("The file is larger than %(limit)s MB.")
                         % {"limit": round(limit / 1024 / 1024, 1)}, "limit": limit},
                        status=413,
                    )
                return self.get_response(request)
            return self._too_big()
        return self.get_response(request)

    @staticmethod
    def _too_big() -> HttpResponse:
        return JsonResponse({"code": "request_too_large", "message": _("The request body is too large.")}, status=413)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, RequestDataTooBig):
            return self._too_big()
        return None
