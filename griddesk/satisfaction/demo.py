"""Demo data for the satisfaction side, for ``griddesk demo``.

``demo_satisfaction(rng_seed=…)`` fills the default questionnaire with
synthetic responses generated *from the model itself*: standardised latent
scores follow the structural paths with noise, each indicator is its
construct's score times a loading plus noise, mapped onto the 1–10 scale.
Areas and months shift the level a little (so segments and the trend differ),
so a PLS fit on the data recovers sensible, positive paths. It also backfills
return-visit tasks for demo orders sitting in ``fed_back`` (the bulk demo
loader writes orders without going through the services).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import numpy as np
from django.db import transaction

from griddesk.organisation.models import COMPANY_TYPES, Department

from . import defaults
from .models import Questionnaire, SurveyResponse

#: Structural coefficients used to generate the data (roughly ECSI-like).
TRUE_PATHS: dict[tuple[str, str], float] = {
    ("IM", "CE"): 0.5, ("IM", "CS"): 0.25, ("IM", "CL"): 0.2,
    ("CE", "PSQ"): 0.45, ("CE", "SVQ"): 0.5, ("CE", "PV"): 0.1, ("CE", "CS"): 0.05,
    ("PSQ", "PV"): 0.3, ("SVQ", "PV"): 0.3, ("PSQ", "CS"): 0.3, ("SVQ", "CS"): 0.25,
    ("PV", "CS"): 0.2,
    ("CS", "CC"): 0.55, ("CS", "CL"): 0.45, ("CC", "CL"): 0.15,
}
#: Mean answer (1–10) per construct: service quality and value lag behind.
LEVEL = {"IM": 7.9, "CE": 8.1, "PSQ": 8.0, "SVQ": 7.0, "PV": 6.6, "CS": 7.5, "CC": 7.0, "CL": 7.8}
AREA_SHIFT = {"east": 0.25, "west": -0.35, "north": 0.0, "city": 0.1}
CATEGORIES = ["residential"] * 6 + ["commercial"] * 2 + ["large_industry", "agricultural"]
CHANNELS = ["95598"] * 4 + ["online"] * 3 + ["wechat"] * 2 + ["hall"]


def _order(paths: dict[tuple[str, str], float], lvs: list[str]) -> list[str]:
    done: list[str] = []
    while len(done) < len(lvs):
        for lv in lvs:
            if lv not in done and all(f in done for (f, t) in paths if t == lv):
                done.append(lv)
    return done


def synthetic_answers(rng: np.random.Generator, n: int, blocks: dict[str, list[str]], paths: dict[tuple[str, str], float],
                      shift: np.ndarray, top: int = 10) -> dict[str, np.ndarray]:
    """Answers per indicator (ints 1..top) for ``n`` respondents; ``shift`` (n,) moves every level."""
    lvs = list(blocks)
    score: dict[str, np.ndarray] = {}
    for lv in _order({k: v for k, v in paths.items() if k[0] in blocks and k[1] in blocks}, lvs):
        preds = [(f, b) for (f, t), b in paths.items() if t == lv and f in score]
        explained = sum((b * score[f] for f, b in preds), np.zeros(n))
        var = float(np.var(explained)) if preds else 0.0
        noise_sd = np.sqrt(max(1.0 - var, 0.2))
        z = explained + rng.normal(0.0, noise_sd, n)
        score[lv] = (z - z.mean()) / (z.std() or 1.0)
    out: dict[str, np.ndarray] = {}
    scale = (top - 1) / 9.0
    for lv, inds in blocks.items():
        base = LEVEL.get(lv, 7.5)
        for k, ind in enumerate(inds):
            loading = 0.85 - 0.05 * k
            raw = base + shift + 1.4 * (loading * score[lv] + rng.normal(0.0, np.sqrt(1 - loading**2), n))
            out[ind] = np.clip(np.rint(1 + (raw - 1) * scale), 1, top).astype(int)
    return out


@transaction.atomic
def demo_responses_create(*, n: int = 800, seed: int = 20261, months: int = 6, end: date | None = None,
                          questionnaire: Questionnaire | None = None, missing_rate: float = 0.01) -> int:
    """Create ``n`` synthetic responses (idempotent per respondent id). Returns how many were created."""
    from django.apps import apps

    defaults.seed(apps)
    q = questionnaire or Questionnaire.objects.get(code=defaults.DEFAULT_CODE)
    blocks: dict[str, list[str]] = {}
    for c in q.constructs.prefetch_related("indicators").order_by("sort"):
        blocks[c.code] = [i.code for i in c.indicators.all()]
    rng = np.random.default_rng(seed)
    areas = list(Department.objects.filter(type__in=COMPANY_TYPES).order_by("path"))
    area_pick = [areas[i] for i in rng.integers(0, len(areas), n)] if areas else [None] * n
    end = end or date.today()
    month_back = rng.integers(0, months, n)
    days = [end.replace(day=1) - timedelta(days=int(30 * m)) + timedelta(days=int(d)) for m, d in zip(month_back, rng.integers(0, 27, n))]
    shift = np.array([AREA_SHIFT.get(a.code if a else "", 0.0) for a in area_pick]) + 0.06 * (months - 1 - month_back)
    answers = synthetic_answers(rng, n, blocks, TRUE_PATHS, shift, q.scale_max)
    codes = [c for inds in blocks.values() for c in inds]
    holes = rng.random((n, len(codes))) < missing_rate
    existing = set(SurveyResponse.objects.filter(questionnaire=q, respondent__startswith=f"demo-{seed}-").values_list("respondent", flat=True))
    rows: list[SurveyResponse] = []
    for i in range(n):
        rid = f"demo-{seed}-{i:06d}"
        if rid in existing:
            continue
        a: dict[str, Any] = {c: (None if holes[i, j] else int(answers[c][i])) for j, c in enumerate(codes)}
        rows.append(SurveyResponse(
            questionnaire=q, respondent=rid, area=area_pick[i], answered_on=days[i], answers=a,
            customer_category=CATEGORIES[int(rng.integers(0, len(CATEGORIES)))],
            channel=CHANNELS[int(rng.integers(0, len(CHANNELS)))], source=SurveyResponse.Source.DEMO,
        ))
    SurveyResponse.objects.bulk_create(rows, batch_size=1000)
    return len(rows)


def visit_tasks_backfill() -> int:
    """Open return-visit tasks for fed-back orders that have none (bulk-loaded demo orders)."""
    from griddesk.workorders.models import WorkOrder

    from .services import visit_task_open

    created = 0
    for order in WorkOrder.objects.filter(state="fed_back").exclude(visit_tasks__state="open").select_related("company").iterator():
        with transaction.atomic():
            visit_task_open(order=order)
            created += 1
    return created


def demo_satisfaction(*, n: int = 800, seed: int = 20261, compute: bool = True) -> dict[str, Any]:
    """The one call for ``griddesk demo``: responses, visit tasks, and the index snapshot."""
    created = demo_responses_create(n=n, seed=seed)
    tasks = visit_tasks_backfill()
    out: dict[str, Any] = {"responses": created, "visit_tasks": tasks}
    if compute:
        from .index import index_compute

        q = Questionnaire.objects.get(code=defaults.DEFAULT_CODE)
        snap = index_compute(questionnaire=q)
        out["index"] = (snap.result.get("index") or {}).get(q.index_construct)
    return out
