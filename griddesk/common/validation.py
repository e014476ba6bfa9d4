"""Field validators shared by the API and file imports (messages in Chinese via gettext)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone
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


class AwareDateTimeField(serializers.DateTimeField):
    """ISO 8601 with an explicit offset; naive times and times too far in the
    future are refused. Stored as UTC."""

    default_error_messages = {
        "naive": _("The time must include a UTC offset, e.g. 2026-11-28T09:30:00+08:00."),
        "future": _("The time lies in the future."),
    }

    def to_internal_value(self, value: object) -> datetime:
        if isinstance(value, str):
            try:
                parsed = parse_iso_datetime(value)
            except ValueError:
                self.fail("invalid", format="YYYY-MM-DDThh:mm:ss+08:00")
            if parsed.tzinfo is None:
                self.fail("naive")
            value = parsed
        result = super().to_internal_value(value)
        if timezone.is_naive(result):
            self.fail("naive")
        limit = timezone.now() + timedelta(seconds=settings.GRIDDESK_FUTURE_TOLERANCE_SECONDS)
        if result > limit:
            self.fail("future")
        return result
