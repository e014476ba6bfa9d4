from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.forms import ModelForm
from django.http import HttpRequest

from griddesk.common.admin import ReadOnlyAdmin

from .models import Customer, CustomerChange, PiiAccess


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ["account_no", "name", "category", "voltage_level", "station", "sensitive"]
    list_filter = ["category", "sensitive"]
    search_fields = ["account_no", "name"]

    def save_model(self, request: HttpRequest, obj: Customer, form: ModelForm[Customer], change: bool) -> None:
        from .services import customer_save

        customer_save(instance=obj, changed=form.changed_data if change else (), user=request.user)


@admin.register(PiiAccess)
class PiiAccessAdmin(admin.ModelAdmin):
    """Read-only: one row per view that showed personal data unmasked. Search
    by an account or order number finds every view that showed it."""

    list_display = ["at", "user", "via", "count", "accounts", "orders", "fields", "ip"]
    list_filter = ["via"]
    search_fields = ["accounts", "orders", "user__username", "path"]
    readonly_fields = [
        "at", "user", "customer", "order_number", "accounts", "orders", "count", "fields", "via", "path", "ip",
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(CustomerChange)
class CustomerChangeAdmin(ReadOnlyAdmin):
    """The customers' change history (append-only, written by the services)."""

    list_display = ["at", "customer", "field", "old_value", "new_value", "user", "order_number"]
    list_filter = ["field"]
    search_fields = ["customer__account_no", "order_number", "user__username"]
    list_select_related = ["customer", "user"]
