"""Thin REST endpoints of the assessment app."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse, StreamingHttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from griddesk.common.errors import Forbidden, InvalidInput
from griddesk.common.pagination import Pagination
from griddesk.common.validation import date_out_of_range_message, period_in_date_range
from griddesk.engines import kpi
from griddesk.organisation.access import Actor, actor_for
from griddesk.workorders.serializers import WorkOrderSerializer, render_orders

from . import exports, selectors, services
from .models import OrderAssessment

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def viewer(request: Any) -> Actor:
    actor = actor_for(request.user)
    if not selectors.may_view(actor):
        raise Forbidden(_("Assessment figures are for managers, leaders and service specialists."), code="permission_denied")
    return actor


def parse_period(value: str | None) -> kpi.Period:
    if not value:
        raise InvalidInput(_("Give a period such as 2026-10, 2026-Q4 or 2026."), code="required", field="period")
    if not period_in_date_range(value):
        raise InvalidInput(date_out_of_range_message(), code="date_out_of_range", field="period")
    try:
        return kpi.parse_period(value)
    except ValueError:
        raise InvalidInput(_("Give a period such as 2026-10, 2026-Q4 or 2026."), code="invalid_period", field="period") from None


def parse_level(value: str | None) -> str:
    level = value or "department"
    if level not in selectors.LEVELS:
        raise InvalidInput(
            _("Level must be one of: %(levels)s.") % {"levels": ", ".join(selectors.LEVELS)}, code="invalid_choice", field="level"
        )
    return level


def _truthy(value: str | None, default: bool = True) -> bool:
    if value is None:
        return default
    return value.lower() not in {"0", "false", "no"}


class ScorecardApi(APIView):
    @extend_schema(
        parameters=[
            OpenApiParameter("period", str, description="2026-10, 2026-Q4 or 2026"),
            OpenApiParameter("level", str, enum=list(selectors.LEVELS)),
            OpenApiParameter("compare", bool, required=False),
            OpenApiParameter("export", str, required=False, enum=["xlsx"]),
        ],
        responses={
            (200, "application/json"): OpenApiTypes.OBJECT,
            (200, XLSX): OpenApiResponse(OpenApiTypes.BINARY, description="`export=xlsx`"),
        },
    )
    def get(self, request: Request) -> Any:
        actor = viewer(request)
        period = parse_period(request.query_params.get("period"))
        level = parse_level(request.query_params.get("level"))
        card = selectors.scorecards(actor, period=period, level=level, compare=_truthy(request.query_params.get("compare")))
        if request.query_params.get("export") == "xlsx":
            header, rows = exports.scorecard_rows(card, absolute=request.build_absolute_uri)
            return _file(exports.xlsx([(_("Scorecard"), header, rows)]), XLSX, f"scorecard-{level}-{period.label}.xlsx")
        return Response(card)


class TrainingFlagsApi(APIView):
    @extend_schema(parameters=[OpenApiParameter("period", str)], responses={200: dict})
    def get(self, request: Request) -> Response:
        actor = viewer(request)
        return Response(selectors.training_flags(actor, period=parse_period(request.query_params.get("period"))))


class _Adjust(serializers.Serializer):
    score = serializers.FloatField(min_value=0, max_value=1000)
    reason = serializers.CharField(max_length=2000)


def assessment_body(oa: OrderAssessment) -> dict[str, Any]:
    return {
        "number": oa.order.number,
        "rules_version": oa.rule_set.version,
        "on_time": oa.on_time,
        "overdue_hours": oa.overdue_hours,
        "handling_hours": oa.handling_hours,
        "at_fault": oa.at_fault,
        "visit_outcome": oa.visit_outcome,
        "satisfied": oa.satisfied,
        "repeat": oa.repeat,
        "repeat_of": oa.repeat_of.number if oa.repeat_of_id and oa.repeat_of else None,
        "escalated": oa.escalated,
        "urge_count": oa.urge_count,
        "reopen_count": oa.reopen_count,
        "first_time": oa.first_time,
        "items": oa.items,
        "weight": oa.weight,
        "score": oa.score,
        "final_score": oa.final_score,
        "adjusted": oa.adjusted,
        "adjustments": [
            {"score_before": a.score_before, "score_after": a.score_after, "reason": a.reason,
             "actor": a.actor.get_username() if a.actor else None, "at": a.at.isoformat()}
            for a in oa.adjustments.select_related("actor")
        ],
    }


class OrderAssessmentApi(APIView):
    @extend_schema(responses={200: dict})
    def get(self, request: Request, number: str) -> Response:
        actor = viewer(request)
        from griddesk.workorders import selectors as wo_selectors

        order = wo_selectors.work_order_get(actor, number)
        oa = OrderAssessment.objects.select_related("order", "rule_set", "repeat_of").filter(order=order).first() if order else None
        if oa is None:
            from griddesk.common.errors import NotFound

            raise NotFound(_("No assessment for %(number)s.") % {"number": number})
        return Response(assessment_body(oa))

    @extend_schema(request=_Adjust, responses={200: dict})
    def post(self, request: Request, number: str) -> Response:
        actor = actor_for(request.user)
        s = _Adjust(data=request.data)
        s.is_valid(raise_exception=True)
        oa = services.order_assessment_adjust(actor=actor, number=number, **s.validated_data)
        oa = OrderAssessment.objects.select_related("order", "rule_set", "repeat_of").get(pk=oa.pk)
        return Response(assessment_body(oa))


class ArchiveSearchApi(APIView):
    # For the schema: a page object of orders (PaginatedWorkOrderList), page/page_size parameters.
    pagination_class = Pagination

    @extend_schema(
        parameters=[OpenApiParameter("q", str, required=True, description="at least two characters")],
        responses=WorkOrderSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        actor = actor_for(request.user)
        q = (request.query_params.get("q") or "").strip()
        if len(q) < 2:
            raise InvalidInput(_("Search for at least two characters."), code="too_short", field="q")
        qs = selectors.archive_search(actor, q)
        paginator = Pagination()
        page = paginator.paginate_queryset(qs, request, view=self)
        data = render_orders(request.user, actor, page, detail=False, via="api-list", many=True)
        return paginator.get_paginated_response(data)


class _Correction(serializers.Serializer):
    note = serializers.CharField(max_length=5000)
    data = serializers.DictField(required=False)


class ArchiveCorrectionApi(APIView):
    @extend_schema(request=_Correction, responses={201: dict})
    def post(self, request: Request, number: str) -> Response:
        s = _Correction(data=request.data)
        s.is_valid(raise_exception=True)
        c = services.archive_correction_add(actor=actor_for(request.user), number=number, **s.validated_data)
        return Response({"id": c.pk, "number": number, "note": c.note, "data": c.data, "at": c.at.isoformat()}, status=201)


class ArchiveExportApi(APIView):
    @extend_schema(
        parameters=[OpenApiParameter("period", str), OpenApiParameter("export", str, enum=["xlsx", "jsonl"])],
        responses={
            (200, "application/x-ndjson"): OpenApiResponse(OpenApiTypes.BINARY, description="one archived order per line"),
            (200, XLSX): OpenApiResponse(OpenApiTypes.BINARY, description="`export=xlsx`"),
        },
    )
    def get(self, request: Request) -> Any:
        actor = viewer(request)
        period = parse_period(request.query_params.get("period"))
        fmt = request.query_params.get("export") or "jsonl"
        if fmt not in {"xlsx", "jsonl"}:
            raise InvalidInput(_("Export must be xlsx or jsonl."), code="invalid_choice", field="export")
        start, end = selectors.period_bounds(period)
        orders = selectors.archived_in(actor, start, end).select_related("assessment_facts__rule_set")
        if fmt == "xlsx":
            return _file(exports.archive_xlsx(list(orders)), XLSX, f"archive-{period.label}.xlsx")
        response = StreamingHttpResponse(exports.archive_jsonl(orders.iterator(chunk_size=500)), content_type="application/x-ndjson")
        response["Content-Disposition"] = f'attachment; filename="archive-{period.label}.jsonl"'
        return response


def _file(content: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
