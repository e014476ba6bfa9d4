"""Django admin for the calendar layer. Every save and delete goes through the
services (audited; deadlines recomputed after commit). Administrators only."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from griddesk.common.admin import AuditedRuleAdmin, engine_check
from griddesk.common.errors import ServiceError
from griddesk.organisation.access import actor_for

from . import policies, services
from .models import BusinessHours, CalendarOverride, ConfirmedYear, DepartmentArea, SlaPolicy


def _form_error(exc: ServiceError) -> forms.ValidationError:
    field = {"date": "day"}.get(exc.field or "", exc.field)
    return forms.ValidationError({field: exc.message} if field else exc.message, code=exc.code)


class _AdminOnly(admin.ModelAdmin):
    def _is_admin(self, request: HttpRequest) -> bool:
        return bool(request.user.is_authenticated and actor_for(request.user).is_admin)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._is_admin(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._is_admin(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return self._is_admin(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._is_admin(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._is_admin(request)


class CalendarOverrideForm(forms.ModelForm):
    class Meta:
        model = CalendarOverride
        fields = ["day", "is_workday", "source_notice", "note"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        day = data.get("day") or (self.instance.day if self.instance.pk else None)
        if day is not None:
            try:
                services.check_override(day=day, source_notice=data.get("source_notice") or "")
            except ServiceError as exc:
                raise _form_error(exc) from None
        return data


@admin.register(CalendarOverride)
class CalendarOverrideAdmin(_AdminOnly):
    form = CalendarOverrideForm
    list_display = ["day", "is_workday", "source_notice", "note", "created_by", "updated_at"]
    list_filter = ["is_workday"]
    search_fields = ["source_notice", "note"]
    date_hierarchy = "day"

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        # The date is the key: change another date by adding it.
        return ["day"] if obj is not None else []

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        result = services.calendar_override_set(
            actor=actor_for(request.user), day=obj.day, is_workday=obj.is_workday, source_notice=obj.source_notice, note=obj.note
        )
        obj.pk = result.override.pk if result.override else obj.pk

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        services.calendar_override_delete(actor=actor_for(request.user), day=obj.day)

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        services.calendar_overrides_delete(actor=actor_for(request.user), days=[o.day for o in queryset])


class ConfirmedYearForm(forms.ModelForm):
    class Meta:
        model = ConfirmedYear
        fields = ["year", "notice"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        year = data.get("year") or (self.instance.year if self.instance.pk else None)
        if year is not None:
            try:
                services.check_confirm(year=year, notice=data.get("notice") or "")
            except ServiceError as exc:
                raise _form_error(exc) from None
        return data


@admin.register(ConfirmedYear)
class ConfirmedYearAdmin(_AdminOnly):
    form = ConfirmedYearForm
    list_display = ["year", "notice", "confirmed_by", "confirmed_at"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return ["year"] if obj is not None else []

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        actor = actor_for(request.user)
        services.calendar_year_confirm(actor=actor, year=obj.year, notice=obj.notice)
        saved = ConfirmedYear.objects.filter(year=obj.year).first()
        if saved is not None:
            obj.pk = saved.pk

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        services.calendar_year_unconfirm(actor=actor_for(request.user), year=obj.year)

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        actor = actor_for(request.user)
        for obj in queryset:
            services.calendar_year_unconfirm(actor=actor, year=obj.year)


# ------------------------------------------------------------------ SLA policies
# Audited like every rule (RuleChange before/after, common.rule_audit).


class _RecomputingRuleAdmin(AuditedRuleAdmin):
    """Audited like the other rules; after the change commits, the affected open
    orders' deadlines are recomputed in the background (``sla.services.sla_rule_save``
    announces the change; the order clock recomputes)."""

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        services.sla_rule_save(actor=request.user, instance=obj, created=not change)

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        services.sla_rule_delete(actor=request.user, instance=obj)

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        for obj in queryset:
            services.sla_rule_delete(actor=request.user, instance=obj)


class SlaPolicyForm(forms.ModelForm):
    class Meta:
        model = SlaPolicy
        fields = "__all__"

    def clean(self) -> dict[str, Any]:
        super().clean()
        return engine_check(self, policies.policy_from_row)


@admin.register(SlaPolicy)
class SlaPolicyAdmin(_RecomputingRuleAdmin):
    form = SlaPolicyForm
    list_display = ["code", "stage", "kind", "amount", "order_types", "grades", "complexities", "channels", "area_types", "priority", "active"]
    list_filter = ["stage", "kind", "active"]
    search_fields = ["code", "description"]


class BusinessHoursForm(forms.ModelForm):
    class Meta:
        model = BusinessHours
        fields = "__all__"

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if start and end and end <= start:
            raise forms.ValidationError({"end": _("Closing time must be after opening time.")}, code="invalid")
        return data


@admin.register(BusinessHours)
class BusinessHoursAdmin(_RecomputingRuleAdmin):
    form = BusinessHoursForm
    list_display = ["__str__", "start", "end"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return not BusinessHours.objects.exists()


@admin.register(DepartmentArea)
class DepartmentAreaAdmin(_RecomputingRuleAdmin):
    list_display = ["department", "area_type"]
    list_filter = ["area_type"]
    raw_id_fields = ["department"]
