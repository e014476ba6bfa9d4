"""The satisfaction index: PLS path model on a questionnaire's responses, stored.

``index_compute`` builds the engine model from the questionnaire (constructs →
blocks, paths, modes), turns the responses into a matrix (missing answers NaN),
applies the questionnaire's missing-data policy, calls ``pls_fit`` with the
Likert range as ``scale_range`` and a seeded bootstrap, and stores everything
in an ``IndexSnapshot`` so pages read a row instead of recomputing.

Besides the engine's output the snapshot holds:

* ``ipa`` — importance–performance analysis of the drivers of the index
  construct: importance = total effect on it, performance = the driver's 0–100
  index; quadrants split at the drivers' means; "improve first" = high
  importance, low performance, ordered by importance × (100 − performance);
* ``segments`` — index of the target construct per area, customer category,
  channel and month, with a 95 % confidence interval. Each respondent's score
  uses the model's rescaled unstandardised weights (so segment means average to
  the overall index), CI = mean ± 1.96·sd/√n.

Snapshots cover all responses of the questionnaire (an aggregate without
personal data); drill-down lists are filtered by the viewer's company.
"""

from __future__ import annotations

import logging
import math
import time
from typing import Any

import numpy as np
from django.db import transaction
from django.utils import timezone

from griddesk.engines import pls
from griddesk.organisation.access import Actor

from .models import IndexSnapshot, Questionnaire, SurveyResponse
from .selectors import responses_for

log = logging.getLogger(__name__)

MIN_SEGMENT_N = 5


def engine_model(q: Questionnaire) -> pls.PlsModel:
    blocks: dict[str, list[str]] = {}
    modes: dict[str, str] = {}
    for c in q.constructs.prefetch_related("indicators").order_by("sort", "code"):
        blocks[c.code] = [i.code for i in c.indicators.all()]
        modes[c.code] = c.mode
    paths = [(p.source.code, p.target.code) for p in q.paths.select_related("source", "target").order_by("pk")]
    return pls.PlsModel(blocks=blocks, paths=paths, modes=modes)


def _matrix(rows: list[dict[str, Any]], columns: list[str]) -> np.ndarray:
    x = np.full((len(rows), len(columns)), np.nan)
    for i, answers in enumerate(rows):
        for j, c in enumerate(columns):
            v = answers.get(c)
            if v is not None:
                x[i, j] = v
    return x


def ipa(result: dict[str, Any], target: str, names: dict[str, str]) -> dict[str, Any]:
    index = result.get("index") or {}
    drivers = []
    for key, effect in (result.get("total_effects") or {}).items():
        src, _, dst = key.partition("->")
        if dst != target or src not in index:
            continue
        drivers.append({"construct": src, "name": names.get(src, src), "importance": effect, "performance": index[src]})
    if not drivers:
        return {"drivers": [], "importance_mean": None, "performance_mean": None, "priorities": []}
    imp_mean = sum(d["importance"] for d in drivers) / len(drivers)
    perf_mean = sum(d["performance"] for d in drivers) / len(drivers)
    for d in drivers:
        hi = d["importance"] >= imp_mean
        good = d["performance"] >= perf_mean
        d["quadrant"] = ("keep_up" if good else "improve_first") if hi else ("possible_overkill" if good else "low_priority")
        d["priority_score"] = d["importance"] * (100 - d["performance"])
    priorities = sorted(drivers, key=lambda d: (d["quadrant"] != "improve_first", -d["priority_score"]))
    return {"drivers": drivers, "importance_mean": imp_mean, "performance_mean": perf_mean,
            "priorities": [d["construct"] for d in priorities]}


def _respondent_index(x: np.ndarray, columns: list[str], model: pls.PlsModel, weights: dict[str, float],
                      target: str, top: int) -> np.ndarray | None:
    inds = model.blocks.get(target)
    if not inds:
        return None
    idx = [columns.index(i) for i in inds]
    sd = x[:, idx].std(axis=0, ddof=1)
    w = np.array([weights[i] for i in inds]) / np.where(sd > 0, sd, 1)
    if not np.isfinite(w).all() or w.sum() == 0:
        return None
    w = w / w.sum()
    return ((x[:, idx] @ w) - 1.0) / (top - 1.0) * 100.0


def _ci_rows(values: np.ndarray, keys: list[Any], labels: dict[Any, str]) -> list[dict[str, Any]]:
    out = []
    arr = np.asarray(keys, dtype=object)
    for key in sorted({k for k in keys}, key=lambda k: str(k)):
        v = values[arr == key]
        n = int(v.size)
        if n == 0:
            continue
        mean = float(v.mean())
        half = 1.96 * float(v.std(ddof=1)) / math.sqrt(n) if n > 1 else None
        out.append({
            "key": key, "label": labels.get(key, str(key) if key else "—"), "n": n, "index": round(mean, 2),
            "ci_low": round(mean - half, 2) if half is not None and n >= MIN_SEGMENT_N else None,
            "ci_high": round(mean + half, 2) if half is not None and n >= MIN_SEGMENT_N else None,
        })
    return out


def _segments(rows: list[SurveyResponse], scores: np.ndarray) -> dict[str, list[dict[str, Any]]]:
    from griddesk.customers.models import CustomerCategory
    from griddesk.workorders.models import Channel

    area_names = {r.area.code: r.area.name for r in rows if r.area_id and r.area}
    return {
        "area": _ci_rows(scores, [r.area.code if r.area_id and r.area else "" for r in rows], area_names),
        "customer_category": _ci_rows(scores, [r.customer_category for r in rows], {k: str(v) for k, v in CustomerCategory.choices}),
        "channel": _ci_rows(scores, [r.channel for r in rows], {k: str(v) for k, v in Channel.choices}),
        "period": _ci_rows(scores, [r.answered_on.strftime("%Y-%m") for r in rows], {}),
    }


def _fill(snap: IndexSnapshot) -> IndexSnapshot:
    q = snap.questionnaire
    started = time.perf_counter()
    params = {"scheme": "path", "scale": "standard", "bootstrap": q.bootstrap, "seed": 0,
              "missing_policy": q.missing_policy, "scale_range": [1, q.scale_max], "index_construct": q.index_construct}
    try:
        model = engine_model(q)
        columns = list(model.indicators)
        rows = list(responses_for(q, period=snap.period or None, segment=snap.segment).select_related("area").order_by("pk"))
        x = _matrix([r.answers for r in rows], columns)
        clean, report = pls.missing_policy(x, q.missing_policy, columns)
        kept = [r for i, r in enumerate(rows) if i not in set(report.dropped_rows)]
        res = pls.pls_fit(clean, columns, model, scheme="path", scale="standard", bootstrap=q.bootstrap, seed=0,
                          scale_range={c: (1.0, float(q.scale_max)) for c in columns})
        result = res.to_json()
        result.pop("cross_loadings", None) if len(columns) > 60 else None
        names = dict(q.constructs.values_list("code", "name"))
        result["names"] = names
        result["missing"] = report.to_json()
        result["ipa"] = ipa(result, q.index_construct, names)
        scores = _respondent_index(clean, columns, model, res.weights, q.index_construct, q.scale_max)
        result["segments"] = _segments(kept, scores) if scores is not None else {}
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
    """Compute now and store the snapshot (state done, or failed with the engine's message)."""
    snap = IndexSnapshot.objects.create(questionnaire=questionnaire, period=period, segment=segment)
    return _fill(snap)


def index_queue(*, questionnaire: Questionnaire, period: str = "", segment: str = "") -> IndexSnapshot:
    """Create a pending snapshot and compute it in the background (django-q2)."""
    snap = IndexSnapshot.objects.create(questionnaire=questionnaire, period=period, segment=segment)

    def enqueue() -> None:
        from django_q.tasks import async_task

        async_task("griddesk.satisfaction.tasks.compute_snapshot", snap.pk, task_name=f"satisfaction-index-{snap.pk}")

    transaction.on_commit(enqueue)
    return snap


def snapshot_run(*, snapshot_id: int) -> IndexSnapshot | None:
    """The background task's body: fill a pending snapshot (idempotent)."""
    with transaction.atomic():
        snap = IndexSnapshot.objects.select_for_update().select_related("questionnaire").filter(pk=snapshot_id).first()
        if snap is None or snap.state != IndexSnapshot.SnapState.PENDING:
            return snap
        return _fill(snap)
