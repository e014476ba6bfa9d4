from __future__ import annotations

from typing import Any

from django.urls import reverse
from rest_framework import serializers

from .models import Attachment, Stage


class UploadSerializer(serializers.Serializer):
    # Empty files reach the service, which answers with its own code (file_empty).
    file = serializers.FileField(allow_empty_file=True, use_url=False)
    stage = serializers.ChoiceField(choices=Stage.choices, required=False, allow_blank=True)
    note = serializers.CharField(required=False, allow_blank=True, max_length=500)


def render_attachment(a: Attachment) -> dict[str, Any]:
    return {
        "id": a.pk,
        "filename": a.filename,
        "content_type": a.content_type,
        "kind": a.kind,
        "size": a.size,
        "sha256": a.sha256,
        "stage": a.stage,
        "note": a.note,
        "uploaded_by": a.uploaded_by_name or (a.uploaded_by.get_username() if a.uploaded_by else None),
        "created_at": a.created_at.isoformat(),
        "width": a.width,
        "height": a.height,
        "taken_at": a.taken_at.isoformat() if a.taken_at else None,
        "gps": {"lat": a.gps_lat, "lon": a.gps_lon} if a.gps_lat is not None and a.gps_lon is not None else None,
        "content_url": reverse("attachment-content", kwargs={"pk": a.pk}),
        "thumbnail_url": reverse("attachment-thumbnail", kwargs={"pk": a.pk}) if a.thumbnail else None,
    }


class AttachmentSerializer(serializers.Serializer):
    """For the schema only (responses are built by ``render_attachment``)."""

    id = serializers.IntegerField()
    filename = serializers.CharField()
    content_type = serializers.CharField()
    kind = serializers.CharField()
    size = serializers.IntegerField()
    sha256 = serializers.CharField()
    stage = serializers.CharField()
    note = serializers.CharField()
    uploaded_by = serializers.CharField(allow_null=True)
    created_at = serializers.DateTimeField()
    width = serializers.IntegerField(allow_null=True)
    height = serializers.IntegerField(allow_null=True)
    taken_at = serializers.DateTimeField(allow_null=True)
    gps = serializers.DictField(allow_null=True)
    content_url = serializers.CharField()
    thumbnail_url = serializers.CharField(allow_null=True)
