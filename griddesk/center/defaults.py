"""The center link's seeded data (migration 0002; re-seeded by the test suite
after a flush). Idempotent: existing rows are left alone, so an administrator's
edits survive."""

from __future__ import annotations

from typing import Any

from .contract import DEFAULT_MAPPING

WATCH_FUNC = "griddesk.center.tasks.watch_replies"


def seed(apps: Any, schema_editor: Any) -> None:
    FieldMapping = apps.get_model("center", "FieldMapping")
    if not FieldMapping.objects.exists():
        FieldMapping.objects.bulk_create([
            FieldMapping(source=source, target=target, position=(i + 1) * 10, active=True)
            for i, (source, target) in enumerate(DEFAULT_MAPPING)
        ])
    ReplyRule = apps.get_model("center", "ReplyRule")
    if not ReplyRule.objects.exists():
        ReplyRule.objects.create()
    Schedule = apps.get_model("django_q", "Schedule")
    Schedule.objects.get_or_create(
        func=WATCH_FUNC, defaults={"name": "center-reply-watch", "schedule_type": "I", "minutes": 5, "repeats": -1},
    )


def unseed(apps: Any, schema_editor: Any) -> None:
    apps.get_model("center", "FieldMapping").objects.all().delete()
    apps.get_model("center", "ReplyRule").objects.all().delete()
    apps.get_model("django_q", "Schedule").objects.filter(func=WATCH_FUNC).delete()
