"""Shapes of the center link's API (types only; the rules live in services)."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from . import selectors
from .models import Reply


class EndpointInSerializer(serializers.Serializer):
    url = serializers.CharField(max_length=2000)
    active = serializers.BooleanField(required=False, default=True)
    description = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")


class EndpointSerializer(serializers.Serializer):
    subscription = serializers.IntegerField(source="subscription.pk", read_only=True)
    url = serializers.CharField(source="subscription.url", read_only=True)
    active = serializers.BooleanField(source="subscription.active", read_only=True)
    description = serializers.CharField(source="subscription.description", read_only=True)
    disabled_reason = serializers.CharField(source="subscription.disabled_reason", read_only=True)
    created_at = serializers.DateTimeField(read_only=True)


class EndpointCreatedSerializer(EndpointSerializer):
    secret = serializers.CharField(read_only=True, help_text="whsec_…, shown this once")


class AckInSerializer(serializers.Serializer):
    """Documentation only: the body is checked by services.clean_ack (stable codes)."""

    ack = serializers.BooleanField(help_text="must be true")
    receipt = serializers.CharField(required=False, allow_blank=True, max_length=100)


class ReplySerializer(serializers.ModelSerializer):
    order = serializers.CharField(source="order.number", read_only=True)
    external_id = serializers.CharField(source="order.external_id", read_only=True)
    status = serializers.SerializerMethodField()
    status_label = serializers.SerializerMethodField()
    sent_at = serializers.SerializerMethodField()
    attempts = serializers.SerializerMethodField()
    at_risk = serializers.SerializerMethodField()
    overdue = serializers.SerializerMethodField()
    delivery = serializers.IntegerField(source="delivery_id", read_only=True)

    class Meta:
        model = Reply
        fields = ["id", "order", "external_id", "kind", "event_type", "occurred_at", "due_at", "status",
                  "status_label", "sent_at", "attempts", "acknowledged_at", "receipt", "ack_source", "at_risk",
                  "overdue", "delivery"]
        read_only_fields = fields

    def _view(self, obj: Reply) -> Any:
        cache: dict[int, Any] = self.context.setdefault("_views", {})  # type: ignore[attr-defined]  # DRF passes a dict
        if obj.pk not in cache:
            cache[obj.pk] = selectors.view(obj)
        return cache[obj.pk]

    def get_status(self, obj: Reply) -> str:
        return str(self._view(obj).status)

    def get_status_label(self, obj: Reply) -> str:
        return str(self._view(obj).status_label)

    def get_sent_at(self, obj: Reply) -> str | None:
        v = self._view(obj).sent_at
        return serializers.DateTimeField().to_representation(v) if v else None

    def get_attempts(self, obj: Reply) -> int:
        return int(self._view(obj).attempts)

    def get_at_risk(self, obj: Reply) -> bool:
        return bool(self._view(obj).at_risk)

    def get_overdue(self, obj: Reply) -> bool:
        return bool(self._view(obj).overdue)
