from django.contrib import admin

from .models import Customer, PiiAccess


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ["account_no", "name", "category", "voltage_level", "station", "sensitive"]
    list_filter = ["category", "sensitive"]
    search_fields = ["account_no", "name"]

    def save_model(self, request, obj, form, change):  # type: ignore[no-untyped-def]
        from .services import customer_save

        customer_save(instance=obj, changed=form.changed_data if change else ())


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

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False
