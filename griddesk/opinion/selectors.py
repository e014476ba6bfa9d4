"""Reads for the board, the story page and the API (no N+1)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncDay, TruncHour
from django.utils import timezone

from griddesk.engines import opinion_workflow as workflow
from griddesk.engines.workflow import PII_ROLES, Role
from griddesk.organisation.access import Actor
from griddesk.organisation.models import Department

from .models import EmergencyResponse, OpinionItem, Story, StoryEvent

_ALL = frozenset({Role.ADMIN})


def _dept_type(actor: Actor) -> str | None:
    return actor.department.type if actor.department is not None else None


def can(actor: Actor | None, action: str) -> bool:
    return actor is not None and workflow.role_may(actor.role, _dept_type(actor), action)


def stories_visible_to(actor: Actor) -> QuerySet[Story]:
    """Monitoring roles see the stories of their company's subtree, plus those
    whose area is not (yet) known."""
    qs = Story.objects.all()
    if not can(actor, "view"):
        return qs.none()
    if actor.role in _ALL or actor.company is None:
        return qs if actor.role in _ALL else qs.none()
    company = actor.company
    if company.parent_id is None:
        return qs
    return qs.filter(Q(area__path__startswith=company.path) | Q(area__isnull=True))


def items_visible_to(actor: Actor) -> QuerySet[OpinionItem]:
    return OpinionItem.objects.filter(story__in=stories_visible_to(actor))


def sees_pii(actor: Actor) -> bool:
    return actor.role in PII_ROLES


def board(actor: Actor, *, filters: dict[str, Any] | None = None) -> QuerySet[Story]:
    """Stories by effective risk (judged, else computed), then score, newest."""
    f = filters or {}
    qs = stories_visible_to(actor).select_related("area", "representative", "work_order")
    if f.get("topic"):
        qs = qs.filter(topic=f["topic"])
    if f.get("area"):
        area = str(f["area"])
        qs = qs.filter(Q(area__code=area) | Q(area_text=area))
    if f.get("source"):
        qs = qs.filter(items__source_kind=f["source"]).distinct()
    if f.get("level"):
        qs = qs.filter(Q(judged_level=f["level"]) | Q(judged_level="", risk_level=f["level"]))
    if f.get("state"):
        qs = qs.filter(state=f["state"])
    elif not f.get("all_states"):
        qs = qs.exclude(state__in=["archived", "dismissed"])
    if f.get("since"):
        qs = qs.filter(last_seen__gte=f["since"])
    return qs.order_by("-risk_rank", "-risk_score", "-last_seen", "-id")


def sparklines(story_ids: list[int], *, hours: int = 24, now: datetime | None = None) -> dict[int, list[int]]:
    """Copies per hour over the last ``hours`` hours for each story (one query)."""
    now = now or timezone.now()
    end = now.replace(minute=0, second=0, microsecond=0)
    start = end - timedelta(hours=hours - 1)
    out = {sid: [0] * hours for sid in story_ids}
    rows = (
        OpinionItem.objects.filter(story_id__in=story_ids, published_at__gte=start)
        .annotate(h=TruncHour("published_at"))
        .values("story_id", "h")
        .annotate(n=Count("id"))
    )
    for r in rows:
        idx = int((r["h"] - start).total_seconds() // 3600)
        if 0 <= idx < hours:
            out[r["story_id"]][idx] = r["n"]
    return out


def trend(actor: Actor, *, days: int = 14, by: str = "topic", now: datetime | None = None) -> dict[str, Any]:
    """Items per day per topic (or per area) over ``days`` days (one query)."""
    now = now or timezone.now()
    start = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=days - 1)
    field = "topic" if by == "topic" else "area__name"
    rows = (
        items_visible_to(actor)
        .filter(published_at__gte=start)
        .annotate(d=TruncDay("published_at", tzinfo=timezone.get_current_timezone()))
        .values("d", field)
        .annotate(n=Count("id"))
    )
    labels = [(start + timedelta(days=i)).strftime("%m-%d") for i in range(days)]
    series: dict[str, list[int]] = {}
    for r in rows:
        key = r[field] or "—"
        idx = (timezone.localtime(r["d"]).date() - start.date()).days
        if 0 <= idx < days:
            series.setdefault(key, [0] * days)[idx] += r["n"]
    return {"labels": labels, "series": series}


def area_breakdown(actor: Actor, *, since: datetime) -> list[dict[str, Any]]:
    """Per area: stories, items, high+critical stories, open stories."""
    rows = (
        stories_visible_to(actor)
        .filter(last_seen__gte=since)
        .values("area__name", "area_text")
        .annotate(
            stories=Count("id"),
            items=Count("items"),
            high=Count("id", filter=Q(risk_rank__gte=2), distinct=True),
            open=Count("id", filter=Q(state__in=["new", "judged", "transferred"]), distinct=True),
        )
        .order_by("-high", "-stories")
    )
    return [
        {"area": r["area__name"] or r["area_text"] or "—", "stories": r["stories"], "items": r["items"], "high": r["high"],
         "open": r["open"]}
        for r in rows
    ]


def story_get(actor: Actor, story_id: int) -> Story | None:
    return (
        stories_visible_to(actor)
        .select_related("area", "representative", "work_order", "judged_by", "judged_department")
        .filter(pk=story_id)
        .first()
    )


def story_items(story: Story) -> QuerySet[OpinionItem]:
    return story.items.select_related("area").order_by("published_at", "id")


def story_events(story: Story) -> QuerySet[StoryEvent]:
    return StoryEvent.objects.filter(story=story).select_related("department", "actor").order_by("seq")


def story_emergencies(story: Story) -> QuerySet[EmergencyResponse]:
    return EmergencyResponse.objects.filter(story=story).prefetch_related("events__actor").order_by("-started_at")


def story_allowed_actions(actor: Actor, story: Story) -> list[str]:
    actions = [a for a in workflow.actions_from(story.state) if can(actor, a)]
    if "emergency" in actions and story.level != "critical":
        actions.remove("emergency")
    return actions


def story_for_order(number: str) -> Story | None:
    return Story.objects.filter(work_order__number=number).first()


def monitor_departments() -> QuerySet[Department]:
    return Department.objects.filter(type__in=workflow.MONITOR_DEPARTMENT_TYPES, active=True)


def story_order_report(story: Story) -> Any:
    """The latest investigation report of the story's work order (or None)."""
    from griddesk.workorders.models import Report

    if not story.work_order_id:
        return None
    return Report.objects.filter(order_id=story.work_order_id).select_related("confirmed_by").order_by("-pk").first()
