"""Django admin for rules and reference data. Work orders are read-only here:
their state only changes through the lifecycle services."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest

from griddesk.common.admin import AuditedRuleAdmin, ReadOnlyAdmin, engine_check

from . import rules
from .models import (
    Category,
    GradingRule,
    RoutingRule,
    RuleChange,
    TimeLimitRule,
    WorkflowRule,
    WorkOrder,
    WorkOrderComment,
    WorkOrderEvent,
)


class GradingRuleForm(forms.ModelForm):
    class Meta:
        model = GradingRule
        fields = "__all__"

    def clean(self) -> dict[str, Any]:
        super().clean()
        return engine_check(self, rules.grading_rule_from_row)


@admin.register(GradingRule)
class GradingRuleAdmin(AuditedRuleAdmin):
    form = GradingRuleForm
    list_display = ["code", "priority", "grade", "complexity", "description", "active"]
    list_editable = ["active"]


class RoutingRuleForm(forms.ModelForm):
    class Meta:
        model = RoutingRule
        fields = "__all__"

    def clean(self) -> dict[str, Any]:
        super().clean()
        return engine_check(self, rules.routing_rule_from_row)


@admin.register(RoutingRule)
class RoutingRuleAdmin(AuditedRuleAdmin):
    form = RoutingRuleForm
    list_display = ["grade", "lead_types"]


@admin.register(TimeLimitRule)
class TimeLimitRuleAdmin(AuditedRuleAdmin):
    list_display = ["complexity", "working_days"]


@admin.register(WorkflowRule)
class WorkflowRuleAdmin(AuditedRuleAdmin):
    list_display = ["code", "enabled", "note"]
    list_editable = ["enabled"]


@admin.register(Category)
class CategoryAdmin(AuditedRuleAdmin):
    list_display = ["code", "name", "name_en", "parent", "order_type", "active"]
    list_filter = ["order_type", "active"]
    search_fields = ["code", "name"]


@admin.register(RuleChange)
class RuleChangeAdmin(ReadOnlyAdmin):
    list_display = ["at", "model", "object_id", "change", "actor"]
    list_filter = ["model", "change"]
    readonly_fields = ["at", "model", "object_id", "change", "before", "after", "actor"]


class EventInline(admin.TabularInline):
    model = WorkOrderEvent
    extra = 0
    can_delete = False
    fields = ["seq", "at", "action", "actor_name", "from_state", "to_state", "note"]
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class CommentInline(admin.TabularInline):
    """Internal comments, read-only (append-only: added on the order page or the API)."""

    model = WorkOrderComment
    extra = 0
    can_delete = False
    fields = ["at", "author_name", "body"]
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(WorkOrder)
class WorkOrderAdmin(admin.ModelAdmin):
    list_display = ["number", "type", "channel", "state", "grade", "deadline_at"]
    list_filter = ["state", "type", "channel", "grade"]
    search_fields = ["number", "external_id"]
    inlines = [EventInline, CommentInline]
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
