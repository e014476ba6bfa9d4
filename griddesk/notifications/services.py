"""Writing notices and sending them. Every notice is created once (unique
``dedupe_key``); every delivery is sent by its own django-q2 task, retried."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from griddesk.common.errors import ServiceError
from griddesk.workorders.models import LeadAssignment, WorkOrder

from .models import Channel, Delivery, Kind, Notification
from .selectors import Audience
from .senders import Undeliverable, configured_senders, sender_for

log = logging.getLogger("griddesk.notifications")

MAX_ATTEMPTS = 5
SEND_TASK = "griddesk.notifications.tasks.send_delivery"


@dataclass(frozen=True)
class Notice:
    """A notice to create (not yet saved)."""

    recipient_id: int
    order_id: int | None
    kind: str
    title: str
    body: str
    dedupe_key: str
    #: When what it tells happened (shown in the inbox); None: a notice of a moment (a deadline).
    occurred_at: datetime | None = None


def deadline_key(deadline_at: datetime) -> str:
    return deadline_at.astimezone(UTC).isoformat()


def _local(dt: datetime) -> str:
    return timezone.localtime(dt).strftime("%Y-%m-%d %H:%M")


def _state_label(state: str) -> str:
    from griddesk.workorders.models import StateChoice

    try:
        return str(StateChoice(state).label)
    except ValueError:
        return state


def render(kind: str, order: WorkOrder, **extra: Any) -> tuple[str, str]:
    """Title and body in the site language (English msgids, Chinese catalogue
    in griddesk/notifications/locale)."""
    n, deadline = order.number, _local(order.deadline_at) if order.deadline_at else ""
    with translation.override(settings.LANGUAGE_CODE):
        if kind == Kind.WARNING:
            return (
                _("Work order %(number)s is nearing its deadline") % {"number": n},
                _("Deadline %(deadline)s; %(reason)s.") % {"deadline": deadline, "reason": extra.get("reason", "")},
            )
        if kind == Kind.OVERDUE:
            return (
                _("Work order %(number)s is overdue") % {"number": n},
                _("The deadline %(deadline)s has passed.") % {"deadline": deadline},
            )
        if kind == Kind.ESCALATION:
            return (
                _("Escalation: work order %(number)s is overdue") % {"number": n},
                _("The deadline %(deadline)s has passed and the order is still open (%(state)s).")
                % {"deadline": deadline, "state": _state_label(order.state)},
            )
        if kind == Kind.SUSPENDED:
            return (
                _("Work order %(number)s was suspended with your approval") % {"number": n},
                _("Reason: %(reason)s. The clock is stopped until the order is resumed.") % {"reason": extra.get("reason", "")},
            )
        if kind == Kind.URGED:
            return (
                _("Work order %(number)s was urged") % {"number": n},
                _("The order has been urged %(count)s time(s); deadline %(deadline)s.")
                % {"count": order.urge_count, "deadline": deadline},
            )
    raise ValueError(kind)


def stage_label(stage: str) -> str:
    labels = {
        "forward": _("forwarding by the 95598 station"),
        "grade": _("grading by the service specialist"),
        "arrival": _("arrival on site"),
    }
    return str(labels.get(stage, stage))


def render_stage(kind: str, order: WorkOrder, **extra: Any) -> tuple[str, str]:
    """Notices of the stage clock (``WorkOrder.stage_deadline_at``)."""
    n = order.number
    deadline = _local(order.stage_deadline_at) if order.stage_deadline_at else ""
    with translation.override(settings.LANGUAGE_CODE):
        stage = stage_label(order.stage)
        if kind == Kind.WARNING:
            return (
                _("Work order %(number)s: the limit for %(stage)s is near") % {"number": n, "stage": stage},
                _("Stage limit %(deadline)s; %(reason)s.") % {"deadline": deadline, "reason": extra.get("reason", "")},
            )
        if kind == Kind.OVERDUE:
            return (
                _("Work order %(number)s: the limit for %(stage)s has passed") % {"number": n, "stage": stage},
                _("The stage limit %(deadline)s has passed.") % {"deadline": deadline},
            )
    raise ValueError(kind)


# ------------------------------------------------------------------ creating


@dataclass(frozen=True)
class DigestRule:
    """When a burst is collapsed: a recipient gets at most ``threshold`` notices
    of one kind one by one per ``window`` (fixed windows, aligned to the epoch);
    the rest of that window goes into one digest notice ("X 条…"), delivered
    once when the window closes. ``threshold`` 0 turns digests off.
    Settings: ``GRIDDESK_NOTICE_DIGEST = {"window_minutes", "threshold"}``."""

    window: timedelta
    threshold: int

    def window_start(self, now: datetime) -> datetime:
        epoch = datetime(2000, 1, 1, tzinfo=UTC)
        return now - (now - epoch) % self.window


def digest_rule() -> DigestRule:
    conf = {**DIGEST_DEFAULTS, **(getattr(settings, "GRIDDESK_NOTICE_DIGEST", None) or {})}
    return DigestRule(window=timedelta(minutes=float(conf["window_minutes"])), threshold=int(conf["threshold"]))


DIGEST_DEFAULTS = {"window_minutes": 10, "threshold": 20}


def notices_create(notices: Sequence[Notice]) -> list[Notification]:
    """Insert the notices that do not exist yet and queue their deliveries.
    Returns only the notifications this call created (safe under concurrent
    or repeated runs: the unique key decides, the run token tells us who won).
    Past the burst threshold (:class:`DigestRule`) new notices are folded
    into their recipient's digest instead of being delivered one by one."""
    if not notices:
        return []
    token = uuid.uuid4().hex
    senders = configured_senders()
    with transaction.atomic():
        Notification.objects.bulk_create(
            [
                Notification(
                    recipient_id=n.recipient_id, order_id=n.order_id, kind=n.kind, title=n.title[:200], body=n.body,
                    dedupe_key=n.dedupe_key, run_token=token, occurred_at=n.occurred_at,
                )
                for n in notices
            ],
            ignore_conflicts=True,
            batch_size=1000,
        )
        created: list[Notification] = []
        keys = [n.dedupe_key for n in notices]
        for i in range(0, len(keys), 500):
            created.extend(Notification.objects.filter(dedupe_key__in=keys[i : i + 500], run_token=token))
        created.sort(key=lambda n: n.pk)
        single, digests = _fold_bursts(created, token)
        _deliver(single, senders)
        for digest in digests:
            # Sent once the window closes, with the count it has by then.
            _deliver([digest], senders, delay=max(timedelta(seconds=1), digest_window_end(digest) - timezone.now()))
    return created


def _deliver(notes: Sequence[Notification], senders: Sequence[Any], delay: timedelta | None = None) -> None:
    if not notes:
        return
    now = timezone.now()
    deliveries: list[Delivery] = []
    for note in notes:
        deliveries.append(Delivery(notification=note, channel=Channel.INBOX, state=Delivery.State.SENT, sent_at=now))
        deliveries.extend(Delivery(notification=note, channel=s.channel) for s in senders if s.channel != Channel.INBOX)
    Delivery.objects.bulk_create(deliveries, batch_size=1000)
    pending = Delivery.objects.filter(notification__in=list(notes), state=Delivery.State.PENDING).values_list("pk", flat=True)
    # The ORM broker stores the queued task in this same transaction, so no
    # worker can see it before the delivery row exists.
    for pk in list(pending):
        _enqueue(pk, delay=delay)


def digest_window_end(digest: Notification) -> datetime:
    rule = digest_rule()
    return rule.window_start(digest.created_at) + rule.window


def _fold_bursts(created: list[Notification], token: str) -> tuple[list[Notification], list[Notification]]:
    """Split this call's new notices into those delivered one by one and those
    folded into a digest. Returns ``(single, new digests)``: a digest created by
    an earlier call of the same window already has its deliveries."""
    rule = digest_rule()
    if rule.threshold <= 0 or not created:
        return created, []
    start = rule.window_start(timezone.now())
    groups: dict[tuple[int, str], list[Notification]] = {}
    for note in created:
        groups.setdefault((note.recipient_id, note.kind), []).append(note)
    single: list[Notification] = []
    new_digests: list[Notification] = []
    for (recipient_id, kind), notes in groups.items():
        earlier = (
            Notification.objects.filter(recipient_id=recipient_id, kind=kind, created_at__gte=start, digest__isnull=True,
                                        digest_count=0)
            .exclude(run_token=token)
            .count()
        )
        room = max(0, rule.threshold - earlier)
        single.extend(notes[:room])
        rest = notes[room:]
        if not rest:
            continue
        digest, is_new = _digest_for(recipient_id, kind, start, token)
        ids = [n.pk for n in rest]
        for i in range(0, len(ids), 500):
            Notification.objects.filter(pk__in=ids[i : i + 500]).update(digest=digest)
        for n in rest:
            n.digest = digest
        digest.digest_count += len(rest)
        digest.title, digest.body = render_digest(digest)
        digest.save(update_fields=["digest_count", "title", "body"])
        if is_new:
            new_digests.append(digest)
    return single, new_digests


def _digest_for(recipient_id: int, kind: str, start: datetime, token: str) -> tuple[Notification, bool]:
    """The window's digest notice for this recipient and kind, locked (created
    if missing; the unique key makes concurrent runs share one)."""
    key = f"digest:{kind}:{recipient_id}:{start.astimezone(UTC).isoformat()}"
    Notification.objects.bulk_create(
        [Notification(recipient_id=recipient_id, kind=kind, title="", dedupe_key=key, run_token=token)],
        ignore_conflicts=True,
    )
    digest = Notification.objects.select_for_update().get(dedupe_key=key)
    return digest, digest.run_token == token and digest.digest_count == 0


def render_digest(digest: Notification) -> tuple[str, str]:
    """Title and body of a digest: the count, and the first order numbers."""
    n = digest.digest_count
    numbers = list(
        Notification.objects.filter(digest=digest, order__isnull=False).order_by("pk").values_list("order__number", flat=True)[:10]
    )
    with translation.override(settings.LANGUAGE_CODE):
        titles = {
            Kind.WARNING: ngettext("%(count)d work order is nearing its deadline",
                                   "%(count)d work orders are nearing their deadlines", n),
            Kind.OVERDUE: ngettext("%(count)d work order is overdue", "%(count)d work orders are overdue", n),
            Kind.ESCALATION: ngettext("Escalation: %(count)d work order is overdue",
                                      "Escalation: %(count)d work orders are overdue", n),
            Kind.URGED: ngettext("%(count)d work order was urged", "%(count)d work orders were urged", n),
        }
        title = titles.get(Kind(digest.kind)) or ngettext("%(count)d new notice", "%(count)d new notices", n)
        body = _("Many notices of this kind arrived at once; they are collected here. Work orders: %(numbers)s") % {
            "numbers": "、".join(numbers) + ("…" if n > len(numbers) else "")
        } if numbers else _("Many notices of this kind arrived at once; they are collected here.")
        return title % {"count": n}, body


def _sync() -> bool:
    return bool(settings.Q_CLUSTER.get("sync", False))


def _enqueue(delivery_id: int, delay: timedelta | None = None) -> None:
    from django_q.models import Schedule
    from django_q.tasks import schedule

    if delay and not _sync():
        schedule(SEND_TASK, delivery_id, schedule_type=Schedule.ONCE, next_run=timezone.now() + delay)
        return
    from griddesk.common.queues import BACKGROUND, enqueue

    enqueue(SEND_TASK, delivery_id, queue=BACKGROUND, task_name=f"notify-{delivery_id}")


def retry_delay(attempts: int) -> timedelta:
    return timedelta(seconds=min(30 * 2 ** (attempts - 1), 1800))


def delivery_send(*, delivery_id: int) -> str:
    """Send one delivery. Sent once: the row lock (PostgreSQL) keeps two workers
    from sending the same delivery; a sent or failed delivery is skipped."""
    requeue = False
    with transaction.atomic():
        d = (
            Delivery.objects.select_for_update()
            .select_related("notification")
            .filter(pk=delivery_id, state=Delivery.State.PENDING)
            .first()
        )
        if d is None:
            return "skipped"
        sender = sender_for(d.channel)
        d.attempts += 1
        try:
            if sender is None:
                raise LookupError(f"no sender configured for channel {d.channel!r}")
            sender.send(d.notification)
        except Exception as exc:  # noqa: BLE001 — any sender failure is retried
            d.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            if d.attempts >= MAX_ATTEMPTS or sender is None or isinstance(exc, Undeliverable):
                d.state = Delivery.State.FAILED
                log.warning("delivery %s failed after %s attempts: %s", d.pk, d.attempts, d.last_error)
            else:
                requeue = True
        else:
            d.state = Delivery.State.SENT
            d.sent_at = timezone.now()
        d.save(update_fields=["attempts", "last_error", "state", "sent_at"])
        attempts, state = d.attempts, d.state
    if requeue:
        _enqueue(delivery_id, delay=retry_delay(attempts))
    return state


# ------------------------------------------------------------------ urging


def notify_urged(order: WorkOrder | str, occurred_at: datetime | None = None) -> list[Notification]:
    """Tell the people working the order that it was urged (催办). Runs after
    the urge commits (``subscribers.on_urged``); one notice per urge (keyed on
    the urge count)."""
    wo = order if isinstance(order, WorkOrder) else WorkOrder.objects.select_related("company").get(number=order)
    wo = WorkOrder.objects.select_related("company").get(pk=wo.pk)  # fresh urge_count
    audience = Audience()
    leads = LeadAssignment.objects.filter(order=wo).values_list("department_id", flat=True)
    title, body = render(Kind.URGED, wo)
    return notices_create(
        [
            Notice(uid, wo.pk, Kind.URGED, title, body, f"urged:{wo.number}:{wo.urge_count}:{uid}", occurred_at=occurred_at)
            for uid in audience.responsible(leads, wo.company.path)
        ]
    )


def notify_suspended(order: WorkOrder | str, approver_id: int, occurred_at: datetime | None = None) -> list[Notification]:
    """Tell the approving manager that an order was suspended in their name
    (``subscribers.on_suspended``; one notice per suspension, keyed on the
    order's version)."""
    wo = WorkOrder.objects.get(number=order) if isinstance(order, str) else WorkOrder.objects.get(pk=order.pk)
    reason = wo.events.filter(action="suspend").order_by("-seq").values_list("note", flat=True).first() or ""
    title, body = render(Kind.SUSPENDED, wo, reason=reason)
    return notices_create([Notice(approver_id, wo.pk, Kind.SUSPENDED, title, body, f"suspended:{wo.number}:{wo.version}:{approver_id}",
                                  occurred_at=occurred_at)])


# ------------------------------------------------------------------ inbox


def notification_mark_read(*, notification_id: int, user_id: int) -> Notification:
    note = Notification.objects.select_related("order").filter(pk=notification_id, recipient_id=user_id).first()
    if note is None:
        raise NotificationNotFound(_("Not found."))
    if note.read_at is None:
        note.read_at = timezone.now()
        note.save(update_fields=["read_at"])
    if note.digest_count:
        note.items.filter(read_at__isnull=True).update(read_at=note.read_at)
    return note


class NotificationNotFound(ServiceError):
    status_code = 404
    code = "not_found"


def notifications_mark_all_read(*, user_id: int) -> int:
    return Notification.objects.filter(recipient_id=user_id, read_at__isnull=True).update(read_at=timezone.now())
