"""Writes to the calendar layer, each audited as a ``RuleChange`` row.

After a change commits, a django-q2 task recomputes the deadlines of the open
orders it can affect: every provisional deadline, plus every open order whose
window (receipt day, due day] contains a changed date (so an override inside
an official year, e.g. a local emergency arrangement, moves those deadlines
too). See :func:`deadlines_recompute`.
"""

from __future__ import annotations

import logging
import os
import threading
import time as time_mod
from concurrent.futures import ThreadPoolExecutor
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from griddesk.common.errors import Forbidden, InvalidInput, NotFound
from griddesk.engines import workdays
from griddesk.engines.workflow import OPEN_STATES
from griddesk.organisation.access import Actor

from . import selectors
from .models import CalendarOverride, ConfirmedYear

log = logging.getLogger(__name__)

RECOMPUTE_BATCH = 1000
RECOMPUTE_TASK = "griddesk.sla.tasks.recompute_provisional_deadlines"
#: RuleChange.model of the recomputation summary rows.
RECOMPUTE_LABEL = "sla.DeadlineRecompute"


def _recompute_workers() -> int:
    """Database connections a set-based recompute uses at once: setting
    ``GRIDDESK_RECOMPUTE_WORKERS`` (default: the machine's cores, at most 4)."""
    configured = getattr(settings, "GRIDDESK_RECOMPUTE_WORKERS", None)
    if configured is not None:
        return max(1, int(configured))
    return max(1, min(4, os.cpu_count() or 1))


#: actor_name of the events the clock writes (overdue, deadline recomputed).
SYSTEM_ACTOR = "system"


# ------------------------------------------------------------------ helpers


def require_admin(actor: Actor) -> None:
    if not actor.is_admin:
        raise Forbidden(_("Only administrators may change the working-day calendar."))


def _user(actor: Actor) -> Any:
    return actor.user if getattr(actor.user, "pk", None) else None


def _audit(actor: Actor | None, *, model: str, object_id: str, change: str, before: Any, after: Any) -> None:
    from griddesk.workorders.models import RuleChange

    RuleChange.objects.create(
        model=model,
        object_id=object_id,
        change=change,
        before=before,
        after=after,
        actor=_user(actor) if actor is not None else None,
    )


def _override_snapshot(o: CalendarOverride) -> dict[str, Any]:
    return {"day": o.day.isoformat(), "is_workday": o.is_workday, "source_notice": o.source_notice, "note": o.note}


def _year_snapshot(y: ConfirmedYear) -> dict[str, Any]:
    return {"year": y.year, "notice": y.notice}


def check_year(year: int, field: str = "year") -> None:
    if not selectors.MIN_YEAR <= year <= selectors.MAX_YEAR:
        raise InvalidInput(
            _("The year must lie between %(min)d and %(max)d.") % {"min": selectors.MIN_YEAR, "max": selectors.MAX_YEAR},
            code="out_of_range",
            field=field,
        )


def check_override(*, day: date, source_notice: str) -> None:
    """Validation shared by the services and the Django admin form."""
    check_year(day.year, field="date")
    if not source_notice.strip():
        raise InvalidInput(
            _("Name the notice the date comes from."), code="required", field="source_notice"
        )


def check_confirm(*, year: int, notice: str) -> None:
    """A year can be confirmed once (some of) its notice's dates are entered."""
    check_year(year)
    if not notice.strip():
        raise InvalidInput(_("Name the notice that confirms the year."), code="required", field="notice")
    if year in selectors.official_years():
        return
    if not CalendarOverride.objects.filter(day__year=year).exists():
        raise InvalidInput(
            _("Enter the dates of the %(year)d notice before confirming the year.") % {"year": year},
            code="no_overrides",
            field="year",
        )


def _schedule_recompute(actor: Actor, first: date, last: date, reason: str) -> None:
    """Queue one recomputation when the surrounding transaction commits."""
    actor_id = getattr(actor.user, "pk", None)
    args = (first.isoformat(), last.isoformat(), actor_id, reason)
    transaction.on_commit(lambda: enqueue_recompute(*args))


def enqueue_recompute(first: str | None = None, last: str | None = None, actor_id: int | None = None, reason: str = "") -> None:
    from griddesk.common.queues import BACKGROUND, enqueue

    enqueue(
        RECOMPUTE_TASK,
        queue=BACKGROUND,
        first=first,
        last=last,
        actor_id=actor_id,
        reason=reason,
        task_name=f"sla-recompute-{first}-{last}",
    )


# ------------------------------------------------------------------ overrides


@dataclass(frozen=True)
class OverrideResult:
    override: CalendarOverride | None
    status: str  # created / updated / unchanged / deleted


def _write_override(*, actor: Actor, day: date, is_workday: bool, source_notice: str, note: str) -> OverrideResult:
    check_override(day=day, source_notice=source_notice)
    source_notice = source_notice.strip()
    note = note.strip()
    existing = CalendarOverride.objects.select_for_update().filter(day=day).first()
    if existing is None:
        obj = CalendarOverride.objects.create(
            day=day, is_workday=is_workday, source_notice=source_notice, note=note, created_by=_user(actor)
        )
        _audit(actor, model=CalendarOverride._meta.label, object_id=day.isoformat(), change="create", before=None, after=_override_snapshot(obj))
        return OverrideResult(obj, "created")
    before = _override_snapshot(existing)
    existing.is_workday, existing.source_notice, existing.note = is_workday, source_notice, note
    after = _override_snapshot(existing)
    if before == after:
        return OverrideResult(existing, "unchanged")
    existing.save(update_fields=["is_workday", "source_notice", "note", "updated_at"])
    _audit(actor, model=CalendarOverride._meta.label, object_id=day.isoformat(), change="update", before=before, after=after)
    return OverrideResult(existing, "updated")


@transaction.atomic
def calendar_override_set(*, actor: Actor, day: date, is_workday: bool, source_notice: str, note: str = "") -> OverrideResult:
    """Create or update the override of one date (administrators only)."""
    require_admin(actor)
    result = _write_override(actor=actor, day=day, is_workday=is_workday, source_notice=source_notice, note=note)
    if result.status != "unchanged":
        _schedule_recompute(actor, day, day, reason=f"override {day.isoformat()}")
    return result


@transaction.atomic
def calendar_overrides_delete(*, actor: Actor, days: list[date]) -> int:
    """Remove the overrides of these dates; the official data or the rule applies again."""
    require_admin(actor)
    rows = list(CalendarOverride.objects.select_for_update().filter(day__in=days).order_by("day"))
    missing = sorted(set(days) - {r.day for r in rows})
    if missing:
        raise NotFound(
            _("There is no override for %(day)s.") % {"day": missing[0].isoformat()}, code="not_found", field="date"
        )
    for row in rows:
        _audit(actor, model=CalendarOverride._meta.label, object_id=row.day.isoformat(), change="delete", before=_override_snapshot(row), after=None)
        row.delete()
    if rows:
        _schedule_recompute(actor, rows[0].day, rows[-1].day, reason="override delete")
    return len(rows)


def calendar_override_delete(*, actor: Actor, day: date) -> None:
    calendar_overrides_delete(actor=actor, days=[day])


# ------------------------------------------------------------------ years


def _confirm(*, actor: Actor, year: int, notice: str) -> str:
    check_confirm(year=year, notice=notice)
    if year in selectors.official_years():
        return "official"
    notice = notice.strip()
    existing = ConfirmedYear.objects.select_for_update().filter(year=year).first()
    if existing is None:
        row = ConfirmedYear.objects.create(year=year, notice=notice, confirmed_by=_user(actor))
        _audit(actor, model=ConfirmedYear._meta.label, object_id=str(year), change="create", before=None, after=_year_snapshot(row))
        return "confirmed"
    if existing.notice == notice:
        return "unchanged"
    before = _year_snapshot(existing)
    existing.notice, existing.confirmed_by, existing.confirmed_at = notice, _user(actor), timezone.now()
    existing.save()
    _audit(actor, model=ConfirmedYear._meta.label, object_id=str(year), change="update", before=before, after=_year_snapshot(existing))
    return "updated"


def _year_range(year: int) -> tuple[date, date]:
    return date(year, 1, 1), date(year, 12, 31)


@transaction.atomic
def calendar_year_confirm(*, actor: Actor, year: int, notice: str) -> str:
    """Mark ``year`` as confirmed: its deadlines are no longer provisional.

    Returns ``official`` (the year has official data and is always confirmed;
    nothing is written), ``confirmed``, ``updated`` (new notice) or ``unchanged``.
    """
    require_admin(actor)
    status = _confirm(actor=actor, year=year, notice=notice)
    if status == "confirmed":
        _schedule_recompute(actor, *_year_range(year), reason=f"confirm {year}")
    return status


@transaction.atomic
def calendar_year_unconfirm(*, actor: Actor, year: int) -> None:
    """Withdraw a confirmation (e.g. made by mistake): the year is provisional again."""
    require_admin(actor)
    row = ConfirmedYear.objects.select_for_update().filter(year=year).first()
    if row is None:
        raise NotFound(_("The year %(year)d is not confirmed.") % {"year": year}, field="year")
    _audit(actor, model=ConfirmedYear._meta.label, object_id=str(year), change="delete", before=_year_snapshot(row), after=None)
    row.delete()
    _schedule_recompute(actor, *_year_range(year), reason=f"unconfirm {year}")


# ------------------------------------------------------------------ import


@dataclass(frozen=True)
class OverrideItem:
    day: date
    is_workday: bool
    source_notice: str
    note: str = ""


@dataclass(frozen=True)
class ImportResult:
    results: list[OverrideResult]
    confirmed: str | None  # status of the year confirmation, if one was asked for


@transaction.atomic
def calendar_overrides_import(
    *, actor: Actor, items: list[OverrideItem], confirm_year: int | None = None, notice: str = ""
) -> ImportResult:
    """Enter a notice's dates at once (all or nothing), optionally confirming
    its year; one recomputation covers the whole import."""
    require_admin(actor)
    results = [
        _write_override(actor=actor, day=i.day, is_workday=i.is_workday, source_notice=i.source_notice or notice, note=i.note)
        for i in items
    ]
    confirmed = _confirm(actor=actor, year=confirm_year, notice=notice) if confirm_year is not None else None
    days = [r.override.day for r in results if r.status != "unchanged" and r.override is not None]
    if confirmed == "confirmed":
        days += list(_year_range(confirm_year))  # type: ignore[arg-type]
    if days:
        _schedule_recompute(actor, min(days), max(days), reason=f"import {confirm_year or ''}".strip())
    return ImportResult(results=results, confirmed=confirmed)


# ------------------------------------------------------------------ recomputation


def _local_midnight(d: date) -> datetime:
    return datetime.combine(d, time.min, tzinfo=ZoneInfo(workdays.DEFAULT_TZ))


def clock_events(rows: list[tuple[Any, str, dict[str, Any]]], *, action: str, at: datetime) -> None:
    """Append one event per (locked, already version-bumped) order, written by
    the clock (no actor). ``rows``: (order, state, data)."""
    from griddesk.workorders import domain_events
    from griddesk.workorders.models import WorkOrderEvent

    written = WorkOrderEvent.objects.bulk_create(
        [
            WorkOrderEvent(
                order_id=o.pk, seq=o.version, action=action, actor=None, actor_name=SYSTEM_ACTOR, at=at,
                from_state=state, to_state=state, data=data,
            )
            for o, state, data in rows
        ],
        batch_size=1000,
    )
    if domain_events.wants(domain_events.order_event_name(action)):
        # The rows are loaded with .only(…): the numbers in one query, not one per order.
        from griddesk.workorders.models import WorkOrder

        ids = [o.pk for o, _s, _d in rows]
        numbers = dict(WorkOrder.objects.filter(pk__in=ids).values_list("pk", "number"))
        domain_events.publish_recorded(written, numbers=numbers)


def orders_mark_overdue(*, order_ids: list[int], now: datetime | None = None) -> int:
    """Set the ``overdue`` flag on these open orders whose deadline has passed
    (the watcher calls this), each with an ``overdue`` event. Idempotent: an
    order already flagged, closed, suspended or whose deadline moved is skipped."""
    from django.db.models import F

    from griddesk.workorders.models import WorkOrder

    now = now or timezone.now()
    marked = 0
    for i in range(0, len(order_ids), RECOMPUTE_BATCH):
        with transaction.atomic():
            rows = list(
                WorkOrder.objects.select_for_update()
                .filter(pk__in=order_ids[i : i + RECOMPUTE_BATCH], overdue=False, state__in=list(OPEN_STATES), deadline_at__lt=now)
                .only("pk", "version", "state", "deadline_at")
                .order_by("pk")
            )
            if not rows:
                continue
            WorkOrder.objects.filter(pk__in=[r.pk for r in rows]).update(overdue=True, version=F("version") + 1)
            for r in rows:
                r.version += 1
            clock_events(
                [(r, r.state, {"deadline_at": r.deadline_at.isoformat() if r.deadline_at else None}) for r in rows],
                action="overdue",
                at=now,
            )
            marked += len(rows)
    return marked


def orders_mark_stage_overdue(*, order_ids: list[int], now: datetime | None = None) -> int:
    """Set ``stage_overdue`` on these open orders whose running stage limit has
    passed, each with a ``stage_overdue`` event (stage, policy, limit). Idempotent
    like :func:`orders_mark_overdue`: already flagged, closed, suspended, no
    stage or a moved limit → skipped."""
    from django.db.models import F

    from griddesk.workorders.models import WorkOrder

    now = now or timezone.now()
    marked = 0
    for i in range(0, len(order_ids), RECOMPUTE_BATCH):
        with transaction.atomic():
            rows = list(
                WorkOrder.objects.select_for_update()
                .filter(
                    pk__in=order_ids[i : i + RECOMPUTE_BATCH], stage_overdue=False, state__in=list(OPEN_STATES),
                    stage_deadline_at__lt=now,
                )
                .exclude(stage="")
                .only("pk", "version", "state", "stage", "stage_policy", "stage_deadline_at")
                .order_by("pk")
            )
            if not rows:
                continue
            WorkOrder.objects.filter(pk__in=[r.pk for r in rows]).update(stage_overdue=True, version=F("version") + 1)
            for r in rows:
                r.version += 1
            clock_events(
                [
                    (r, r.state, {"stage": r.stage, "stage_policy": r.stage_policy,
                                  "stage_deadline_at": r.stage_deadline_at.isoformat() if r.stage_deadline_at else None})
                    for r in rows
                ],
                action="stage_overdue",
                at=now,
            )
            marked += len(rows)
    return marked


_EVENT_COLUMNS = ("order", "seq", "action", "actor", "actor_name", "at", "from_state", "to_state", "note", "data")


def _publish_batch(events: list[tuple[Any, ...]]) -> None:
    """The domain events of a recompute batch's ``deadline`` events (only when
    someone subscribes: a recompute may move 100,000 deadlines)."""
    import json

    from griddesk.workorders import domain_events
    from griddesk.workorders.models import WorkOrder

    if not events or not any(domain_events.wants(domain_events.order_event_name(a)) for a in {e[2] for e in events}):
        return
    ids = sorted({e[0] for e in events})
    numbers: dict[int, str] = {}
    for i in range(0, len(ids), 1000):
        numbers.update(WorkOrder.objects.filter(pk__in=ids[i : i + 1000]).values_list("pk", "number"))
    domain_events.publish_many([
        domain_events.order_event(
            action=action, order_id=oid, order_number=numbers.get(oid, ""), seq=seq, occurred_at=at,
            from_state=state, to_state=state, data=json.loads(data),
        )
        for oid, seq, action, at, state, data in events
    ])


def _write_batch(updates: list[tuple[Any, ...]], events: list[tuple[Any, ...]]) -> None:
    """Save moved deadlines (id, deadline_at, provisional, overdue, policy, version)
    and append their events (order_id, seq, action, at, state, data-json).

    PostgreSQL: COPY into a temporary table + one ``UPDATE … FROM``, and COPY of
    the events (parameter binding of 1,000-row statements cost more than the
    database work). Elsewhere: bulk_update / bulk_create.
    """
    import json

    from griddesk.workorders.models import WorkOrder, WorkOrderEvent

    if connection.vendor != "postgresql":
        objs = []
        for pk, due, prov, overdue, policy, version in updates:
            o = WorkOrder(pk=pk, deadline_at=due, deadline_provisional=prov, overdue=overdue, sla_policy=policy, version=version)
            objs.append(o)
        WorkOrder.objects.bulk_update(objs, ["deadline_at", "deadline_provisional", "overdue", "sla_policy", "version"])
        WorkOrderEvent.objects.bulk_create(
            [
                WorkOrderEvent(order_id=oid, seq=seq, action=action, actor=None, actor_name=SYSTEM_ACTOR, at=at,
                               from_state=state, to_state=state, data=json.loads(data))
                for oid, seq, action, at, state, data in events
            ],
            batch_size=1000,
        )
        _publish_batch(events)
        return
    table = connection.ops.quote_name(WorkOrder._meta.db_table)
    meta = WorkOrderEvent._meta
    ev_table = connection.ops.quote_name(meta.db_table)
    ev_cols = ", ".join(connection.ops.quote_name(meta.get_field(c).column) for c in _EVENT_COLUMNS)
    with connection.cursor() as cur:
        raw = getattr(cur, "cursor", cur)
        raw.execute(
            "CREATE TEMP TABLE IF NOT EXISTS sla_deadline_batch "
            "(id bigint, d timestamptz, p boolean, o boolean, s varchar(64), ver integer) ON COMMIT DELETE ROWS"
        )
        # Emptied at commit; also now, for a caller that runs batches in one transaction.
        raw.execute("TRUNCATE sla_deadline_batch")
        with raw.copy("COPY sla_deadline_batch (id, d, p, o, s, ver) FROM STDIN") as cp:
            for row in updates:
                cp.write_row(row)
        raw.execute(
            f"UPDATE {table} AS w SET deadline_at = v.d, deadline_provisional = v.p, overdue = v.o, sla_policy = v.s, "
            f"version = v.ver FROM sla_deadline_batch AS v WHERE w.id = v.id"
        )
        with raw.copy(f"COPY {ev_table} ({ev_cols}) FROM STDIN") as cp:
            for oid, seq, action, at, state, data in events:
                cp.write_row((oid, seq, action, None, SYSTEM_ACTOR, at, state, state, "", data))
    _publish_batch(events)


@dataclass
class _SetResult:
    examined: int
    changed: int
    overdue_changed: int
    sample: list[dict[str, Any]]
    slow_combos: Q | None  # orders left for the row loop (None: none)


_COMBO_FIELDS = ("type", "grade", "complexity", "channel")


def _recompute_set_based(
    *, rules: Any, cond: Q, states: list[str], now: datetime, reason: str, batch_size: int,
    progress: Callable[[int, int, float], None] | None,
) -> _SetResult:
    """PostgreSQL: recompute working-days deadlines in SQL.

    1. the distinct (type, grade, complexity, channel) of the candidates →
       their handling policy (Python, the engine's matching);
    2. the distinct (local receipt day, working days incl. suspension) →
       their deadline (Python, the engine's calendar index), into a temp table;
    3. per id range of ``batch_size``: one statement locks the candidates whose
       deadline, provisional or overdue flag differs (``FOR UPDATE OF``: a
       concurrent grading waits or is waited for, and the join is re-checked
       on its new row), updates them (version + 1) and appends their
       ``deadline`` events. Each range is its own short transaction.
    """
    import json

    from django.db.models import Count

    from griddesk.engines import sla, workdays
    from griddesk.workorders.models import WorkOrder, WorkOrderEvent

    base = WorkOrder.objects.filter(cond, state__in=states, deadline_at__isnull=False)
    combos = list(base.values_list(*_COMBO_FIELDS).annotate(n=Count("id")).order_by())
    fast: list[tuple[str, int | None, str, str, str, int]] = []
    slow = Q(pk__in=[])
    has_slow = False
    examined = 0
    for otype, grade, complexity, channel, n in combos:
        p = rules.handling_policy(sla.Facts(order_type=otype, complexity=complexity, grade=grade, channel=channel))
        if p.kind == "working_days":
            fast.append((otype, grade, complexity, channel, p.code, p.amount))
            examined += n
        else:
            slow |= Q(type=otype, grade=grade, complexity=complexity, channel=channel)
            has_slow = True
    result = _SetResult(examined=examined, changed=0, overdue_changed=0, sample=[], slow_combos=slow if has_slow else None)
    if not fast:
        return result
    tz = workdays.DEFAULT_TZ
    amounts = sorted({a for *_, a in fast})
    wo = connection.ops.quote_name(WorkOrder._meta.db_table)
    ev = connection.ops.quote_name(WorkOrderEvent._meta.db_table)
    where, params = base.query.where.as_sql(base.query.get_compiler(connection=connection), connection)
    with connection.cursor() as cur:
        cur.execute(
            f"SELECT DISTINCT (COALESCE({wo}.handling_started_at, {wo}.received_at) AT TIME ZONE %s)::date, "
            f"{wo}.suspension_extension FROM {wo} WHERE {where}",
            [tz, *params],
        )
        day_ext = cur.fetchall()
        cur.execute(f"SELECT MIN({wo}.id), MAX({wo}.id) FROM {wo} WHERE {where}", params)
        lo, hi = cur.fetchone()
    zone = workdays._zone(tz)
    cal = rules.calendar
    due_rows: dict[tuple[Any, int], tuple[datetime, bool]] = {}
    for day, ext in day_ext:
        for a in amounts:
            n = a + ext
            if (day, n) not in due_rows:
                dl = workdays._deadline_for_local_ord(cal, tz, zone, day.toordinal(), n)
                due_rows[(day, n)] = (dl.due_at, dl.provisional)

    def load_temp_tables() -> None:
        # Session-local: each worker connection loads its own copy (a few hundred rows).
        with transaction.atomic(), connection.cursor() as cur:
            raw = getattr(cur, "cursor", cur)
            raw.execute("DROP TABLE IF EXISTS sla_fact; DROP TABLE IF EXISTS sla_due")
            raw.execute(
                "CREATE TEMP TABLE sla_fact (type varchar(20), grade smallint, complexity varchar(20), channel varchar(20), "
                "code varchar(64), amount integer)"
            )
            with raw.copy("COPY sla_fact FROM STDIN") as cp:
                for row in fast:
                    cp.write_row(row)
            raw.execute("CREATE TEMP TABLE sla_due (d date, n integer, due timestamptz, prov boolean, PRIMARY KEY (d, n))")
            with raw.copy("COPY sla_due FROM STDIN") as cp:
                for (day, n), (due, prov) in due_rows.items():
                    cp.write_row((day, n, due, prov))
            raw.execute("ANALYZE sla_fact; ANALYZE sla_due")

    if lo is None:
        return result
    sql = f"""
        WITH c AS (
            SELECT w.id, w.number, w.state, w.deadline_at AS before_d, w.deadline_provisional AS before_p,
                   w.overdue AS before_o, w.version + 1 AS ver, f.code, dd.due, dd.prov,
                   (w.state <> 'suspended' AND dd.due < %(now)s) AS od
            FROM {wo} w
            JOIN sla_fact f ON f.type = w.type AND f.grade IS NOT DISTINCT FROM w.grade
                 AND f.complexity = w.complexity AND f.channel = w.channel
            JOIN sla_due dd ON dd.d = (COALESCE(w.handling_started_at, w.received_at) AT TIME ZONE %(tz)s)::date
                 AND dd.n = f.amount + w.suspension_extension
            WHERE w.id >= %(lo)s AND w.id < %(hi)s AND {where.replace(wo + ".", "w.")}
              AND (w.deadline_at IS DISTINCT FROM dd.due OR w.deadline_provisional <> dd.prov
                   OR w.overdue <> (w.state <> 'suspended' AND dd.due < %(now)s))
            FOR UPDATE OF w
        ), u AS (
            UPDATE {wo} AS t SET deadline_at = c.due, deadline_provisional = c.prov, overdue = c.od,
                   sla_policy = c.code, version = c.ver
            FROM c WHERE t.id = c.id
        ), e AS (
            INSERT INTO {ev} (order_id, seq, action, actor_id, actor_name, at, from_state, to_state, note, data)
            SELECT c.id, c.ver, 'deadline', NULL, %(actor)s, %(now)s, c.state, c.state, '',
                   jsonb_build_object('before', c.before_d, 'deadline_at', c.due, 'provisional', c.prov, 'overdue', c.od,
                                      'overdue_before', c.before_o, 'policy', c.code, 'reason', %(reason)s::text)
            FROM c
        )
        SELECT count(*), count(*) FILTER (WHERE c.before_o <> c.od),
               (SELECT jsonb_agg(jsonb_build_object('number', s.number, 'before', jsonb_build_array(s.before_d, s.before_p),
                                                    'after', jsonb_build_array(s.due, s.prov)))
                FROM (SELECT * FROM c ORDER BY c.id LIMIT 50) s)
        FROM c
    """
    # the candidate condition's own placeholders are positional: inline them as named ones
    named = {f"p{i}": v for i, v in enumerate(params)}
    parts = sql.split("%s")
    sql = "".join(part + (f"%(p{i})s" if i < len(parts) - 1 else "") for i, part in enumerate(parts))
    ranges = [(start, start + batch_size) for start in range(lo, hi + 1, batch_size)]
    lock = threading.Lock()

    def run_range(bounds: tuple[int, int]) -> None:
        t0 = time_mod.perf_counter()
        with transaction.atomic(), connection.cursor() as cur:
            cur.execute(sql, {**named, "now": now, "tz": tz, "lo": bounds[0], "hi": bounds[1],
                              "actor": SYSTEM_ACTOR, "reason": reason})
            n, n_od, smp = cur.fetchone()
        seconds = time_mod.perf_counter() - t0
        with lock:
            result.changed += n
            result.overdue_changed += n_od
            if smp and len(result.sample) < 50:
                for x in (json.loads(smp) if isinstance(smp, str) else smp)[: 50 - len(result.sample)]:
                    result.sample.append(x)
        if progress is not None:  # outside the lock: a slow callback must not stall the other workers
            progress(result.examined, n, seconds)

    workers = min(_recompute_workers(), len(ranges))
    if workers <= 1 or connection.in_atomic_block:
        # Inside a caller's transaction (or a test's) other connections cannot
        # see its rows: one connection, ranges in order.
        load_temp_tables()
        for bounds in ranges:
            run_range(bounds)
        return result

    # Ranges are disjoint, so the workers never wait for each other's row
    # locks; each has its own connection (Django's are per thread), loads its
    # own temp tables and closes its connection when done. The database does
    # the work, so threads suffice (psycopg releases the GIL).
    pending = iter(ranges)

    def worker() -> None:
        try:
            load_temp_tables()
            while True:
                with lock:
                    bounds = next(pending, None)
                if bounds is None:
                    return
                run_range(bounds)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="sla-recompute") as pool:
        for fut in [pool.submit(worker) for _ in range(workers)]:
            fut.result()
    return result


def deadlines_recompute(
    *,
    first: date | None = None,
    last: date | None = None,
    actor_id: int | None = None,
    reason: str = "",
    batch_size: int = RECOMPUTE_BATCH,
    now: datetime | None = None,
    progress: Callable[[int, int, float], None] | None = None,
    all_rules: bool = False,
    order_types: list[str] | None = None,
) -> dict[str, Any]:
    """Recompute the handling deadlines of open (and suspended) orders with the
    current calendar and SLA policies.

    Candidates: when a changed date range [first, last] is given, the open
    orders whose (receipt day, due day] window contains a date in that range
    (a year's confirmation: the range is the year); without a range, every
    provisional deadline; with ``all_rules`` (an SLA policy, business hours or
    area edit), every open order, of ``order_types`` when given. Orders under a
    ``natural`` policy do not depend on the calendar and are skipped after a
    calendar change. The running stage limits are recomputed too
    (:func:`stage_deadlines_recompute`). Runs in
    batches ordered by id, each its own short transaction that locks only its
    rows (``SELECT … FOR UPDATE``), so the work-order table is never locked
    for long and a concurrent grading is not overwritten with a stale
    complexity. Each moved deadline bumps the order's version and writes a
    ``deadline`` event (before/after, overdue flag); the overdue flag follows
    the new deadline. The run is also audited as one RuleChange summary row.
    Suspended time already granted (``suspension_extension``) is kept.
    ``progress(examined, changed_in_batch, batch_seconds)`` is called after each
    batch (the benchmark measures how long each batch holds its row locks).
    """
    import json

    from griddesk.engines import sla
    from griddesk.engines.workflow import State
    from griddesk.workorders.models import WorkOrder

    from . import policies

    now = now or timezone.now()
    rules = policies.load(selectors.effective_calendar())
    calendar_change = not all_rules
    if all_rules:
        # A policy / business-hours / area edit: every open order (of these
        # types) may move; rows whose deadline stays are not rewritten.
        cond = Q(type__in=order_types) if order_types else Q()
    elif first is not None and last is not None:
        # Only the orders whose window (receipt day, due day] contains a
        # changed date can move (confirming a year: the windows touching it,
        # which are exactly its provisional deadlines).
        # (A reopened order's window starts later, at its reopen: still inside this one.)
        cond = Q(received_at__lt=_local_midnight(last), deadline_at__gte=_local_midnight(first))
    else:
        cond = Q(deadline_provisional=True)
    states = [*OPEN_STATES, State.SUSPENDED]
    base = WorkOrder.objects.filter(cond, state__in=states, deadline_at__isnull=False)
    cols = [
        "pk", "number", "state", "type", "grade", "complexity", "channel", "received_at", "deadline_at",
        "deadline_provisional", "overdue", "suspension_extension", "version", "handling_started_at",
    ]
    use_area = rules.uses_area("handling")
    if use_area:
        cols += ["company__path", "customer__station__path"]
    by_facts: dict[sla.Facts, sla.Policy] = {}
    examined = changed = still_provisional = overdue_changed = 0
    sample: list[dict[str, Any]] = []
    last_pk = 0
    suspended = State.SUSPENDED.value
    set_based = connection.vendor == "postgresql" and not use_area
    if set_based:
        # Orders under working-days policies (nearly all): in SQL, set-based,
        # by id range; only the rest go through the row loop below.
        fast = _recompute_set_based(
            rules=rules, cond=cond, states=[str(x) for x in states], now=now, reason=reason,
            batch_size=batch_size * 5, progress=progress,
        )
        examined, changed, overdue_changed = fast.examined, fast.changed, fast.overdue_changed
        sample = fast.sample
        if fast.slow_combos is None:
            base = base.none()
        else:
            base = base.filter(fast.slow_combos)
    while True:
        started = time_mod.perf_counter()
        n_dirty = 0
        with transaction.atomic():
            rows = list(
                base.filter(pk__gt=last_pk).order_by("pk").select_for_update(of=("self",)).values_list(*cols)[:batch_size]
            )
            if not rows:
                break
            last_pk = rows[-1][0]
            updates: list[tuple[Any, ...]] = []
            events: list[tuple[Any, ...]] = []
            for row in rows:
                pk, number, state, otype, grade, complexity, channel, received_at, deadline_at, prov, was_overdue, ext, version = row[:13]
                examined += 1
                # The clock runs from the receipt, or from the reopen of a reopened order.
                clock_start = row[13] or received_at
                area = rules.area_type_for_path(row[15] or row[14] or "") if use_area else None
                facts = sla.Facts(order_type=otype, complexity=complexity, grade=grade, channel=channel, area_type=area)
                policy = by_facts.get(facts)
                if policy is None:
                    policy = by_facts[facts] = rules.handling_policy(facts)
                if calendar_change and first is not None and policy.kind == "natural" and not prov:
                    continue  # natural time: a calendar change cannot move it
                dl = rules.deadline(policy, clock_start, ext)
                still_provisional += dl.provisional
                # A suspended order's clock is stopped: it is never overdue.
                overdue = state != suspended and dl.due_at < now
                if deadline_at == dl.due_at and prov == dl.provisional and was_overdue == overdue:
                    continue
                before = deadline_at.isoformat() if deadline_at else None
                after = dl.due_at.isoformat()
                if len(sample) < 50:
                    sample.append({"number": number, "before": [before, prov], "after": [after, dl.provisional]})
                overdue_changed += was_overdue != overdue
                updates.append((pk, dl.due_at, dl.provisional, overdue, policy.code, version + 1))
                data = {
                    "before": before, "deadline_at": after, "provisional": dl.provisional,
                    "overdue": overdue, "overdue_before": was_overdue, "policy": policy.code, "reason": reason,
                }
                events.append((pk, version + 1, "deadline", now, state, json.dumps(data, ensure_ascii=False)))
            if updates:
                _write_batch(updates, events)
                changed += len(updates)
                n_dirty = len(updates)
        if progress is not None:
            progress(examined, n_dirty, time_mod.perf_counter() - started)
    if set_based:
        still_provisional = WorkOrder.objects.filter(cond, state__in=states, deadline_provisional=True).count()
    stage_summary = stage_deadlines_recompute(rules=rules, now=now, reason=reason, order_types=order_types if all_rules else None)
    summary = {
        "reason": reason,
        "range": [first.isoformat(), last.isoformat()] if first and last else None,
        "examined": examined,
        "recomputed": changed,
        "overdue_changed": overdue_changed,
        "still_provisional": still_provisional,
        "sample": sample,
        "stages_examined": stage_summary["examined"],
        "stages_recomputed": stage_summary["recomputed"],
    }
    from django.contrib.auth import get_user_model

    from griddesk.workorders.models import RuleChange

    if actor_id is not None and not get_user_model().objects.filter(pk=actor_id).exists():
        actor_id = None
    RuleChange.objects.create(
        model=RECOMPUTE_LABEL,
        object_id=(
            "rules" if all_rules else f"{first.isoformat()}..{last.isoformat()}" if first and last else "provisional"
        )[:64],
        change="recompute",
        before=None,
        after=summary,
        actor_id=actor_id,
    )
    log.info("recomputed %d of %d open deadlines (%s)", changed, examined, reason)
    return summary


def stage_deadlines_recompute(
    *, rules: Any, now: datetime, reason: str, order_types: list[str] | None = None, batch_size: int = RECOMPUTE_BATCH
) -> dict[str, int]:
    """Recompute the running stage limits (``WorkOrder.stage_deadline_at``) of
    open orders with the current calendar and policies, from each stage's start
    (plus the suspended time it was granted, ``stage_extension``).
    Few orders have a running stage (forwarding and grading take hours), so a
    row loop in batches (row locks, one short transaction each) suffices. A
    stage whose policy no longer matches stops (no stage clock). Each moved limit
    bumps the version and writes a ``deadline`` event with the stage."""
    from django.db.models import F

    from griddesk.workorders.models import WorkOrder

    from .stages import stage_policy

    base = WorkOrder.objects.filter(state__in=list(OPEN_STATES), stage_started_at__isnull=False).exclude(stage="")
    if order_types:
        base = base.filter(type__in=order_types)
    examined = changed = 0
    last_pk = 0
    while True:
        with transaction.atomic():
            rows = list(
                base.filter(pk__gt=last_pk).order_by("pk").select_for_update(of=("self",))
                .select_related("company", "customer__station")[:batch_size]
            )
            if not rows:
                break
            last_pk = rows[-1].pk
            moved: list[tuple[Any, str, dict[str, Any]]] = []
            for o in rows:
                examined += 1
                policy = stage_policy(o, rules, o.stage)
                before = (o.stage, o.stage_deadline_at, o.stage_provisional, o.stage_overdue)
                if policy is None:
                    new = ("", None, False, False)
                else:
                    dl = rules.deadline(policy, o.stage_started_at, o.stage_extension)
                    new = (o.stage, dl.due_at, dl.provisional, dl.due_at < now)
                if new[:3] == before[:3] and (policy is None or policy.code == o.stage_policy):
                    continue  # the flag is the watcher's (with its event) unless the limit moves
                values = {
                    "stage": new[0], "stage_deadline_at": new[1], "stage_provisional": new[2], "stage_overdue": new[3],
                    "stage_policy": policy.code if policy is not None and new[0] else "",
                }
                if not new[0]:
                    values["stage_started_at"] = None
                    values["stage_extension"] = 0
                WorkOrder.objects.filter(pk=o.pk).update(**values, version=F("version") + 1)
                o.version += 1
                moved.append((o, o.state, {
                    "stage": before[0], "stage_before": before[1].isoformat() if before[1] else None,
                    "stage_deadline_at": new[1].isoformat() if new[1] else None, "stage_provisional": new[2],
                    "stage_overdue": new[3], "stage_policy": values["stage_policy"], "reason": reason,
                }))
            if moved:
                clock_events(moved, action="deadline", at=now)
                changed += len(moved)
    return {"examined": examined, "recomputed": changed}


# ------------------------------------------------------------------ SLA rule edits

RULES_RECOMPUTE_TASK = "griddesk.sla.tasks.recompute_after_rule_change"


def _policy_types(instance: Any) -> set[str] | None:
    """The order types a policy row can apply to (None: any)."""
    types = getattr(instance, "order_types", None)
    return set(types) if types else None


def _affected_types(before: Any, after: Any) -> list[str] | None:
    """Types whose orders a policy edit can move: the union of the old and new
    row's criteria; None (every type) if either is open or it is not a policy."""
    from .models import SlaPolicy

    rows = [r for r in (before, after) if r is not None]
    if not rows or not all(isinstance(r, SlaPolicy) for r in rows):
        return None
    out: set[str] = set()
    for r in rows:
        t = _policy_types(r)
        if t is None:
            return None
        out |= t
    return sorted(out)


def _schedule_rules_recompute(actor: Any, order_types: list[str] | None, reason: str) -> None:
    actor_id = getattr(actor, "pk", None)
    transaction.on_commit(lambda: enqueue_rules_recompute(order_types, actor_id, reason))


def enqueue_rules_recompute(order_types: list[str] | None = None, actor_id: int | None = None, reason: str = "") -> None:
    from griddesk.common.queues import BACKGROUND, enqueue

    enqueue(
        RULES_RECOMPUTE_TASK,
        queue=BACKGROUND,
        order_types=order_types,
        actor_id=actor_id,
        reason=reason,
        task_name="sla-recompute-rules",
    )


@transaction.atomic
def sla_rule_save(*, actor: Any, instance: Any, created: bool) -> Any:
    """Save an SLA policy, the business hours or a department's area type
    (audited, ``workorders.services.rule_save``) and, once committed, recompute
    the affected open orders' deadlines and stage limits in the background."""
    from griddesk.workorders.services import rule_save

    model = type(instance)
    before = None if created or instance.pk is None else model.objects.filter(pk=instance.pk).first()
    saved = rule_save(actor=actor, instance=instance, created=created)
    label = f"{model._meta.label} {getattr(saved, 'code', saved.pk)}"
    _schedule_rules_recompute(actor, _affected_types(before, saved), reason=f"{'create' if created else 'update'} {label}")
    return saved


@transaction.atomic
def sla_rule_delete(*, actor: Any, instance: Any) -> None:
    from griddesk.workorders.services import rule_delete

    types = _affected_types(instance, None)
    label = f"{type(instance)._meta.label} {getattr(instance, 'code', instance.pk)}"
    rule_delete(actor=actor, instance=instance)
    _schedule_rules_recompute(actor, types, reason=f"delete {label}")
