from django.contrib import admin

from griddesk.common.admin import AuditedRuleAdmin

from .models import Delivery, Notification, WatchThreshold


@admin.register(WatchThreshold)
class WatchThresholdAdmin(AuditedRuleAdmin):
    """Edits are audited (RuleChange), like every rule."""

    list_display = ["code", "kind", "fraction_used", "hours_left", "working_hours_left", "active"]
    list_editable = ["fraction_used", "hours_left", "working_hours_left", "active"]


class DeliveryInline(admin.TabularInline):
    model = Delivery
    extra = 0
    readonly_fields = ["channel", "state", "attempts", "last_error", "sent_at"]
    can_delete = False


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["created_at", "kind", "recipient", "order", "title", "read_at"]
    list_filter = ["kind"]
    raw_id_fields = ["recipient", "order"]
    readonly_fields = ["dedupe_key", "created_at"]
    inlines = [DeliveryInline]


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ["notification", "channel", "state", "attempts", "sent_at"]
    list_filter = ["channel", "state"]
    raw_id_fields = ["notification"]
