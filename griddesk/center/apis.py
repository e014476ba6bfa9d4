"""/api/v1/center/: the center's endpoint and the replies (administrators),
and the acknowledgement the center posts (signed with its secret)."""

from __future__ import annotations

from typing import Any

from django.http.request import RawPostDataException
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from griddesk.common.errors import NotFound
from griddesk.organisation.access import actor_for
from griddesk.webhooks import services as webhooks

from . import selectors, services
from .serializers import (
    AckInSerializer,
    EndpointCreatedSerializer,
    EndpointInSerializer,
    EndpointSerializer,
    ReplySerializer,
)


class EndpointApi(APIView):
    @extend_schema(responses=EndpointSerializer, description="Administrators only. 404 until configured.")
    def get(self, request: Request) -> Response:
        webhooks.require_admin(actor_for(request.user))
        ep = selectors.endpoint()
        if ep is None:
            raise NotFound(_("No 95598 center is configured."))
        return Response(EndpointSerializer(ep).data)

    @extend_schema(
        request=EndpointInSerializer, responses={201: EndpointCreatedSerializer, 200: EndpointSerializer},
        description="Administrators only. The first call creates the center's endpoint (201, with its signing secret "
        "whsec_… this once); later calls change its URL or state (200).",
    )
    def put(self, request: Request) -> Response:
        actor = actor_for(request.user)
        webhooks.require_admin(actor)
        s = EndpointInSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        ep, secret = services.endpoint_save(actor=actor, **s.validated_data)
        if secret is None:
            return Response(EndpointSerializer(ep).data)
        data: dict[str, Any] = dict(EndpointSerializer(ep).data)
        data["secret"] = secret
        return Response(data, status=status.HTTP_201_CREATED)


class RepliesApi(generics.ListAPIView):
    """Replies to the center, newest first, with their status and warning flags. Administrators only."""

    serializer_class = ReplySerializer

    @extend_schema(parameters=[
        OpenApiParameter("order", str, required=False, description="work order number"),
        OpenApiParameter("unacknowledged", bool, required=False),
        OpenApiParameter("at_risk", bool, required=False, description="unacknowledged and within the warning time of "
                         "its limit (or past it)"),
    ])
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> Any:
        webhooks.require_admin(actor_for(self.request.user))
        q = self.request.query_params
        yes = ("1", "true", "yes")
        return selectors.replies_filtered(order=q.get("order", "")[:32], unacknowledged=q.get("unacknowledged") in yes,
                                          at_risk=q.get("at_risk") in yes)


class ReplyAckApi(APIView):
    # The center authenticates by signing (services.ack_authorise); an administrator by token or session.
    permission_classes = [AllowAny]

    @extend_schema(
        request=AckInSerializer, responses={200: ReplySerializer},
        description="The center acknowledges a reply: {\"ack\": true, \"receipt\": \"…\"}. Signed with the center "
        "endpoint's secret (webhook-id, webhook-timestamp, webhook-signature) or sent by an administrator. "
        "Idempotent: again → 200 with the recorded acknowledgement; a different receipt → 409 receipt_mismatch.",
    )
    def post(self, request: Request, pk: int) -> Response:
        try:
            body: bytes | None = request.body  # the signed bytes, before DRF parses them
        except RawPostDataException:  # a form body already read (by the CSRF check): not a signed JSON request
            body = None
        headers = {k.lower(): v for k, v in request.headers.items()}
        by = services.ack_authorise(user=request.user, body=body, headers=headers)
        receipt = services.clean_ack(request.data)
        reply, _created = services.reply_acknowledge(reply_id=pk, receipt=receipt, by=by)
        return Response(ReplySerializer(selectors.replies().get(pk=reply.pk)).data)
