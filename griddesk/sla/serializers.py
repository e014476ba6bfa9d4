"""API shapes for the calendar endpoints (input validation only). The deadline
look-up's are ``workorders.clock_apis``'."""

from __future__ import annotations

import re
from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from griddesk.common.validation import AwareDateTimeField, BoundedDateField, CleanCharField

from . import selectors

# "2026-09-30T10:00:00 08:00": an unencoded "+" in a query string arrives as a space.
_SPACE_OFFSET = re.compile(r"(\d) (\d{2}(?::?\d{2})?)$")


class AnyTimeAwareDateTimeField(AwareDateTimeField):
    """ISO 8601 with an explicit offset, naive times refused (code ``naive``),
    but without the "not in the future" check: an integrator may ask about any
    time (within the API's date range, code ``date_out_of_range``)."""

    future_allowed = True

    def clean_text(self, value: str) -> str:
        return _SPACE_OFFSET.sub(r"\1+\2", value.strip())


def _check_day_year(value: Any) -> Any:
    if not selectors.MIN_YEAR <= value.year <= selectors.MAX_YEAR:
        raise serializers.ValidationError(
            _("The year must lie between %(min)d and %(max)d.") % {"min": selectors.MIN_YEAR, "max": selectors.MAX_YEAR},
            code="out_of_range",
        )
    return value


class OverrideSerializer(serializers.Serializer):
    date = BoundedDateField(validators=[_check_day_year])
    is_workday = serializers.BooleanField()
    source_notice = CleanCharField(max_length=200)
    note = CleanCharField(max_length=500, required=False, allow_blank=True, default="")


class OverrideItemSerializer(OverrideSerializer):
    # In an import the notice may be given once for all dates.
    source_notice = CleanCharField(max_length=200, required=False, allow_blank=True, default="")


class OverrideImportSerializer(serializers.Serializer):
    overrides = OverrideItemSerializer(many=True, allow_empty=True, max_length=1000)
    confirm_year = serializers.IntegerField(
        required=False, allow_null=True, default=None, min_value=selectors.MIN_YEAR, max_value=selectors.MAX_YEAR
    )
    notice = CleanCharField(max_length=200, required=False, allow_blank=True, default="")

    def validate(self, data: dict[str, Any]) -> dict[str, Any]:
        # Keyed by item index, like DRF's own per-item errors of a list field.
        item_errors: dict[int, dict[str, Any]] = {}
        seen: set[Any] = set()
        for index, item in enumerate(data["overrides"]):
            errs: dict[str, Any] = {}
            if item["date"] in seen:
                errs["date"] = [serializers.ErrorDetail(str(_("The date is listed twice.")), code="duplicate")]
            seen.add(item["date"])
            if not item["source_notice"].strip() and not data["notice"].strip():
                errs["source_notice"] = [
                    serializers.ErrorDetail(str(_("Name the notice the date comes from.")), code="required")
                ]
            if errs:
                item_errors[index] = errs
        errors: dict[str, Any] = {}
        if item_errors:
            errors["overrides"] = item_errors
        if data["confirm_year"] is not None and not data["notice"].strip():
            errors["notice"] = [serializers.ErrorDetail(str(_("Name the notice that confirms the year.")), code="required")]
        if errors:
            raise serializers.ValidationError(errors)
        return data


class DayOutSerializer(serializers.Serializer):
    date = serializers.DateField(source="day")
    is_workday = serializers.BooleanField()
    source = serializers.ChoiceField(choices=["official", "override", "rule"])


class OverrideOutSerializer(serializers.Serializer):
    date = serializers.DateField(source="day")
    is_workday = serializers.BooleanField()
    source_notice = serializers.CharField()
    note = serializers.CharField()
    created_by = serializers.CharField(source="created_by.username", default=None, allow_null=True)
    updated_at = serializers.DateTimeField()


class OverrideSetOutSerializer(OverrideOutSerializer):
    """The answer to one date: the override as stored and what happened to it."""

    status = serializers.ChoiceField(choices=["created", "updated", "unchanged"])


class ImportItemOutSerializer(serializers.Serializer):
    index = serializers.IntegerField()
    date = serializers.DateField(allow_null=True)
    status = serializers.ChoiceField(choices=["created", "updated", "unchanged"])


class OverrideImportOutSerializer(serializers.Serializer):
    """The answer to a notice at once."""

    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    confirmed_year = serializers.IntegerField(allow_null=True)
    confirmation = serializers.CharField(allow_null=True)
    results = ImportItemOutSerializer(many=True)


class ConfirmationOutSerializer(serializers.Serializer):
    notice = serializers.CharField()
    confirmed_by = serializers.CharField(source="confirmed_by.username", default=None, allow_null=True)
    confirmed_at = serializers.DateTimeField()


class CalendarYearSerializer(serializers.Serializer):
    year = serializers.IntegerField()
    provisional = serializers.BooleanField()
    confirmation = ConfirmationOutSerializer(allow_null=True)
    days = DayOutSerializer(many=True)
    overrides = OverrideOutSerializer(many=True)
