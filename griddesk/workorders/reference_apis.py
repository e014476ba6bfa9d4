from __future__ import annotations

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from .models import Category, Channel, OrderType


class ReferenceApi(APIView):
    """Codes an integrator needs: order types, channels and the business-category taxonomy."""

    @extend_schema(
        responses=inline_serializer(
            "Reference",
            {
                "types": serializers.ListField(child=serializers.DictField()),
                "channels": serializers.ListField(child=serializers.DictField()),
                "categories": serializers.ListField(child=serializers.DictField()),
            },
        )
    )
    def get(self, request: Request) -> Response:
        cats = Category.objects.filter(active=True).select_related("parent")
        return Response(
            {
                "types": [{"code": c, "label": str(label)} for c, label in OrderType.choices],
                "channels": [{"code": c, "label": str(label)} for c, label in Channel.choices],
                "categories": [
                    {"code": c.code, "name": c.name, "name_en": c.name_en, "parent": c.parent.code if c.parent else None, "order_type": c.order_type}
                    for c in cats
                ],
            }
        )
