"""Form input for the pages. Order data itself is validated by the API serializers."""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from griddesk.imports.services import received_at_text
from griddesk.workorders.models import OrderType, StateChoice

from .presenters import ACTIVE_STATES


class QueueFilterForm(forms.Form):
    state = forms.ChoiceField(
        label=_("State"),
        required=False,
        choices=[("", _("All active")), *StateChoice.choices, ("all", _("All, including closed"))],
    )
    type = forms.ChoiceField(label=_("Type"), required=False, choices=[("", _("All types")), *OrderType.choices])
    grade = forms.TypedChoiceField(
        label=_("Grade"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", _("All grades")), *((str(i), str(i)) for i in range(1, 5))],
    )
    overdue = forms.ChoiceField(
        label=_("Deadline"),
        required=False,
        choices=[("", _("Any")), ("yes", _("Overdue only")), ("no", _("Not overdue"))],
    )
    q = forms.CharField(
        label=_("Search"), required=False, max_length=64,
        widget=forms.TextInput(attrs={"placeholder": _("Number, account, phone, name, address or text"), "type": "search"}),
    )
    todo = forms.BooleanField(label=_("Waiting for me"), required=False)

    def saved_query(self) -> str:
        """The filter as a canonical query string (known fields only, as read,
        in the form's order): what a saved filter keeps and its link opens."""
        from django.utils.http import urlencode

        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        pairs: list[tuple[str, str]] = []
        for name in self.fields:
            value = data.get(name)
            if value in (None, "", False):
                continue
            pairs.append((name, "on" if value is True else str(value).strip()))
        return urlencode(pairs)

    def filters(self) -> dict[str, Any]:
        """The selector's filter dict; invalid inputs are ignored, not fatal."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        state = data.get("state") or ""
        out: dict[str, Any] = {}
        if state == "all" or (not state and data.get("q")):
            pass  # a search looks at closed orders too
        elif state:
            out["state"] = state
        else:
            out["state"] = ",".join(ACTIVE_STATES)
        if data.get("type"):
            out["type"] = data["type"]
        if data.get("grade"):
            out["grade"] = data["grade"]
        if data.get("overdue") in ("yes", "no"):
            out["overdue"] = data["overdue"] == "yes"
        if data.get("q"):
            out["q"] = data["q"].strip()
        if data.get("todo"):
            out["todo"] = True
        return out


INTAKE_FIELDS = (
    "external_id", "channel", "type", "category", "title", "content", "remedy_sought", "received_at", "area",
)
CUSTOMER_FIELDS = ("account_no", "name", "phone", "address", "category")


def intake_payload(post: QueryDict) -> dict[str, Any]:
    """The intake form as the JSON body the API takes (``IntakeSerializer``).

    Blank inputs are left out so the serializer's defaults and "required"
    messages apply; the browser's local time (no offset) is read as Beijing time.
    """
    payload: dict[str, Any] = {}
    for name in INTAKE_FIELDS:
        value = (post.get(name) or "").strip()
        if value:
            payload[name] = value
    if "received_at" in payload:
        payload["received_at"] = received_at_text(payload["received_at"])
    payload["anonymous"] = bool(post.get("anonymous"))
    payload["update_customer_phone"] = bool(post.get("update_customer_phone"))
    customer = {name: (post.get(f"customer.{name}") or "").strip() for name in CUSTOMER_FIELDS}
    if any(customer[name] for name in ("account_no", "name", "phone", "address")):
        payload["customer"] = {k: v for k, v in customer.items() if v}
    return payload
