"""File outputs: XLSX tables, JSON-lines archive export (the monthly PDF report: report_pdf)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from openpyxl import Workbook
from openpyxl.styles import Font

from griddesk.attachments.models import Attachment
from griddesk.attachments.selectors import attachments_of
from griddesk.common import spreadsheets
from griddesk.workorders.models import WorkOrder, WorkOrderEvent


def xlsx(sheets: Sequence[tuple[str, Sequence[str], Iterable[Sequence[Any]]]]) -> bytes:
    """One workbook, one sheet per (title, header, rows); saved by the shared
    writer, so no cell is a live formula."""
    wb = Workbook(write_only=False)
    wb.remove(wb.active)
    for title, header, rows in sheets:
        ws = wb.create_sheet(title=title[:31])
        ws.append(list(header))
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for row in rows:
            ws.append([_cell(v) for v in row])
    return spreadsheets.save(wb)


def _cell(v: Any) -> Any:
    if isinstance(v, datetime):
        return v.replace(tzinfo=None) if v.tzinfo is None else v.astimezone().replace(tzinfo=None)
    if isinstance(v, (dict, list)):
        return json.dumps(v, ensure_ascii=False)
    return v


def scorecard_rows(card: dict[str, Any], *, absolute: Callable[[str], str] = str) -> tuple[list[str], list[list[Any]]]:
    """The scorecard as rows: KPIs by name, and each figure's drill-down as a
    link to the web list of its orders (``absolute``: path → full URL, e.g.
    ``request.build_absolute_uri``)."""
    from .templatetags.assessment_tags import kpi_label, web_drill

    header = [_("Unit code"), _("Unit name"), _("KPI"), _("Value"), _("Numerator"), _("Denominator"), _("Rank"),
              _("Drill-down")]
    rows = [
        [u["unit"], u["name"], str(kpi_label(k["code"])), k["value"], k["numerator"], k["denominator"], k.get("rank"),
         absolute(web_drill(k["drilldown"]))]
        for u in card["units"]
        for k in u["kpis"]
    ]
    return header, rows


def _order_dict(o: WorkOrder) -> dict[str, Any]:
    facts = getattr(o, "assessment_facts", None)
    return {
        "number": o.number,
        "external_id": o.external_id,
        "type": o.type,
        "channel": o.channel,
        "category": o.category.code if o.category_id and o.category else None,
        "title": o.title,
        "content": o.content,
        "company": o.company.code,
        "grade": o.grade,
        "received_at": o.received_at.isoformat(),
        "deadline_at": o.deadline_at.isoformat() if o.deadline_at else None,
        "closed_at": o.closed_at.isoformat() if o.closed_at else None,
        "archived_at": o.archive_entry.archived_at.isoformat() if hasattr(o, "archive_entry") else None,
        "assessment": (
            {
                "rules_version": facts.rule_set.version,
                "on_time": facts.on_time,
                "overdue_hours": facts.overdue_hours,
                "at_fault": facts.at_fault,
                "visit_outcome": facts.visit_outcome,
                "repeat": facts.repeat,
                "escalated": facts.escalated,
                "urge_count": facts.urge_count,
                "reopen_count": facts.reopen_count,
                "items": facts.items,
                "score": facts.score,
                "final_score": facts.final_score,
            }
            if facts is not None
            else None
        ),
    }


def archive_jsonl(orders: Iterable[WorkOrder]) -> Iterable[str]:
    """One JSON object per line: the order, its assessment, every event and correction."""
    for o in orders:
        events = [
            {"seq": e.seq, "action": e.action, "at": e.at.isoformat(), "actor": e.actor_name, "from": e.from_state,
             "to": e.to_state, "note": e.note, "data": e.data}
            for e in WorkOrderEvent.objects.filter(order=o).order_by("seq")
        ]
        corrections = [
            {"at": c.at.isoformat(), "note": c.note, "data": c.data, "actor": c.actor.get_username() if c.actor else None}
            for c in o.archive_corrections.select_related("actor").order_by("at", "pk")
        ]
        attachments = [_attachment_dict(a) for a in attachments_of(o)]
        yield json.dumps(
            {**_order_dict(o), "events": events, "corrections": corrections, "attachments": attachments}, ensure_ascii=False
        ) + "\n"


def _attachment_dict(a: Attachment) -> dict[str, Any]:
    """An attachment's record in the archive (the file stays in storage, named by its SHA-256)."""
    return {
        "filename": a.filename, "content_type": a.content_type, "size": a.size, "sha256": a.sha256, "stage": a.stage,
        "note": a.note, "uploaded_by": a.uploaded_by_name, "uploaded_at": a.created_at.isoformat(),
        "taken_at": a.taken_at.isoformat() if a.taken_at else None, "gps_lat": a.gps_lat, "gps_lon": a.gps_lon,
    }


def archive_xlsx(orders: Sequence[WorkOrder]) -> bytes:
    header = [_("Number"), _("Type"), _("Channel"), _("Category"), _("Company"), _("Received at"), _("Closed at"),
              _("Archived at"), _("On time"), _("Company at fault"), _("Score"), _("Content")]
    rows = []
    event_rows = []
    for o in orders:
        d = _order_dict(o)
        a = d["assessment"] or {}
        rows.append([d["number"], d["type"], d["channel"], d["category"], d["company"], d["received_at"], d["closed_at"],
                     d["archived_at"], a.get("on_time"), a.get("at_fault"), a.get("final_score"), d["content"]])
        for e in WorkOrderEvent.objects.filter(order=o).order_by("seq"):
            event_rows.append([o.number, e.seq, e.action, e.at.isoformat(), e.actor_name, e.from_state, e.to_state, e.note])
    ev_header = [_("Number"), _("Seq"), pgettext("event", "Action"), _("At"), _("Actor"), pgettext("event", "From"),
                 pgettext("event", "To"), _("Note")]
    at_header = [_("Number"), _("File name"), _("Content type"), _("Size"), "SHA-256", _("Stage"), _("Uploaded by"),
                 _("Uploaded at"), _("Taken at"), _("Latitude"), _("Longitude")]
    at_rows = [
        [o.number, *(d[k] for k in ("filename", "content_type", "size", "sha256", "stage", "uploaded_by", "uploaded_at",
                                     "taken_at", "gps_lat", "gps_lon"))]
        for o in orders
        for d in map(_attachment_dict, attachments_of(o))
    ]
    return xlsx([(_("Orders"), header, rows), (_("Events"), ev_header, event_rows), (_("Attachments"), at_header, at_rows)])
