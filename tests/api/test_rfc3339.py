"""Datetimes in, as the schema's ``format: date-time`` (RFC 3339 §5.6) allows:
"T" and "Z" may be lowercase, an offset is required; out: always with an offset."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from rest_framework import serializers

from griddesk.common.validation import AwareDateTimeField
from griddesk.sla.serializers import AnyTimeAwareDateTimeField


@pytest.mark.parametrize("field", [AwareDateTimeField, AnyTimeAwareDateTimeField])
@pytest.mark.parametrize(
    "text, expected",
    [
        ("2026-09-30T10:00:00Z", datetime(2026, 9, 30, 10, tzinfo=UTC)),
        ("2026-09-30t10:00:00z", datetime(2026, 9, 30, 10, tzinfo=UTC)),
        ("2026-09-30t10:00:00.5+08:00", datetime(2026, 9, 30, 2, 0, 0, 500000, tzinfo=UTC)),
        ("2026-09-30T10:00:00-00:00", datetime(2026, 9, 30, 10, tzinfo=UTC)),
    ],
)
def test_rfc3339_times_are_accepted(field: Any, text: str, expected: datetime) -> None:
    assert field().to_internal_value(text) == expected


@pytest.mark.parametrize("field", [AwareDateTimeField, AnyTimeAwareDateTimeField])
@pytest.mark.parametrize("text, code", [("2026-09-30T10:00:00", "naive"), ("2026-09-30x10:00", "invalid"), ("z", "invalid")])
def test_times_without_offset_or_malformed_are_refused(field: Any, text: str, code: str) -> None:
    with pytest.raises(serializers.ValidationError) as e:
        field().to_internal_value(text)
    assert e.value.get_codes() == [code]


def test_deadline_takes_lowercase_z_and_answers_with_an_offset(org: Any, client_for: Any) -> None:
    r = client_for("agent").get("/api/v1/sla/deadline/", {"received_at": "2026-09-30t02:00:00z"})
    assert r.status_code == 200, r.content
    due = datetime.fromisoformat(r.json()["due_at"])
    assert due.utcoffset() == timedelta(hours=8)
