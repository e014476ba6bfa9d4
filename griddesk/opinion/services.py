"""Writes of the opinion app: intake (dedupe, analysis, clustering, burst, risk),
the story lifecycle (judge, transfer, dismiss, feed back, archive), the service
emergency response, and the audited risk settings.

Every state change: check the transition table (``engines.opinion_workflow``), lock the row
(``select_for_update``), write an append-only event with ``seq = version`` in
the same transaction; side effects via ``transaction.on_commit``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from griddesk.common.errors import Conflict, Forbidden, InvalidInput, NotFound
from griddesk.engines import burst as burst_engine
from griddesk.engines import dedupe, risk
from griddesk.engines import opinion_workflow as workflow
from griddesk.organisation.access import Actor
from griddesk.organisation.models import Department
from griddesk.workorders.models import Channel, OrderType, Report
from griddesk.workorders.services import IntakeData, work_order_intake

from . import analysis, rules, selectors
from .presenters import report_summary
from .models import (
    RISK_RANK,
    EmergencyEvent,
    EmergencyResponse,
    OpinionItem,
    OpinionSource,
    SourceKind,
    Story,
    StoryAction,
    StoryEvent,
    StoryState,
)
from .serializers import ItemData

log = logging.getLogger(__name__)

#: Source kind → the work order's channel when a story is transferred.
CHANNEL_FOR_SOURCE = {
    SourceKind.NEWS: Channel.MEDIA,
    SourceKind.FORUM: Channel.MEDIA,
    SourceKind.SOCIAL: Channel.MEDIA,
    SourceKind.VIDEO: Channel.MEDIA,
    SourceKind.GOV_12345: Channel.GOV_12345,
    SourceKind.INSPECTION: Channel.INSPECTION,
    SourceKind.INTERNAL: Channel.INSPECTION,
}

#: Candidate stories compared for near-duplicates, newest first.
MAX_CANDIDATES = 5000


def _dept_type(actor: Actor) -> str | None:
    return actor.department.type if actor.department is not None else None


def may(actor: Actor | None, action: str) -> bool:
    if actor is None:
        return False
    return workflow.role_may(actor.role, _dept_type(actor), action)


def require(actor: Actor, action: str) -> None:
    if not may(actor, action):
        raise Forbidden(
            _("Your role may not perform “%(action)s” on public-opinion stories.") % {"action": action_label(action)},
            action=action,
        )


def action_label(action: str) -> str:
    labels = {c.value: str(c.label) for c in StoryAction}
    labels.update({"view": _("view the board"), "intake": _("take in items"), "emergency_close": _("close the emergency response")})
    return labels.get(action, action)


# ------------------------------------------------------------------ intake


@dataclass
class IntakeResult:
    index: int
    status: str  # created / existing / error
    item: OpinionItem | None = None
    errors: dict[str, Any] | None = None
    joined_story: bool = False


@dataclass
class _New:
    index: int
    data: ItemData
    key: str
    text_hash: str
    normalised: str
    item: OpinionItem | None = None


def _area_for(data: ItemData, a: Any, index: analysis.AreaIndex, source: OpinionSource | None) -> tuple[Department | None, str]:
    if data.area:
        dept = index.resolve(data.area)
        return (dept, "") if dept is not None else (None, data.area)
    if source is not None and source.area_id:
        return source.area, ""
    # Stations first (more specific), then places, in text order.
    for kind in ("station", "place"):
        for e in a.entities:
            if e.kind == kind:
                dept = index.resolve(e.text)
                if dept is not None:
                    return dept, ""
    return None, ""


def _area_key(area_id: int | None, area_text: str) -> str:
    return f"d{area_id}" if area_id else f"t{area_text}"


def opinion_items_intake(
    *, actor: Actor | None, items: list[ItemData | dict[str, Any]], via: str = OpinionItem.Via.API,
    source: OpinionSource | None = None,
) -> list[IntakeResult]:
    """Take in a batch: each item is created, recognised as already stored
    (same URL, or same normalised text without a URL) or refused with its
    errors; the batch is analysed with one ``analyse_many`` call and written in
    one transaction. ``actor=None`` is the feed poller (the system).

    Two batches racing for the same new item: the unique ``dedupe_key`` decides
    per item (see ``_insert_items``): the loser reports it as existing, the
    rest of its batch is written normally (no retry of the whole batch)."""
    if actor is not None:
        require(actor, "intake")
    results: list[IntakeResult] = []
    fresh: list[_New] = []
    for i, item in enumerate(items):
        if isinstance(item, ItemData):
            normalised = analysis.normalise(item.text)
            key, text_hash = dedupe.dedupe_keys(item.url, normalised)
            if not key:
                results.append(IntakeResult(i, "error", errors={"text": [{"code": "empty", "message": _("The item has no text.")}]}))
                continue
            fresh.append(_New(i, item, key, text_hash, normalised))
        else:
            results.append(IntakeResult(i, "error", errors=item))
    if fresh:
        with transaction.atomic():
            results.extend(_write(actor, fresh, via, source))
    results.sort(key=lambda r: r.index)
    return results


def _existing_items(keys: list[str]) -> dict[str, OpinionItem]:
    """Stored items by dedupe key: one query per 500 keys."""
    out: dict[str, OpinionItem] = {}
    for i in range(0, len(keys), 500):
        out.update(
            (o.dedupe_key, o)
            for o in OpinionItem.objects.filter(dedupe_key__in=keys[i : i + 500]).select_related("story")
        )
    return out


@dataclass(frozen=True)
class _Window:
    """A bursting topic × area bucket: stories seen in ``(lo, hi]`` share it."""

    key: tuple[str, str]
    lo: Any
    hi: Any
    strength: float


def _keys_q(keys: set[tuple[str, str]]) -> Q:
    """Items of these topics in these areas (a superset: topic and area are
    matched separately, the caller keeps its own keys)."""
    ids = {int(a[1:]) for _, a in keys if a.startswith("d")}
    texts = {a[1:] for _, a in keys if a.startswith("t")}
    return Q(topic__in={t for t, _ in keys}) & (Q(area_id__in=ids) | Q(area__isnull=True, area_text__in=texts))


def _bursts(items: list[OpinionItem], now: Any, cfg: burst_engine.BurstConfig) -> tuple[list[float], list[_Window]]:
    """Burst strength per item, each judged at its own time: an item of the
    last hour against the sliding hour ending now; an older (back-filled) item
    against the clock hour it was published in and the history before that
    hour — never against "now", where it would count as quiet old news."""
    keys = [(it.topic, _area_key(it.area_id, it.area_text)) for it in items]
    recent = [now - it.published_at < cfg.bucket for it in items]
    earliest = min([now, *(it.published_at for it, r in zip(items, recent) if not r)])
    since = earliest - cfg.bucket * (cfg.history + 1)
    times: dict[tuple[str, str], list[Any]] = {k: [] for k in keys}
    for topic, area_id, area_text, at in OpinionItem.objects.filter(
        _keys_q(set(keys)), published_at__gte=since, published_at__lte=now
    ).values_list("topic", "area_id", "area_text", "published_at"):
        k = (topic, _area_key(area_id, area_text))
        if k in times:
            times[k].append(at)
    for k, it in zip(keys, items):
        times[k].append(it.published_at)
    latest = burst_engine.latest_by_key(
        ((k, t) for k in {k for k, r in zip(keys, recent) if r} for t in times[k]), end=now, config=cfg
    )
    old: dict[tuple[str, str], list[Any]] = {}
    for k, it, r in zip(keys, items, recent):
        if not r:
            old.setdefault(k, []).append(it.published_at)
    at_time = {k: burst_engine.points_at(times[k], ats, config=cfg) for k, ats in old.items()}
    strengths: list[float] = []
    windows: dict[tuple[tuple[str, str], Any], _Window] = {}
    for k, it, r in zip(keys, items, recent):
        if r:
            point = latest.get(k)
            hi = now
        else:
            point = at_time[k][it.published_at]
            hi = burst_engine.hour_end(it.published_at, cfg.bucket)
        s = point.strength if point is not None and point.burst else 0.0
        strengths.append(s)
        if s > 0 and (k, hi) not in windows:
            windows[(k, hi)] = _Window(k, hi - cfg.bucket, hi, s)
    return strengths, list(windows.values())


def _new_story(it: OpinionItem, normalised: str) -> Story:
    return Story(
        title=it.title[:200] if it.title else _masked_title(normalised, it.entities), simhash=it.simhash, topic=it.topic,
        area=it.area, area_text=it.area_text, first_seen=it.published_at, last_seen=it.published_at,
    )


def _insert_items(items: list[OpinionItem]) -> list[OpinionItem]:
    """Insert the batch's new items; returns those a concurrent batch stored
    first (their key is now taken). The common case is one bulk INSERT in a
    savepoint; on a unique-key conflict only that savepoint is rolled back and
    the items go in one by one, each in its own savepoint, so a lost item is
    skipped and the others are kept. Keys are inserted in sorted order, so two
    batches sharing several new keys wait for each other instead of deadlocking."""
    ordered = sorted(items, key=lambda i: i.dedupe_key)
    try:
        with transaction.atomic():
            OpinionItem.objects.bulk_create(ordered, batch_size=500)
        return []
    except IntegrityError:
        pass
    lost: list[OpinionItem] = []
    for it in ordered:
        it.pk = None
        it._state.adding = True
        try:
            with transaction.atomic():
                it.save(force_insert=True)
        except IntegrityError:
            lost.append(it)
    if lost:
        log.info("intake: %d item(s) stored meanwhile by a concurrent batch", len(lost))
    return lost


def _write(actor: Actor | None, fresh: list[_New], via: str, source: OpinionSource | None) -> list[IntakeResult]:
    now = timezone.now()
    settings_row = rules.settings_row()
    risk_cfg = rules.risk_config(settings_row)
    burst_cfg = rules.burst_config(settings_row)
    near_cfg = rules.near_config(settings_row)
    existing = _existing_items([n.key for n in fresh])
    results: list[IntakeResult] = []
    first_of: dict[str, _New] = {}
    new: list[_New] = []
    dup_in_batch: list[_New] = []
    for n in fresh:
        if n.key in existing:
            results.append(IntakeResult(n.index, "existing", item=existing[n.key]))
        elif n.key in first_of:
            dup_in_batch.append(n)
        else:
            first_of[n.key] = n
            new.append(n)
    if not new:
        return results
    # Earliest first: the original post founds its story, reposts join it.
    new.sort(key=lambda n: (n.data.published_at, n.key))

    analyses = analysis.analyse_many([n.data.text for n in new])  # one call per batch
    index = analysis.area_index()
    user = actor.user if actor is not None and actor.user.pk else None

    # Items (story assigned below).
    for n, a in zip(new, analyses):
        area, area_text = _area_for(n.data, a, index, source)
        d = n.data
        n.item = OpinionItem(
            source=source, source_kind=d.source_kind, source_name=d.source_name or (source.name if source else ""),
            url=d.url, title=d.title[:300], text=d.text, author=d.author, published_at=d.published_at, received_at=now,
            area=area, area_text=area_text, views=d.views, reposts=d.reposts, comments=d.comments,
            sensitive_customer=d.sensitive_customer, dedupe_key=n.key, text_hash=n.text_hash,
            simhash=dedupe.to_signed(dedupe.simhash(n.normalised)), relevant=a.relevant, relevance=a.relevance,
            topic=a.topic, negativity=round(a.negativity, 4),
            entities=[{"kind": e.kind, "text": e.text, "start": e.start, "end": e.end} for e in a.entities],
            keywords=list(a.keywords), via=via, created_by=user,
        )
    items = [n.item for n in new if n.item is not None]

    # Burst per topic × area, each item at its own time; then risk.
    strengths, windows = _bursts(items, now, burst_cfg)
    for n, a, s in zip(new, analyses, strengths):
        it = n.item
        assert it is not None
        it.burst = s
        r = risk.assess(_risk_input(it, n.normalised, a.keywords), risk_cfg)
        it.risk_score, it.risk_level, it.risk_explanation = r.score, r.level, r.explanation()

    # Clustering: near-duplicates join a recent story (SimHash distances to all
    # candidates vectorised per item, Jaccard only for the close ones).
    cutoff = now - timedelta(days=settings_row.cluster_days)
    near = dedupe.NearIndex(
        Story.objects.filter(last_seen__gte=cutoff, representative__isnull=False)
        .order_by("-last_seen")
        .values_list("id", "simhash", "representative__text")[:MAX_CANDIDATES],
        near_cfg,
    )
    new_stories: dict[int, Story] = {}  # temporary negative id → story
    members: dict[int, list[OpinionItem]] = {}
    normalised_of: dict[int, str] = {}
    joined: set[int] = set()
    for n in new:
        it = n.item
        assert it is not None
        normalised_of[id(it)] = n.normalised
        hit = near.nearest(n.normalised, it.simhash)
        if hit is not None:
            sid = hit[0]
            if sid > 0:
                joined.add(n.index)
        else:
            sid = -(len(new_stories) + 1)
            new_stories[sid] = _new_story(it, n.normalised)
            near.add(sid, it.simhash, n.normalised)
        members.setdefault(sid, []).append(it)

    # New stories are written whole (aggregates and risk computed in memory);
    # their representative (the first copy) is linked by one UPDATE afterwards.
    for sid, its in members.items():
        if sid < 0:
            _absorb(new_stories[sid], its, risk_cfg, rep=its[0])
    Story.objects.bulk_create(list(new_stories.values()), batch_size=500)
    real = dict(new_stories)
    # Joined stories are locked before any item is inserted (a concurrent batch
    # then waits here holding no item key: no lock cycle).
    locked = {
        s.pk: s
        for s in Story.objects.select_for_update(of=("self",))
        .select_related("representative")
        .filter(pk__in=[sid for sid in members if sid > 0])
        .order_by("pk")
    }
    for sid, its in members.items():
        story = real[sid] if sid < 0 else locked[sid]
        for it in its:
            it.story = story

    lost = _insert_items(items)
    stored: dict[str, OpinionItem] = {}
    if lost:
        stored = _existing_items([it.dedupe_key for it in lost])
        missing = [it.dedupe_key for it in lost if it.dedupe_key not in stored]
        if missing:  # not a key conflict after all: fail the batch as before
            raise IntegrityError(f"opinion items could not be stored: {missing[:5]}")
        gone = {id(it) for it in lost}
        for sid in list(members):
            kept = [it for it in members[sid] if id(it) not in gone]
            if len(kept) == len(members[sid]):
                continue
            if not kept:
                del members[sid]
                if sid < 0:
                    Story.objects.filter(pk=real.pop(sid).pk).delete()
                continue
            members[sid] = kept
            if sid < 0:  # rebuild the new story from the copies it really got
                story = real[sid]
                fresh_story = _new_story(kept[0], normalised_of[id(kept[0])])
                for f in ["title", "simhash", "topic", "area_id", "area_text", *_AGGREGATES]:
                    setattr(story, f, getattr(fresh_story, f))
                story.risk_explanation = []
                _absorb(story, kept, risk_cfg, rep=kept[0])
                _save_fields([story], ["title", "simhash", "topic", "area_id", "area_text", *_AGGREGATES])
    if real:
        first_copy = OpinionItem.objects.filter(story=OuterRef("pk")).order_by("published_at", "dedupe_key").values("id")[:1]
        Story.objects.filter(pk__in=[s.pk for s in real.values()]).update(representative=Subquery(first_copy))
        for sid, story in real.items():
            story.representative = min(members[sid], key=lambda i: (i.published_at, i.dedupe_key))

    events: list[StoryEvent] = []
    for sid, its in members.items():
        if sid > 0:
            before = locked[sid].risk_level
            _absorb(locked[sid], its, risk_cfg)
            events.extend(_rescore_event(locked[sid], before, now, reason="copies"))
    _save_fields([locked[sid] for sid in members if sid > 0], [*_AGGREGATES, "version"])
    StoryEvent.objects.bulk_create(
        events
        + [
            StoryEvent(
                story=s, seq=1, action=StoryAction.CREATE, actor=user, actor_name=user.get_username() if user else "system",
                department=actor.department if actor else None, at=now, from_state="", to_state=s.state,
                data={"via": via, "risk_level": s.risk_level, "risk_score": s.risk_score},
            )
            for s in real.values()
        ]
    )
    _raise_bursting_stories(windows, risk_cfg, now, exclude={s.pk for s in [*real.values(), *locked.values()]})

    lost_keys = {it.dedupe_key for it in lost}
    for n in new:
        if n.key in lost_keys:
            results.append(IntakeResult(n.index, "existing", item=stored[n.key]))
        else:
            results.append(IntakeResult(n.index, "created", item=n.item, joined_story=n.index in joined))
    for n in dup_in_batch:
        first = first_of[n.key]
        results.append(IntakeResult(n.index, "existing", item=stored.get(n.key, first.item)))
    return results


def _masked_title(text: str, entities: list[dict[str, Any]]) -> str:
    """A story's title is shown to everyone on the board: phone and account
    numbers in it are always masked."""
    from .presenters import PII_KINDS, _mask

    out = text
    for e in sorted(entities, key=lambda e: -int(e["start"])):
        if e["kind"] in PII_KINDS and out[e["start"] : e["end"]] == e["text"]:
            out = out[: e["start"]] + _mask(e["kind"], e["text"]) + out[e["end"] :]
    return out[:200]


_AGGREGATES = ["copies", "total_views", "total_reposts", "total_comments", "first_seen", "last_seen", "negativity",
               "burst", "sensitive", "risk_score", "risk_level", "risk_explanation", "risk_rank", "updated_at"]


def _save_fields(stories: list[Story], fields: list[str]) -> None:
    """One UPDATE per (locked) story. Measured against ``bulk_update`` (one
    CASE … WHEN per field) with benchmarks/opinion_app.py: per row is faster
    (434 vs 334 items/s on SQLite), the rows are few (stories that gained copies)."""
    for story in stories:
        Story.objects.filter(pk=story.pk).update(**{f: getattr(story, f) for f in fields})


def _risk_input(it: OpinionItem, text: str, keywords: Iterable[str]) -> risk.RiskInput:
    return risk.RiskInput(
        text=text, topic=it.topic, negativity=it.negativity, views=it.views, reposts=it.reposts, comments=it.comments,
        burst=it.burst, sensitive_customer=it.sensitive_customer,
        places=tuple(e["text"] for e in it.entities if e["kind"] in ("place", "station")),
        found_keywords=tuple(keywords),
    )


def _absorb(story: Story, items: list[OpinionItem], cfg: risk.RiskConfig, rep: OpinionItem | None = None) -> None:
    """Add copies to a story and recompute its risk from the cluster: the
    representative's text and topic, the highest negativity and burst, the
    total reach of every copy."""
    story.copies += len(items)
    story.total_views += sum(i.views for i in items)
    story.total_reposts += sum(i.reposts for i in items)
    story.total_comments += sum(i.comments for i in items)
    story.first_seen = min([story.first_seen, *(i.published_at for i in items)])
    story.last_seen = max([story.last_seen, *(i.published_at for i in items)])
    story.negativity = max([story.negativity, *(i.negativity for i in items)])
    story.burst = max([story.burst, *(i.burst for i in items)])
    story.sensitive = story.sensitive or any(i.sensitive_customer for i in items)
    _rescore(story, cfg, items, rep=rep)


def _rescore(story: Story, cfg: risk.RiskConfig, items: list[OpinionItem] | None = None,
             rep: OpinionItem | None = None) -> None:
    rep = rep if rep is not None else story.representative
    keywords: list[str] = []
    places: list[str] = []
    texts: list[str] = []
    for i in [*(items or []), *([rep] if rep is not None else [])]:
        keywords.extend(i.keywords)
        places.extend(e["text"] for e in i.entities if e["kind"] in ("place", "station"))
        texts.append(i.text)
    prev_kw = [s.get("evidence", "") for s in story.risk_explanation if s.get("signal") == "keywords"]
    for ev in prev_kw:
        keywords.extend(k for k in str(ev).split("、") if k)
    r = risk.assess(
        risk.RiskInput(
            text=(rep.text if rep is not None else story.title), topic=story.topic, negativity=story.negativity,
            views=story.total_views, reposts=story.total_reposts, comments=story.total_comments, burst=story.burst,
            sensitive_customer=story.sensitive, places=tuple(dict.fromkeys(places)),
            found_keywords=tuple(dict.fromkeys(keywords)),
        ),
        cfg,
    )
    story.risk_score, story.risk_level, story.risk_explanation = r.score, r.level, r.explanation()
    story.risk_rank = RISK_RANK[story.judged_level or story.risk_level]
    story.updated_at = timezone.now()


def _rescore_event(story: Story, before: str, now: Any, *, reason: str) -> list[StoryEvent]:
    """When a recomputation moved the computed level: bump the version and
    return the (unsaved) append-only event recording it. Call with the row locked."""
    if story.risk_level == before:
        return []
    story.version += 1
    return [
        StoryEvent(
            story=story, seq=story.version, action=StoryAction.RESCORE, actor=None, actor_name="system", at=now,
            from_state=story.state, to_state=story.state,
            data={"reason": reason, "from_level": before, "to_level": story.risk_level, "score": story.risk_score,
                  "burst": story.burst},
        )
    ]


_RESCORED = ["burst", "risk_score", "risk_level", "risk_explanation", "risk_rank", "updated_at", "version"]


def _window_q(w: _Window) -> Q:
    topic, area_key = w.key
    q = Q(topic=topic, last_seen__gt=w.lo, first_seen__lte=w.hi, burst__lt=w.strength)
    if area_key.startswith("d"):
        return q & Q(area_id=int(area_key[1:]))
    return q & Q(area__isnull=True, area_text=area_key[1:])


def _area_key_of(s: Story) -> str:
    return _area_key(s.area_id, s.area_text)


def _raise_bursting_stories(windows: list[_Window], risk_cfg: risk.RiskConfig, now: Any, exclude: set[int]) -> list[Story]:
    """Stories of a bursting topic × area seen in the bursting hour share the
    burst (a storm outage is many different posts, not one story); a story in
    several bursting hours takes the strongest. One query per 50 windows. Rows
    another transaction holds are skipped (``SKIP LOCKED``): waiting could close
    a lock cycle with a concurrent intake, and the scheduled re-evaluation
    catches them."""
    changed: list[Story] = []
    events: list[StoryEvent] = []
    for i in range(0, len(windows), 50):
        chunk = windows[i : i + 50]
        q = Q()
        for w in chunk:
            q |= _window_q(w)
        qs = Story.objects.filter(q, state__in=[StoryState.NEW, StoryState.JUDGED]).exclude(pk__in=exclude)
        stories = list(qs.select_for_update(of=("self",), skip_locked=True).select_related("representative").order_by("pk")[:2000])
        for st in stories:
            strength = max(
                w.strength for w in chunk
                if w.key == (st.topic, _area_key_of(st)) and st.last_seen > w.lo and st.first_seen <= w.hi
            )
            if strength <= st.burst:
                continue
            before = st.risk_level
            st.burst = strength
            _rescore(st, risk_cfg)
            events.extend(_rescore_event(st, before, now, reason="burst"))
            changed.append(st)
        exclude = exclude | {st.pk for st in stories}
    _save_fields(changed, _RESCORED)
    StoryEvent.objects.bulk_create(events)
    return changed


@transaction.atomic
def bursts_reevaluate(*, now: Any = None) -> dict[str, int]:
    """The scheduled re-evaluation (every 15 minutes): bursts per topic × area
    for the hour ending now, from everything stored — intake judges a burst
    only when a batch arrives, so a surge built from many small batches, or
    one still growing after its last batch, is caught here. Stories of a
    bursting key seen this hour take the burst and are re-scored; a level
    change writes a ``rescore`` event."""
    now = now or timezone.now()
    row = rules.settings_row()
    cfg = rules.burst_config(row)
    keys = {
        (topic, _area_key(area_id, area_text))
        for topic, area_id, area_text in OpinionItem.objects.filter(
            published_at__gt=now - cfg.bucket, published_at__lte=now
        ).values_list("topic", "area_id", "area_text").distinct()
    }
    if not keys:
        return {"keys": 0, "bursting": 0, "stories": 0}
    events = [
        ((topic, _area_key(area_id, area_text)), at)
        for topic, area_id, area_text, at in OpinionItem.objects.filter(
            _keys_q(keys), published_at__gte=now - cfg.bucket * cfg.history, published_at__lte=now
        ).values_list("topic", "area_id", "area_text", "published_at")
    ]
    points = burst_engine.latest_by_key([e for e in events if e[0] in keys], end=now, config=cfg)
    windows = [_Window(k, now - cfg.bucket, now, p.strength) for k, p in points.items() if p.burst]
    stories = _raise_bursting_stories(windows, rules.risk_config(row), now, exclude=set()) if windows else []
    return {"keys": len(keys), "bursting": len(windows), "stories": len(stories)}


# ------------------------------------------------------------------ story lifecycle


def _lock_story(story_id: int, actor: Actor, action: str, expected_version: int | None = None) -> Story:
    story = (
        Story.objects.select_for_update(of=("self",))
        .select_related("representative", "area")
        .filter(pk=story_id)
        .first()
    )
    if story is None or not selectors.stories_visible_to(actor).filter(pk=story.pk).exists():
        raise NotFound(_("Story %(id)s was not found.") % {"id": story_id})
    require(actor, action)
    if story.state not in workflow.transition(action).sources:
        raise Conflict(
            _("“%(action)s” is not possible while the story is “%(state)s”.")
            % {"action": action_label(action), "state": story.get_state_display()},
            code="invalid_transition",
            state=story.state,
            allowed_actions=selectors.story_allowed_actions(actor, story),
        )
    if expected_version is not None and expected_version != story.version:
        raise Conflict(_("The story was changed by someone else; reload and try again."), code="stale_version",
                       current_version=story.version)
    return story


def _transition(story: Story, actor: Actor | None, action: str, *, note: str = "", data: dict[str, Any] | None = None,
                fields: Iterable[str] = ()) -> Story:
    """``actor=None``: the system (a work-order result fed back automatically)."""
    from_state = story.state
    to_state = workflow.target(action, from_state)
    assert to_state is not None
    previous = story.version
    story.state = to_state
    story.version = previous + 1
    story.updated_at = timezone.now()
    changed = {"state", "version", "updated_at", *fields}
    values = {name: getattr(story, Story._meta.get_field(name).attname) for name in changed}
    if Story.objects.filter(pk=story.pk, version=previous).update(**values) != 1:
        raise Conflict(_("The story was changed by someone else; reload and try again."), code="stale_version")
    StoryEvent.objects.create(
        story=story, seq=story.version, action=action,
        actor=actor.user if actor is not None and actor.user.pk else None,
        actor_name=actor.user.get_username() if actor is not None else "system",
        department=actor.department if actor is not None else None, at=story.updated_at,
        from_state=from_state, to_state=to_state, note=note, data=data or {},
    )
    return story


@transaction.atomic
def story_judge(*, story: int, actor: Actor, level: str, may_cause_impact: bool, needs_transfer: bool, note: str = "",
                expected_version: int | None = None) -> Story:
    """研判: a person confirms or changes the risk level and answers the
    paper's questions (may it cause bad impact or a complaint? transfer?)."""
    s = _lock_story(story, actor, "judge", expected_version)
    if level not in RISK_RANK:
        raise InvalidInput(_("Unknown risk level."), code="invalid_choice", field="level")
    previous = s.judged_level or s.risk_level
    s.judged_level = level
    s.risk_rank = RISK_RANK[level]
    s.may_cause_impact = may_cause_impact
    s.needs_transfer = needs_transfer
    s.judged_by = actor.user if actor.user.pk else None
    s.judged_department = actor.department
    s.judged_at = timezone.now()
    return _transition(
        s, actor, "judge", note=note,
        data={"level": level, "previous_level": previous, "computed_level": s.risk_level, "score": s.risk_score,
              "may_cause_impact": may_cause_impact, "needs_transfer": needs_transfer},
        fields=["judged_level", "risk_rank", "may_cause_impact", "needs_transfer", "judged_by", "judged_department", "judged_at"],
    )


def _order_content(story: Story) -> str:
    rep = story.representative
    lines = [
        _("[Public-opinion prevention] Story #%(id)s, risk %(level)s (score %(score).1f), %(copies)d copies, reach %(reach)d.")
        % {"id": story.pk, "level": story.get_level_display(), "score": story.risk_score, "copies": story.copies,
           "reach": story.total_reach},
    ]
    if rep is not None:
        lines.append(_("Source: %(kind)s %(name)s %(url)s") % {"kind": rep.get_source_kind_display(), "name": rep.source_name,
                                                                "url": rep.url})
        lines.append(_("Published: %(at)s") % {"at": timezone.localtime(rep.published_at).strftime("%Y-%m-%d %H:%M")})
        lines.append(rep.text[:3000])
    lines.append(_("Judgement: may cause bad impact or a complaint: %(impact)s; needs transfer: %(transfer)s.")
                 % {"impact": _("yes") if story.may_cause_impact else _("no"),
                    "transfer": _("yes") if story.needs_transfer else _("no")})
    return "\n".join(lines)[:5000]


@transaction.atomic
def story_transfer(*, story: int, actor: Actor, note: str = "", expected_version: int | None = None) -> Story:
    """Open a public-opinion prevention work order (舆情防范受理工单) in the core
    lifecycle, linked both ways (story.work_order; the order cites the story
    and carries ``opinion-story-<id>`` as its idempotency key)."""
    s = _lock_story(story, actor, "transfer", expected_version)
    rep = s.representative
    kind = rep.source_kind if rep is not None else SourceKind.INTERNAL
    order, _created = work_order_intake(
        actor=actor,
        data=IntakeData(
            channel=CHANNEL_FOR_SOURCE.get(SourceKind(kind), Channel.MEDIA).value,
            type=OrderType.PUBLIC_OPINION.value,
            content=_order_content(s),
            received_at=timezone.now(),
            external_id=f"opinion-story-{s.pk}",
            title=s.title[:200],
        ),
    )
    s.work_order = order
    result = _transition(s, actor, "transfer", note=note, data={"work_order": order.number}, fields=["work_order"])
    number = order.number
    transaction.on_commit(lambda: log.info("story %s transferred to work order %s", s.pk, number))
    return result


@transaction.atomic
def story_dismiss(*, story: int, actor: Actor, reason: str, expected_version: int | None = None) -> Story:
    if not reason.strip():
        raise InvalidInput(_("Give the reason for dismissing."), code="required", field="reason")
    s = _lock_story(story, actor, "dismiss", expected_version)
    s.dismiss_reason = reason
    return _transition(s, actor, "dismiss", note=reason, fields=["dismiss_reason"])


@transaction.atomic
def story_feed_back(*, story: int, actor: Actor, result: str, expected_version: int | None = None) -> Story:
    """The handling result, fed back to the marketing service specialist."""
    if not result.strip():
        raise InvalidInput(_("Describe the handling result."), code="required", field="result")
    s = _lock_story(story, actor, "feed_back", expected_version)
    s.result = result
    order_state = s.work_order.state if s.work_order_id and s.work_order else ""
    return _transition(s, actor, "feed_back", note=result, data={"work_order_state": order_state}, fields=["result"])


@transaction.atomic
def story_archive(*, story: int, actor: Actor, result: str, expected_version: int | None = None) -> Story:
    """Archived by the (auxiliary) specialist with the investigation result, as
    a basis for improving service (key point 7)."""
    if not result.strip():
        raise InvalidInput(_("Record the investigation result."), code="required", field="result")
    s = _lock_story(story, actor, "archive", expected_version)
    s.investigation_result = result
    return _transition(s, actor, "archive", note=result, fields=["investigation_result"])


# ------------------------------------------------------------------ the work order's result

#: Work-order states from "fed back to the specialist" (report confirmed) on.
ORDER_RESULT_STATES = frozenset({"fed_back", "visited", "assessed", "archived"})


def story_order_result(*, order: int) -> Story | None:
    """Feed the prevention work order's confirmed report back to its story
    (key point 4: results fed back to the marketing service specialist).

    Called on commit of the core's ``work_order_confirm_report`` (via
    ``hooks.order_result_ready``) and by the scheduled catch-up for orders
    whose result was never recorded. A transferred story moves to fed_back
    with the report as its result; a story already fed back whose order was
    reopened and confirmed again takes the new report. Idempotent: a report
    already recorded is not recorded twice. The specialist who transferred the
    story is notified in the inbox."""
    with transaction.atomic():
        s = (
            Story.objects.select_for_update(of=("self",))
            .select_related("work_order")
            .filter(work_order_id=order)
            .first()
        )
        if s is None or s.work_order is None or s.work_order.state not in ORDER_RESULT_STATES:
            return None
        wo = s.work_order
        report = (
            Report.objects.filter(order=wo, confirmed_at__isnull=False).select_related("confirmed_by").order_by("-pk").first()
        )
        if report is None or s.state not in (StoryState.TRANSFERRED, StoryState.FED_BACK):
            return s
        if StoryEvent.objects.filter(story=s, action=StoryAction.FEED_BACK, data__report=report.pk).exists():
            return s
        text = report_summary(report)
        data = {"work_order": wo.number, "order_state": wo.state, "report": report.pk, "automatic": True,
                "confirmed_by": report.confirmed_by.get_username() if report.confirmed_by else ""}
        s.result = text
        if s.state == StoryState.TRANSFERRED:
            _transition(s, None, "feed_back", note=text, data=data, fields=["result"])
        else:  # fed back before; the order was reopened and its new report confirmed
            previous = s.version
            s.version = previous + 1
            s.updated_at = timezone.now()
            Story.objects.filter(pk=s.pk).update(result=text, version=s.version, updated_at=s.updated_at)
            StoryEvent.objects.create(
                story=s, seq=s.version, action=StoryAction.FEED_BACK, actor=None, actor_name="system", at=s.updated_at,
                from_state=s.state, to_state=s.state, note=text, data=data,
            )
        story_id, order_id, seq = s.pk, wo.pk, s.version
        transaction.on_commit(lambda: _notify_result(story_id, order_id, seq), robust=True)
    return s


def _notify_result(story_id: int, order_id: int, seq: int) -> None:
    """Inbox notice to the specialist who transferred the story (else the
    service specialists over the order's company), through the notifications
    app's ordinary service (one notice per recorded result, deduplicated)."""
    from django.conf import settings
    from django.utils import translation

    from griddesk.engines.workflow import Role
    from griddesk.notifications.selectors import Audience
    from griddesk.notifications.services import Notice, notices_create

    s = Story.objects.select_related("work_order__company").get(pk=story_id)
    wo = s.work_order
    assert wo is not None
    recipients = sorted(
        {uid for uid in StoryEvent.objects.filter(story=s, action=StoryAction.TRANSFER).values_list("actor_id", flat=True) if uid}
    )
    if not recipients:
        recipients = Audience().overseers(Role.SERVICE_SPECIALIST.value, wo.company.path)
    with translation.override(settings.LANGUAGE_CODE):
        title = _("Public-opinion story #%(id)s: the work order's result is in") % {"id": s.pk}
        body = _("Work order %(number)s: %(result)s") % {"number": wo.number, "result": s.result}
    notices_create([
        Notice(uid, wo.pk, NOTICE_KIND, title, body, f"opinion-result:{s.pk}:{seq}:{uid}") for uid in recipients
    ])


#: The inbox notice kind (the notifications app shows unknown kinds as-is).
NOTICE_KIND = "opinion_result"  # notifications.models.Kind.OPINION_RESULT


def stories_sync_order_results() -> int:
    """Catch-up for the hook: transferred stories whose order already has a
    confirmed report (e.g. the order was archived while the hook failed)."""
    orders = list(
        Story.objects.filter(state=StoryState.TRANSFERRED, work_order__state__in=ORDER_RESULT_STATES)
        .values_list("work_order_id", flat=True)[:500]
    )
    done = 0
    for order_id in orders:
        try:
            s = story_order_result(order=order_id)
        except Exception:  # noqa: BLE001 — one bad story must not stop the others
            log.exception("recording the result of work order %s failed", order_id)
            continue
        done += s is not None and s.state == StoryState.FED_BACK
    return done


@transaction.atomic
def emergency_start(*, story: int, actor: Actor, level: str, leader: str, members: str, actions: str, notices: str = "",
                    expected_version: int | None = None) -> EmergencyResponse:
    """Start the service emergency plan (服务应急预案) for a critical story."""
    s = _lock_story(story, actor, "emergency", expected_version)
    if s.level != "critical":
        raise Conflict(_("The service emergency plan is for critical stories; judge the story critical first."),
                       code="not_critical", level=s.level)
    if EmergencyResponse.objects.filter(story=s, state=EmergencyResponse.State.OPEN).exists():
        raise Conflict(_("An emergency response for this story is already open."), code="already_open")
    now = timezone.now()
    response = EmergencyResponse.objects.create(
        story=s, level=level, leader=leader, members=members, actions=actions, notices=notices,
        started_by=actor.user if actor.user.pk else None, started_at=now,
    )
    EmergencyEvent.objects.create(
        response=response, seq=1, action="start", actor=actor.user if actor.user.pk else None,
        actor_name=actor.user.get_username(), department=actor.department, at=now, from_state="", to_state="open",
        note=actions,
    )
    previous = s.version
    s.version = previous + 1
    if Story.objects.filter(pk=s.pk, version=previous).update(version=s.version, updated_at=now) != 1:
        raise Conflict(_("The story was changed by someone else; reload and try again."), code="stale_version")
    StoryEvent.objects.create(
        story=s, seq=s.version, action=StoryAction.EMERGENCY, actor=actor.user if actor.user.pk else None,
        actor_name=actor.user.get_username(), department=actor.department, at=now, from_state=s.state,
        to_state=s.state, note=actions, data={"emergency": response.pk, "level": level, "leader": leader},
    )
    transaction.on_commit(lambda: log.warning("service emergency response %s started for story %s", response.pk, s.pk))
    return response


def _lock_emergency(response_id: int, actor: Actor) -> EmergencyResponse:
    r = EmergencyResponse.objects.select_for_update(of=("self",)).select_related("story").filter(pk=response_id).first()
    if r is None or not selectors.stories_visible_to(actor).filter(pk=r.story_id).exists():
        raise NotFound(_("Emergency response %(id)s was not found.") % {"id": response_id})
    return r


def _emergency_event(r: EmergencyResponse, actor: Actor, action: str, from_state: str, note: str) -> None:
    previous = r.version
    r.version = previous + 1
    EmergencyEvent.objects.create(
        response=r, seq=r.version, action=action, actor=actor.user if actor.user.pk else None,
        actor_name=actor.user.get_username(), department=actor.department, at=timezone.now(), from_state=from_state,
        to_state=r.state, note=note,
    )


@transaction.atomic
def emergency_notice(*, response: int, actor: Actor, note: str) -> EmergencyResponse:
    """Record a notice or progress note on an open response."""
    r = _lock_emergency(response, actor)
    require(actor, "emergency")
    if r.state != EmergencyResponse.State.OPEN:
        raise Conflict(_("The emergency response is closed."), code="invalid_transition", state=r.state)
    if not note.strip():
        raise InvalidInput(_("Write the notice."), code="required", field="note")
    r.notices = (r.notices + "\n" if r.notices else "") + note
    _emergency_event(r, actor, "notice", r.state, note)
    r.save(update_fields=["notices", "version"])
    return r


@transaction.atomic
def emergency_close(*, response: int, actor: Actor, summary: str) -> EmergencyResponse:
    r = _lock_emergency(response, actor)
    require(actor, "emergency_close")
    if r.state != EmergencyResponse.State.OPEN:
        raise Conflict(_("The emergency response is closed."), code="invalid_transition", state=r.state)
    if not summary.strip():
        raise InvalidInput(_("Summarise the response before closing it."), code="required", field="summary")
    r.state = EmergencyResponse.State.CLOSED
    r.summary = summary
    r.closed_at = timezone.now()
    _emergency_event(r, actor, "close", EmergencyResponse.State.OPEN, summary)
    r.save(update_fields=["state", "summary", "closed_at", "version"])
    return r


def story_act(*, story: int, actor: Actor, action: str, data: dict[str, Any]) -> Any:
    """Run ``action`` with validated ``data``: its declared service
    (``actions.StoryActionSpec``) with its inputs and the client's version."""
    from .actions import spec

    declared = spec(action)
    if declared is None:
        raise InvalidInput(_("Unknown action."), code="invalid_choice", field="action")
    return declared.run(story=story, actor=actor, data=data)
