from __future__ import annotations

from typing import Any

from django import template
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from ..selectors import LIST_URL

register = template.Library()

KPI_LABELS = {
    "complaints_per_10k": _("Complaints per 10,000 customers"),
    "at_fault_rate": _("At-fault complaint rate"),
    "on_time_rate": _("On-time closure rate"),
    "satisfaction_rate": _("Return-visit satisfaction rate"),
    "repeat_rate": _("Repeat-complaint rate"),
    "first_time_rate": _("First-time resolution rate"),
    "escalation_rate": _("Escalation (beyond level) rate"),
    "avg_handling_hours": _("Average handling time (working hours)"),
    "p90_handling_hours": _("P90 handling time (working hours)"),
    "avg_score": _("Average assessment score"),
}


@register.filter
def kpi_label(code: str) -> Any:
    return KPI_LABELS.get(code, code)


@register.filter
def web_drill(url: str) -> str:
    """The API drill-down URL → the same query on the web list page."""
    if url.startswith(LIST_URL):
        return reverse("assessment:orders") + url[len(LIST_URL):]
    return url


@register.filter
def num(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.2f}".rstrip("0").rstrip(".") if value != int(value) else str(int(value))
    return str(value)


@register.filter
def get_item(mapping: Any, key: str) -> Any:
    return mapping.get(key) if hasattr(mapping, "get") else None
