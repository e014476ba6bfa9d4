"""Side-by-side evaluation of GridDesk's negativity classifier and SnowNLP's
sentiment on a labelled file (1 = positive, 0 = negative).  No Django: the
``griddesk opinion evaluate`` command and ``benchmarks/opinion.py`` share it."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from griddesk.engines.text import NegativityModel, default_model, normalise
from griddesk.engines.text.training import EvalFigures, figures, read_labelled

__all__ = ["Comparison", "compare", "snownlp_negative"]


@dataclass(frozen=True)
class Comparison:
    file: str
    rows: int  # labelled rows in the file
    sample: int | None  # rows evaluated when sampled (seeded), else None
    skipped: int
    griddesk: EvalFigures
    snownlp: EvalFigures | None

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "file": self.file,
            "rows": self.rows,
            "sample": self.sample,
            "skipped": self.skipped,
            "griddesk": self.griddesk.as_dict(),
        }
        if self.snownlp is not None:
            out["snownlp"] = self.snownlp.as_dict()
            out["f1_neg_gain_points"] = round(100 * (self.griddesk.f1_neg - self.snownlp.f1_neg), 2)
            out["speedup"] = round(self.griddesk.items_per_s / self.snownlp.items_per_s, 1)
        return out


def snownlp_negative(texts: list[str]) -> list[bool]:
    from snownlp import SnowNLP

    return [float(SnowNLP(t).sentiments) < 0.5 for t in texts]


def compare(
    path: str | Path,
    *,
    text_column: str | None = None,
    label_column: str | None = None,
    model: NegativityModel | None = None,
    sample: int | None = None,
    seed: int = 4,
    with_snownlp: bool = True,
    snownlp: Callable[[list[str]], list[bool]] = snownlp_negative,
) -> Comparison:
    data = read_labelled(path, text_column=text_column, label_column=label_column)
    texts, labels = data.texts, data.labels
    used: int | None = None
    if sample is not None and sample < len(texts):
        idx = sorted(random.Random(seed).sample(range(len(texts)), sample))
        texts, labels, used = [texts[i] for i in idx], [labels[i] for i in idx], sample
    m = model or default_model()
    m.predict_proba(["预热:加载分词词典"])  # warm-up: lazy segmenter/dictionary initialisation is not timed
    t0 = time.perf_counter()
    probs = m.predict_proba([normalise(t) for t in texts])
    ours = figures(labels, [bool(p >= 0.5) for p in probs], time.perf_counter() - t0)
    theirs = None
    if with_snownlp:
        snownlp(["预热"])  # warm-up: SnowNLP loads its model on first use
        t0 = time.perf_counter()
        neg = snownlp(texts)
        theirs = figures(labels, neg, time.perf_counter() - t0)
    return Comparison(str(path), len(data.texts), used, data.skipped, ours, theirs)
