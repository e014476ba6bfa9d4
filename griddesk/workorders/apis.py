"""Thin REST endpoints: parse, call a selector or service, serialise."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from griddesk.common.errors import InvalidInput, NotFound
from griddesk.common.pagination import Pagination
from griddesk.common.validation import BoundedDateTimeField
from griddesk.organisation.access import Actor, actor_for

from . import actions, selectors, services
from . import search as order_search
from .actions import ActionSerializer
from .search import search_plan, search_summary
from .serializers import (
    CommentCreateSerializer,
    CommentSerializer,
    EventSerializer,
    IntakeSerializer,
    WorkOrderSerializer,
    parse_intake,
    parse_intake_items,
    render_orders,
)


def _actor(request: Request) -> Actor:
    return actor_for(request.user)


def _render(
    request: Request, order: Any, *, detail: bool, via: str, lead_codes: dict[int, list[str]] | None = None
) -> dict[str, Any]:
    return render_orders(  # type: ignore[no-any-return]
        request.user, _actor(request), order, detail=detail, via=via, lead_codes=lead_codes
    )


def _order_or_404(request: Request, number: str) -> Any:
    order = selectors.work_order_get(_actor(request), number)
    if order is None:
        raise NotFound(_("Work order %(number)s was not found.") % {"number": number})
    return order


class _ListFilters(serializers.Serializer):
    state = serializers.CharField(required=False)
    type = serializers.CharField(required=False)
    channel = serializers.CharField(required=False)
    grade = serializers.IntegerField(required=False, min_value=1, max_value=4)
    department = serializers.CharField(required=False)
    overdue = serializers.BooleanField(required=False, allow_null=True, default=None)
    received_from = BoundedDateTimeField(required=False)
    received_to = BoundedDateTimeField(required=False)
    q = serializers.CharField(required=False)
    # 待我处理: only the orders waiting for my next step
    todo = serializers.BooleanField(required=False, default=False)
    # Drill-down filters (assessment scorecards)
    company = serializers.CharField(required=False)
    within = serializers.CharField(required=False)
    lead_department = serializers.CharField(required=False)
    station = serializers.CharField(required=False)
    category = serializers.CharField(required=False)
    customer_category = serializers.CharField(required=False)
    valid = serializers.BooleanField(required=False, allow_null=True, default=None)
    numbers = serializers.CharField(required=False)
    assessed = serializers.BooleanField(required=False, allow_null=True, default=None)
    on_time = serializers.BooleanField(required=False, allow_null=True, default=None)
    at_fault = serializers.BooleanField(required=False, allow_null=True, default=None)
    repeat = serializers.BooleanField(required=False, allow_null=True, default=None)
    escalated = serializers.BooleanField(required=False, allow_null=True, default=None)
    first_time = serializers.BooleanField(required=False, allow_null=True, default=None)
    satisfied = serializers.BooleanField(required=False, allow_null=True, default=None)
    visit_outcome = serializers.CharField(required=False)
    handler = serializers.CharField(required=False)
    assessed_department = serializers.CharField(required=False)
    assessed_station = serializers.CharField(required=False)
    # "deadline" (the queue's order, default) or "-received" (newest receipt
    # first: what the drill-down links use — their filters select a period of
    # receipt, which a walk in deadline order reaches only after every older
    # order; see benchmarks/RESULTS.md, 10M orders).
    ordering = serializers.ChoiceField(choices=["deadline", "-received"], required=False)


_FILTER_NAMES = frozenset(_ListFilters._declared_fields)

_LIST_PARAMS = (
    "state", "type", "channel", "grade", "department", "overdue", "q",
    "company", "within", "lead_department", "station", "category", "customer_category", "valid", "numbers",
    "assessed", "on_time", "at_fault", "repeat", "escalated", "first_time", "satisfied", "visit_outcome", "handler",
    "assessed_department", "assessed_station",
)


class WorkOrderListCreateApi(APIView):
    # For the schema: GET answers a page object (PaginatedWorkOrderList) and takes page/page_size.
    pagination_class = Pagination

    @extend_schema(
        parameters=[
            *(OpenApiParameter(n, str, required=False) for n in _LIST_PARAMS),
            *(OpenApiParameter(n, OpenApiTypes.DATETIME, required=False, description="RFC 3339, e.g. 2026-09-30T10:00:00+08:00")
              for n in ("received_from", "received_to")),
            OpenApiParameter("ordering", str, required=False, enum=["deadline", "-received"]),
            OpenApiParameter("count", str, required=False, enum=["exact"], description="`exact`: count every row"),
            OpenApiParameter("todo", bool, required=False, description="only the orders waiting for my next step (待我处理)"),
        ],
        responses=WorkOrderSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        if any(k in _FILTER_NAMES for k in request.query_params):
            filters = _ListFilters(data=request.query_params)
            filters.is_valid(raise_exception=True)
            validated = dict(filters.validated_data)
        else:
            validated = {}  # the plain queue: skip building a 30-field serializer
        actor = _actor(request)
        # One transaction for the page's reads and its one access-log row
        # (autocommit made each query its own commit).
        with transaction.atomic():
            qs = selectors.work_order_list(actor, filters=validated)
            plan = search_plan(actor, str(validated["q"])) if validated.get("q") else None
            # A common pair's matches are probed one order at a time: counting
            # 10,001 of them would take seconds; the planner's estimate does not.
            paginator = Pagination(estimate_first=plan is not None and order_search.search_is_dense(plan))
            page = paginator.paginate_queryset(qs, request, view=self)
            codes = selectors.lead_departments_by_order([o.pk for o in page])
            via = "api-search" if plan is not None and plan.personal else "api-list"
            data = render_orders(request.user, actor, page, detail=False, via=via, many=True, lead_codes=codes, search=plan)
        response = paginator.get_paginated_response(data)
        if plan is not None:
            response.data["search"] = search_summary(plan, actor)
        return response

    @extend_schema(request=IntakeSerializer, responses={201: WorkOrderSerializer, 200: WorkOrderSerializer})
    def post(self, request: Request) -> Response:
        data = parse_intake(request.data)
        reply: dict[str, Any] = {}

        def render_new(order: Any) -> None:
            # Inside the intake's transaction: the order and the access-log row
            # of the personal data shown in the reply commit together.
            # A new order has no lead departments yet: spare the serializer the query.
            reply["body"] = _render(request, order, detail=True, via="api", lead_codes={order.pk: []})

        order, created = services.work_order_intake(actor=_actor(request), data=data, on_created=render_new)
        if created:
            body = reply["body"]
        else:
            body = _render(request, selectors.work_order_get(_actor(request), order.number) or order, detail=True, via="api")
        return Response(body, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


_BULK_RESULT = inline_serializer(
    "BulkResult",
    {
        "created": serializers.IntegerField(),
        "existing": serializers.IntegerField(),
        "errors": serializers.IntegerField(),
        "results": serializers.ListField(child=serializers.DictField()),
    },
)


class WorkOrderBulkApi(APIView):
    json_list_body = True  # a bare list is accepted too (griddesk.common.parsers)

    @extend_schema(
        request=inline_serializer("BulkIntake", {"orders": IntakeSerializer(many=True)}),
        # 400 when no order went in: the same per-row report.
        responses={200: _BULK_RESULT, 400: _BULK_RESULT},
    )
    def post(self, request: Request) -> Response:
        payload = request.data
        items = payload.get("orders") if isinstance(payload, dict) else payload
        if not isinstance(items, list):
            raise InvalidInput(_("Send {\"orders\": [...]}."), code="invalid", field="orders")
        if len(items) > settings.GRIDDESK_BULK_MAX:
            raise InvalidInput(
                _("At most %(n)d orders per request.") % {"n": settings.GRIDDESK_BULK_MAX}, code="too_many", field="orders"
            )
        parsed = parse_intake_items(items)
        results = services.work_order_bulk_intake(actor=_actor(request), items=parsed)
        body = {
            "created": sum(r.status == "created" for r in results),
            "existing": sum(r.status == "existing" for r in results),
            "errors": sum(r.status == "error" for r in results),
            "results": [
                {"index": r.index, "status": r.status, "number": r.order.number if r.order else None, "errors": r.errors}
                for r in results
            ],
        }
        code = status.HTTP_200_OK if body["created"] or body["existing"] or not body["errors"] else status.HTTP_400_BAD_REQUEST
        return Response(body, status=code)


class WorkOrderDetailApi(APIView):
    @extend_schema(responses=WorkOrderSerializer)
    def get(self, request: Request, number: str) -> Response:
        return Response(_render(request, _order_or_404(request, number), detail=True, via="api"))


class WorkOrderActionApi(APIView):
    @extend_schema(request=ActionSerializer, responses={200: WorkOrderSerializer}, description=actions.api_description())
    def post(self, request: Request, number: str) -> Response:
        actor = _actor(request)
        head = ActionSerializer(data=request.data)
        head.is_valid(raise_exception=True)
        action = head.validated_data["action"]
        s = actions.serializer_for(action)(data=request.data)
        s.is_valid(raise_exception=True)
        services.work_order_act(order=number, actor=actor, action=action, data=dict(s.validated_data))
        return Response(_render(request, _order_or_404(request, number), detail=True, via="api"))


class WorkOrderEventsApi(APIView):
    @extend_schema(responses=EventSerializer(many=True))
    def get(self, request: Request, number: str) -> Response:
        order = _order_or_404(request, number)
        return Response(EventSerializer(selectors.work_order_events(order), many=True).data)


_IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key", str, OpenApiParameter.HEADER, required=False,
    description="Up to 64 characters chosen by the client: a retry with the same key returns the comment it "
    "made (200) instead of adding another.",
)


class WorkOrderCommentsApi(APIView):
    """Internal comments (内部备注): staff-only, append-only, outside the actions."""

    @extend_schema(responses=CommentSerializer(many=True))
    def get(self, request: Request, number: str) -> Response:
        order = _order_or_404(request, number)
        return Response(CommentSerializer(selectors.work_order_comments(order), many=True).data)

    @extend_schema(
        request=CommentCreateSerializer, parameters=[_IDEMPOTENCY_KEY],
        responses={201: CommentSerializer, 200: CommentSerializer},
    )
    def post(self, request: Request, number: str) -> Response:
        s = CommentCreateSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        comment, created = services.order_comment_add(
            order=number, actor=_actor(request), body=s.validated_data["body"],
            client_key=request.headers.get("Idempotency-Key", "").strip(),
        )
        return Response(CommentSerializer(comment).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)
