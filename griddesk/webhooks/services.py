"""Writes of the webhooks app: subscriptions, the outbox and deliveries (ADR 0029).

- :func:`outbox_write` runs INSIDE the transaction of a change to an order
  (an in-transaction subscriber to the core's domain events): one delivery
  row per active subscription that wants the event's public type. A change
  that rolls back leaves no row; a committed one always has its rows. The
  rows are queued on commit; the sweeper re-queues any whose task was lost.
- :func:`deliveries_attempt` sends one attempt of each row of a batch (the
  rows one commit queued, at most ``BATCH``): it leases the rows in one short
  transaction, posts outside any transaction (reusing a kept-alive connection
  per target), then records the attempts. A duplicate task finds a row leased,
  already delivered or not yet due, and sends nothing for it.
  :func:`delivery_attempt` is the same for one row (retries are scheduled per row).
"""

from __future__ import annotations

import base64
import json
import logging
import random
import secrets
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from standardwebhooks.webhooks import Webhook

from griddesk.common.errors import Conflict, Forbidden, InvalidInput, NotFound
from griddesk.organisation.access import Actor
from griddesk.workorders.domain_events import DomainEvent

from . import event_types, selectors, ssrf, transport
from .models import Attempt, Delivery, Subscription

log = logging.getLogger("griddesk.webhooks")

DELIVER_TASK = "griddesk.webhooks.tasks.deliver"
DELIVER_MANY_TASK = "griddesk.webhooks.tasks.deliver_many"
#: At most this many deliveries per task: the rows of one commit go out in one
#: task (one lease, one record, kept-alive connections); a bulk intake of 1,000
#: orders is spread over the workers.
BATCH = 50

#: Waits before each retry (Standard Webhooks' schedule): the first attempt at
#: once, then 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h — 8 attempts in all.
RETRY_SCHEDULE: tuple[timedelta, ...] = (
    timedelta(seconds=5), timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2),
    timedelta(hours=5), timedelta(hours=10), timedelta(hours=10),
)
#: Each wait is stretched or shrunk by up to this fraction, at random.
JITTER = 0.1
MAX_ATTEMPTS = len(RETRY_SCHEDULE) + 1
#: How long a worker holds a row while it sends (the HTTP timeout and room to record).
LEASE = timedelta(seconds=transport.TIMEOUT_SECONDS + 45)
#: A due row whose task was queued longer ago than this is taken as lost by the sweeper.
SWEEP_GRACE = timedelta(minutes=2)

#: Keys of an event's data that name or describe people; sent only to
#: subscriptions marked ``include_personal_data`` (with the note and the customer).
PERSONAL_KEYS = frozenset({"approver", "approver_id", "reason", "customer_words", "customer", "name", "phone",
                           "address", "account_no", "id_number", "contact_phone", "actor"})


# ------------------------------------------------------------------ subscriptions


def require_admin(actor: Actor) -> None:
    if not actor.is_admin:
        raise Forbidden(_("Only administrators may manage webhooks."))


def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def clean_url(url: Any) -> str:
    if not isinstance(url, str) or not url.strip():
        raise InvalidInput(_("Enter the URL that receives the events."), code="required", field="url")
    url = url.strip()
    if len(url) > 500:
        raise InvalidInput(_("The URL is too long (at most 500 characters)."), code="bad_url", field="url")
    try:
        ssrf.check(url)
    except ssrf.Refused as exc:
        raise InvalidInput(exc.message, code=exc.code, field="url") from None
    return url


def clean_events(events: Any, *, allow_empty: bool = False) -> list[str]:
    if allow_empty and events == []:
        return []
    if not isinstance(events, list) or not events or not all(isinstance(e, str) for e in events):
        raise InvalidInput(_("Choose at least one event type."), code="required", field="events")
    unknown = [e for e in events if e not in event_types.BY_TYPE]
    if unknown:
        raise InvalidInput(
            _("Unknown event type: %(types)s. See /api/v1/webhooks/event-types/.") % {"types": ", ".join(unknown)},
            code="unknown_event_type", field="events",
        )
    return list(dict.fromkeys(events))


@transaction.atomic
def subscription_create(
    *, actor: Actor, url: str, events: list[str], active: bool = True, description: str = "",
    include_personal_data: bool = False, dedicated: bool = False,
) -> tuple[Subscription, str]:
    """A new subscription and its secret (returned this once). A ``dedicated``
    one may have no event types: it gets only the deliveries another app
    enqueues for it (:func:`delivery_enqueue`; the 95598 center's replies)."""
    require_admin(actor)
    secret = new_secret()
    sub = Subscription.objects.create(
        url=clean_url(url), events=clean_events(events, allow_empty=dedicated), active=bool(active),
        description=description or "",
        include_personal_data=bool(include_personal_data), secret=secret,
        created_by=actor.user if getattr(actor.user, "pk", None) else None,
    )
    selectors.forget_subscriptions()
    return sub, secret


def _get(subscription_id: int, *, lock: bool = False) -> Subscription:
    qs = Subscription.objects.select_for_update() if lock else Subscription.objects
    sub = qs.filter(pk=subscription_id).first()
    if sub is None:
        raise NotFound(_("No such webhook subscription."))
    return sub


@transaction.atomic
def subscription_update(*, actor: Actor, subscription_id: int, **changes: Any) -> Subscription:
    require_admin(actor)
    sub = _get(subscription_id, lock=True)
    if "url" in changes:
        sub.url = clean_url(changes["url"])
    if "events" in changes:
        sub.events = clean_events(changes["events"])
    if "description" in changes:
        sub.description = changes["description"] or ""
    if "include_personal_data" in changes:
        sub.include_personal_data = bool(changes["include_personal_data"])
    if "active" in changes:
        sub.active = bool(changes["active"])
        if sub.active:
            sub.disabled_reason = ""
    sub.save()
    selectors.forget_subscriptions()
    return sub


#: The longest overlap of a rotation (the old secret still signs meanwhile).
MAX_OVERLAP_HOURS = 168


@transaction.atomic
def subscription_rotate_secret(*, actor: Actor, subscription_id: int, overlap_hours: int = 24) -> tuple[Subscription, str]:
    """A new secret (returned this once); the old one keeps signing beside it
    for ``overlap_hours`` so the receiver can switch without losing events."""
    require_admin(actor)
    if not isinstance(overlap_hours, int) or isinstance(overlap_hours, bool) or not 0 <= overlap_hours <= MAX_OVERLAP_HOURS:
        raise InvalidInput(_("The overlap must be between 0 and %(max)s hours.") % {"max": MAX_OVERLAP_HOURS},
                           code="bad_overlap", field="overlap_hours")
    sub = _get(subscription_id, lock=True)
    secret = new_secret()
    sub.previous_secret = sub.secret if overlap_hours else ""
    sub.previous_secret_until = timezone.now() + timedelta(hours=overlap_hours) if overlap_hours else None
    sub.secret = secret
    sub.save()
    selectors.forget_subscriptions()
    return sub, secret


@transaction.atomic
def subscription_delete(*, actor: Actor, subscription_id: int) -> None:
    require_admin(actor)
    _get(subscription_id, lock=True).delete()
    selectors.forget_subscriptions()


# ------------------------------------------------------------------ the outbox


def _payload_data(event: DomainEvent, order: Any, personal: bool) -> dict[str, Any]:
    data: dict[str, Any] = {
        "number": event.order_number or (order.number if order else ""),
        "external_id": order.external_id if order else None,
        "state": order.state if order else event.to_state,
        "type": order.type if order else None,
        "channel": order.channel if order else None,
        "from_state": event.from_state,
        "to_state": event.to_state,
        "occurred_at": event.occurred_at.isoformat(),
    }
    fields = {k: v for k, v in event.data.items() if personal or k not in PERSONAL_KEYS}
    if personal:
        data["note"] = event.note
        customer = getattr(order, "customer", None) if order else None
        data["customer"] = (
            {"account_no": customer.account_no, "name": customer.name, "phone": customer.phone, "address": customer.address}
            if customer else None
        )
        data["contact_phone"] = order.contact_phone if order else ""
    data["fields"] = fields
    return data


def outbox_write(event: DomainEvent) -> list[int]:
    """In the change's transaction: the delivery rows of ``event`` (ids)."""
    etype = event_types.public_type(event.action)
    if etype is None:
        return []
    subs = selectors.active_subscriptions_for(etype)
    if not subs:
        return []
    from griddesk.workorders.models import WorkOrder

    order = WorkOrder.objects.select_related("customer").filter(pk=event.order_id).first() if event.order_id else None
    now = timezone.now()
    bodies: dict[bool, dict[str, Any]] = {}
    rows = []
    for sub in subs:
        personal = sub.include_personal_data
        if personal not in bodies:
            bodies[personal] = {
                "type": etype, "timestamp": event.occurred_at.isoformat(), "data": _payload_data(event, order, personal),
            }
        rows.append(Delivery(
            subscription=sub, event_id=event.id, event_type=etype, order_number=event.order_number or
            (order.number if order else ""), payload=bodies[personal], next_attempt_at=now, queued_at=now,
        ))
    if connection.features.can_return_rows_from_bulk_insert:
        # INSERT … ON CONFLICT DO UPDATE (of a column to its own value) RETURNING id: the ids in
        # the same statement. A row that existed already (the same event published twice) is
        # queued again; its task finds it delivered, not due or leased and sends nothing.
        Delivery.objects.bulk_create(rows, update_conflicts=True, unique_fields=["subscription", "event_id"],
                                     update_fields=["event_type"])
        ids = [r.pk for r in rows]
    else:
        Delivery.objects.bulk_create(rows, ignore_conflicts=True)
        ids = list(Delivery.objects.filter(event_id=event.id, subscription__in=subs, state=Delivery.State.PENDING,
                                           attempts=0).values_list("pk", flat=True))
    _queue_on_commit(ids)
    return ids


def delivery_enqueue(
    *, subscription: Subscription, event_id: Any, event_type: str, payload: dict[str, Any], order_number: str = "",
) -> Delivery:
    """In the caller's transaction: one outbox row with a body another app
    built (the 95598 center's reply), delivered like every webhook (same
    signatures, retries, log, dead letters). Once per (subscription, event id):
    a second call returns the existing row and queues nothing."""
    now = timezone.now()
    d, created = Delivery.objects.get_or_create(
        subscription=subscription, event_id=event_id,
        defaults={"event_type": event_type, "order_number": order_number, "payload": payload, "next_attempt_at": now,
                  "queued_at": now},
    )
    if created:
        transaction.on_commit(lambda: queue([d.pk]), robust=True)
    return d


#: Called in the transaction that records each attempt: ``listener(delivery, attempt)``.
AttemptListener = Callable[[Delivery, Attempt], object]
_attempt_listeners: list[AttemptListener] = []


def on_attempt(listener: AttemptListener) -> AttemptListener:
    """Register a listener for recorded attempts (an app reading its
    deliveries' answers, e.g. the 95598 center's acknowledgement in a 2xx body).
    Call from ``AppConfig.ready()``; registering twice is a no-op. A failing
    listener is logged and rolled back to its savepoint: the attempt stands."""
    if listener not in _attempt_listeners:
        _attempt_listeners.append(listener)
    return listener


def _tell_listeners(d: Delivery, attempt: Attempt) -> None:
    for listener in tuple(_attempt_listeners):
        try:
            with transaction.atomic():
                listener(d, attempt)
        except Exception:  # a listener must not undo the attempt's record
            log.exception("webhook attempt listener %r failed on delivery %s", listener, d.pk)


class _Pending:
    """The delivery ids written in one transaction (and savepoint), queued together on commit."""

    __slots__ = ("done", "ids", "outer", "savepoints")

    def __init__(self, outer: Any, savepoints: tuple[str, ...]) -> None:
        self.outer, self.savepoints, self.done = outer, savepoints, False
        self.ids: list[int] = []

    def run(self) -> None:
        self.done = True
        queue(self.ids)


_PENDING = "_griddesk_webhook_pending"


def _queue_on_commit(ids: list[int]) -> None:
    """Queue ``ids`` when the transaction commits, in as few tasks as the
    rows of the whole transaction need (not one per event). One on-commit
    callback per transaction and savepoint: a rolled-back savepoint drops its
    callback and with it exactly the rows it wrote."""
    if not ids:
        return
    if not connection.in_atomic_block:
        queue(ids)
        return
    outer, savepoints = connection.atomic_blocks[0], tuple(connection.savepoint_ids)
    pending = getattr(connection, _PENDING, None)
    if pending is None or pending.done or pending.outer is not outer or pending.savepoints != savepoints:
        pending = _Pending(outer, savepoints)
        setattr(connection, _PENDING, pending)
        transaction.on_commit(pending.run, robust=True)
    pending.ids.extend(ids)


def queue(ids: Iterable[int]) -> None:
    """One task per ``BATCH`` ids; the task's success is not stored (the attempt log is the record)."""
    from griddesk.common.queues import BACKGROUND, enqueue

    ids = list(ids)
    stamp = f"{timezone.now().timestamp():.0f}"
    for i in range(0, len(ids), BATCH):
        chunk = ids[i:i + BATCH]
        enqueue(DELIVER_MANY_TASK, chunk, queue=BACKGROUND, save=False,
                task_name=f"webhook-{chunk[0]}-{len(chunk)}-{stamp}")


def _schedule_retry(delivery_id: int, at: datetime) -> None:
    """A one-off django-q2 schedule at ``at`` (also under sync tasks: a
    schedule only runs when the scheduler does; the sweeper is the net)."""
    from django_q.models import Schedule
    from django_q.tasks import schedule

    schedule(DELIVER_TASK, delivery_id, schedule_type=Schedule.ONCE, next_run=at)


def retry_wait(attempts: int, *, rand: random.Random | None = None) -> timedelta:
    """The wait after the ``attempts``-th failed attempt (1-based), with jitter."""
    base = RETRY_SCHEDULE[min(attempts, len(RETRY_SCHEDULE)) - 1]
    factor = 1 + (rand or random).uniform(-JITTER, JITTER)
    return timedelta(seconds=base.total_seconds() * factor)


# ------------------------------------------------------------------ delivering


def signing_secrets(sub: Subscription, at: datetime) -> list[str]:
    """The secrets that sign now: the current one, and the previous one during a rotation's overlap."""
    out = [sub.secret]
    if sub.previous_secret and sub.previous_secret_until and sub.previous_secret_until > at:
        out.append(sub.previous_secret)
    return out


def sign(delivery: Delivery, secrets_: Sequence[str] | str, at: datetime) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(delivery.payload, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    msg_id = delivery.webhook_id
    keys = [secrets_] if isinstance(secrets_, str) else list(secrets_)
    # Standard Webhooks: several signatures, space-separated; the receiver accepts any that matches.
    signature = " ".join(Webhook(k).sign(msg_id, at, body) for k in keys)
    return body.encode(), {
        "webhook-id": msg_id, "webhook-timestamp": str(int(at.timestamp())), "webhook-signature": signature,
    }


def _claim(delivery_ids: Sequence[int], counts: Counter[str]) -> list[tuple[Delivery, Subscription]]:
    """Lease the rows of ``delivery_ids`` that are due (in one transaction);
    count the others by why they are left alone."""
    now = timezone.now()
    claimed: list[tuple[Delivery, Subscription]] = []
    with transaction.atomic():
        rows = list(Delivery.objects.select_for_update().filter(pk__in=delivery_ids).order_by("pk"))
        missing = len(set(delivery_ids) - {d.pk for d in rows})
        if missing:
            counts["missing"] += missing
        subs = {s.pk: s for s in Subscription.objects.filter(pk__in={d.subscription_id for d in rows})}
        cancelled = []
        for d in rows:
            if d.state != Delivery.State.PENDING:
                counts["skipped"] += 1
            elif d.next_attempt_at > now + timedelta(seconds=1):
                counts["not_due"] += 1
            elif d.leased_until is not None and d.leased_until > now:
                counts["busy"] += 1
            elif not subs[d.subscription_id].active:
                counts["cancelled"] += 1
                cancelled.append(d.pk)
            else:
                d.attempts += 1
                d.leased_until = now + LEASE
                claimed.append((d, subs[d.subscription_id]))
        if cancelled:
            Delivery.objects.filter(pk__in=cancelled).update(state=Delivery.State.CANCELLED)
        if claimed:
            Delivery.objects.filter(pk__in=[d.pk for d, _ in claimed]).update(attempts=F("attempts") + 1,
                                                                             leased_until=now + LEASE)
    return claimed


def _release(rows: Sequence[Delivery], *, requeue: bool) -> None:
    """Give back leased rows that were not sent (the attempt was not made)."""
    ids = [d.pk for d in rows]
    with transaction.atomic():
        Delivery.objects.filter(pk__in=ids).update(attempts=F("attempts") - 1, leased_until=None)
        if requeue:
            transaction.on_commit(lambda: queue(ids), robust=True)


def _record_delivered(sent: list[tuple[Delivery, datetime, transport.Response]]) -> None:
    """Record the 2xx answers of a batch at once (the common case); the other
    outcomes go one by one through :func:`_record`."""
    if not sent:
        return
    now = timezone.now()
    by_status: dict[int, list[int]] = {}
    for d, _started, resp in sent:
        by_status.setdefault(resp.status, []).append(d.pk)
    with transaction.atomic():
        for status, ids in by_status.items():
            Delivery.objects.filter(pk__in=ids).update(leased_until=None, last_status=status,
                                                       state=Delivery.State.DELIVERED, delivered_at=now)
        attempts = Attempt.objects.bulk_create([
            Attempt(delivery_id=d.pk, number=d.attempts, started_at=started, status=resp.status,
                    latency_ms=resp.latency_ms, response_excerpt=resp.excerpt, error="",
                    outcome=Attempt.Outcome.DELIVERED)
            for d, started, resp in sent
        ])
        if _attempt_listeners:  # e.g. the 95598 center reads its acknowledgement in the 2xx body
            for (d, _started, resp), attempt in zip(sent, attempts, strict=True):
                d.leased_until, d.last_status, d.state, d.delivered_at = None, resp.status, Delivery.State.DELIVERED, now
                _tell_listeners(d, attempt)
    sent.clear()


#: Delivered attempts of a batch are recorded at least this often (seconds).
RECORD_EVERY = 1.0


def deliveries_attempt(*, delivery_ids: Sequence[int]) -> Counter[str]:
    """One attempt of each due row of ``delivery_ids``; returns how many had
    each outcome (``delivered``, ``retry``, ``dead``, ``gone``) or were left
    alone (``skipped``, ``not_due``, ``busy``, ``cancelled``, ``missing``).

    The rows are sent one after the other, each to the address checked for
    its URL in this batch. Rows of a subscription that answered 410 earlier in
    the batch are cancelled unsent; rows the batch could not start before its
    lease might run out are given back and queued again."""
    counts: Counter[str] = Counter()
    claimed = _claim(delivery_ids, counts)
    if not claimed:
        return counts
    begun = last_record = time.monotonic()
    connections = transport.Connections()
    targets: dict[str, ssrf.Target | ssrf.Refused] = {}
    gone: set[int] = set()
    sent: list[tuple[Delivery, datetime, transport.Response]] = []
    try:
        for i, (d, sub) in enumerate(claimed):
            if sub.pk in gone:  # as a later task would find it: cancelled (by the 410's record), not attempted
                _release([d], requeue=False)
                counts["cancelled"] += 1
                continue
            if time.monotonic() - begun + transport.TIMEOUT_SECONDS + 15 > LEASE.total_seconds():
                rest = [r for r, _ in claimed[i:]]
                _release(rest, requeue=True)
                counts["requeued"] += len(rest)
                break
            started = timezone.now()
            status: int | None = None
            excerpt = error = ""
            latency = 0
            try:
                if sub.url not in targets:
                    try:
                        targets[sub.url] = ssrf.check(sub.url)
                    except ssrf.Refused as exc:
                        targets[sub.url] = exc
                target = targets[sub.url]
                if isinstance(target, ssrf.Refused):
                    raise target
                body, headers = sign(d, signing_secrets(sub, started), started)
                resp = transport.post(target, body, headers, connections=connections)
                status, excerpt, latency = resp.status, resp.excerpt, resp.latency_ms
            except ssrf.Refused as exc:
                error = f"refused ({exc.code}): {exc.message}"
            except Exception as exc:  # noqa: BLE001 — any failure to get an answer is retried
                error = f"{type(exc).__name__}: {exc}"
                latency = int((timezone.now() - started).total_seconds() * 1000)
            if status is not None and 200 <= status < 300:
                sent.append((d, started, transport.Response(status, excerpt, latency)))
                counts[str(Attempt.Outcome.DELIVERED)] += 1
                if time.monotonic() - last_record >= RECORD_EVERY:
                    _record_delivered(sent)
                    last_record = time.monotonic()
                continue
            outcome = _record(d.pk, sub.pk, d.attempts, d.attempts - d.round_start, started, status, latency, excerpt,
                              error[:500])
            counts[outcome] += 1
            if outcome == Attempt.Outcome.GONE:
                gone.add(sub.pk)
    finally:
        connections.close()
        _record_delivered(sent)
    return counts


def delivery_attempt(*, delivery_id: int) -> str:
    """One attempt of one delivery; returns what happened (for the task log)."""
    counts = deliveries_attempt(delivery_ids=[delivery_id])
    return next(k for k, n in counts.items() if n)


def _record(delivery_id: int, sub_id: int, number: int, in_round: int, started: datetime, status: int | None,
            latency: int, excerpt: str, error: str) -> str:
    now = timezone.now()
    retry_at: datetime | None = None
    dead = False
    with transaction.atomic():
        d = Delivery.objects.select_for_update().get(pk=delivery_id)
        d.leased_until = None
        d.last_status = status
        if status is not None and 200 <= status < 300:
            outcome = Attempt.Outcome.DELIVERED
            d.state, d.delivered_at = Delivery.State.DELIVERED, now
        elif status == 410:
            outcome = Attempt.Outcome.GONE
            d.state = Delivery.State.CANCELLED
            Subscription.objects.filter(pk=sub_id).update(active=False, disabled_reason="gone", updated_at=now)
            selectors.forget_subscriptions()
            Delivery.objects.filter(subscription_id=sub_id, state=Delivery.State.PENDING).exclude(pk=d.pk).update(
                state=Delivery.State.CANCELLED
            )
        elif in_round >= MAX_ATTEMPTS:
            outcome = Attempt.Outcome.DEAD
            d.state = Delivery.State.DEAD
            dead = True
        else:
            outcome = Attempt.Outcome.RETRY
            retry_at = now + retry_wait(in_round)
            d.next_attempt_at = d.queued_at = retry_at
        d.save(update_fields=["leased_until", "last_status", "state", "delivered_at", "next_attempt_at", "queued_at"])
        attempt = Attempt.objects.create(delivery=d, number=number, started_at=started, status=status,
                                         latency_ms=latency, response_excerpt=excerpt, error=error, outcome=outcome)
        _tell_listeners(d, attempt)
        if retry_at is not None:
            _schedule_retry(d.pk, retry_at)
        if dead:
            notify_dead(d)
    return str(outcome)


def sweep(*, now: datetime | None = None) -> int:
    """Re-queue due pending rows whose task was lost (queued long ago, not
    leased): a worker killed mid-delivery, a lost schedule, a crash between
    commit and queueing. Returns how many were re-queued."""
    now = now or timezone.now()
    cutoff = now - SWEEP_GRACE
    with transaction.atomic():
        rows = list(
            Delivery.objects.select_for_update(skip_locked=True)
            .filter(state=Delivery.State.PENDING, next_attempt_at__lte=cutoff, queued_at__lte=cutoff)
            .exclude(leased_until__gt=now)
            .values_list("pk", flat=True)[:1000]
        )
        if not rows:
            return 0
        Delivery.objects.filter(pk__in=rows).update(queued_at=now)
        transaction.on_commit(lambda: queue(rows), robust=True)
    return len(rows)


# ------------------------------------------------------------------ replay

#: At most this many deliveries are replayed by one request for a time range.
REPLAY_MAX = 10_000
_REPLAYABLE = (Delivery.State.DELIVERED, Delivery.State.DEAD, Delivery.State.CANCELLED)


def _active(subscription_id: int) -> Subscription:
    sub = _get(subscription_id, lock=True)
    if not sub.active:
        raise Conflict(_("This subscription is disabled; enable it before replaying."), code="subscription_inactive")
    return sub


def _replay(qs: Any, now: datetime) -> list[int]:
    ids = list(qs.values_list("pk", flat=True)[:REPLAY_MAX])
    if ids:
        Delivery.objects.filter(pk__in=ids).update(
            state=Delivery.State.PENDING, round_start=F("attempts"), next_attempt_at=now, queued_at=now,
            leased_until=None, replayed_at=now,
        )
        transaction.on_commit(lambda: queue(ids), robust=True)
    return ids


@transaction.atomic
def delivery_replay(*, actor: Actor, subscription_id: int, delivery_id: int) -> Delivery:
    """Send one delivery again (same body, same ``webhook-id``), with a new round of retries."""
    require_admin(actor)
    _active(subscription_id)
    d = Delivery.objects.select_for_update().filter(pk=delivery_id, subscription_id=subscription_id).first()
    if d is None:
        raise NotFound(_("No such delivery of this subscription."))
    if d.state == Delivery.State.PENDING:
        raise Conflict(_("This delivery is still being attempted."), code="delivery_pending")
    _replay(Delivery.objects.filter(pk=d.pk), timezone.now())
    d.refresh_from_db()
    return d


@transaction.atomic
def deliveries_replay(*, actor: Actor, subscription_id: int, since: datetime, until: datetime) -> int:
    """Send again every finished delivery of the subscription whose event was
    written in [since, until). Returns how many (at most ``REPLAY_MAX``)."""
    require_admin(actor)
    if until <= since:
        raise InvalidInput(_("The end of the time range must be after its start."), code="bad_range", field="until")
    _active(subscription_id)
    qs = Delivery.objects.filter(subscription_id=subscription_id, state__in=_REPLAYABLE, created_at__gte=since,
                                 created_at__lt=until).order_by("pk")
    return len(_replay(qs, timezone.now()))


# ------------------------------------------------------------------ dead letters


def administrators() -> list[int]:
    from django.contrib.auth import get_user_model

    from griddesk.organisation.models import StaffProfile

    ids = set(StaffProfile.objects.filter(role="admin", user__is_active=True).values_list("user_id", flat=True))
    ids |= set(get_user_model().objects.filter(is_superuser=True, is_active=True).values_list("pk", flat=True))
    return sorted(ids)


def notify_dead(delivery: Delivery) -> Sequence[Any]:
    """Tell the administrators that a delivery gave up (through the
    notifications app directly: no domain event, the core is not involved)."""
    from griddesk.notifications.models import Kind
    from griddesk.notifications.services import Notice, notices_create

    sub = Subscription.objects.get(pk=delivery.subscription_id)
    with translation.override(settings.LANGUAGE_CODE):
        words = {"type": delivery.event_type, "number": delivery.order_number or "—", "url": sub.url,
                 "attempts": delivery.attempts, "status": delivery.last_status or _("no answer")}
        title = _("Webhook delivery failed: %(type)s of %(number)s") % words
        body = _("After %(attempts)s attempts the endpoint %(url)s did not accept the event (last answer: %(status)s). "
                 "The delivery is kept in the log as dead.") % words
    return notices_create([
        Notice(recipient_id=uid, order_id=None, kind=Kind.WEBHOOK_DEAD, title=title, body=body,
               dedupe_key=f"webhook_dead:{delivery.pk}:{uid}", occurred_at=timezone.now())
        for uid in administrators()
    ])
