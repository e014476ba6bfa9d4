"""Pages: return visits (list + record form), satisfaction (visit rates, index
dashboard, responses drill-down, XLSX and PDF exports). Thin: selectors and
services do the work; input validated with the API serializers."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db.models import F
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from griddesk.common.errors import ServiceError
from griddesk.organisation.access import Actor, actor_for
from griddesk.workorders.models import ReturnVisit

from . import exports, presenters, selectors, services, surveys
from .apis import AttemptSerializer, OutcomeSerializer
from .defaults import DEFAULT_CODE
from .models import Questionnaire


def _actor(request: HttpRequest) -> Actor:
    return actor_for(request.user)


def _forbidden(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "403.html", {"message": message}, status=403)


# ------------------------------------------------------------------ return visits


@login_required
def visits(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    state = request.GET.get("state", "open")
    if state not in ("open", "done"):
        state = "open"
    qs = selectors.visit_task_list(actor, state=state, mine=request.GET.get("all") != "1")
    order = request.GET.get("order")
    if order:
        qs = qs.filter(order__number=order)
    page = Paginator(qs, 25).get_page(request.GET.get("page"))
    tasks = list(page.object_list)
    presenters.log_unmasked(request.user, actor, tasks, "web-visits")
    rows = [(t, presenters.task_dict(actor, t), services.may_record(actor, t)) for t in tasks]
    return render(request, "satisfaction/visits.html", {
        "rows": rows, "page": page, "state": state, "order_filter": order or "",
        "methods": ReturnVisit.Method.choices, "outcomes": ReturnVisit.Outcome.choices,
    })


#: The record form's fields by their labels, for its error messages.
FORM_LABELS = {
    "method": gettext_lazy("Method"),
    "outcome": gettext_lazy("Return-visit outcome"),
    "reached": gettext_lazy("Customer reached"),
    "note": gettext_lazy("Note"),
    "customer_words": gettext_lazy("Customer's own words"),
    "solved": gettext_lazy("Problem solved"),
}


def _visit_context(actor: Actor, task: Any) -> dict[str, Any]:
    """What the visit page shows beside the form: the contact log in words
    (local time, names, methods) and the order's report."""
    return {
        "task": task,
        "data": presenters.task_dict(actor, task, attempts=True),
        "attempts": list(task.attempts.select_related("by").order_by("at", "pk")),
        "report": task.order.reports.select_related("responsible_department").order_by(F("confirmed_at").desc(nulls_last=True), "-pk").first(),
        "may_record": services.may_record(actor, task),
        "methods": ReturnVisit.Method.choices,
        "outcomes": ReturnVisit.Outcome.choices,
    }


@login_required
def visit_detail(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _actor(request)
    task = selectors.visit_task_get(actor, pk)
    if task is None:
        raise Http404(_("Return-visit task %(id)s was not found.") % {"id": pk})
    presenters.log_unmasked(request.user, actor, [task], "web-visit")
    return render(request, "satisfaction/visit_detail.html", {**_visit_context(actor, task), "errors": {}})


@login_required
@require_POST
def visit_record(request: HttpRequest, pk: int) -> HttpResponse:
    """One form, two buttons: log an attempt (reached or not) or record the outcome."""
    actor = _actor(request)
    task = selectors.visit_task_get(actor, pk)
    if task is None:
        raise Http404(_("Return-visit task %(id)s was not found.") % {"id": pk})
    kind = request.POST.get("kind")
    errors: dict[str, list[str]] = {}
    if kind == "attempt":
        s: Any = AttemptSerializer(data={**request.POST.dict(), "reached": request.POST.get("reached") == "1"})
    else:
        data = request.POST.dict()
        data["solved"] = {"1": True, "0": False}.get(data.get("solved", ""))
        s = OutcomeSerializer(data=data)
    if s.is_valid():
        try:
            if kind == "attempt":
                services.visit_attempt_record(task_id=pk, actor=actor, **s.validated_data)
                messages.success(request, _("Attempt logged."))
            else:
                services.visit_outcome_record(task_id=pk, actor=actor, **s.validated_data)
                messages.success(request, _("Return visit recorded."))
            return redirect("satisfaction:visit", pk=pk)
        except ServiceError as exc:
            errors = {exc.field or "__all__": [exc.message]}
    else:
        errors = {str(FORM_LABELS.get(k, k)): [str(m) for m in v] for k, v in s.errors.items()}
        if kind != "attempt" and not request.POST.get("outcome"):
            errors[str(FORM_LABELS["outcome"])] = [_("Choose the outcome of the return visit.")]
    task = selectors.visit_task_get(actor, pk)
    return render(
        request, "satisfaction/visit_detail.html", {**_visit_context(actor, task), "errors": errors, "posted": request.POST}, status=400
    )


# ------------------------------------------------------------------ satisfaction


#: The visit-rate breakdowns by their names (selector options, column header).
RATE_DIMENSION_LABELS = {
    "department": gettext_lazy("Lead department"),
    "station": gettext_lazy("Power-supply station"),
    "staff": gettext_lazy("Visited by"),
    "category": gettext_lazy("Category"),
    "channel": gettext_lazy("Channel"),
    "period": gettext_lazy("Month"),
}


def _analyst(request: HttpRequest) -> Actor | None:
    actor = _actor(request)
    return actor if actor.role in selectors.ANALYST_ROLES else None


def _questionnaire(request: HttpRequest, actor: Actor) -> Questionnaire:
    code = request.GET.get("questionnaire") or DEFAULT_CODE
    q = selectors.questionnaires_visible_to(actor).filter(code=code).first()
    if q is None:
        raise Http404(_("Questionnaire %(code)s was not found.") % {"code": code})
    return q


def _snapshot(q: Questionnaire, period: str) -> Any:
    return selectors.latest_snapshot(q, period=period)


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    actor = _analyst(request)
    if actor is None:
        return _forbidden(request, _("Your role may not see satisfaction figures."))
    q = _questionnaire(request, actor)
    try:
        period = selectors.parse_period(request.GET.get("period"))
        by = request.GET.get("by", "department")
        rates = selectors.visit_rates(actor, by=by if by in selectors.RATE_DIMENSIONS else "department",
                                      period=period.label if period else None)
    except ServiceError as exc:
        messages.error(request, exc.message)
        return redirect("satisfaction:dashboard")
    label = period.label if period else ""
    snap = _snapshot(q, label)
    result = snap.result if snap is not None and snap.state == "done" else None
    chart = exports.chart_data(q, result) if result else None
    return render(request, "satisfaction/dashboard.html", {
        "q": q, "questionnaires": selectors.questionnaires_visible_to(actor).filter(active=True),
        "period": label, "by": by, "by_label": RATE_DIMENSION_LABELS.get(by, by),
        "dimensions": [(d, RATE_DIMENSION_LABELS[d]) for d in selectors.RATE_DIMENSIONS], "rates": rates,
        "snap": snap, "result": result, "chart_json": chart,
        "tables": exports.tables(q, result) if result else None,
        "months": selectors.response_periods(q),
        "may_compute": actor.role in selectors.INDEX_COMPUTE_ROLES,
    })


@login_required
@require_POST
def compute(request: HttpRequest) -> HttpResponse:
    actor = _analyst(request)
    if actor is None or actor.role not in selectors.INDEX_COMPUTE_ROLES:
        return _forbidden(request, _("Your role may not recompute the index."))
    q = selectors.questionnaires_visible_to(actor).filter(code=request.POST.get("questionnaire") or DEFAULT_CODE).first()
    if q is None:
        raise Http404(_("Questionnaire %(code)s was not found.") % {"code": request.POST.get("questionnaire")})
    period = request.POST.get("period", "")
    from .index import index_compute

    try:
        p = selectors.parse_period(period)
    except ServiceError as exc:
        messages.error(request, exc.message)
        return redirect("satisfaction:dashboard")
    snap = index_compute(questionnaire=q, period=p.label if p else "", actor=actor)
    if snap.state == "failed":
        messages.error(request, _("The index could not be computed: %(message)s") % {"message": snap.message})
    else:
        messages.success(request, _("Index computed from %(n)d responses.") % {"n": snap.n})
    url = f"{reverse('satisfaction:dashboard')}?questionnaire={q.code}"
    return redirect(url + (f"&period={p.label}" if p else ""))


@login_required
def responses(request: HttpRequest) -> HttpResponse:
    """The responses behind a number (drill-down), filtered like the dashboard."""
    actor = _analyst(request)
    if actor is None:
        return _forbidden(request, _("Your role may not see satisfaction figures."))
    q = _questionnaire(request, actor)
    snap = None
    try:
        if request.GET.get("snapshot"):
            snap = selectors.snapshot_get(q, request.GET["snapshot"])
            if snap is None:
                raise Http404(_("Snapshot %(id)s was not found.") % {"id": request.GET["snapshot"]})
            qs = selectors.snapshot_responses(snap, dim=request.GET.get("dim", ""), key=request.GET.get("key"), actor=actor)
        else:
            qs = selectors.responses_for(q, period=request.GET.get("period") or None,
                                         segment=request.GET.get("segment", ""), actor=actor)
    except ServiceError as exc:
        messages.error(request, exc.message)
        return redirect("satisfaction:dashboard")
    codes = surveys.indicator_codes(q)
    page = Paginator(qs.select_related("area").order_by("-answered_on", "pk"), 50).get_page(request.GET.get("page"))
    rows = [(r, [r.answers.get(c) for c in codes]) for r in page.object_list]
    params = request.GET.copy()
    params.pop("page", None)
    return render(request, "satisfaction/responses.html", {
        "q": q, "codes": codes, "rows": rows, "page": page, "query": params.urlencode(),
        "period": request.GET.get("period", ""), "segment": request.GET.get("segment", ""), "snap": snap,
        "dim": request.GET.get("dim", ""), "key": request.GET.get("key", ""),
    })


@login_required
def export_xlsx(request: HttpRequest) -> HttpResponse:
    actor = _analyst(request)
    if actor is None:
        return _forbidden(request, _("Your role may not see satisfaction figures."))
    q = _questionnaire(request, actor)
    period = request.GET.get("period", "")
    snap = _snapshot(q, period)
    rates = {by: selectors.visit_rates(actor, by=by, period=period or None) for by in selectors.RATE_DIMENSIONS}
    data = exports.workbook(q, snap.result if snap is not None and snap.state == "done" else None, rates)
    resp = HttpResponse(data, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    resp["Content-Disposition"] = f'attachment; filename="satisfaction-{q.code}{"-" + period if period else ""}.xlsx"'
    return resp


@login_required
def export_pdf(request: HttpRequest) -> HttpResponse:
    actor = _analyst(request)
    if actor is None:
        return _forbidden(request, _("Your role may not see satisfaction figures."))
    q = _questionnaire(request, actor)
    period = request.GET.get("period", "")
    snap = _snapshot(q, period)
    if snap is None or snap.state != "done":
        messages.error(request, _("Compute the index first."))
        return redirect("satisfaction:dashboard")
    rates = selectors.visit_rates(actor, by="department", period=period or None)
    resp = HttpResponse(exports.pdf_report(q, snap, rates), content_type="application/pdf")
    resp["Content-Disposition"] = f'attachment; filename="satisfaction-{q.code}{"-" + period if period else ""}.pdf"'
    return resp


@login_required
def weights(request: HttpRequest) -> HttpResponse:
    """AHP weights of the drivers (administrators enter the matrix) and the fuzzy
    comprehensive evaluation of the latest survey answers with those weights."""
    from griddesk.engines.workflow import Role

    from . import weighting

    actor = _analyst(request)
    if actor is None:
        return _forbidden(request, _("Your role may not see satisfaction figures."))
    q = _questionnaire(request, actor)
    current = weighting.active_weighting(q)
    names = dict(q.constructs.values_list("code", "name"))
    errors: dict[str, str] = {}
    status = 200
    posted: dict[tuple[int, int], str] = {}
    preview = None
    if request.method == "POST":
        saving = request.POST.get("kind") != "preview"
        if actor.role not in weighting.PREVIEW_ROLES or (saving and actor.role != Role.ADMIN):
            return _forbidden(request, _("Only an administrator may enter AHP judgements."))
        labels = [c for c in request.POST.getlist("labels") if c]
        posted = {(i, j): request.POST.get(f"a_{i}_{j}", "") for i in range(len(labels)) for j in range(i + 1, len(labels))}
        try:
            matrix = weighting.matrix_from_upper([str(names.get(c, c)) for c in labels], posted)
            method = request.POST.get("method", "eigen")
            if not saving:
                res = weighting.ahp_weighting_preview(actor=actor, questionnaire=q, labels=labels, matrix=matrix, method=method)
                preview = {"rows": [(c, names.get(c, c), w) for c, w in zip(res.labels, res.weights, strict=True)],
                           "lambda_max": res.lambda_max, "ci": res.ci, "cr": res.cr}
            else:
                weighting.ahp_weighting_save(actor=actor, questionnaire=q, labels=labels, matrix=matrix,
                                             method=method, note=request.POST.get("note", "")[:200])
                messages.success(request, _("Weights saved."))
                return redirect(f"{reverse('satisfaction:weights')}?questionnaire={q.code}")
        except ServiceError as exc:
            errors = {exc.field or "__all__": exc.message}
            status = 400
    else:
        chosen = [c for c in request.GET.get("drivers", "").split(",") if c in names]
        labels = chosen if len(chosen) >= 2 else (list(current.labels) if current else weighting.default_drivers(q))
    matrix = current.matrix if current and list(current.labels) == labels and not posted else None
    grid = []
    for i, a in enumerate(labels):
        cells = []
        for j, _b in enumerate(labels):
            if i == j:
                cells.append({"kind": "diag"})
            elif j > i:
                value = posted.get((i, j)) if posted else (_fmt_judgement(matrix[i][j]) if matrix else "1")
                cells.append({"kind": "input", "name": f"a_{i}_{j}", "value": value})
            else:
                cells.append({"kind": "mirror", "of": f"a_{j}_{i}"})
        grid.append({"code": a, "name": names.get(a, a), "cells": cells})
    operator = request.GET.get("operator") or "product_bsum"
    evaluation = None
    eval_error = ""
    if current is not None and status == 200:
        try:
            evaluation = weighting.fuzzy_evaluation(actor=actor, questionnaire=q, operator=operator,
                                                    period=request.GET.get("period") or None)
        except ServiceError as exc:
            eval_error = exc.message
    return render(request, "satisfaction/weights.html", {
        "q": q, "current": current, "current_rows": [(c, names.get(c, c), (current.weights or {}).get(c)) for c in current.labels]
        if current else [], "grid": grid, "labels": labels, "errors": errors, "may_edit": actor.role in weighting.PREVIEW_ROLES,
        "may_save": actor.role == Role.ADMIN, "preview": preview,
        "constructs": list(q.constructs.order_by("sort").values_list("code", "name")),
        "operators": [(o, weighting.OPERATOR_LABELS[o]) for o in weighting.OPERATORS], "operator": operator,
        "period": request.GET.get("period", ""), "evaluation": evaluation, "eval_error": eval_error,
        "method": request.POST.get("method", current.method if current else "eigen"),
    }, status=status)


def _fmt_judgement(v: float) -> str:
    """3.0 → "3", 0.3333 → "1/3" (how judgements are written)."""
    if v >= 1:
        return f"{v:g}"
    inv = 1 / v
    return f"1/{round(inv):d}" if abs(inv - round(inv)) < 1e-6 else f"{v:.4g}"
