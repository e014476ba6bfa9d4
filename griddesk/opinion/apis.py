"""Thin REST endpoints under /api/v1/opinion/: parse, call a selector or service, serialise."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from griddesk.common.errors import Forbidden, InvalidInput, NotFound
from griddesk.common.files import read_upload
from griddesk.common.pagination import Pagination, page_parameters, paginated_schema
from griddesk.organisation.access import Actor, actor_for

from . import actions, imports, presenters, selectors, services
from .serializers import MAX_BATCH, EmergencyCloseSerializer, ItemSerializer, NoteSerializer, parse_items


def _actor(request: Request) -> Actor:
    return actor_for(request.user)


def _result_body(results: list[services.IntakeResult]) -> dict[str, Any]:
    return {
        "created": sum(r.status == "created" for r in results),
        "existing": sum(r.status == "existing" for r in results),
        "errors": sum(r.status == "error" for r in results),
        "results": [
            {
                "index": r.index,
                "status": r.status,
                "id": r.item.pk if r.item else None,
                "story": r.item.story_id if r.item else None,
                "joined_story": r.joined_story,
                "risk_level": r.item.risk_level if r.item else None,
                "errors": r.errors,
            }
            for r in results
        ],
    }


class ItemIntakeApi(APIView):
    json_list_body = True  # a bare list is accepted too (griddesk.common.parsers)

    @extend_schema(
        request=ItemSerializer,
        responses={201: OpenApiTypes.OBJECT, 200: OpenApiTypes.OBJECT, 400: OpenApiTypes.OBJECT},
        description="One item (a JSON object) → 201 created / 200 already stored / 400 refused. "
        "A list, or {\"items\": [...]} (up to 1,000) → a per-item report; bad items are refused one by one.",
    )
    def post(self, request: Request) -> Response:
        actor = _actor(request)
        payload = request.data
        if isinstance(payload, dict) and "items" not in payload:
            s = ItemSerializer(data=payload)
            s.is_valid(raise_exception=True)
            (r,) = services.opinion_items_intake(actor=actor, items=[s.to_data()])
            if r.status == "error":
                raise InvalidInput(_("The item was refused."), code="refused", errors=r.errors)
            body = presenters.item_data(actor, r.item)
            body["joined_story"] = r.joined_story
            return Response(body, status=status.HTTP_201_CREATED if r.status == "created" else status.HTTP_200_OK)
        items = payload.get("items") if isinstance(payload, dict) else payload
        if not isinstance(items, list):
            raise InvalidInput(_("Send one item, a list of items or {\"items\": [...]}."), code="invalid", field="items")
        if len(items) > MAX_BATCH:
            raise InvalidInput(_("At most %(n)d items per request.") % {"n": MAX_BATCH}, code="too_many", field="items")
        if not selectors.can(actor, "intake"):
            raise Forbidden(_("Your role may not take in public-opinion items."))
        results = services.opinion_items_intake(actor=actor, items=parse_items(items))
        body = _result_body(results)
        ok = body["created"] or body["existing"] or not body["errors"]
        return Response(body, status=status.HTTP_200_OK if ok else status.HTTP_400_BAD_REQUEST)


class ItemImportApi(APIView):
    parser_classes = [MultiPartParser]

    @extend_schema(request=inline_serializer("OpinionImport", {"file": serializers.FileField()}), responses=OpenApiTypes.OBJECT)
    def post(self, request: Request) -> Response:
        upload = request.FILES.get("file")
        if upload is None:
            raise InvalidInput(_("Choose a CSV or XLSX file."), code="required", field="file")
        report = imports.import_file(actor=_actor(request), filename=upload.name or "", data=read_upload(upload))
        return Response(report.as_dict(), status=status.HTTP_200_OK)


class StoryListApi(APIView):
    @extend_schema(
        parameters=[*(OpenApiParameter(k, str, required=False) for k in ("topic", "area", "source", "level", "state")),
                    *page_parameters()],
        responses={200: paginated_schema()},
    )
    def get(self, request: Request) -> Response:
        actor = _actor(request)
        if not selectors.can(actor, "view"):
            raise Forbidden(_("Your role may not view the public-opinion board."))
        filters = {k: request.query_params.get(k) for k in ("topic", "area", "source", "level", "state")}
        qs = selectors.board(actor, filters=filters)
        paginator = Pagination()
        page = paginator.paginate_queryset(qs, request, view=self)
        return paginator.get_paginated_response([presenters.story_summary(s) for s in page])


def _story_or_404(actor: Actor, story_id: int) -> Any:
    story = selectors.story_get(actor, story_id)
    if story is None:
        raise NotFound(_("Story %(id)s was not found.") % {"id": story_id})
    return story


class StoryDetailApi(APIView):
    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request: Request, story_id: int) -> Response:
        actor = _actor(request)
        story = _story_or_404(actor, story_id)
        return Response(presenters.story_detail(request.user, actor, story))


class StoryActionSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=list(actions.BY_ACTION))
    version = serializers.IntegerField(required=False, min_value=1)


class StoryActionApi(APIView):
    @extend_schema(
        request=StoryActionSerializer,
        responses={200: OpenApiTypes.OBJECT, 201: OpenApiTypes.OBJECT},
        description=actions.api_description(),
    )
    def post(self, request: Request, story_id: int) -> Response:
        actor = _actor(request)
        head = StoryActionSerializer(data=request.data)
        head.is_valid(raise_exception=True)
        action = head.validated_data["action"]
        s = actions.BY_ACTION[action].serializer(data=request.data)
        s.is_valid(raise_exception=True)
        data = {**s.validated_data, "version": head.validated_data.get("version")}
        result = services.story_act(story=story_id, actor=actor, action=action, data=data)
        story = _story_or_404(actor, story_id)
        body = presenters.story_detail(request.user, actor, story)
        code = status.HTTP_201_CREATED if action == "emergency" else status.HTTP_200_OK
        if action == "emergency":
            body["emergency_id"] = result.pk
        return Response(body, status=code)


class EmergencyActionApi(APIView):
    @extend_schema(request=inline_serializer("EmergencyAction", {"action": serializers.ChoiceField(["notice", "close"]),
                                                                 "note": serializers.CharField(required=False),
                                                                 "summary": serializers.CharField(required=False)}),
                   responses=OpenApiTypes.OBJECT)
    def post(self, request: Request, response_id: int) -> Response:
        actor = _actor(request)
        action = request.data.get("action")
        if action == "close":
            s = EmergencyCloseSerializer(data=request.data)
            s.is_valid(raise_exception=True)
            r = services.emergency_close(response=response_id, actor=actor, summary=s.validated_data["summary"])
        elif action == "notice":
            s2 = NoteSerializer(data=request.data)
            s2.is_valid(raise_exception=True)
            r = services.emergency_notice(response=response_id, actor=actor, note=s2.validated_data["note"])
        else:
            raise InvalidInput(_("Unknown action."), code="invalid_choice", field="action")
        return Response(presenters.emergency_data(r))
