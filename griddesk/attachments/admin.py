"""Admin: the upload limits (audited like every rule); attachments and the
download log read-only (evidence is immutable)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from griddesk.workorders.admin import AuditedRuleAdmin

from .models import Attachment, AttachmentAccess, AttachmentRule


@admin.register(AttachmentRule)
class AttachmentRuleAdmin(AuditedRuleAdmin):
    list_display = ("max_bytes", "max_pixels")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return super().has_add_permission(request) and not AttachmentRule.objects.exists()


class _ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Attachment)
class AttachmentAdmin(_ReadOnly):
    list_display = ("filename", "order", "stage", "content_type", "size", "uploaded_by_name", "created_at")
    list_filter = ("stage", "kind")
    search_fields = ("filename", "order__number", "sha256")
    raw_id_fields = ("order",)


@admin.register(AttachmentAccess)
class AttachmentAccessAdmin(_ReadOnly):
    list_display = ("attachment", "variant", "user_name", "at")
    raw_id_fields = ("attachment",)
