"""Admin bases shared by the apps."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest

from . import rule_audit


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records that are written only by services (logs, events, append-only
    history): shown in the admin, never added, changed or deleted there."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class AuditedRuleAdmin(admin.ModelAdmin):
    """Rules as data: every save and delete in the admin goes through
    :mod:`griddesk.common.rule_audit` (a ``RuleChange`` row, before/after).
    An app whose rule change has side effects overrides the three methods to
    call its own service (e.g. ``sla``: the deadlines are recomputed)."""

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        rule_audit.rule_save(actor=request.user, instance=obj, created=not change)

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        rule_audit.rule_delete(actor=request.user, instance=obj)

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        for obj in queryset:
            rule_audit.rule_delete(actor=request.user, instance=obj)


def engine_check(form: forms.ModelForm, to_engine: Any) -> dict[str, Any]:
    """Validate the edited row with the same conversion the running system uses."""
    data = form.cleaned_data
    if form.errors:  # field errors first; the engine needs every field
        return data
    fields = {f.name for f in form._meta.model._meta.fields if f.name in data}
    try:
        to_engine(form._meta.model(**{k: data[k] for k in fields}))
    except (ValueError, TypeError) as exc:
        raise forms.ValidationError(str(exc), code="invalid_rule") from None
    return data
