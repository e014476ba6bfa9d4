"""Server-rendered pages. Thin: read through selectors, write through services,
validate with the API serializers."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from griddesk.attachments import selectors as attachment_selectors
from griddesk.attachments import services as attachment_services
from griddesk.attachments.inspection import ACCEPT
from griddesk.attachments.models import Kind, Stage
from griddesk.center import selectors as center_selectors
from griddesk.common.errors import InvalidInput, ServiceError
from griddesk.common.pagination import WalkedPaginator
from griddesk.customers import selectors as customer_selectors
from griddesk.customers.models import CustomerCategory
from griddesk.customers.services import pii_access_log
from griddesk.engines import workflow
from griddesk.organisation.access import Actor, actor_for
from griddesk.workorders import actions, search, selectors, services
from griddesk.workorders.actions import ActionSerializer
from griddesk.workorders.models import Channel, OrderType, WorkOrder
from griddesk.workorders.serializers import CommentCreateSerializer, IntakeSerializer

from . import presenters
from . import selectors as web_selectors
from . import services as web_services
from .forms import QueueFilterForm, intake_payload

PAGE_SIZE = 25


def _actor(request: HttpRequest) -> Actor:
    return actor_for(request.user)


def _can_intake(actor: Actor) -> bool:
    return actor.role in workflow.INTAKE_ROLES


# ------------------------------------------------------------------ queue


#: Orders shown in the queue's "waiting for me" block (all of them: ?todo=1).
TODO_SHOWN = 10


@login_required
def queue(request: HttpRequest) -> HttpResponse:
    return _render_queue(request, request.GET)


def _render_queue(
    request: HttpRequest, params: QueryDict, *, status: int = 200,
    save_errors: list[str] | None = None, save_name: str = "",
) -> HttpResponse:
    """The queue for ``params`` (the page's GET, or the filter a failed save posted)."""
    actor = _actor(request)
    form = QueueFilterForm(params or None)
    filters = form.filters()
    listed = selectors.work_order_list(actor, filters=filters)
    listed = listed.select_related("category__parent").prefetch_related("lead_assignments__department")
    qs = selectors.queue_order(listed)
    plan = search.search_plan(actor, str(filters["q"])) if filters.get("q") else None
    paginator: Paginator
    if plan is not None and search.search_is_dense(plan):
        # A common pair (PostgreSQL only): sorting its 130,000 matches in the
        # queue's order and counting them took 12.8 s at 1M orders. The page
        # walks the queue's order by index instead, the count is the planner's estimate.
        paginator = WalkedPaginator(
            qs, PAGE_SIZE, rows=lambda offset, limit: selectors.queue_walk(listed, offset=offset, limit=limit)
        )
    else:
        paginator = Paginator(qs, PAGE_SIZE)
    with transaction.atomic():  # the page and the log of a personal-data search commit together
        page = paginator.get_page(params.get("page"))
        if plan is not None and plan.personal:
            pii_access_log(
                user=request.user, via="web-search", always=True,
                fields=search.personal_fields(plan),
                entries=[(o.customer, o.number) for o in page.object_list if o.customer_id],
            )
    query = params.copy()
    query.pop("page", None)
    todo = None
    if not params:  # the plain queue opens with what waits for me
        todo_qs = selectors.queue_order(
            selectors.todo_filter(selectors.work_order_list(actor), actor).select_related("category__parent")
        )
        todo = {"count": todo_qs.count(), "orders": list(todo_qs[:TODO_SHOWN])}
    saved_query = form.saved_query()
    return render(
        request,
        "web/queue.html",
        {
            "form": form, "page": page, "query": query.urlencode(), "can_intake": _can_intake(actor), "actor": actor,
            "search": search.search_summary(plan, actor) if plan is not None else None, "todo": todo,
            # A dense search's count is the planner's estimate: said as such (约 13.2 万张工单).
            "count_estimate": (
                presenters.approximate_count(paginator.count) if getattr(paginator, "count_exact", True) is False else None
            ),
            # 保存的筛选: the user's own, after the 待我处理 chip; the current filter, canonical, to save.
            "saved_filters": list(web_selectors.queue_filters_of(request.user)),
            "saved_query": saved_query, "save_errors": save_errors or [], "save_name": save_name,
            # After a failed save (answered at /queue/filters/) links and the language switch go to the queue.
            "pager_base": reverse("web:queue"),
            "switch_next": reverse("web:queue") + (f"?{query.urlencode()}" if query else ""),
        },
        status=status,
    )


@login_required
@require_POST
def queue_filter_save(request: HttpRequest) -> HttpResponse:
    """Save the filter shown (posted as its query string) under a name."""
    params = QueryDict(request.POST.get("query", "")[:2000])
    query = QueueFilterForm(params or None).saved_query()  # only known fields, as the form reads them
    name = request.POST.get("name", "")
    try:
        saved = web_services.queue_filter_save(user=request.user, name=name, query=query)
    except ServiceError as exc:
        return _render_queue(request, params, status=exc.status_code, save_errors=[exc.message], save_name=name)
    messages.success(request, _("Saved the filter “%(name)s”.") % {"name": saved.name})
    return redirect(reverse("web:queue") + "?" + saved.query)


@login_required
@require_POST
def queue_filter_delete(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        web_services.queue_filter_delete(user=request.user, filter_id=pk)
    except ServiceError as exc:
        messages.error(request, exc.message)
        return _render_queue(request, QueryDict(), status=exc.status_code)
    messages.success(request, _("Deleted the saved filter."))
    back = QueueFilterForm(QueryDict(request.POST.get("query", "")[:2000]) or None).saved_query()
    return redirect(reverse("web:queue") + (f"?{back}" if back else ""))


# ------------------------------------------------------------------ detail and actions


def _order_or_404(actor: Actor, number: str) -> WorkOrder:
    order = selectors.work_order_get(actor, number)
    if order is None:
        raise Http404(_("Work order %(number)s was not found.") % {"number": number})
    return order


def _render_detail(
    request: HttpRequest,
    actor: Actor,
    order: WorkOrder,
    *,
    posted: tuple[str, Any] | None = None,
    errors: dict[str, list[str]] | None = None,
    status: int = 200,
) -> HttpResponse:
    data = presenters.order_data(request.user, actor, order)
    context = {
        "order": order,
        "data": data,
        "customer": data.get("customer"),
        "events": selectors.work_order_events(order),
        "action_forms": presenters.action_forms(actor, order, data["allowed_actions"], posted=posted, errors=errors),
        "event_labels": presenters.EVENT_DATA_LABELS,
        "actor": actor,
        # After a failed POST the language switch must return to the page, not the action URL.
        "switch_next": reverse("web:order", kwargs={"number": order.number}),
        "stage_label": presenters.stage_label(order.stage),
        **presenters.order_parts(order),
        **_attachment_parts(actor, order),
        "suggestion_reasons": presenters.suggestion_reasons(order.suggestion_reasons),
        **_comment_parts(actor, order),
        "center_reply": center_selectors.reply_panel(order),  # the reply to the 95598 center (ADR 0030)
    }
    return render(request, "web/order_detail.html", context, status=status)


def _comment_parts(
    actor: Actor, order: WorkOrder, *, errors: list[str] | None = None, body: str = "", client_key: str = ""
) -> dict[str, Any]:
    """The internal comments and their form (a fresh form token unless a failed post is shown again)."""
    return {
        "comments": list(selectors.work_order_comments(order)),
        "may_comment": selectors.may_comment(actor, order),
        "comment_errors": errors or [],
        "comment_body": body,
        "comment_token": client_key or uuid.uuid4().hex,
    }


@login_required
@require_POST
def order_comment(request: HttpRequest, number: str) -> HttpResponse:
    """Add an internal comment. From HTMX the comments block comes back (400 with
    the message on bad input); without script the page (redirect, or 400)."""
    actor = _actor(request)
    order = _order_or_404(actor, number)
    htmx = request.headers.get("HX-Request") == "true"
    body = request.POST.get("body", "")
    token = request.POST.get("client_key", "")[:64]
    s = CommentCreateSerializer(data={"body": body})
    errors: list[str] = []
    status = 400
    if not s.is_valid():
        errors = presenters.error_messages(s.errors).get("body", []) or [_("Write a comment first.")]
    else:
        try:
            services.order_comment_add(order=number, actor=actor, body=s.validated_data["body"], client_key=token)
        except ServiceError as exc:
            errors, status = [exc.message], exc.status_code
    if errors:
        if htmx:
            parts = {"order": order, **_comment_parts(actor, order, errors=errors, body=body, client_key=token)}
            return render(request, "web/_comments.html", parts, status=status)
        messages.error(request, errors[0])
        return _render_detail(request, actor, order, status=status)
    if htmx:
        return render(request, "web/_comments.html", {"order": order, **_comment_parts(actor, order)})
    messages.success(request, _("Comment added."))
    return redirect(reverse("web:order", kwargs={"number": number}) + "#comments")


@login_required
def order_print(request: HttpRequest, number: str) -> HttpResponse:
    """A4 print view (打印): the order, its customer (masked and logged as on
    the order page), findings, report, visit and timeline. No navigation."""
    actor = _actor(request)
    order = _order_or_404(actor, number)
    data = presenters.order_data(request.user, actor, order, via="web-print")
    context = {
        "order": order,
        "customer": data.get("customer"),
        "events": selectors.work_order_events(order),
        "stage_label": presenters.stage_label(order.stage),
        "printed_at": timezone.now(),
        **presenters.order_parts(order),
    }
    return render(request, "web/order_print.html", context)


def _attachment_parts(actor: Actor, order: WorkOrder) -> dict[str, Any]:
    attachments = list(attachment_selectors.attachments_of(order))
    return {
        "attachments": attachments,
        # The report form shows what the stations photographed.
        "station_photos": [a for a in attachments if a.stage == Stage.STATION_FINDINGS and a.kind == Kind.IMAGE],
        "may_attach": attachment_selectors.may_upload(actor, order),
        "attachment_stages": Stage.choices,
        "attachment_stage_default": _default_stage(actor, order),
        "attachment_accept": ACCEPT,
    }


def _default_stage(actor: Actor, order: WorkOrder) -> str:
    """The stage an upload most likely documents, from the order's state and the role."""
    if actor.role == workflow.Role.STATION_INVESTIGATOR:
        return Stage.STATION_FINDINGS
    if order.state in ("investigating", "reported"):
        return Stage.REPORT
    if order.state in ("fed_back", "visited", "assessed"):
        return Stage.RETURN_VISIT
    return Stage.ORDER


@login_required
@require_POST
def order_attach(request: HttpRequest, number: str) -> HttpResponse:
    """Upload from the order page (the API's service; errors shown on the page)."""
    actor = _actor(request)
    order = _order_or_404(actor, number)
    f = request.FILES.get("file")
    if f is None:
        messages.error(request, _("Choose a file to attach."))
        return _render_detail(request, actor, order, status=400)
    try:
        a = attachment_services.attachment_upload(
            actor=actor, number=number, file=f, filename=f.name or "",
            stage=request.POST.get("stage", ""), note=request.POST.get("note", ""),
        )
    except ServiceError as exc:
        messages.error(request, exc.message)
        return _render_detail(request, actor, order, status=exc.status_code)
    messages.success(request, _("Attached “%(name)s”.") % {"name": a.filename})
    return redirect(reverse("web:order", kwargs={"number": number}) + "#attachments")


@login_required
def order_detail(request: HttpRequest, number: str) -> HttpResponse:
    actor = _actor(request)
    return _render_detail(request, actor, _order_or_404(actor, number))


@login_required
@require_POST
def order_act(request: HttpRequest, number: str) -> HttpResponse:
    actor = _actor(request)
    order = _order_or_404(actor, number)
    head = ActionSerializer(data=request.POST)
    if not head.is_valid():
        messages.error(request, _("Unknown action."))
        return _render_detail(request, actor, order, status=400)
    action = head.validated_data["action"]
    s = actions.serializer_for(action)(data=request.POST)
    if not s.is_valid():
        errors = presenters.error_messages(s.errors)
        return _render_detail(request, actor, order, posted=(action, request.POST), errors=errors, status=400)
    try:
        services.work_order_act(order=number, actor=actor, action=action, data=dict(s.validated_data))
    except InvalidInput as exc:
        if exc.field:
            errors = {exc.field: [exc.message]}
            return _render_detail(request, actor, order, posted=(action, request.POST), errors=errors, status=400)
        messages.error(request, exc.message)
        return _render_detail(request, actor, order, status=exc.status_code)
    except ServiceError as exc:  # 403 / 404 / 409: say so, show the order as it is now
        messages.error(request, exc.message)
        fresh = selectors.work_order_get(actor, number)
        if fresh is None:
            return redirect("web:queue")
        return _render_detail(request, actor, fresh, status=exc.status_code)
    fresh = selectors.work_order_get(actor, number)
    messages.success(
        request,
        _("“%(action)s” done; the order is now “%(state)s”.")
        % {"action": actions.spec(action).label, "state": fresh.get_state_display() if fresh else "—"},
    )
    if fresh is None:
        return redirect("web:queue")
    return redirect("web:order", number=number)


# ------------------------------------------------------------------ intake


def _intake_context(actor: Actor, values: dict[str, Any], errors: dict[str, list[str]]) -> dict[str, Any]:
    return {
        "values": values,
        "errors": errors,
        "non_field_errors": errors.get("non_field_errors", []),
        "channels": Channel.choices,
        "types": OrderType.choices,
        "categories": presenters.intake_categories(),
        "customer_categories": CustomerCategory.choices,
        "areas": presenters.intake_areas(actor),
        "actor": actor,
    }


def _intake_defaults() -> dict[str, Any]:
    now = timezone.localtime()
    return {
        "channel": Channel.HOTLINE_95598.value,
        "type": OrderType.COMPLAINT.value,
        "received_at": now.strftime("%Y-%m-%dT%H:%M"),
        "customer.category": CustomerCategory.RESIDENTIAL.value,
    }


@login_required
@require_http_methods(["GET", "POST"])
def order_new(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    if not _can_intake(actor):
        return render(request, "403.html", {"message": _("Your role may not take in work orders.")}, status=403)
    if request.method == "GET":
        return render(request, "web/order_new.html", _intake_context(actor, _intake_defaults(), {}))
    values = {k: v for k, v in request.POST.items() if k != "csrfmiddlewaretoken"}
    s = IntakeSerializer(data=intake_payload(request.POST))
    if not s.is_valid():
        return render(request, "web/order_new.html", _intake_context(actor, values, presenters.error_messages(s.errors)), status=400)
    try:
        order, created = services.work_order_intake(actor=actor, data=s.to_data())
    except ServiceError as exc:
        # The form's customer block shows a whole-customer error under the account number.
        field = "customer.account_no" if exc.field == "customer" else exc.field
        errors = {field or "non_field_errors": [exc.message]}
        return render(request, "web/order_new.html", _intake_context(actor, values, errors), status=exc.status_code)
    if created:
        messages.success(request, _("Work order %(number)s was taken in.") % {"number": order.number})
    else:
        messages.info(
            request, _("An order with this 95598 order id already exists: %(number)s.") % {"number": order.number}
        )
    return redirect("web:order", number=order.number)



def _card(request: HttpRequest, context: dict[str, Any], status: int = 200) -> HttpResponse:
    return render(request, "web/_customer_card.html", context, status=status)


@login_required
@require_GET
def order_customer_card(request: HttpRequest) -> HttpResponse:
    """The intake form's customer card (HTMX, as the agent types): by account
    number for every role with the visibility of ``customer_visible_get``; by
    phone — a personal-data search, logged — only for the roles that see
    personal data. Unmasked cards are logged like every unmasked view."""
    actor = _actor(request)
    account = (request.GET.get("customer.account_no") or "").strip()
    phone = (request.GET.get("customer.phone") or "").strip()
    category = (request.GET.get("category") or "").strip() or None
    base: dict[str, Any] = {"phone": phone, "account": account, "can_intake": _can_intake(actor)}
    if actor.role is None:
        return _card(request, {**base, "refused": _("Your account has no role."), "code": "no_role"}, status=403)
    with transaction.atomic():  # the read and its access-log row commit together
        if account:
            if not account.isalnum() or len(account) > 32:
                return _card(request, {**base, "error": _("The account number may contain only letters and digits."),
                                       "code": "invalid_account_no"}, status=400)
            found = customer_selectors.customer_visible_get(actor, account)
            if found is None:  # absent and not-yours answer alike
                return _card(request, {**base, "new_customer": True})
            return _card(request, {**base, **_customer_card_parts(request, actor, *found, phone=phone, category=category)})
        if not phone:
            return _card(request, base)
        if not customer_selectors.phone_lookup_allowed(actor):
            return _card(request, {**base, "refused": _("Looking a customer up by phone needs personal-data rights: "
                                                        "enter the account number."), "code": "phone_lookup_forbidden"},
                         status=403)
        if not customer_selectors.PHONE_RE.fullmatch(phone):
            return _card(request, {**base, "error": _("Not a valid phone number."), "code": "invalid_phone"}, status=400)
        if len(customer_selectors.phone_digits(phone)) < customer_selectors.PHONE_LOOKUP_MIN_DIGITS:
            return _card(request, base)  # still being typed
        matches = customer_selectors.customers_by_phone(actor, phone)
        pii_access_log(
            user=request.user, via="web-intake-phone", always=True, fields="search:phone,name,phone",
            entries=[(c, "") for c in matches],
        )
        if len(matches) == 1:
            found = customer_selectors.customer_visible_get(actor, matches[0].account_no)
            if found is not None:
                return _card(request, {**base, **_customer_card_parts(request, actor, *found, phone=phone,
                                                                     category=category, logged=True)})
        return _card(request, {**base, "choices": matches, "no_match": not matches})


def _customer_card_parts(
    request: HttpRequest, actor: Actor, customer: Any, orders: list[Any], *, phone: str, category: str | None,
    logged: bool = False,
) -> dict[str, Any]:
    card = customer_selectors.customer_card(actor, customer, orders, category=category)
    if not card.masked and not logged:
        pii_access_log(
            user=request.user, via="web-intake-card", fields="name,phone",
            entries=[(customer, o.number) for o in card.orders] or [(customer, "")],
        )
    new_phone = bool(
        phone and not card.masked and customer_selectors.PHONE_RE.fullmatch(phone)
        and customer_selectors.phone_digits(phone) != customer_selectors.phone_digits(customer.phone)
    )
    return {"card": card, "offer_phone": new_phone}
