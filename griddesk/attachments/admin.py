"""Admin: the upload limits (audited like every rule); attachments and the
download log read-only (evidence is immutable)."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from griddesk.common.admin import AuditedRuleAdmin, ReadOnlyAdmin

from .models import Attachment, AttachmentAccess, AttachmentRule


@admin.register(AttachmentRule)
class AttachmentRuleAdmin(AuditedRuleAdmin):
    list_display = ("max_bytes", "max_pixels")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return super().has_add_permission(request) and not AttachmentRule.objects.exists()


@admin.register(Attachment)
class AttachmentAdmin(ReadOnlyAdmin):
    list_display = ("filename", "order", "stage", "content_type", "size", "uploaded_by_name", "created_at")
    list_filter = ("stage", "kind")
    search_fields = ("filename", "order__number", "sha256")
    raw_id_fields = ("order",)


@admin.register(AttachmentAccess)
class AttachmentAccessAdmin(ReadOnlyAdmin):
    list_display = ("attachment", "variant", "user_name", "at")
    raw_id_fields = ("attachment",)
