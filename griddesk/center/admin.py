"""Admin of the center link: the field mapping and the reply's time limit are
rules (edits audited as ``workorders.RuleChange``, like every rule); replies and
the endpoint are written only by services."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from griddesk.common.admin import ReadOnlyAdmin
from griddesk.workorders.admin import AuditedRuleAdmin

from . import contract
from .models import CenterEndpoint, FieldMapping, Reply, ReplyRule


class FieldMappingForm(forms.ModelForm):
    class Meta:
        model = FieldMapping
        fields = ["source", "target", "position", "active"]

    def clean_target(self) -> str:
        target = (self.cleaned_data.get("target") or "").strip()
        if not contract.TARGET_RE.match(target):
            raise forms.ValidationError(
                _("Use letters, digits and underscores, starting with a letter (at most 64)."), code="bad_target"
            )
        return target


@admin.register(FieldMapping)
class FieldMappingAdmin(AuditedRuleAdmin):
    form = FieldMappingForm
    list_display = ["position", "source", "source_label", "target", "active"]
    list_display_links = ["source"]
    list_editable = ["target", "active"]

    @admin.display(description=_("meaning"))
    def source_label(self, obj: FieldMapping) -> str:
        s = contract.BY_KEY.get(obj.source)
        return str(s.label) if s else obj.source

    def get_changelist_form(self, request: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("form", FieldMappingForm)
        return super().get_changelist_form(request, **kwargs)


@admin.register(ReplyRule)
class ReplyRuleAdmin(AuditedRuleAdmin):
    list_display = ["__str__", "ack_limit_minutes", "warn_minutes"]

    def has_add_permission(self, request: Any) -> bool:
        return not ReplyRule.objects.exists()


@admin.register(Reply)
class ReplyAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "order", "kind", "event_type", "due_at", "acknowledged_at", "receipt", "ack_source"]
    list_filter = ["kind", "ack_source"]
    search_fields = ["order__number", "order__external_id", "receipt"]
    raw_id_fields = ["order", "delivery"]


@admin.register(CenterEndpoint)
class CenterEndpointAdmin(ReadOnlyAdmin):
    list_display = ["subscription", "created_at"]
