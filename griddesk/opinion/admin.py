"""Admin: sources (feeds) and the risk settings as audited data (every change
writes a RuleChange row through griddesk.common.rule_audit, the same audit as the grading rules).
Items, stories and their events are read-only here."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest

from griddesk.common.admin import AuditedRuleAdmin, ReadOnlyAdmin

from . import rules
from .models import (
    EmergencyResponse,
    ItemPiiAccess,
    OpinionItem,
    OpinionSource,
    RiskKeyword,
    RiskSettings,
    Story,
    StoryEvent,
    TopicSeverity,
)


class _EngineCheckedForm(forms.ModelForm):
    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self._errors:
            return data
        model = self._meta.model
        fields = {f.name for f in model._meta.fields if f.name in data}
        try:
            rules.validate_row(model(**{k: data[k] for k in fields}))
        except (ValueError, TypeError) as exc:
            raise forms.ValidationError(str(exc), code="invalid_rule") from None
        return data


class RiskSettingsForm(_EngineCheckedForm):
    class Meta:
        model = RiskSettings
        fields = "__all__"


class TopicSeverityForm(_EngineCheckedForm):
    class Meta:
        model = TopicSeverity
        fields = "__all__"


@admin.register(RiskSettings)
class RiskSettingsAdmin(AuditedRuleAdmin):
    form = RiskSettingsForm
    list_display = ["code", "weight_negativity", "weight_topic", "weight_reach", "weight_burst", "weight_sensitive",
                    "weight_keywords", "medium_at", "high_at", "critical_at"]


@admin.register(TopicSeverity)
class TopicSeverityAdmin(AuditedRuleAdmin):
    form = TopicSeverityForm
    list_display = ["topic", "severity"]


@admin.register(RiskKeyword)
class RiskKeywordAdmin(AuditedRuleAdmin):
    list_display = ["word", "kind", "active"]
    list_filter = ["kind", "active"]
    search_fields = ["word"]


@admin.register(OpinionSource)
class OpinionSourceAdmin(AuditedRuleAdmin):
    list_display = ["name", "kind", "url", "active", "poll_minutes", "last_polled_at", "last_status", "failures", "next_poll_at"]
    list_filter = ["kind", "active"]
    readonly_fields = ["last_polled_at", "last_status", "last_error", "last_error_at", "failures", "next_poll_at"]


class StoryEventInline(admin.TabularInline):
    model = StoryEvent
    extra = 0
    can_delete = False
    fields = ["seq", "at", "action", "actor_name", "department", "from_state", "to_state", "note"]
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Story)
class StoryAdmin(ReadOnlyAdmin):
    list_display = ["id", "title", "topic", "area", "state", "risk_level", "judged_level", "risk_score", "copies", "last_seen"]
    list_filter = ["state", "risk_level", "topic"]
    search_fields = ["title"]
    inlines = [StoryEventInline]
    show_full_result_count = False


@admin.register(OpinionItem)
class OpinionItemAdmin(ReadOnlyAdmin):
    list_display = ["id", "source_kind", "source_name", "title", "topic", "risk_level", "published_at"]
    list_filter = ["source_kind", "topic", "risk_level"]
    show_full_result_count = False


@admin.register(EmergencyResponse)
class EmergencyResponseAdmin(ReadOnlyAdmin):
    list_display = ["id", "story", "level", "leader", "state", "started_at", "closed_at"]


@admin.register(ItemPiiAccess)
class ItemPiiAccessAdmin(ReadOnlyAdmin):
    list_display = ["at", "user", "item", "via"]
