"""Reference data: the complaint taxonomy and the seed paper's rules as editable defaults.

Used by the data migration (with historical models) and by the test suite after
a transactional test has flushed the tables (with the real models). Idempotent.
"""

from __future__ import annotations

from typing import Any

from griddesk.engines.grading import DEFAULT_GRADING_RULES
from griddesk.engines.routing import DEFAULT_ROUTING_RULES
from griddesk.engines.workdays import DEFAULT_WORKING_DAYS_BY_COMPLEXITY

# State Grid's five complaint classes and their usual sub-categories.
COMPLAINT_CATEGORIES = [
    ("service", "服务投诉", "Service", [
        ("attitude", "服务态度", "Staff attitude"),
        ("conduct", "服务行为规范", "Conduct and integrity"),
        ("hall", "营业厅服务", "Business-hall service"),
        ("hotline", "95598热线服务", "95598 hotline service"),
        ("onsite", "现场服务", "On-site service"),
    ]),
    ("business", "营业投诉", "Business and billing", [
        ("tariff", "电价电费", "Tariff and billing"),
        ("metering", "电能计量", "Metering"),
        ("meter_reading", "抄表核算", "Meter reading and accounting"),
        ("payment", "缴费渠道", "Payment channels"),
        ("installation", "业扩报装", "New connections"),
        ("change", "用电变更", "Supply changes"),
    ]),
    ("outage", "停送电投诉", "Outage and restoration", [
        ("planned", "计划停电", "Planned outage"),
        ("fault", "故障停电", "Fault outage"),
        ("repair", "抢修服务", "Repair service"),
        ("notice", "停电信息告知", "Outage notice"),
    ]),
    ("power_quality", "供电质量投诉", "Power quality", [
        ("voltage", "电压质量", "Voltage quality"),
        ("frequent", "频繁停电", "Frequent interruptions"),
        ("reliability", "供电可靠性", "Supply reliability"),
    ]),
    ("grid_construction", "电网建设投诉", "Grid construction", [
        ("compensation", "赔偿问题", "Compensation"),
        ("environment", "施工环境影响", "Construction impact"),
        ("progress", "工程进度", "Project progress"),
        ("safety", "安全隐患", "Safety hazard"),
    ]),
]


def seed_reference_data(apps: Any = None) -> None:
    if apps is None:
        from django.apps import apps as live_apps

        apps = live_apps
    Category = apps.get_model("workorders", "Category")
    GradingRule = apps.get_model("workorders", "GradingRule")
    RoutingRule = apps.get_model("workorders", "RoutingRule")
    TimeLimitRule = apps.get_model("workorders", "TimeLimitRule")
    if Category.objects.exists() or GradingRule.objects.exists():
        return
    for i, (code, name, name_en, children) in enumerate(COMPLAINT_CATEGORIES):
        top = Category.objects.create(code=code, name=name, name_en=name_en, sort=i, order_type="complaint")
        for j, (sub, sname, sname_en) in enumerate(children):
            Category.objects.create(
                code=f"{code}.{sub}", name=sname, name_en=sname_en, parent=top, sort=j, order_type="complaint"
            )
    for r in DEFAULT_GRADING_RULES:
        GradingRule.objects.create(
            code=r.code,
            priority=r.priority,
            grade=r.grade,
            complexity=r.complexity,
            description=r.description,
            order_types=sorted(r.order_types),
            channels=sorted(r.channels),
            categories=sorted(r.categories),
            keywords=list(r.keywords),
            sensitive_customer=r.sensitive_customer,
            escalated=r.escalated,
            repeat=r.repeat,
            any_of=r.any_of,
        )
    for r in DEFAULT_ROUTING_RULES:
        RoutingRule.objects.create(grade=r.grade, lead_types=list(r.lead_types))
    for complexity, days in DEFAULT_WORKING_DAYS_BY_COMPLEXITY.items():
        TimeLimitRule.objects.create(complexity=complexity, working_days=days)


