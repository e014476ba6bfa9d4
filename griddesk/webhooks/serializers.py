"""Shapes of the webhooks API (types only; the rules live in services)."""

from __future__ import annotations

from rest_framework import serializers

from griddesk.common.validation import BoundedDateTimeField

from .models import Attempt, Delivery, Subscription


class SubscriptionInSerializer(serializers.Serializer):
    url = serializers.CharField(max_length=2000)
    events = serializers.ListField(child=serializers.CharField(max_length=64), max_length=100)
    active = serializers.BooleanField(required=False, default=True)
    description = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")
    include_personal_data = serializers.BooleanField(required=False, default=False)


class SubscriptionPatchSerializer(SubscriptionInSerializer):
    url = serializers.CharField(max_length=2000, required=False)
    events = serializers.ListField(child=serializers.CharField(max_length=64), max_length=100, required=False)
    active = serializers.BooleanField(required=False)
    description = serializers.CharField(required=False, allow_blank=True, max_length=200)
    include_personal_data = serializers.BooleanField(required=False)


class SubscriptionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Subscription
        fields = ["id", "url", "events", "active", "description", "include_personal_data", "disabled_reason",
                  "previous_secret_until", "created_at", "updated_at"]
        read_only_fields = fields


class SubscriptionCreatedSerializer(SubscriptionSerializer):
    secret = serializers.CharField(read_only=True, help_text="whsec_…, shown this once")

    class Meta(SubscriptionSerializer.Meta):
        fields = [*SubscriptionSerializer.Meta.fields, "secret"]
        read_only_fields = fields


class EventTypeSerializer(serializers.Serializer):
    type = serializers.CharField()
    description_zh = serializers.CharField()
    description_en = serializers.CharField()


class AttemptSerializer(serializers.ModelSerializer):
    class Meta:
        model = Attempt
        fields = ["number", "started_at", "status", "latency_ms", "response_excerpt", "error", "outcome"]
        read_only_fields = fields


class DeliverySerializer(serializers.ModelSerializer):
    webhook_id = serializers.CharField(read_only=True)
    attempt_log = AttemptSerializer(many=True, read_only=True)

    class Meta:
        model = Delivery
        fields = ["id", "webhook_id", "event_id", "event_type", "order_number", "state", "attempts", "last_status",
                  "next_attempt_at", "created_at", "delivered_at", "replayed_at", "payload", "attempt_log"]
        read_only_fields = fields


class ReplayRangeSerializer(serializers.Serializer):
    since = BoundedDateTimeField()
    until = BoundedDateTimeField()


class ReplayedSerializer(serializers.Serializer):
    replayed = serializers.IntegerField()


class RotateSecretSerializer(serializers.Serializer):
    overlap_hours = serializers.IntegerField(required=False, default=24, min_value=0, max_value=168)
