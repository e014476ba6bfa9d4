"""Thin REST endpoints for attachments."""

from __future__ import annotations

from typing import Any

from django.http import FileResponse
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from griddesk.common.errors import NotFound
from griddesk.organisation.access import actor_for
from griddesk.workorders.selectors import work_order_get

from . import selectors, services
from .models import Attachment, AttachmentAccess
from .serializers import AttachmentSerializer, UploadSerializer, render_attachment


class AttachmentListCreateApi(APIView):
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(responses=AttachmentSerializer(many=True))
    def get(self, request: Request, number: str) -> Response:
        order = work_order_get(actor_for(request.user), number)
        if order is None:
            raise NotFound(_("Work order %(number)s was not found.") % {"number": number})
        return Response([render_attachment(a) for a in selectors.attachments_of(order)])

    @extend_schema(request={"multipart/form-data": UploadSerializer}, responses={201: AttachmentSerializer})
    def post(self, request: Request, number: str) -> Response:
        s = UploadSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        f = s.validated_data["file"]
        a = services.attachment_upload(
            actor=actor_for(request.user), number=number, file=f, filename=f.name or "",
            stage=s.validated_data.get("stage") or "", note=s.validated_data.get("note") or "",
        )
        return Response(render_attachment(a), status=status.HTTP_201_CREATED)


def stream(request: Any, attachment: Attachment, variant: str) -> FileResponse:
    """The stored file, streamed; the download is logged first."""
    services.attachment_access_log(actor=actor_for(request.user), attachment=attachment, variant=variant)
    if variant == AttachmentAccess.Variant.THUMBNAIL:
        name, content_type, filename = attachment.thumbnail.name, "image/jpeg", f"thumb-{attachment.pk}.jpg"
    else:
        name, content_type, filename = attachment.file.name, attachment.content_type, attachment.filename
    assert name is not None, "a stored attachment has its file (and an image its thumbnail)"
    fh = attachment.file.storage.open(name, "rb")
    # Photos, recordings and PDFs open in the browser; Office files download.
    inline = attachment.kind in ("image", "audio") or content_type == "application/pdf"
    response = FileResponse(fh, content_type=content_type, as_attachment=not inline, filename=filename)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


class _FileApi(APIView):
    variant = AttachmentAccess.Variant.CONTENT

    @extend_schema(responses={(200, "application/octet-stream"): bytes})
    def get(self, request: Request, pk: int) -> FileResponse:
        a = selectors.attachment_get(actor_for(request.user), pk)
        if a is None or (self.variant == AttachmentAccess.Variant.THUMBNAIL and not a.thumbnail):
            raise NotFound(_("Attachment %(id)s was not found.") % {"id": pk})
        return stream(request, a, self.variant)


class AttachmentContentApi(_FileApi):
    variant = AttachmentAccess.Variant.CONTENT


class AttachmentThumbnailApi(_FileApi):
    variant = AttachmentAccess.Variant.THUMBNAIL
