"""The paper's default time limits, seeded by a data migration (and re-seeded by
the test suite after a flush). Idempotent: existing rows are left alone, so an
administrator's edits survive."""

from __future__ import annotations

from datetime import time
from typing import Any

#: (code, stage, kind, amount, criteria, description). Amounts: working days for
#: ``working_days``, minutes otherwise. Handling of complaints is not listed:
#: without a matching handling policy the time-limit rule by complexity applies
#: (ordinary 2, important 4 working days).
DEFAULT_POLICIES: list[tuple[str, str, str, int, dict[str, list[Any]], str]] = [
    ("forward-95598", "forward", "working_hours", 120, {}, "95598站转派服务专人：2个工作时内"),
    ("grade-specialist", "grade", "working_hours", 120, {}, "服务专人定级：2个工作时内"),
    ("arrival-urban", "arrival", "natural", 45, {"order_types": ["fault_repair"], "area_types": ["urban"]}, "故障报修城区45分钟到达现场"),
    ("arrival-rural", "arrival", "natural", 90, {"order_types": ["fault_repair"], "area_types": ["rural"]}, "故障报修农村90分钟到达现场"),
    ("arrival-remote", "arrival", "natural", 120, {"order_types": ["fault_repair"], "area_types": ["remote"]}, "故障报修偏远地区2小时到达现场"),
]

DEFAULT_HOURS = (time(8, 30), time(17, 30))


def seed(apps: Any, schema_editor: Any) -> None:
    SlaPolicy = apps.get_model("sla", "SlaPolicy")
    for code, stage, kind, amount, criteria, description in DEFAULT_POLICIES:
        SlaPolicy.objects.get_or_create(
            code=code, defaults={"stage": stage, "kind": kind, "amount": amount, "description": description, **criteria}
        )
    BusinessHours = apps.get_model("sla", "BusinessHours")
    if not BusinessHours.objects.exists():
        BusinessHours.objects.create(start=DEFAULT_HOURS[0], end=DEFAULT_HOURS[1])


def unseed(apps: Any, schema_editor: Any) -> None:
    apps.get_model("sla", "SlaPolicy").objects.filter(code__in=[p[0] for p in DEFAULT_POLICIES]).delete()
    apps.get_model("sla", "BusinessHours").objects.all().delete()
