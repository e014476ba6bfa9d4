"""/api/v1/webhooks/: subscriptions (administrators only) and the event types."""

from __future__ import annotations

from typing import Any

from django.utils import translation
from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from griddesk.organisation.access import actor_for

from . import event_types, selectors, services
from .serializers import (
    DeliverySerializer,
    EventTypeSerializer,
    ReplayedSerializer,
    ReplayRangeSerializer,
    RotateSecretSerializer,
    SubscriptionCreatedSerializer,
    SubscriptionInSerializer,
    SubscriptionPatchSerializer,
    SubscriptionSerializer,
)


class SubscriptionsApi(APIView):
    @extend_schema(responses=SubscriptionSerializer(many=True), description="Administrators only.")
    def get(self, request: Request) -> Response:
        services.require_admin(actor_for(request.user))
        return Response(SubscriptionSerializer(selectors.subscriptions(), many=True).data)

    @extend_schema(
        request=SubscriptionInSerializer, responses={201: SubscriptionCreatedSerializer},
        description="Administrators only. The response carries the signing secret (whsec_…) this once.",
    )
    def post(self, request: Request) -> Response:
        actor = actor_for(request.user)
        services.require_admin(actor)
        s = SubscriptionInSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        sub, secret = services.subscription_create(actor=actor, **s.validated_data)
        data: dict[str, Any] = dict(SubscriptionSerializer(sub).data)
        data["secret"] = secret
        return Response(data, status=status.HTTP_201_CREATED)


class SubscriptionApi(APIView):
    @extend_schema(responses=SubscriptionSerializer, description="Administrators only.")
    def get(self, request: Request, pk: int) -> Response:
        services.require_admin(actor_for(request.user))
        return Response(SubscriptionSerializer(services._get(pk)).data)

    @extend_schema(request=SubscriptionPatchSerializer, responses=SubscriptionSerializer, description="Administrators only.")
    def patch(self, request: Request, pk: int) -> Response:
        actor = actor_for(request.user)
        services.require_admin(actor)
        s = SubscriptionPatchSerializer(data=request.data, partial=True)
        s.is_valid(raise_exception=True)
        sub = services.subscription_update(actor=actor, subscription_id=pk, **s.validated_data)
        return Response(SubscriptionSerializer(sub).data)

    @extend_schema(responses={204: None}, description="Administrators only. Its delivery log goes with it.")
    def delete(self, request: Request, pk: int) -> Response:
        services.subscription_delete(actor=actor_for(request.user), subscription_id=pk)
        return Response(status=status.HTTP_204_NO_CONTENT)


class EventTypesApi(APIView):
    @extend_schema(responses=EventTypeSerializer(many=True), description="Administrators only.")
    def get(self, request: Request) -> Response:
        services.require_admin(actor_for(request.user))
        out = []
        for e in event_types.EVENT_TYPES:
            with translation.override("zh-hans"):
                zh = str(e.description)
            with translation.override("en"):
                en = str(e.description)
            out.append({"type": e.type, "description_zh": zh, "description_en": en})
        return Response(EventTypeSerializer(out, many=True).data)


class DeliveriesApi(generics.ListAPIView):
    """The subscription's delivery log, newest first, with each attempt. Administrators only."""

    serializer_class = DeliverySerializer

    def get_queryset(self) -> Any:
        services.require_admin(actor_for(self.request.user))
        services._get(self.kwargs["pk"])
        return selectors.deliveries(self.kwargs["pk"])


class DeliveryReplayApi(APIView):
    @extend_schema(request=None, responses=DeliverySerializer,
                   description="Administrators only. Sends a finished delivery again (same body and webhook-id).")
    def post(self, request: Request, pk: int, delivery_id: int) -> Response:
        d = services.delivery_replay(actor=actor_for(request.user), subscription_id=pk, delivery_id=delivery_id)
        return Response(DeliverySerializer(selectors.deliveries(pk).get(pk=d.pk)).data)


class ReplayRangeApi(APIView):
    @extend_schema(request=ReplayRangeSerializer, responses=ReplayedSerializer,
                   description="Administrators only. Sends again the finished deliveries written in [since, until).")
    def post(self, request: Request, pk: int) -> Response:
        actor = actor_for(request.user)
        services.require_admin(actor)
        s = ReplayRangeSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        n = services.deliveries_replay(actor=actor, subscription_id=pk, **s.validated_data)
        return Response({"replayed": n})


class RotateSecretApi(APIView):
    @extend_schema(
        request=RotateSecretSerializer, responses=SubscriptionCreatedSerializer,
        description="Administrators only. A new secret, shown this once; the old one keeps signing beside it for "
        "overlap_hours (default 24, 0–168).",
    )
    def post(self, request: Request, pk: int) -> Response:
        actor = actor_for(request.user)
        services.require_admin(actor)
        s = RotateSecretSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        sub, secret = services.subscription_rotate_secret(actor=actor, subscription_id=pk, **s.validated_data)
        data: dict[str, Any] = dict(SubscriptionSerializer(sub).data)
        data["secret"] = secret
        return Response(data)
