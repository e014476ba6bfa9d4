"""CSV/XLSX upload of opinion items with a per-row report. Reuses the core
import's file reading (griddesk.imports.files: type sniffing, UTF-8/GB18030,
XLSX cells as typed text) and local-time parsing; each row goes through the
same validation and intake service as the API (one analysis call per file)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.utils import translation
from django.utils.translation import gettext as _

from griddesk.common.errors import InvalidInput
from griddesk.imports import files
from griddesk.imports.services import received_at_text
from griddesk.organisation.access import Actor

from . import services
from .models import OpinionItem, SourceKind
from .serializers import parse_items

MAX_ROWS = 5000
COLUMNS = ("source_kind", "source_name", "url", "title", "text", "author", "published_at", "area", "views", "reposts", "comments")
REQUIRED = ("source_kind", "text", "published_at")
#: Chinese headers accepted besides the codes.
HEADER_ALIASES = {
    "来源类型": "source_kind", "来源": "source_name", "来源名称": "source_name", "链接": "url", "网址": "url",
    "标题": "title", "正文": "text", "内容": "text", "作者": "author", "发布时间": "published_at", "地区": "area",
    "区域": "area", "浏览量": "views", "阅读量": "views", "转发量": "reposts", "转发": "reposts", "评论量": "comments",
    "评论": "comments",
}


@dataclass
class ImportReport:
    rows: int = 0
    created: int = 0
    existing: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)
    results: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"rows": self.rows, "created": self.created, "existing": self.existing, "refused": len(self.errors),
                "errors": self.errors, "results": self.results}


def _kind_lookup() -> dict[str, str]:
    out: dict[str, str] = {}
    for language in ("zh-hans", "en"):
        with translation.override(language):
            for value, label in SourceKind.choices:
                out[str(label).strip().lower()] = value
    for value, _label in SourceKind.choices:
        out[value] = value
    return out


def _rows(filename: str, data: bytes) -> list[tuple[int, dict[str, str]]]:
    _fmt, records = files.records(filename, data)
    header: list[str] | None = None
    rows: list[tuple[int, dict[str, str]]] = []
    for number, values in records:
        if header is None:
            if not any(values):
                continue
            header = [HEADER_ALIASES.get(v.strip().strip("*").strip(), v.strip().strip("*").strip().lower()) for v in values]
            missing = [c for c in REQUIRED if c not in header]
            if missing:
                raise InvalidInput(_("The header row lacks the column(s) %(columns)s.") % {"columns": ", ".join(missing)},
                                   code="missing_columns", field="file")
            continue
        if not any(values):
            continue
        if len(rows) >= MAX_ROWS:
            raise InvalidInput(_("The file has more than %(max)d rows; split it into smaller files.") % {"max": MAX_ROWS},
                               code="too_many_rows", field="file")
        rows.append((number, {name: (values[i] if i < len(values) else "") for i, name in enumerate(header) if name}))
    if not rows:
        raise InvalidInput(_("The file contains no rows to import."), code="empty", field="file")
    return rows


def row_payload(raw: dict[str, str], kinds: dict[str, str]) -> dict[str, Any]:
    body: dict[str, Any] = {k: raw[k] for k in COLUMNS if raw.get(k, "") != ""}
    if "source_kind" in body:
        body["source_kind"] = kinds.get(body["source_kind"].strip().lower(), body["source_kind"])
    if "published_at" in body:
        body["published_at"] = received_at_text(body["published_at"])
    return body


def import_file(*, actor: Actor, filename: str, data: bytes) -> ImportReport:
    services.require(actor, "intake")
    rows = _rows(filename, data)
    kinds = _kind_lookup()
    parsed = parse_items([row_payload(raw, kinds) for _, raw in rows])
    results = services.opinion_items_intake(actor=actor, items=parsed, via=OpinionItem.Via.FILE)
    report = ImportReport(rows=len(rows))
    for r in results:
        number = rows[r.index][0]
        if r.status == "error":
            for column, errs in (r.errors or {}).items():
                for e in errs if isinstance(errs, list) else [errs]:
                    if isinstance(e, dict):
                        report.errors.append({"row": number, "column": column, "code": e.get("code", "invalid"),
                                              "message": str(e.get("message", ""))})
        else:
            report.created += r.status == "created"
            report.existing += r.status == "existing"
            report.results.append({"row": number, "status": r.status, "id": r.item.pk if r.item else None,
                                   "story": r.item.story_id if r.item else None})
    return report
