"""Brute-force protection on top of django-axes (ADR 0020).

Two limits, one per entry of ``AXES_LOCKOUT_PARAMETERS``
(``GRIDDESK_LOCKOUT_LIMITS``): a few wrong passwords for one user from one
address, and more failures of any kind (passwords for any user, bad API
tokens) from one address. Axes itself knows one limit; the handler below
scales each count to it, so axes' own "locked?" decisions (the login backend,
the failure signal, the lockout answer) all see both limits.

Token failures carry no user name: they count only towards the address's
limit. The answer to a locked-out request says so in Chinese: the login page
again with the notice (status 429), or on the API
``{"code": "locked_out", "message": …}`` with ``Retry-After``.
"""

from __future__ import annotations

from typing import Any

from axes.backends import AxesStandaloneBackend
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username, get_lockout_parameters
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.db.models import Sum
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import exceptions, status

LOCKED_OUT = "locked_out"


def cooloff_seconds() -> int:
    return int(settings.AXES_COOLOFF_TIME.total_seconds())


def lockout_message() -> str:
    minutes = max(1, round(cooloff_seconds() / 60))
    return _(
        "Too many failed log-in attempts: locked for %(minutes)d minutes. "
        "Try again later or ask an administrator to unlock the account."
    ) % {"minutes": minutes}


class LockoutHandler(AxesDatabaseHandler):
    def get_failures(self, request: HttpRequest, credentials: dict[str, Any] | None = None) -> int:
        limit = settings.AXES_FAILURE_LIMIT
        username = get_client_username(request, credentials)
        parameters = get_lockout_parameters(request, credentials)
        attempts_list = self.get_user_attempts(request, credentials)
        worst = 0
        for parameter, attempts, own in zip(parameters, attempts_list, settings.GRIDDESK_LOCKOUT_LIMITS, strict=True):
            names = [parameter] if isinstance(parameter, str) else list(parameter)
            if username is None and "username" in names:
                continue  # a bad token: only the address's limit applies
            failures = attempts.aggregate(n=Sum("failures_since_start"))["n"] or 0
            # failures * limit // own >= limit exactly when failures >= own
            worst = max(worst, failures * limit // own)
        return worst

    def reset_user_attempts(self, request: HttpRequest, credentials: dict[str, Any] | None = None) -> int:
        """After a successful login: forget this user's failures from this
        address only. (Axes would delete every matching set, the address's
        count too, and anyone with an account could wipe it between guesses.)"""
        username = get_client_username(request, credentials)
        count, _ = AccessAttempt.objects.filter(username=username, ip_address=request.axes_ip_address).delete()
        return count


class LockoutBackend(AxesStandaloneBackend):
    """Axes' backend, but a check without a request (a management command,
    the test client's ``login``) passes to the next backend instead of
    failing: it has no address to count against. Every web login (the login
    page, the admin's) authenticates with its request."""

    def authenticate(self, request: HttpRequest | None, username: str | None = None, password: str | None = None, **kwargs: Any) -> Any:
        if request is None:
            return None
        return super().authenticate(request, username, password, **kwargs)


def lockout_response(request: HttpRequest, response: HttpResponse | None, credentials: Any = None) -> HttpResponse:
    """Axes' AXES_LOCKOUT_CALLABLE."""
    if request.path.startswith("/api/"):
        answer: HttpResponse = JsonResponse(
            {"code": LOCKED_OUT, "message": lockout_message()}, status=status.HTTP_429_TOO_MANY_REQUESTS
        )
    else:
        answer = render(
            request,
            "registration/login.html",
            {"form": AuthenticationForm(request), "locked_out": lockout_message(), "next": request.POST.get("next", "")},
            status=status.HTTP_429_TOO_MANY_REQUESTS,
        )
    answer["Retry-After"] = str(cooloff_seconds())
    return answer


class LockedOut(exceptions.APIException):
    """API answer when the caller's address is locked out (bad tokens, passwords)."""

    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_code = LOCKED_OUT
    default_detail = gettext_lazy("Too many failed log-in attempts.")

    def __init__(self) -> None:
        super().__init__(detail=lockout_message(), code=LOCKED_OUT)
        self.wait = cooloff_seconds()  # DRF's handler turns it into Retry-After
