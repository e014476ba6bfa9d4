"""The satisfaction index: PLS path model on a questionnaire's responses, stored.

``index_compute`` builds the engine model from the questionnaire (constructs →
blocks, paths, modes), reads the responses into a matrix (``load_responses``:
``values_list`` in chunks straight into numpy, missing answers NaN — no model
objects), applies the questionnaire's missing-data policy, calls ``pls_fit``
with the Likert range as ``scale_range`` and a seeded bootstrap, and stores
everything in an ``IndexSnapshot`` so pages read a row instead of recomputing.

Besides the engine's output the snapshot holds:

* ``ipa`` — ``engines.ipa.ipa_from_pls`` on the index construct: importance =
  total effect on it, performance = the driver's 0–100 index, quadrants split
  at the drivers' means, ``priorities`` = the engine's "improve first" order
  (quadrant, then potential = importance × (100 − performance) / 100);
* ``segments`` — the index construct per area, customer category, channel and
  month (``engines.ipa.segment_means``): n, mean, sd and a 95 % CI — percentile
  bootstrap (``SEGMENT_RESAMPLES``, seeded) for segments of at most
  ``SEGMENT_BOOTSTRAP_MAX_N`` responses, Student t above (the two agree there
  and the bootstrap would need resamples × n memory); no CI under
  ``MIN_SEGMENT_N``. Every non-period row carries the segment's ``trend``
  (``engines.ipa.linear_trend`` of its monthly means: index points per month
  with a 95 % CI; ``direction`` up / down only when the CI excludes 0; needs 3
  months). Each respondent's score uses the model's rescaled unstandardised
  weights, so segment means average to the overall index;
* ``trend`` — the same trend over all responses' monthly means;
* ``dataset`` — what was read (``max_pk``, policy, columns), so that
  ``selectors.snapshot_responses`` lists exactly the responses behind each
  number (same count).

Snapshots cover all responses of the questionnaire (an aggregate without
personal data); drill-down lists are filtered by the viewer's company.
"""

from __future__ import annotations

import json
import logging
import math
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import numpy as np
from django.db import IntegrityError, connection, transaction
from django.db.models import CharField, F, QuerySet, TextField
from django.db.models.functions import Cast, Substr
from django.utils import timezone

from griddesk.engines import ipa as ipa_engine
from griddesk.engines import pls
from griddesk.organisation.access import Actor

from .models import IndexSnapshot, Questionnaire, SurveyResponse
from .selectors import responses_for

log = logging.getLogger(__name__)

MIN_SEGMENT_N = 5
SEGMENT_BOOTSTRAP_MAX_N = 2_000
SEGMENT_RESAMPLES = 1_000
TREND_MIN_MONTHS = 3
READ_CHUNK = 5_000
SEGMENT_DIMENSIONS = ("area", "customer_category", "channel", "period")


def engine_model(q: Questionnaire) -> pls.PlsModel:
    blocks: dict[str, list[str]] = {}
    modes: dict[str, str] = {}
    for c in q.constructs.prefetch_related("indicators").order_by("sort", "code"):
        blocks[c.code] = [i.code for i in c.indicators.all()]
        modes[c.code] = c.mode
    paths = [(p.source.code, p.target.code) for p in q.paths.select_related("source", "target").order_by("pk")]
    return pls.PlsModel(blocks=blocks, paths=paths, modes=modes)


# ------------------------------------------------------------------ reading


@dataclass
class ResponseFrame:
    """Responses as arrays: row i of ``x`` is response ``pk[i]``."""

    pk: np.ndarray  # (n,) int64
    x: np.ndarray  # (n, p) float64, NaN = missing
    area: np.ndarray  # (n,) object: area code or ""
    customer_category: np.ndarray  # (n,) object
    channel: np.ndarray  # (n,) object
    month: np.ndarray  # (n,) int64: year * 12 + month - 1

    def __len__(self) -> int:
        return len(self.pk)

    def take(self, mask: np.ndarray) -> ResponseFrame:
        return ResponseFrame(self.pk[mask], self.x[mask], self.area[mask], self.customer_category[mask],
                             self.channel[mask], self.month[mask])


def load_responses(qs: QuerySet[SurveyResponse], columns: list[str], *, chunk: int = READ_CHUNK) -> ResponseFrame:
    """Read ``qs`` (ordered by pk) into arrays, ``chunk`` rows at a time.

    One ``values_list`` query streamed with ``iterator``: the answers come as
    JSON text (no per-row JSONField converter) and each chunk is decoded with one
    ``json.loads`` of a JSON array; the date comes as text and only the month
    ("2026-10") is kept; each chunk's answers become one float array (a missing
    key or JSON null → NaN). Peak memory ≈ the result arrays plus one chunk."""
    rows = (
        qs.order_by("pk")
        .annotate(_month=Substr(Cast("answered_on", CharField()), 1, 7), _area=F("area__code"),
                  _answers=Cast("answers", TextField()))
        .values_list("pk", "_area", "customer_category", "channel", "_month", "_answers")
    )
    p = len(columns)
    pks: list[np.ndarray] = []
    xs: list[np.ndarray] = []
    meta: list[list[Any]] = [[], [], []]
    months: list[np.ndarray] = []
    buf: list[tuple[Any, ...]] = []

    def flush() -> None:
        pk, area, cat, ch, month, answers = zip(*buf)
        pks.append(np.fromiter(pk, dtype=np.int64, count=len(buf)))
        labels, inv = np.unique(np.array(month, dtype=object).astype(str), return_inverse=True)
        ordinals = np.array([int(m[:4]) * 12 + int(m[5:7]) - 1 for m in labels.tolist()], dtype=np.int64)
        months.append(ordinals[inv.ravel()])
        for store, values in zip(meta, (area, cat, ch)):
            store.extend(v or "" for v in values)
        decoded = json.loads("[" + ",".join(a if a else "{}" for a in answers) + "]")
        empty: dict[str, Any] = {}
        x = np.array([tuple(map((a if isinstance(a, dict) else empty).get, columns)) for a in decoded], dtype=np.float64)
        xs.append(x.reshape(len(buf), p))
        buf.clear()

    for row in rows.iterator(chunk_size=chunk):
        buf.append(row)
        if len(buf) >= chunk:
            flush()
    if buf:
        flush()
    if not pks:
        return ResponseFrame(np.zeros(0, np.int64), np.zeros((0, p)), *(np.array([], dtype=object) for _ in range(3)),
                             np.zeros(0, np.int64))
    return ResponseFrame(np.concatenate(pks), np.concatenate(xs), *(np.array(m, dtype=object) for m in meta),
                         np.concatenate(months))


def month_label(ordinal: int) -> str:
    return f"{ordinal // 12:04d}-{ordinal % 12 + 1:02d}"


# ------------------------------------------------------------------ IPA and segments


def ipa(res: pls.PlsResult, target: str, names: dict[str, str]) -> dict[str, Any]:
    """The engine's IPA in the snapshot's shape (drivers, cut-offs, priorities)."""
    try:
        r = ipa_engine.ipa_from_pls(res, target)
    except ipa_engine.IpaError:
        return {"drivers": [], "importance_mean": None, "performance_mean": None, "priorities": []}
    drivers = [{"construct": p.driver, "name": names.get(p.driver, p.driver), "importance": p.importance,
                "performance": p.performance, "quadrant": p.quadrant, "potential": p.potential,
                "priority_score": p.potential} for p in r.points]
    return {"drivers": drivers, "importance_mean": r.importance_cut, "performance_mean": r.performance_cut,
            "priorities": [p.driver for p in r.priorities]}


def _respondent_index(x: np.ndarray, columns: list[str], model: pls.PlsModel, weights: dict[str, float],
                      target: str, top: int) -> np.ndarray | None:
    inds = model.blocks.get(target)
    if not inds or len(x) == 0:
        return None
    idx = [columns.index(i) for i in inds]
    sd = x[:, idx].std(axis=0, ddof=1) if len(x) > 1 else np.ones(len(idx))
    w = np.array([weights[i] for i in inds]) / np.where(sd > 0, sd, 1)
    if not np.isfinite(w).all() or w.sum() == 0:
        return None
    w = w / w.sum()
    return ((x[:, idx] @ w) - 1.0) / (top - 1.0) * 100.0


def _r(v: float | None, digits: int = 2) -> float | None:
    return None if v is None or not math.isfinite(v) else round(float(v), digits)


def trend_of(scores: np.ndarray, months: np.ndarray) -> dict[str, Any] | None:
    """Linear trend of the monthly means (index points per month, 95 % CI)."""
    ms, inv = np.unique(months, return_inverse=True)
    if len(ms) < TREND_MIN_MONTHS:
        return None
    means = np.bincount(inv, weights=scores) / np.bincount(inv)
    try:
        t = ipa_engine.linear_trend(ms.astype(np.float64), means)
    except ipa_engine.IpaError:
        return None
    direction = "up" if t.ci_low > 0 else "down" if t.ci_high < 0 else "flat"
    return {"slope": _r(t.slope, 3), "ci_low": _r(t.ci_low, 3), "ci_high": _r(t.ci_high, 3), "months": t.n,
            "from": month_label(int(ms[0])), "to": month_label(int(ms[-1])), "direction": direction}


def segment_rows(scores: np.ndarray, keys: np.ndarray, months: np.ndarray, labels: dict[str, str], *,
                 with_trend: bool = True, seed: int = 0) -> list[dict[str, Any]]:
    """One row per key (sorted): n, index, sd, 95 % CI (engine), trend."""
    out: list[dict[str, Any]] = []
    if len(scores) == 0:
        return out
    uniq, inv = np.unique(keys.astype(str), return_inverse=True)
    for g, key in enumerate(uniq.tolist()):
        idx = np.flatnonzero(inv == g)
        v = scores[idx]
        n = len(v)
        method = "bootstrap" if n <= SEGMENT_BOOTSTRAP_MAX_N else "t"
        st = ipa_engine.segment_means(v, np.zeros(n, dtype=np.int64), method=method, resamples=SEGMENT_RESAMPLES,
                                      seed=seed)[0]
        ci = n >= MIN_SEGMENT_N
        out.append({
            "key": key, "label": labels.get(key, key or "—"), "n": n, "index": _r(st.mean), "sd": _r(st.sd),
            "ci_low": _r(st.ci_low) if ci else None, "ci_high": _r(st.ci_high) if ci else None,
            "ci_method": method if ci else None,
            "trend": trend_of(v, months[idx]) if with_trend else None,
        })
    return out


def segments(frame: ResponseFrame, scores: np.ndarray) -> dict[str, list[dict[str, Any]]]:
    from griddesk.customers.models import CustomerCategory
    from griddesk.organisation.models import Department
    from griddesk.workorders.models import Channel

    codes = {c for c in frame.area.tolist() if c}
    area_names = dict(Department.objects.filter(code__in=codes).values_list("code", "name"))
    period_keys = np.array([month_label(int(m)) for m in frame.month], dtype=object)
    return {
        "area": segment_rows(scores, frame.area, frame.month, area_names),
        "customer_category": segment_rows(scores, frame.customer_category, frame.month,
                                          {k: str(v) for k, v in CustomerCategory.choices}),
        "channel": segment_rows(scores, frame.channel, frame.month, {k: str(v) for k, v in Channel.choices}),
        "period": segment_rows(scores, period_keys, frame.month, {}, with_trend=False),
    }


# ------------------------------------------------------------------ snapshots


def _fill(snap: IndexSnapshot) -> IndexSnapshot:
    q = snap.questionnaire
    started = time.perf_counter()
    params: dict[str, Any] = {"scheme": "path", "scale": "standard", "bootstrap": q.bootstrap, "seed": 0,
                              "missing_policy": q.missing_policy, "scale_range": [1, q.scale_max],
                              "index_construct": q.index_construct}
    try:
        model = engine_model(q)
        columns = list(model.indicators)
        frame = load_responses(responses_for(q, period=snap.period or None, segment=snap.segment), columns)
        t_read = time.perf_counter()
        clean, report = pls.missing_policy(frame.x, q.missing_policy, columns)
        keep = np.ones(len(frame), dtype=bool)
        keep[list(report.dropped_rows)] = False
        kept = frame.take(keep)
        res = pls.pls_fit(clean, columns, model, scheme="path", scale="standard", bootstrap=q.bootstrap, seed=0,
                          scale_range={c: (1.0, float(q.scale_max)) for c in columns})
        t_fit = time.perf_counter()
        result = res.to_json()
        if len(columns) > 60:
            result.pop("cross_loadings", None)
        names = dict(q.constructs.values_list("code", "name"))
        result["names"] = names
        result["missing"] = report.to_json()
        result["missing"].pop("dropped_rows", None)  # row numbers of this read; the drill-down re-applies the policy
        result["ipa"] = ipa(res, q.index_construct, names)
        scores = _respondent_index(clean, columns, model, res.weights, q.index_construct, q.scale_max)
        result["segments"] = segments(kept, scores) if scores is not None else {}
        result["trend"] = trend_of(scores, kept.month) if scores is not None else None
        result["dataset"] = {"max_pk": int(frame.pk.max()), "rows_read": len(frame), "policy": q.missing_policy,
                             "columns": columns}
        params["timings"] = {"read": round(t_read - started, 3), "fit": round(t_fit - t_read, 3),
                             "segments": round(time.perf_counter() - t_fit, 3)}
        snap.n = res.n
        snap.result = result
        snap.state = IndexSnapshot.SnapState.DONE
        snap.message = ""
    except pls.PlsError as exc:
        snap.state = IndexSnapshot.SnapState.FAILED
        snap.message = str(exc)
        snap.result = {"error": {"code": exc.code, "field": getattr(exc, "field", None)}}
    params["seconds"] = round(time.perf_counter() - started, 3)
    snap.params = params
    snap.computed_at = timezone.now()
    snap.save()
    return snap


@transaction.atomic
def index_compute(*, questionnaire: Questionnaire, period: str = "", segment: str = "", actor: Actor | None = None) -> IndexSnapshot:
    """Compute now and store the snapshot (state done, or failed with the engine's message).
    The row is inserted once, finished: it never counts as a queued computation."""
    snap = IndexSnapshot(questionnaire=questionnaire, period=period, segment=segment)
    return _fill(snap)


#: A queued computation older than this is taken as lost (its task gave up or
#: the worker died): it is marked failed and a new one is queued. The task's
#: own limit is Q_CLUSTER timeout × max_attempts plus the retry waits.
PENDING_STALE_AFTER = timedelta(minutes=30)


def index_queue(*, questionnaire: Questionnaire, period: str = "", segment: str = "") -> tuple[IndexSnapshot, bool]:
    """Queue a background computation (django-q2, interactive queue) and return
    ``(snapshot, created)``. While one for the same questionnaire, period and
    segment is queued or running, that one is returned (``created`` False)
    instead of queuing another: the partial unique constraint
    ``snapshot_one_pending`` decides between concurrent requests."""
    for _attempt in range(3):
        existing = _pending(questionnaire, period, segment)
        if existing is not None:
            return existing, False
        try:
            with transaction.atomic():
                snap = IndexSnapshot.objects.create(questionnaire=questionnaire, period=period, segment=segment)
                pk = snap.pk
                transaction.on_commit(lambda: _enqueue(pk))
            return snap, True
        except IntegrityError:
            continue  # a concurrent request queued it first: return that one
    raise RuntimeError("index_queue: no pending snapshot after three attempts")  # pragma: no cover


def _pending(questionnaire: Questionnaire, period: str, segment: str) -> IndexSnapshot | None:
    """The queued or running computation, if any. No lock: the running task
    holds its row's lock for the whole computation (``snapshot_run``)."""
    snap = IndexSnapshot.objects.filter(
        questionnaire=questionnaire, period=period, segment=segment, state=IndexSnapshot.SnapState.PENDING
    ).first()
    if snap is None or snap.created_at >= timezone.now() - PENDING_STALE_AFTER:
        return snap
    with transaction.atomic():
        qs = IndexSnapshot.objects.filter(pk=snap.pk, state=IndexSnapshot.SnapState.PENDING)
        skip = connection.features.has_select_for_update_skip_locked
        stale = qs.select_for_update(skip_locked=skip).first()
        if stale is None:
            # Locked: a worker is computing it right now (or it just finished).
            return qs.first()
        stale.state = IndexSnapshot.SnapState.FAILED
        stale.message = "abandoned: the background computation did not finish"
        stale.save(update_fields=["state", "message"])
        log.warning("index snapshot %s was pending since %s: marked failed", stale.pk, stale.created_at)
    return None


def _enqueue(snapshot_id: int) -> None:
    from griddesk.common.queues import INTERACTIVE, enqueue

    enqueue("griddesk.satisfaction.tasks.compute_snapshot", snapshot_id, queue=INTERACTIVE,
            task_name=f"satisfaction-index-{snapshot_id}")


def snapshot_run(*, snapshot_id: int) -> IndexSnapshot | None:
    """The background task's body: fill a pending snapshot (idempotent)."""
    with transaction.atomic():
        snap = IndexSnapshot.objects.select_for_update().select_related("questionnaire").filter(pk=snapshot_id).first()
        if snap is None or snap.state != IndexSnapshot.SnapState.PENDING:
            return snap
        return _fill(snap)
