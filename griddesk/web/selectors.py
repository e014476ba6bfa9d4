"""Reads of the pages' own per-user data."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from .models import SavedQueueFilter


def queue_filters_of(user: Any) -> QuerySet[SavedQueueFilter]:
    """The user's saved queue filters, oldest first (the order they were made)."""
    return SavedQueueFilter.objects.filter(user=user).order_by("created_at", "pk")
