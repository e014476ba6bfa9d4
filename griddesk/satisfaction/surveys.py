"""Survey responses: validation with a per-row report, file import, JSON intake.

Every row is checked on its own; valid rows are written together in one
transaction, invalid ones are listed in the report (row, field, code, message).
Checks: required respondent and date, answers on the questionnaire's scale
(integers 1…max), missing answers (allowed up to ``max_missing_per_row``, then
the row is rejected), duplicate respondents (in the batch or already stored),
unknown columns / answer items, unknown area, customer, order or choice codes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from griddesk.common.errors import InvalidInput
from griddesk.common.validation import date_out_of_range_message, in_date_range
from griddesk.customers.models import Customer, CustomerCategory
from griddesk.imports import files
from griddesk.organisation.access import Actor
from griddesk.organisation.models import COMPANY_TYPES, Department
from griddesk.workorders.models import Channel, WorkOrder

from .models import IndexSnapshot, Questionnaire, SurveyImport, SurveyResponse

MAX_API_ROWS = 5_000
MAX_FILE_ROWS = 50_000
#: Respondent attribute columns (besides one column per indicator code).
ATTRIBUTE_COLUMNS = ("respondent", "answered_on", "area", "customer_category", "channel", "account_no", "order")
MAX_ERRORS_KEPT = 2_000


@dataclass
class Row:
    number: int  # spreadsheet row (files) or 0-based index (API)
    attrs: dict[str, str]
    answers: dict[str, Any]
    unknown: list[str] = field(default_factory=list)


# ------------------------------------------------------------------ shapes


def questionnaire_dict(q: Questionnaire, *, full: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {
        "code": q.code, "name": q.name, "scale": [1, q.scale_max], "missing_policy": q.missing_policy,
        "max_missing_per_row": q.max_missing_per_row, "index_construct": q.index_construct,
    }
    if full:
        out["constructs"] = [
            {"code": c.code, "name": c.name, "mode": c.mode,
             "indicators": [{"code": i.code, "text": i.text} for i in c.indicators.all()]}
            for c in q.constructs.prefetch_related("indicators")
        ]
        out["paths"] = [[p.source.code, p.target.code] for p in q.paths.select_related("source", "target")]
        out["columns"] = [*ATTRIBUTE_COLUMNS, *indicator_codes(q)]
    return out


def indicator_codes(q: Questionnaire) -> list[str]:
    return list(q.indicators.order_by("construct__sort", "sort", "code").values_list("code", flat=True))


def snapshot_dict(s: IndexSnapshot) -> dict[str, Any]:
    """The API's shape: the stored result, each number with the API link to the
    responses behind it (``responses``: same count)."""
    from urllib.parse import urlencode

    from django.urls import reverse

    result = dict(s.result or {})
    base = reverse("satisfaction-responses", kwargs={"code": s.questionnaire.code})
    if s.state == IndexSnapshot.SnapState.DONE:
        result["responses"] = f"{base}?{urlencode({'snapshot': s.pk})}"
        result["segments"] = {
            dim: [{**row, "responses": f"{base}?{urlencode({'snapshot': s.pk, 'dim': dim, 'key': row['key']})}"}
                  for row in rows]
            for dim, rows in (result.get("segments") or {}).items()
        }
    return {
        "id": s.pk, "questionnaire": s.questionnaire.code, "period": s.period, "segment": s.segment, "state": s.state,
        "n": s.n, "params": s.params, "message": s.message,
        "computed_at": s.computed_at.isoformat() if s.computed_at else None, **result,
    }


# ------------------------------------------------------------------ parsing


def rows_from_json(items: list[Any]) -> list[Row]:
    rows: list[Row] = []
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            rows.append(Row(i, {}, {}, ["__not_an_object__"]))
            continue
        answers = item.get("answers")
        attrs = {k: "" if item.get(k) is None else str(item.get(k)) for k in ATTRIBUTE_COLUMNS}
        unknown = [k for k in item if k not in ATTRIBUTE_COLUMNS and k != "answers"]
        rows.append(Row(i, attrs, answers if isinstance(answers, dict) else {"__answers__": answers}, unknown))
    return rows


def rows_from_file(q: Questionnaire, filename: str, data: bytes) -> tuple[list[Row], list[str]]:
    """Rows of a CSV/XLSX file (the work-order import's readers), and its unknown columns."""
    _fmt, records = files.records(filename, data)
    codes = set(indicator_codes(q))
    header: list[str] | None = None
    rows: list[Row] = []
    for number, values in records:
        if header is None:
            if not any(values):
                continue
            header = [files.header_name(v) for v in values]
            missing = [c for c in ("respondent", "answered_on") if c not in header]
            if missing:
                raise InvalidInput(
                    _("The header row lacks the column(s) %(columns)s.") % {"columns": ", ".join(missing)},
                    code="missing_columns", field="file",
                )
            continue
        if not any(values):
            continue
        if len(rows) >= MAX_FILE_ROWS:
            raise InvalidInput(_("The file has more than %(max)d rows; split it into smaller files.") % {"max": MAX_FILE_ROWS},
                               code="too_many_rows", field="file")
        attrs: dict[str, str] = {}
        answers: dict[str, Any] = {}
        for i, name in enumerate(header):
            v = values[i] if i < len(values) else ""
            if name in ATTRIBUTE_COLUMNS:
                attrs[name] = v
            elif name in codes:
                answers[name] = v
        rows.append(Row(number, attrs, answers))
    if header is None or not rows:
        raise InvalidInput(_("The file contains no rows to import."), code="empty", field="file")
    unknown = [h for h in header if h and h not in ATTRIBUTE_COLUMNS and h not in codes]
    return rows, unknown


# ------------------------------------------------------------------ validation


class _Refs:
    def __init__(self, q: Questionnaire, rows: list[Row]) -> None:
        areas = {r.attrs.get("area", "").strip() for r in rows} - {""}
        self.areas = {d.code: d for d in Department.objects.filter(code__in=areas, type__in=COMPANY_TYPES)} if areas else {}
        accounts = {r.attrs.get("account_no", "").strip() for r in rows} - {""}
        self.customers = {c.account_no: c for c in Customer.objects.filter(account_no__in=accounts)} if accounts else {}
        numbers = {r.attrs.get("order", "").strip() for r in rows} - {""}
        self.orders = {o.number: o for o in WorkOrder.objects.filter(number__in=numbers).only("pk", "number")} if numbers else {}
        respondents = [r.attrs.get("respondent", "").strip() for r in rows]
        self.existing = set(
            SurveyResponse.objects.filter(questionnaire=q, respondent__in=[x for x in respondents if x]).values_list("respondent", flat=True)
        )


def _answer(value: Any, top: int) -> tuple[int | None, str | None]:
    """(value or None if missing, error code or None)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None, None
    if isinstance(value, bool):
        return None, "not_a_number"
    if isinstance(value, (int, float)):
        num = float(value)
    else:
        try:
            num = float(str(value).strip())
        except ValueError:
            return None, "not_a_number"
    if not math.isfinite(num) or not num.is_integer():
        return None, "not_an_integer"
    if not 1 <= num <= top:
        return None, "out_of_range"
    return int(num), None


def validate_rows(q: Questionnaire, rows: list[Row]) -> tuple[list[SurveyResponse], list[dict[str, Any]], list[dict[str, Any]]]:
    codes = indicator_codes(q)
    code_set = set(codes)
    refs = _Refs(q, rows)
    seen: dict[str, int] = {}
    valid: list[SurveyResponse] = []
    errors: list[dict[str, Any]] = []
    warnings: list[dict[str, Any]] = []
    categories = set(CustomerCategory.values)
    channels = set(Channel.values)

    for row in rows:
        errs: list[dict[str, Any]] = []

        def err(fld: str, code: str, message: str, _row: Row = row, _errs: list[dict[str, Any]] = errs) -> None:
            _errs.append({"row": _row.number, "field": fld, "code": code, "message": message})

        if "__not_an_object__" in row.unknown:
            err("", "invalid", _("Each response must be an object."))
            errors.extend(errs)
            continue
        for k in row.unknown:
            err(k, "unknown_column", _("Unknown field “%(name)s”.") % {"name": k})
        a = row.attrs
        respondent = a.get("respondent", "").strip()
        if not respondent:
            err("respondent", "required", _("The respondent id is required."))
        elif len(respondent) > 64:
            err("respondent", "too_long", _("At most 64 characters."))
        elif respondent in seen:
            err("respondent", "duplicate_respondent",
                _("Respondent %(r)s already answered in row %(row)s.") % {"r": respondent, "row": seen[respondent]})
        elif respondent in refs.existing:
            err("respondent", "duplicate_respondent", _("Respondent %(r)s has already answered this questionnaire.") % {"r": respondent})
        answered_on: date | None = None
        raw_date = a.get("answered_on", "").strip()[:10]
        try:
            answered_on = date.fromisoformat(raw_date) if raw_date else None
        except ValueError:
            answered_on = None
        if answered_on is None:
            err("answered_on", "invalid_date", _("A date like 2026-10-15 is required."))
        elif not in_date_range(answered_on):
            err("answered_on", "date_out_of_range", date_out_of_range_message())
            answered_on = None
        area = a.get("area", "").strip()
        if area and area not in refs.areas:
            err("area", "unknown_area", _("Unknown company or county company “%(code)s”.") % {"code": area})
        category = a.get("customer_category", "").strip()
        if category and category not in categories:
            err("customer_category", "invalid_choice", _("Unknown customer category “%(code)s”.") % {"code": category})
        channel = a.get("channel", "").strip()
        if channel and channel not in channels:
            err("channel", "invalid_choice", _("Unknown channel “%(code)s”.") % {"code": channel})
        account = a.get("account_no", "").strip()
        if account and account not in refs.customers:
            err("account_no", "unknown_customer", _("Unknown customer account “%(code)s”.") % {"code": account})
        number = a.get("order", "").strip()
        if number and number not in refs.orders:
            err("order", "unknown_order", _("Unknown work order “%(code)s”.") % {"code": number})

        answers: dict[str, int | None] = {}
        if "__answers__" in row.answers:
            err("answers", "invalid", _("“answers” must be an object of indicator code → score."))
        else:
            for k in row.answers:
                if k not in code_set:
                    err(f"answers.{k}", "unknown_item", _("Unknown question “%(code)s”.") % {"code": k})
            for c in codes:
                value, problem = _answer(row.answers.get(c), q.scale_max)
                if problem == "out_of_range":
                    err(c, problem, _("Answer must be between 1 and %(max)d.") % {"max": q.scale_max})
                elif problem:
                    err(c, problem, _("Answer must be a whole number between 1 and %(max)d.") % {"max": q.scale_max})
                answers[c] = value
            missing = [c for c in codes if answers.get(c) is None and c not in {e["field"] for e in errs}]
            if len(missing) > q.max_missing_per_row:
                err("answers", "too_many_missing",
                    _("%(n)d answers missing (at most %(max)d allowed): %(items)s.")
                    % {"n": len(missing), "max": q.max_missing_per_row, "items": ", ".join(missing)})
            elif missing and not errs:
                warnings.append({"row": row.number, "field": "answers", "code": "missing_items",
                                 "message": _("Missing answers (handled by the %(policy)s policy): %(items)s.")
                                 % {"policy": q.get_missing_policy_display(), "items": ", ".join(missing)}})
        if respondent and respondent not in seen:
            seen[respondent] = row.number
        if errs:
            errors.extend(errs)
            continue
        valid.append(SurveyResponse(
            questionnaire=q, respondent=respondent, area=refs.areas.get(area), customer_category=category, channel=channel,
            answered_on=answered_on, customer=refs.customers.get(account), order=refs.orders.get(number), answers=answers,
        ))
    return valid, errors, warnings


# ------------------------------------------------------------------ writes


def _write(valid: list[SurveyResponse], source: str) -> int:
    for r in valid:
        r.source = source
    try:
        with transaction.atomic():
            SurveyResponse.objects.bulk_create(valid, batch_size=1000)
    except IntegrityError:
        # A concurrent import stored some of the same respondents meanwhile.
        raise InvalidInput(
            _("Some respondents were stored by another import meanwhile; send the file again to see which."),
            code="concurrent_duplicate",
        ) from None
    return len(valid)


def _require_writer(actor: Actor) -> None:
    from griddesk.common.errors import Forbidden

    from .selectors import ANALYST_ROLES

    if actor.role not in ANALYST_ROLES or actor.role.value == "leader":
        raise Forbidden(_("Your role may not add survey responses."))


@transaction.atomic
def responses_add(*, actor: Actor, questionnaire: Questionnaire, rows: list[Row], source: str = "api") -> dict[str, Any]:
    _require_writer(actor)
    valid, errors, warnings = validate_rows(questionnaire, rows)
    created = _write(valid, source)
    return {"total": len(rows), "created": created, "failed": len(rows) - created,
            "errors": errors[:MAX_ERRORS_KEPT], "warnings": warnings[:MAX_ERRORS_KEPT]}


@transaction.atomic
def responses_import(*, actor: Actor, questionnaire: Questionnaire, filename: str, data: bytes) -> SurveyImport:
    """Import a CSV/XLSX file of responses; returns the import with its report."""
    _require_writer(actor)
    rows, unknown = rows_from_file(questionnaire, filename, data)
    valid, errors, warnings = validate_rows(questionnaire, rows)
    for col in unknown:
        warnings.insert(0, {"row": 1, "field": col, "code": "unknown_column",
                            "message": _("Column “%(name)s” is not a question of this questionnaire; ignored.") % {"name": col}})
    created = _write(valid, "import")
    return SurveyImport.objects.create(
        questionnaire=questionnaire, filename=filename[:255], created_by=actor.user if actor.user.pk else None,
        total=len(rows), created=created, failed=len(rows) - created,
        report={"errors": errors[:MAX_ERRORS_KEPT], "warnings": warnings[:MAX_ERRORS_KEPT], "unknown_columns": unknown},
    )
