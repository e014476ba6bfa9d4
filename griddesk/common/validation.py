"""Field validators shared by the API and file imports (messages in Chinese via gettext)."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

# C0 controls except tab, LF, CR; DEL; C1 controls.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")

MAX_CONTENT_CHARS = 5000


def reject_control_characters(value: str) -> str:
    if _CONTROL.search(value):
        raise serializers.ValidationError(_("Contains control characters."), code="control_characters")
    return value


class CleanCharField(serializers.CharField):
    """A CharField that refuses control characters."""

    def __init__(self, **kwargs: object) -> None:
        validators = list(kwargs.pop("validators", []))  # type: ignore[call-overload]
        validators.append(reject_control_characters)
        super().__init__(validators=validators, **kwargs)  # type: ignore[arg-type]


def parse_iso_datetime(text: str) -> datetime:
    """An RFC 3339 date-time (the schema's ``format: date-time``): "T" or "t"
    (or a space) between date and time, "Z" or "z" for UTC. Without an offset
    the result is naive, for the caller to refuse. ValueError if malformed."""
    text = text.strip()
    if len(text) > 10:
        if text[10] not in "Tt ":
            raise ValueError(text)
        text = f"{text[:10]}T{text[11:]}"
    if text[-1:] in ("Z", "z"):
        text = text[:-1] + "+00:00"
    return datetime.fromisoformat(text)


def date_range() -> tuple[date, date]:
    """The first and last day a date given to the API may fall on
    (``GRIDDESK_DATE_MIN_YEAR`` … ``GRIDDESK_DATE_MAX_YEAR``, default 2000–2100).
    Years like 0072 or 9999 are typing errors; they also break the
    order number (which embeds the day) and deadline arithmetic."""
    return date(settings.GRIDDESK_DATE_MIN_YEAR, 1, 1), date(settings.GRIDDESK_DATE_MAX_YEAR, 12, 31)


def in_date_range(value: date | datetime) -> bool:
    low, high = date_range()
    return low.year <= value.year <= high.year


def date_out_of_range_message() -> str:
    low, high = date_range()
    return str(_("The date must lie between %(min)s and %(max)s.") % {"min": low.isoformat(), "max": high.isoformat()})


def period_in_date_range(text: str) -> bool:
    """A period like ``2026-10``, ``2026-Q4`` or ``2026``: does its year lie in
    :func:`date_range`? (Text that does not start with a year: True, for the
    period parser to refuse.)"""
    m = re.match(r"\s*(\d{4})", text)
    return m is None or in_date_range(date(max(int(m.group(1)), 1), 1, 1))


class _DateRangeMixin:
    """The one date-range check of every date/time field of the API: code ``date_out_of_range``."""

    def check_date_range(self, value: date | datetime | None) -> None:
        if value is not None and not in_date_range(value):
            raise serializers.ValidationError(date_out_of_range_message(), code="date_out_of_range")


class BoundedDateField(_DateRangeMixin, serializers.DateField):
    def to_internal_value(self, value: date | str) -> date:
        result = super().to_internal_value(value)
        self.check_date_range(result)
        return result


class BoundedDateTimeField(_DateRangeMixin, serializers.DateTimeField):
    """A DateTimeField whose value lies within :func:`date_range` — checked on
    the time as written (before conversion to UTC could overflow) and after."""

    def to_internal_value(self, value: datetime | str) -> datetime:
        if isinstance(value, str):
            try:
                self.check_date_range(parse_datetime(value.strip()))
            except ValueError:
                pass  # not a valid time: the parent says so
        elif isinstance(value, datetime):
            self.check_date_range(value)
        result = super().to_internal_value(value)
        self.check_date_range(result)
        return result


class AwareDateTimeField(BoundedDateTimeField):
    """ISO 8601 with an explicit offset; naive times, times before the year
    ``GRIDDESK_DATE_MIN_YEAR`` and (with ``future_allowed = False``, the
    default) times too far in the future are refused. Stored as UTC."""

    future_allowed = False
    default_error_messages = {
        "naive": _("The time must include a UTC offset, e.g. 2026-11-28T09:30:00+08:00."),
        "future": _("The time lies in the future."),
    }

    def clean_text(self, value: str) -> str:
        return value.strip()

    def to_internal_value(self, value: datetime | str) -> datetime:
        if isinstance(value, str):
            try:
                parsed = parse_iso_datetime(self.clean_text(value))
            except ValueError:
                self.fail("invalid", format="YYYY-MM-DDThh:mm:ss+08:00")
            if parsed.tzinfo is None:
                self.fail("naive")
            value = parsed
        result = super().to_internal_value(value)
        if timezone.is_naive(result):
            self.fail("naive")
        if not self.future_allowed:
            limit = timezone.now() + timedelta(seconds=settings.GRIDDESK_FUTURE_TOLERANCE_SECONDS)
            if result > limit:
                self.fail("future")
        return result
