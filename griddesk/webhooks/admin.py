"""Read-only admin pages: subscriptions (never their secret) and the delivery log.
Subscriptions are changed through the API (its checks: SSRF guard, event types)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin

from griddesk.common.admin import ReadOnlyAdmin

from .models import Attempt, Delivery, Subscription


@admin.register(Subscription)
class SubscriptionAdmin(ReadOnlyAdmin):
    list_display = ("id", "url", "active", "disabled_reason", "include_personal_data", "description", "created_at")
    list_filter = ("active",)
    exclude = ("secret", "previous_secret")


class AttemptInline(admin.TabularInline):
    model = Attempt
    extra = 0
    can_delete = False
    fields = ("number", "started_at", "status", "latency_ms", "outcome", "response_excerpt", "error")
    readonly_fields = fields

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdmin):
    list_display = ("id", "event_type", "order_number", "subscription", "state", "attempts", "last_status",
                    "next_attempt_at", "created_at")
    list_filter = ("state", "event_type")
    search_fields = ("order_number", "event_id")
    inlines = [AttemptInline]
