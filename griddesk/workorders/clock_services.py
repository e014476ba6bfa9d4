"""The order clock's writes: overdue and stage-overdue marks (the watcher,
``notifications.tasks``, calls them) and the recomputation of open orders'
deadlines and running stage limits after the SLA data changes.

``griddesk.sla`` announces each committed calendar or policy change
(``sla.changes``); :func:`on_sla_change`, subscribed in
``WorkOrdersConfig.ready()``, queues the recompute as a django-q2 task
(``workorders.tasks``): after a calendar change every provisional deadline plus
every open order whose window (receipt day, due day] contains a changed date
(so an override inside an official year, e.g. a local emergency arrangement,
moves those deadlines too); after a policy edit every open order of the types
it can affect. See :func:`deadlines_recompute`. The events are written by
:mod:`.history`; the arithmetic is :mod:`.clock`'s.
"""

from __future__ import annotations

import logging
import os
import threading
import time as time_mod
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from griddesk.common import rule_audit
from griddesk.common.queues import BACKGROUND, enqueue
from griddesk.engines import workdays
from griddesk.engines.workflow import OPEN_STATES
from griddesk.sla import changes
from griddesk.sla.selectors import effective_calendar

from . import clock, history
from .models import WorkOrder

log = logging.getLogger(__name__)

RECOMPUTE_BATCH = 1000
RECOMPUTE_TASK = "griddesk.workorders.tasks.recompute_provisional_deadlines"
RULES_RECOMPUTE_TASK = "griddesk.workorders.tasks.recompute_after_rule_change"
#: RuleChange.model of the recomputation summary rows (the label predates the
#: move from ``sla``; kept: it is data).
RECOMPUTE_LABEL = "sla.DeadlineRecompute"


def _recompute_workers() -> int:
    """Database connections a set-based recompute uses at once: setting
    ``GRIDDESK_RECOMPUTE_WORKERS`` (default: the machine's cores, at most 4)."""
    configured = getattr(settings, "GRIDDESK_RECOMPUTE_WORKERS", None)
    if configured is not None:
        return max(1, int(configured))
    return max(1, min(4, os.cpu_count() or 1))


# ------------------------------------------------------------------ queueing


def on_sla_change(change: changes.Change) -> None:
    """``sla.changes`` listener: queue the recompute a committed change needs."""
    if isinstance(change, changes.PolicyChange):
        enqueue_rules_recompute(change.order_types, change.actor_id, change.reason)
        return
    enqueue_recompute(
        change.first.isoformat() if change.first else None,
        change.last.isoformat() if change.last else None,
        change.actor_id,
        change.reason,
    )


def enqueue_recompute(first: str | None = None, last: str | None = None, actor_id: int | None = None, reason: str = "") -> None:
    enqueue(
        RECOMPUTE_TASK,
        queue=BACKGROUND,
        first=first,
        last=last,
        actor_id=actor_id,
        reason=reason,
        task_name=f"sla-recompute-{first}-{last}",
    )


def enqueue_rules_recompute(order_types: list[str] | None = None, actor_id: int | None = None, reason: str = "") -> None:
    enqueue(
        RULES_RECOMPUTE_TASK,
        queue=BACKGROUND,
        order_types=order_types,
        actor_id=actor_id,
        reason=reason,
        task_name="sla-recompute-rules",
    )


# ------------------------------------------------------------------ marks and recomputation


def _local_midnight(d: date) -> datetime:
    return datetime.combine(d, time.min, tzinfo=ZoneInfo(workdays.DEFAULT_TZ))


def orders_mark_overdue(*, order_ids: list[int], now: datetime | None = None) -> int:
    """Set the ``overdue`` flag on these open orders whose deadline has passed
    (the watcher calls this), each with an ``overdue`` event. Idempotent: an
    order already flagged, closed, suspended or whose deadline moved is skipped."""
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
            history.clock_events(
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
            history.clock_events(
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


def _write_batch(updates: list[tuple[Any, ...]], events: list[tuple[Any, ...]]) -> None:
    """Save moved deadlines (id, deadline_at, provisional, overdue, policy, version)
    and append their events (order_id, seq, action, at, state, data-json) through
    :func:`.history.deadline_events_write`.

    PostgreSQL: COPY into a temporary table + one ``UPDATE … FROM``, and COPY of
    the events (parameter binding of 1,000-row statements cost more than the
    database work). Elsewhere: bulk_update / bulk_create.
    """
    if connection.vendor != "postgresql":
        objs = []
        for pk, due, prov, overdue, policy, version in updates:
            o = WorkOrder(pk=pk, deadline_at=due, deadline_provisional=prov, overdue=overdue, sla_policy=policy, version=version)
            objs.append(o)
        WorkOrder.objects.bulk_update(objs, ["deadline_at", "deadline_provisional", "overdue", "sla_policy", "version"])
        history.deadline_events_write(events)
        return
    table = connection.ops.quote_name(WorkOrder._meta.db_table)
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
        history.deadline_events_write(events, raw_cursor=raw)


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
    # The events, written by the statement that moves the deadlines (history's INSERT).
    insert_events = history.insert_select_sql(
        "SELECT c.id, c.ver, 'deadline', NULL, %(actor)s, %(now)s, c.state, c.state, '', "
        "jsonb_build_object('before', c.before_d, 'deadline_at', c.due, 'provisional', c.prov, 'overdue', c.od, "
        "'overdue_before', c.before_o, 'policy', c.code, 'reason', %(reason)s::text) FROM c"
    )
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
            {insert_events}
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
                              "actor": history.SYSTEM_ACTOR, "reason": reason})
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

    now = now or timezone.now()
    rules = clock.load(effective_calendar())
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

    if actor_id is not None and not get_user_model().objects.filter(pk=actor_id).exists():
        actor_id = None
    rule_audit.record(
        actor=None,
        actor_id=actor_id,
        model=RECOMPUTE_LABEL,
        object_id=(
            "rules" if all_rules else f"{first.isoformat()}..{last.isoformat()}" if first and last else "provisional"
        )[:64],
        change="recompute",
        before=None,
        after=summary,
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
                policy = clock.stage_policy(o, rules, o.stage)
                before = (o.stage, o.stage_deadline_at, o.stage_provisional, o.stage_overdue)
                if policy is None:
                    new = ("", None, False, False)
                else:
                    dl = rules.deadline(policy, o.stage_started_at, o.stage_extension)
                    new = (o.stage, dl.due_at, dl.provisional, dl.due_at < now)
                if new[:3] == before[:3] and (policy is None or policy.code == o.stage_policy):
                    continue  # the flag is the watcher's (with its event) unless the limit moves
                values: dict[str, Any] = {
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
                history.clock_events(moved, action="deadline", at=now)
                changed += len(moved)
    return {"examined": examined, "recomputed": changed}
