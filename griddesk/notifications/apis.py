"""The in-app inbox: /api/v1/inbox/ and /api/v1/inbox/{id}/read/."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import generics
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from griddesk.organisation.access import signed_in_user_id

from . import selectors, services
from .serializers import NotificationSerializer


class InboxApi(generics.ListAPIView):
    """The caller's notifications, unread first, newest first; paginated."""

    serializer_class = NotificationSerializer

    def get_queryset(self) -> Any:
        return selectors.inbox(signed_in_user_id(self.request.user))


class InboxReadApi(APIView):
    @extend_schema(request=None, responses=NotificationSerializer)
    def post(self, request: Request, pk: int) -> Response:
        note = services.notification_mark_read(notification_id=pk, user_id=signed_in_user_id(request.user))
        return Response(NotificationSerializer(note).data)
