"""The deadline look-up, ``GET /api/v1/sla/deadline``: when an order with these
facts would be due under the SLA policies (the path stays under ``sla/``; the
answer is the order clock's, :func:`.clock.deadline_for`)."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from griddesk.sla.models import AreaType
from griddesk.sla.serializers import AnyTimeAwareDateTimeField

from . import clock
from .models import Channel, Complexity, OrderType


class DeadlineQuerySerializer(serializers.Serializer):
    received_at = AnyTimeAwareDateTimeField()
    type = serializers.ChoiceField(choices=OrderType.choices, required=False, default=OrderType.COMPLAINT.value)
    grade = serializers.IntegerField(required=False, allow_null=True, default=None, min_value=1, max_value=4)
    complexity = serializers.ChoiceField(choices=Complexity.choices, required=False, allow_null=True, default=None)
    channel = serializers.ChoiceField(choices=Channel.choices, required=False, allow_null=True, default=None)
    area_type = serializers.ChoiceField(choices=AreaType.choices, required=False, allow_null=True, default=None)


class StageOutSerializer(serializers.Serializer):
    stage = serializers.CharField()
    due_at = serializers.DateTimeField()
    provisional = serializers.BooleanField()
    rule = serializers.DictField()


class DeadlineOutSerializer(serializers.Serializer):
    due_at = serializers.DateTimeField()
    provisional = serializers.BooleanField()
    working_days = serializers.IntegerField(allow_null=True)
    rule = serializers.DictField()
    stages = StageOutSerializer(many=True)


class DeadlineApi(APIView):
    """When an order with these facts would be due: the handling deadline from
    the most specific matching SLA policy, and every stage limit that applies
    (forwarding, grading, fault-repair arrival)."""

    @extend_schema(
        parameters=[
            OpenApiParameter("received_at", OpenApiTypes.DATETIME, required=True,
                             description="RFC 3339 (with an offset), e.g. 2026-09-30T10:00:00+08:00"),
            OpenApiParameter("type", str, required=False, description="order type code (default complaint)"),
            OpenApiParameter("grade", int, required=False, description="1–4"),
            OpenApiParameter("complexity", str, required=False, enum=["ordinary", "important"],
                             description="default: important for grade 1, else ordinary"),
            OpenApiParameter("channel", str, required=False, description="channel code (95598, online, 12345, media …)"),
            OpenApiParameter("area_type", str, required=False, enum=["urban", "rural", "remote"],
                             description="for fault-repair arrival limits"),
        ],
        responses=DeadlineOutSerializer,
    )
    def get(self, request: Request) -> Response:
        s = DeadlineQuerySerializer(data=request.query_params)
        s.is_valid(raise_exception=True)
        v = s.validated_data
        answer = clock.deadline_for(
            received_at=v["received_at"], type=v["type"], grade=v["grade"], complexity=v["complexity"],
            channel=v["channel"], area_type=v["area_type"],
        )
        return Response(DeadlineOutSerializer(answer).data)
