"""The inbox page (server-rendered): the user's notices, unread first; mark read."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from griddesk.organisation.access import signed_in_user_id

from . import selectors, services

PAGE_SIZE = 30


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    user_id = signed_in_user_id(request.user)
    qs = selectors.inbox(user_id)
    if request.GET.get("unread"):
        qs = qs.filter(read_at__isnull=True)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "notifications/inbox.html",
        {"page": page, "unread_only": bool(request.GET.get("unread")), "unread": selectors.unread_count(user_id)},
    )


@login_required
@require_POST
def mark_read(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        note = services.notification_mark_read(notification_id=pk, user_id=signed_in_user_id(request.user))
    except services.NotificationNotFound:
        raise Http404 from None
    nxt = request.POST.get("next", "")
    if nxt == "order" and note.order is not None:
        return redirect("web:order", number=note.order.number)
    if nxt and url_has_allowed_host_and_scheme(nxt, allowed_hosts={request.get_host()}):
        return redirect(nxt)
    return redirect(reverse("notifications:inbox"))


@login_required
@require_POST
def mark_all_read(request: HttpRequest) -> HttpResponse:
    services.notifications_mark_all_read(user_id=signed_in_user_id(request.user))
    return redirect(reverse("notifications:inbox"))
