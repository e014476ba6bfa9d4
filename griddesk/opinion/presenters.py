"""Items and stories as shown to one actor: highlighted text, phone and account
numbers masked for roles without personal-data access (unmasked views logged)."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from griddesk.customers.masking import mask_phone
from griddesk.organisation.access import Actor
from griddesk.workorders.models import Report

from . import selectors
from .analysis import normalise
from .models import EmergencyResponse, ItemPiiAccess, OpinionItem, Story

PII_KINDS = frozenset({"phone", "account"})


def mask_account(number: str) -> str:
    return number[:2] + "*" * max(0, len(number) - 6) + number[-4:] if len(number) > 6 else "*" * len(number)


def _mask(kind: str, text: str) -> str:
    if kind == "phone":
        digits = "".join(ch for ch in text if ch.isdigit())
        return mask_phone(digits)
    # An account entity covers the context word too ("户号 1234567890"): mask the digits only.
    head = text.rstrip("0123456789")
    return head + mask_account(text[len(head):])


def segments(item: OpinionItem, *, unmasked: bool) -> tuple[list[dict[str, str]], bool]:
    """The normalised text cut into plain / entity / keyword segments.
    Returns (segments, contains_pii)."""
    text = normalise(item.text)
    marks: list[tuple[int, int, str, str]] = []
    for e in item.entities:
        s, t = int(e["start"]), int(e["end"])
        if 0 <= s < t <= len(text) and text[s:t] == e["text"]:
            marks.append((s, t, e["kind"], e["text"]))
    low = text.lower()
    for k in item.keywords:
        start = 0
        while (pos := low.find(k.lower(), start)) >= 0:
            marks.append((pos, pos + len(k), "keyword", text[pos : pos + len(k)]))
            start = pos + len(k)
    marks.sort(key=lambda m: (m[0], -(m[1] - m[0])))
    out: list[dict[str, str]] = []
    pos = 0
    has_pii = False
    for s, t, kind, word in marks:
        if s < pos:
            continue  # overlaps an earlier mark
        if s > pos:
            out.append({"kind": "", "text": text[pos:s]})
        if kind in PII_KINDS:
            has_pii = True
            if not unmasked:
                word = _mask(kind, word)
        out.append({"kind": kind, "text": word})
        pos = t
    if pos < len(text):
        out.append({"kind": "", "text": text[pos:]})
    return out, has_pii


def masked_text(item: OpinionItem, *, unmasked: bool) -> str:
    return "".join(s["text"] for s in segments(item, unmasked=unmasked)[0]) if not unmasked else item.text


def item_data(actor: Actor, item: OpinionItem | None, *, log_as: Any = None, via: str = "api") -> dict[str, Any]:
    if item is None:
        return {}
    unmasked = selectors.sees_pii(actor)
    segs, has_pii = segments(item, unmasked=unmasked)
    if unmasked and has_pii and getattr(actor.user, "pk", None):
        ItemPiiAccess.objects.create(user=actor.user, item=item, via=via)
    return {
        "id": item.pk,
        "story": item.story_id,
        "source_kind": item.source_kind,
        "source_name": item.source_name,
        "url": item.url,
        "title": item.title,
        "text": "".join(s["text"] for s in segs),
        "masked": has_pii and not unmasked,
        "author": item.author,
        "published_at": item.published_at.isoformat(),
        "area": item.area.name if item.area_id and item.area else item.area_text,
        "views": item.views,
        "reposts": item.reposts,
        "comments": item.comments,
        "relevant": item.relevant,
        "relevance": item.relevance,
        "topic": item.topic,
        "negativity": item.negativity,
        "keywords": item.keywords,
        "entities": [
            {**e, "text": _mask(e["kind"], e["text"]) if e["kind"] in PII_KINDS and not unmasked else e["text"]}
            for e in item.entities
        ],
        "burst": item.burst,
        "risk_score": item.risk_score,
        "risk_level": item.risk_level,
        "risk_explanation": item.risk_explanation,
    }


def story_summary(s: Story) -> dict[str, Any]:
    return {
        "id": s.pk,
        "title": s.title,
        "topic": s.topic,
        "area": s.area.name if s.area_id and s.area else s.area_text,
        "state": s.state,
        "risk_level": s.risk_level,
        "judged_level": s.judged_level,
        "level": s.level,
        "risk_score": s.risk_score,
        "copies": s.copies,
        "reach": {"views": s.total_views, "reposts": s.total_reposts, "comments": s.total_comments},
        "first_seen": s.first_seen.isoformat(),
        "last_seen": s.last_seen.isoformat(),
        "work_order": s.work_order.number if s.work_order_id and s.work_order else None,
        "version": s.version,
    }


def emergency_data(r: EmergencyResponse) -> dict[str, Any]:
    return {
        "id": r.pk, "story": r.story_id, "level": r.level, "leader": r.leader, "members": r.members, "actions": r.actions,
        "notices": r.notices, "state": r.state, "summary": r.summary, "started_at": r.started_at.isoformat(),
        "closed_at": r.closed_at.isoformat() if r.closed_at else None,
    }


def story_detail(user: Any, actor: Actor, s: Story) -> dict[str, Any]:
    body = story_summary(s)
    body.update(
        {
            "risk_explanation": s.risk_explanation,
            "may_cause_impact": s.may_cause_impact,
            "needs_transfer": s.needs_transfer,
            "dismiss_reason": s.dismiss_reason,
            "result": s.result,
            "investigation_result": s.investigation_result,
            "items": [item_data(actor, i) for i in selectors.story_items(s)[:200]],
            "events": [
                {"seq": e.seq, "action": e.action, "actor": e.actor_name,
                 "department": e.department.name if e.department_id and e.department else "",
                 "at": timezone.localtime(e.at).isoformat(), "from_state": e.from_state, "to_state": e.to_state,
                 "note": e.note, "data": e.data}
                for e in selectors.story_events(s)
            ],
            "emergencies": [emergency_data(r) for r in selectors.story_emergencies(s)],
            "allowed_actions": selectors.story_allowed_actions(actor, s),
        }
    )
    return body


def report_summary(report: Report) -> str:
    """The confirmed investigation report as the story's handling result."""
    lines = [
        _("Investigation findings: %(text)s") % {"text": report.findings.strip()},
        _("Responsibility: %(text)s") % {"text": report.responsibility.strip()},
        _("Rectification: %(text)s") % {"text": report.rectification.strip()},
        _("Company at fault: %(yes_no)s") % {"yes_no": _("yes") if report.company_at_fault else _("no")},
    ]
    return "\n".join(lines)
