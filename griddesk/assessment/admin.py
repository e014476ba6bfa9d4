"""Admin: scoring rules are versioned — saving publishes a new version (audited);
old versions and computed assessments are read-only."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from griddesk.common.errors import InvalidInput
from griddesk.engines import scoring

from . import services
from .models import AssessmentAdjustment, OrderAssessment, ScoringRuleSet


class RuleSetForm(forms.ModelForm):
    rules = forms.JSONField(label=_("Scoring rules (JSON)"), help_text=_("Rules versions are never edited: saving publishes a new version."))

    class Meta:
        model = ScoringRuleSet
        fields = ["rules", "note"]

    def clean_rules(self) -> Any:
        value = self.cleaned_data["rules"]
        try:
            scoring.rules_from_dict(value)
        except scoring.RulesError as exc:
            raise forms.ValidationError(f"{exc.field}: {exc.message}", code="invalid_rules") from None
        return value


@admin.register(ScoringRuleSet)
class ScoringRuleSetAdmin(admin.ModelAdmin):
    form = RuleSetForm
    list_display = ["version", "note", "created_by", "created_at"]
    ordering = ["-version"]

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        current = ScoringRuleSet.objects.order_by("-version").first()
        return {"rules": json.dumps(current.rules if current else scoring.DEFAULT_RULES, ensure_ascii=False, indent=2)}

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # publish a new version instead

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        try:
            published = services.scoring_rules_publish(actor=request.user, rules=form.cleaned_data["rules"], note=obj.note)
        except InvalidInput as exc:  # pragma: no cover - the form validated already
            raise forms.ValidationError(exc.message) from None
        obj.pk, obj.version = published.pk, published.version


class AdjustmentInline(admin.TabularInline):
    model = AssessmentAdjustment
    extra = 0
    can_delete = False
    readonly_fields = ["score_before", "score_after", "reason", "actor", "at"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(OrderAssessment)
class OrderAssessmentAdmin(admin.ModelAdmin):
    list_display = ["order", "rule_set", "on_time", "at_fault", "repeat", "escalated", "score", "final_score", "adjusted"]
    list_filter = ["on_time", "at_fault", "repeat", "escalated", "adjusted"]
    search_fields = ["order__number"]
    inlines = [AdjustmentInline]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [f.name for f in OrderAssessment._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
