"""Errors that reach API clients: a stable ``code`` plus a translated ``message``.

Every error body has the same shape::

    {"code": "validation_error", "message": "…",
     "errors": {"field": [{"code": "required", "message": "该字段是必填项。"}]}}

Codes never change with the language; messages do (Chinese by default).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler


class ServiceError(Exception):
    """Raised by services; turned into an HTTP error by the API layer."""

    status_code: int = status.HTTP_400_BAD_REQUEST
    code: str = "invalid"

    def __init__(self, message: str, *, code: str | None = None, field: str | None = None, **extra: Any) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.field = field
        self.extra = extra

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message, **self.extra}
        if self.field:
            body["errors"] = {self.field: [{"code": self.code, "message": self.message}]}
        return body


class InvalidInput(ServiceError):
    status_code = status.HTTP_400_BAD_REQUEST
    code = "invalid"


class Forbidden(ServiceError):
    status_code = status.HTTP_403_FORBIDDEN
    code = "permission_denied"


class NotFound(ServiceError):
    status_code = status.HTTP_404_NOT_FOUND
    code = "not_found"


class Conflict(ServiceError):
    status_code = status.HTTP_409_CONFLICT
    code = "conflict"


def error_details(detail: Any) -> Any:
    """DRF's ``get_full_details`` shape, flattened to lists of {code, message}."""
    if isinstance(detail, dict):
        return {k: error_details(v) for k, v in detail.items()}
    if isinstance(detail, list):
        if all(isinstance(d, dict) and set(d) == {"message", "code"} for d in detail):
            return detail
        return [error_details(d) for d in detail]
    return detail


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, ServiceError):
        return Response(exc.body(), status=exc.status_code)
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(detail=exc.message_dict if hasattr(exc, "error_dict") else exc.messages)
    if isinstance(exc, Http404):
        return Response({"code": "not_found", "message": _("Not found.")}, status=404)
    if isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    response = exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        errors = error_details(exc.get_full_details())
        if isinstance(errors, list):
            errors = {"non_field_errors": errors}
        response.data = {"code": "validation_error", "message": _("The request has invalid fields."), "errors": errors}
    elif isinstance(exc, exceptions.APIException):
        full = exc.get_full_details()
        if isinstance(full, dict) and "message" in full:
            response.data = {"code": full.get("code", exc.default_code), "message": str(full["message"])}
        else:
            response.data = {"code": exc.default_code, "message": str(exc.detail), "errors": error_details(full)}
    return response


def not_found_view(request: Any, exception: Exception | None = None) -> Any:
    """``handler404``: an /api/ URL that matches no route (a non-numeric id
    where the route takes an integer, a typo) answers in the error shape above;
    pages keep Django's HTML 404."""
    from django.http import JsonResponse
    from django.views.defaults import page_not_found

    if request.path.startswith("/api/"):
        return JsonResponse({"code": "not_found", "message": _("Not found.")}, status=404)
    return page_not_found(request, exception)
