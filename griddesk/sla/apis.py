"""Thin REST endpoints for the calendar. (The deadline look-up, /api/v1/sla/deadline,
is the order clock's: ``workorders.clock_apis``.)"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.utils import (
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema,
    inline_serializer,
)
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from griddesk.common.errors import InvalidInput, ServiceError
from griddesk.organisation.access import actor_for

from . import selectors, services
from .serializers import (
    CalendarYearSerializer,
    OverrideImportOutSerializer,
    OverrideImportSerializer,
    OverrideOutSerializer,
    OverrideSerializer,
    OverrideSetOutSerializer,
)


class CalendarYearApi(APIView):
    """The days of one year: working day or not, and which layer decided it."""

    @extend_schema(responses=CalendarYearSerializer)
    def get(self, request: Request, year: int) -> Response:
        services.check_year(year)
        view = selectors.calendar_year(year)
        data = CalendarYearSerializer(view).data
        data["official"] = year in selectors.official_years()
        return Response(data)


class CalendarOverridesApi(APIView):
    @extend_schema(
        request=PolymorphicProxySerializer(
            component_name="CalendarOverrideRequest",
            serializers=[OverrideSerializer, OverrideImportSerializer],
            resource_type_field_name=None,
        ),
        responses={
            201: OpenApiResponse(OverrideSetOutSerializer, description="one date, newly overridden"),
            200: OpenApiResponse(
                PolymorphicProxySerializer(
                    component_name="CalendarOverrideResult",
                    serializers=[OverrideSetOutSerializer, OverrideImportOutSerializer],
                    resource_type_field_name=None,
                ),
                description="one date already overridden (updated / unchanged), or the notice at once",
            ),
        },
        description='Administrators only. One date: {"date", "is_workday", "source_notice", "note"}. '
        'A notice at once: {"overrides": [...], "confirm_year": 2027, "notice": "…"} — all or nothing, '
        "errors per item; confirm_year marks the year confirmed (its deadlines stop being provisional). "
        "Open orders' deadlines are recomputed in the background.",
    )
    def post(self, request: Request) -> Response:
        actor = actor_for(request.user)
        services.require_admin(actor)
        if isinstance(request.data, dict) and "overrides" in request.data:
            return self._import(request, actor)
        s = OverrideSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        v = s.validated_data
        result = services.calendar_override_set(
            actor=actor, day=v["date"], is_workday=v["is_workday"], source_notice=v["source_notice"], note=v["note"]
        )
        code = status.HTTP_201_CREATED if result.status == "created" else status.HTTP_200_OK
        return Response({**OverrideOutSerializer(result.override).data, "status": result.status}, status=code)

    def _import(self, request: Request, actor: Any) -> Response:
        s = OverrideImportSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        v = s.validated_data
        items = [
            services.OverrideItem(day=i["date"], is_workday=i["is_workday"], source_notice=i["source_notice"], note=i["note"])
            for i in v["overrides"]
        ]
        try:
            result = services.calendar_overrides_import(
                actor=actor, items=items, confirm_year=v["confirm_year"], notice=v["notice"]
            )
        except ServiceError as exc:
            if exc.field == "year":
                exc.field = "confirm_year"
            raise
        statuses = [r.status for r in result.results]
        return Response(
            {
                "created": statuses.count("created"),
                "updated": statuses.count("updated"),
                "unchanged": statuses.count("unchanged"),
                "confirmed_year": v["confirm_year"],
                "confirmation": result.confirmed,
                "results": [
                    {"index": i, "date": r.override.day.isoformat() if r.override else None, "status": r.status}
                    for i, r in enumerate(result.results)
                ],
            }
        )


class CalendarOverrideDetailApi(APIView):
    @extend_schema(responses={204: None}, description="Administrators only. Remove the override of one date.")
    def delete(self, request: Request, day: str) -> Response:
        actor = actor_for(request.user)
        services.require_admin(actor)
        try:
            parsed = date.fromisoformat(day)
        except ValueError:
            raise InvalidInput(_("Not a date (YYYY-MM-DD)."), code="invalid", field="date") from None
        services.calendar_override_delete(actor=actor, day=parsed)
        return Response(status=status.HTTP_204_NO_CONTENT)


class CalendarYearConfirmApi(APIView):
    @extend_schema(
        request=inline_serializer("CalendarConfirm", {"notice": serializers.CharField()}),
        responses=inline_serializer("CalendarConfirmResult", {"year": serializers.IntegerField(), "status": serializers.CharField()}),
        description="Administrators only. Confirm a year once its notice's dates are entered as overrides; "
        "DELETE withdraws the confirmation.",
    )
    def post(self, request: Request, year: int) -> Response:
        actor = actor_for(request.user)
        services.require_admin(actor)
        notice = request.data.get("notice", "") if isinstance(request.data, dict) else ""
        if not isinstance(notice, str):
            raise InvalidInput(_("Not a valid string."), code="invalid", field="notice")
        return Response({"year": year, "status": services.calendar_year_confirm(actor=actor, year=year, notice=notice)})

    @extend_schema(responses={204: None})
    def delete(self, request: Request, year: int) -> Response:
        actor = actor_for(request.user)
        services.require_admin(actor)
        services.calendar_year_unconfirm(actor=actor, year=year)
        return Response(status=status.HTTP_204_NO_CONTENT)
