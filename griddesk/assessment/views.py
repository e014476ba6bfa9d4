"""Dashboards, drill-down lists, exports and the monthly PDF report."""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from griddesk.common.errors import Forbidden, InvalidInput, ServiceError
from griddesk.engines import kpi
from griddesk.organisation.access import Actor, actor_for
from griddesk.workorders import selectors as wo_selectors
from griddesk.workorders.apis import _ListFilters

from . import exports, selectors
from . import report_pdf as report_pdf_module
from .apis import XLSX, parse_level, parse_period

LEVEL_LABELS = {
    "company": _("Companies"),
    "department": _("Departments"),
    "station": _("Stations"),
    "staff": _("Staff"),
    "customer_category": _("Customer categories"),
}


def _viewer(request: HttpRequest) -> Actor:
    actor = actor_for(request.user)
    if not selectors.may_view(actor):
        raise Forbidden(_("Assessment figures are for managers, leaders and service specialists."))
    return actor


def _period(request: HttpRequest) -> kpi.Period:
    """``?period=`` (default: this month); one that does not parse raises
    InvalidInput, answered by ``_bad_request``."""
    raw = request.GET.get("period")
    if raw:
        return parse_period(raw)
    today = timezone.localdate()
    return kpi.Period(kpi.PeriodKind.MONTH, today.year, today.month)


def _level(request: HttpRequest) -> str:
    return parse_level(request.GET.get("level"))


def _bad_request(request: HttpRequest, exc: InvalidInput) -> HttpResponse:
    return render(request, "common/error.html", {"title": _("Bad request"), "message": exc.message, "code": exc.code},
                  status=400)


def _forbidden(request: HttpRequest, exc: ServiceError) -> HttpResponse:
    return render(request, "403.html", {"message": exc.message}, status=403)


def _as_of(text: str | None) -> datetime | None:
    return timezone.localtime(datetime.fromisoformat(text)) if text else None


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    try:
        actor = _viewer(request)
    except Forbidden as exc:
        return _forbidden(request, exc)
    try:
        period, level = _period(request), _level(request)
    except InvalidInput as exc:
        return _bad_request(request, exc)
    card = selectors.scorecards(actor, period=period, level=level)
    pareto = selectors.category_pareto(actor, period=period)
    trend = selectors.trend(actor, period=period)
    lists = selectors.overdue_and_at_risk(actor)
    codes = [c for c in kpi.KPI_DEFS if c != "complaints_per_10k" or level in selectors.CUSTOMER_LEVELS]
    rankings = [{"unit": u, "kpis": {k["code"]: k for k in u["kpis"]}} for u in card["units"]]
    chart = {
        "trend": {"x": [t["period"] for t in trend], "y": [t["count"] for t in trend]},
        "pareto": {"x": [p["name"] for p in pareto], "y": [p["count"] for p in pareto], "cum": [p["cumulative"] for p in pareto]},
    }
    return render(
        request,
        "assessment/dashboard.html",
        {
            "period": period,
            "level": level,
            "levels": LEVEL_LABELS.items(),
            "tiles": selectors.tiles(actor, period=period),
            "rankings": rankings,
            "codes": codes,
            "per_10k_defined": level in selectors.CUSTOMER_LEVELS,
            "pareto": pareto,
            "heat": selectors.heat_table(actor, period=period),
            "trend": trend,
            "overdue": lists["overdue"],
            "at_risk": lists["at_risk"],
            "chart": chart,
            "source": card["source"],
            "as_of": _as_of(card["as_of"]),
        },
    )


@login_required
def orders(request: HttpRequest) -> HttpResponse:
    """The drill-down list: the same filters (and count) as /api/v1/work-orders/."""
    actor = actor_for(request.user)
    f = _ListFilters(data=request.GET)
    if not f.is_valid():
        return render(request, "assessment/orders.html", {"errors": f.errors, "page": None}, status=400)
    qs = wo_selectors.work_order_list(actor, filters=dict(f.validated_data)).select_related("company", "category")
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "assessment/orders.html", {"page": page, "query": query.urlencode(), "errors": None})


@login_required
def training(request: HttpRequest) -> HttpResponse:
    try:
        actor = _viewer(request)
    except Forbidden as exc:
        return _forbidden(request, exc)
    try:
        period = _period(request)
    except InvalidInput as exc:
        return _bad_request(request, exc)
    return render(request, "assessment/training.html", {"period": period, "flags": selectors.training_flags(actor, period=period)})


@login_required
def export(request: HttpRequest, table: str) -> HttpResponse:
    try:
        actor = _viewer(request)
    except Forbidden as exc:
        return _forbidden(request, exc)
    try:
        period, level = _period(request), _level(request)
    except InvalidInput as exc:
        return _bad_request(request, exc)
    if table == "scorecard":
        header, rows = exports.scorecard_rows(selectors.scorecards(actor, period=period, level=level), absolute=request.build_absolute_uri)
    elif table == "pareto":
        header = [_("Category code"), _("Category name"), _("Count"), _("Share %"), _("Cumulative %")]
        rows = [[p["key"], p["name"], p["count"], p["share"], p["cumulative"]] for p in selectors.category_pareto(actor, period=period)]
    elif table == "heat":
        heat = selectors.heat_table(actor, period=period)
        header = [_("Area")] + [c["name"] for c in heat["columns"]]
        rows = [[r["name"]] + [c["count"] for c in r["cells"]] for r in heat["rows"]]
    elif table == "trend":
        header = [_("Period"), _("Complaints")]
        rows = [[t["period"], t["count"]] for t in selectors.trend(actor, period=period)]
    elif table in {"overdue", "at_risk"}:
        header = [_("Number"), _("State"), _("Company"), _("Category"), _("Deadline")]
        rows = [
            [o.number, o.get_state_display(), o.company.name, o.category.name if o.category else "", timezone.localtime(o.deadline_at)]
            for o in selectors.overdue_and_at_risk(actor)[table]
        ]
    elif table == "training":
        flags = selectors.training_flags(actor, period=period)
        header = [_("Username"), _("Full name"), _("At-fault orders")]
        rows = [[s["username"], s["name"], s["at_fault"]] for s in flags["staff"]]
    else:
        return HttpResponse(status=404)
    response = HttpResponse(exports.xlsx([(table, header, rows)]), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{table}-{period.label}.xlsx"'
    return response


@login_required
def report_pdf(request: HttpRequest) -> HttpResponse:
    """The monthly report (PDF) of ``period`` (default: this month), with the
    rankings of companies, departments and stations (and of ``level`` when it
    is another one). A period or level that does not parse: 400."""
    try:
        actor = _viewer(request)
    except Forbidden as exc:
        return _forbidden(request, exc)
    try:
        period, level = _period(request), _level(request)
    except InvalidInput as exc:
        return _bad_request(request, exc)
    content = report_pdf_module.monthly_report_pdf(selectors.monthly_report(actor, period=period, level=level))
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="assessment-{period.label}.pdf"'
    return response
