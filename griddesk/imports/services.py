"""Importing work orders from a file: create the job, then run it in the background.

Each row is validated with the API's ``IntakeSerializer`` (one set of rules for
the API, the intake form and files) and the valid rows are taken in through
``work_order_bulk_intake`` in chunks. A chunk's orders and the job's counters are
committed together, so the job always says exactly how far it got; a worker that
dies mid-file leaves whole orders only, and the job resumes from the first row
that was not committed. Rows are idempotent by ``external_id``: importing the
same file twice reports the orders as already present.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from griddesk.common.errors import Forbidden, ServiceError
from griddesk.customers.models import CustomerCategory
from griddesk.engines import workflow
from griddesk.organisation.access import Actor, actor_for
from griddesk.workorders import services as workorder_services
from griddesk.workorders.models import Channel, OrderType
from griddesk.workorders.serializers import IntakeSerializer

from . import files
from .models import ImportJob

log = logging.getLogger(__name__)

#: Rows per transaction. Small enough that a web request waiting for the SQLite
#: write lock is not held up for long; large enough to keep overhead low.
CHUNK_SIZE = 200
#: A running job whose heartbeat is older than this is taken over by the next
#: delivery of its task (the worker that ran it is presumed dead).
STALE_AFTER = timedelta(minutes=5)
#: Per-task time limit handed to django-q2 (the cluster default is for short tasks).
TASK_TIMEOUT_SECONDS = 3600

#: Serializer error paths → the file's column names.
_FIELD_COLUMNS = {
    "customer.account_no": "account_no",
    "customer.name": "customer_name",
    "customer.phone": "phone",
    "customer.address": "address",
    "customer.category": "customer_category",
    "customer": "account_no",
    "non_field_errors": "",
}


class _LostLease(Exception):
    """Another worker took the job over; this one's chunk must not be committed."""


# ------------------------------------------------------------------ creating a job


def import_job_create(*, actor: Actor, filename: str, data: bytes, language: str = "") -> ImportJob:
    """Check the file's shape, record the job and queue it. Raises ``InvalidInput``
    (with a message for the user) for files that cannot be imported at all."""
    raise_if_not_intake(actor)
    table = files.read_table(filename, data)
    job = ImportJob.objects.create(
        created_by=actor.user,
        filename=filename[:255],
        file_format=table.file_format,
        data=data,
        total=len(table.rows),
        language=language or settings.LANGUAGE_CODE,
    )
    _enqueue(job.pk)
    return job


def _enqueue(job_id: int) -> None:
    from griddesk.common.queues import INTERACTIVE, enqueue

    # Someone waits for the import on screen: the interactive queue, never
    # behind a burst of notices (ADR 0021). With the ORM broker the queued task
    # is part of the caller's transaction, so no worker sees it before the job row.
    enqueue("griddesk.imports.tasks.run_import", job_id, queue=INTERACTIVE, task_name=f"import-{job_id}",
            timeout=TASK_TIMEOUT_SECONDS)


# ------------------------------------------------------------------ running a job


def import_job_run(*, job_id: int) -> None:
    """The background task. Safe to deliver more than once."""
    now = timezone.now()
    claimable = Q(state=ImportJob.JobState.PENDING) | Q(state=ImportJob.JobState.RUNNING, updated_at__lt=now - STALE_AFTER)
    if not ImportJob.objects.filter(claimable, pk=job_id).update(state=ImportJob.JobState.RUNNING, updated_at=now):
        return  # finished, failed, or being run by a live worker
    job = ImportJob.objects.select_related("created_by").get(pk=job_id)
    if job.started_at is None:
        job.started_at = now
        job.save(update_fields=["started_at"])
    with translation.override(job.language or settings.LANGUAGE_CODE):
        try:
            _run(job)
        except _LostLease:
            return
        except ServiceError as exc:
            _finish(job, ImportJob.JobState.FAILED, exc.message)
        except Exception:
            log.exception("import job %s failed", job_id)
            _finish(job, ImportJob.JobState.FAILED, _("The import stopped because of an internal error. Rows already reported as created are saved."))
        else:
            _finish(job, ImportJob.JobState.DONE, "")


def _finish(job: ImportJob, state: str, message: str) -> None:
    ImportJob.objects.filter(pk=job.pk).update(
        state=state, message=message, finished_at=timezone.now(), updated_at=timezone.now(), data=b""
    )


def _run(job: ImportJob) -> None:
    table = files.read_table(job.filename, bytes(job.data))
    actor = actor_for(job.created_by)
    first_seen: dict[str, int] = {}
    duplicate_of: dict[int, int] = {}
    for number, raw in table.rows:
        ext = (raw.get("external_id") or "").strip()
        if not ext:
            continue
        if ext in first_seen:
            duplicate_of[number] = first_seen[ext]
        else:
            first_seen[ext] = number
    rows = table.rows
    for start in range(job.processed, len(rows), CHUNK_SIZE):
        _run_chunk(job, actor, rows[start : start + CHUNK_SIZE], duplicate_of)


def _run_chunk(job: ImportJob, actor: Actor, chunk: list[tuple[int, dict[str, str]]], duplicate_of: dict[int, int]) -> None:
    errors: list[dict[str, Any]] = []
    failed_rows: set[int] = set()
    valid: list[tuple[int, Any]] = []
    for number, raw in chunk:
        row_errors = list(_row_errors(number, raw, duplicate_of))
        if not row_errors:
            s = IntakeSerializer(data=row_payload(raw))
            if s.is_valid():
                valid.append((number, s.to_data()))
                continue
            row_errors = [_error(number, path, code, message) for path, code, message in _flatten(s.errors)]
        errors.extend(row_errors)
        failed_rows.add(number)
    created = existing = 0
    with transaction.atomic():
        results = workorder_services.work_order_bulk_intake(actor=actor, items=[d for _, d in valid]) if valid else []
        for (number, _data), result in zip(valid, results, strict=True):
            if result.status == "created":
                created += 1
            elif result.status == "existing":
                existing += 1
            else:
                failed_rows.add(number)
                for path, code, message in _flatten_details(result.errors or {}):
                    errors.append(_error(number, path, code, message))
        errors.sort(key=lambda e: e["row"])
        updated = ImportJob.objects.filter(pk=job.pk, processed=job.processed, state=ImportJob.JobState.RUNNING).update(
            processed=job.processed + len(chunk),
            created=job.created + created,
            existing=job.existing + existing,
            failed=job.failed + len(failed_rows),
            errors=[*job.errors, *errors],
            updated_at=timezone.now(),
        )
        if updated != 1:
            raise _LostLease()
    job.processed += len(chunk)
    job.created += created
    job.existing += existing
    job.failed += len(failed_rows)
    job.errors = [*job.errors, *errors]


# ------------------------------------------------------------------ one row


_LOOKUPS: dict[str, Any] = {"channel": Channel.choices, "type": OrderType.choices, "customer_category": CustomerCategory.choices}


@functools.cache
def _choice_lookup(column: str) -> dict[str, str]:
    """Accept a choice's code and its Chinese and English labels."""
    out: dict[str, str] = {}
    for language in ("zh-hans", "en"):
        with translation.override(language):
            for value, label in _LOOKUPS[column]:
                out[str(label).strip().lower()] = value
    for value, _label in _LOOKUPS[column]:
        out[str(value).lower()] = value
    return out

DATE_FORMATS_MESSAGE = _lazy(
    "Not a date and time: write it as 2026-03-01 09:30 or 2026-03-01 09:30:00 (read as Beijing time), "
    "or with a UTC offset such as 2026-03-01T09:30:00+08:00."
)
_DATE_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y-%m-%d", "%Y/%m/%d")
_HAS_OFFSET = re.compile(r"(Z|[+-]\d{2}:?\d{2})$")


def _code(column: str, value: str) -> str:
    return _choice_lookup(column).get(value.strip().lower(), value) if value else value


def received_at_text(value: str) -> str:
    """Spreadsheets hold local times without an offset: read those as the
    business time zone (Asia/Shanghai). Times with an offset pass unchanged; text
    that is not a time passes unchanged for the serializer to refuse."""
    value = value.strip()
    if not value or _HAS_OFFSET.search(value):
        return value
    try:
        return timezone.make_aware(datetime.fromisoformat(value), timezone.get_default_timezone()).isoformat()
    except ValueError:
        pass
    for fmt in _DATE_FORMATS:
        try:
            parsed = datetime.strptime(value.replace("T", " "), fmt)  # noqa: DTZ007 - made aware just below
        except ValueError:
            continue
        return timezone.make_aware(parsed, timezone.get_default_timezone()).isoformat()
    return value


def row_payload(raw: dict[str, str]) -> dict[str, Any]:
    """A file row as the JSON body the intake API takes. Blank cells are left out
    so the serializer's defaults and "required" messages apply."""

    def cell(name: str) -> str:
        return (raw.get(name) or "").strip()

    payload: dict[str, Any] = {}
    for name in ("external_id", "category", "content", "remedy_sought", "title", "anonymous"):
        if cell(name):
            payload[name] = cell(name)
    for name in ("channel", "type"):
        if cell(name):
            payload[name] = _code(name, cell(name))
    if cell("received_at"):
        payload["received_at"] = received_at_text(cell("received_at"))
    customer = {
        key: value
        for key, value in (
            ("account_no", cell("account_no")),
            ("name", cell("customer_name")),
            ("phone", cell("phone")),
            ("address", cell("address")),
            ("category", _code("customer_category", cell("customer_category"))),
        )
        if value
    }
    if customer:
        payload["customer"] = customer
    return payload


def _row_errors(number: int, raw: dict[str, str], duplicate_of: dict[int, int]) -> Iterator[dict[str, Any]]:
    if not (raw.get("external_id") or "").strip():
        yield _error(
            number, "external_id", "required",
            _("The 95598 order id is required in imports, so that importing a file again cannot create duplicates."),
        )
    elif number in duplicate_of:
        yield _error(
            number, "external_id", "duplicate_in_file",
            _("The same 95598 order id is already on row %(row)d of this file.") % {"row": duplicate_of[number]},
        )


def _error(number: int, path: str, code: str, message: str | Promise) -> dict[str, Any]:
    if path == "received_at" and code in ("invalid", "naive"):
        message = DATE_FORMATS_MESSAGE  # the formats a file may use, not the API's ISO-only rule
    return {"row": number, "field": _FIELD_COLUMNS.get(path, path), "code": code, "message": str(message)}


def _flatten(errors: Any, prefix: str = "") -> Iterator[tuple[str, str, str]]:
    """DRF ``serializer.errors`` → (path, code, message)."""
    if isinstance(errors, dict):
        for key, value in errors.items():
            yield from _flatten(value, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(errors, list):
        for item in errors:
            yield from _flatten(item, prefix)
    else:
        yield prefix, str(getattr(errors, "code", "invalid") or "invalid"), str(errors)


def _flatten_details(errors: Any, prefix: str = "") -> Iterator[tuple[str, str, str]]:
    """The bulk service's ``{field: [{"code", "message"}]}`` → (path, code, message)."""
    if isinstance(errors, dict):
        if set(errors) == {"code", "message"}:
            yield prefix, str(errors["code"]), str(errors["message"])
            return
        for key, value in errors.items():
            yield from _flatten_details(value, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(errors, list):
        for item in errors:
            yield from _flatten_details(item, prefix)
    else:
        yield prefix, "invalid", str(errors)


def template_rows() -> list[list[str]]:
    """Header and one example row for the downloadable template."""
    return [
        list(files.COLUMNS),
        [
            "95598-20260301-0001", "95598", "complaint", "business.tariff",
            "客户反映本月电费异常偏高，要求核查电表。", "2026-03-01 09:30", "3300112233", "张三",
            "13812341234", "江城市东湖路88号", "residential", "核查并解释",
        ],
    ]


def error_rows(job: ImportJob) -> Iterator[list[str]]:
    yield [_("Row"), _("Column"), _("Code"), _("Message")]
    for e in job.errors:
        yield [str(e.get("row", "")), str(e.get("field", "")), str(e.get("code", "")), str(e.get("message", ""))]


def raise_if_not_intake(actor: Actor) -> None:
    if actor.role not in workflow.INTAKE_ROLES:
        raise Forbidden(_("Your role may not take in work orders."))

