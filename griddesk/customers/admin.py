from django.contrib import admin

from .models import Customer, PiiAccess


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ["account_no", "name", "category", "voltage_level", "station", "sensitive"]
    list_filter = ["category", "sensitive"]
    search_fields = ["account_no", "name"]


@admin.register(PiiAccess)
class PiiAccessAdmin(admin.ModelAdmin):
    list_display = ["at", "user", "customer", "order_number", "fields", "via"]
    readonly_fields = ["at", "user", "customer", "order_number", "fields", "via"]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False
