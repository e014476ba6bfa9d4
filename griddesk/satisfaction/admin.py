"""Admin for the editable rule and the questionnaires. Every save and delete is
audited (``workorders.RuleChange``, before/after) through the services."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from griddesk.workorders.admin import AuditedRuleAdmin
from griddesk.workorders.services import rule_delete, rule_save

from .models import Construct, Indicator, IndexSnapshot, PathLink, Questionnaire, SurveyResponse, VisitRule


@admin.register(VisitRule)
class VisitRuleAdmin(AuditedRuleAdmin):
    list_display = ["code", "due_working_days", "max_attempts", "assignee", "active"]


class ConstructInline(admin.TabularInline):
    model = Construct
    extra = 0


class PathInline(admin.TabularInline):
    model = PathLink
    extra = 0


class IndicatorInline(admin.TabularInline):
    model = Indicator
    extra = 0


@admin.register(Questionnaire)
class QuestionnaireAdmin(AuditedRuleAdmin):
    list_display = ["code", "name", "scale_max", "missing_policy", "max_missing_per_row", "active"]
    inlines = [ConstructInline, IndicatorInline, PathInline]

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        instances = formset.save(commit=False)
        for obj in formset.deleted_objects:
            rule_delete(actor=request.user, instance=obj)
        for obj in instances:
            rule_save(actor=request.user, instance=obj, created=obj.pk is None)
        formset.save_m2m()


@admin.register(SurveyResponse)
class SurveyResponseAdmin(admin.ModelAdmin):
    list_display = ["respondent", "questionnaire", "answered_on", "area", "customer_category", "channel", "source"]
    list_filter = ["questionnaire", "source", "customer_category", "channel"]
    search_fields = ["respondent"]
    readonly_fields = ["created_at"]


@admin.register(IndexSnapshot)
class IndexSnapshotAdmin(admin.ModelAdmin):
    list_display = ["questionnaire", "period", "segment", "state", "n", "computed_at"]
    readonly_fields = [f.name for f in IndexSnapshot._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
