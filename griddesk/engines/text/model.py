"""The negativity classifier: features and numpy inference.

Features of one text (normalised, lower-cased):

* sparse, binary, L2-normalised per text: character 1–3-grams; jieba word
  unigrams (``w:``) and in-clause bigrams (``b:``); words inside a negation
  scope (up to two words after 不/没/没有/别/未… within a clause) are marked
  ``n:`` instead of ``w:``;
* dense, from the hand-written sentiment lexicon (:mod:`.lexicon`), so that
  texts from other domains (food delivery, shopping, power service) still get
  a signal when their n-grams were never seen in training: log-counts of
  positive, negative, negated-positive, negated-negative and complaint words,
  a polarity ratio, and "!"/"?" counts.

Score = w·x_sparse + v·x_dense + b; probability of *negative* =
sigmoid(A·score + B) with Platt's A, B fitted on out-of-fold scores of the
training data (so the output is a calibrated probability).

The model is an ``.npz`` of plain arrays (vocabulary, weights, dense weights,
bias, Platt's A and B, and a JSON ``meta`` string) loaded without pickle.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from . import lexicon
from .segment import PUNCT, cut_raw

__all__ = [
    "DEFAULT_MODEL",
    "DENSE_NAMES",
    "FEATURE_VERSION",
    "NegativityModel",
    "dense_features",
    "sparse_features",
    "text_features",
]

FEATURE_VERSION: Final[int] = 1
DEFAULT_MODEL: Final[str] = "negativity.npz"
DENSE_NAMES: Final[tuple[str, ...]] = (
    "lex_pos", "lex_neg", "lex_pos_negated", "lex_neg_negated", "lex_complaint", "lex_polarity", "exclaim", "question",
)
_NEG_SCOPE: Final[int] = 2
_COMPLAINT_BY_FIRST: Final[dict[str, tuple[str, ...]]] = {}
for _w in sorted(lexicon.COMPLAINT_WORDS):
    _COMPLAINT_BY_FIRST[_w[0]] = (*_COMPLAINT_BY_FIRST.get(_w[0], ()), _w)


def sparse_features(text: str, raw_tokens: Sequence[str]) -> list[str]:
    """Sparse feature names of one lower-cased normalised text and its raw tokens."""
    t = text.replace(" ", "")
    n = len(t)
    feats = list(t)
    feats += [t[i : i + 2] for i in range(n - 1)]
    feats += [t[i : i + 3] for i in range(n - 2)]
    prev = ""
    scope = 0
    negators = lexicon.NEGATORS
    for tok in raw_tokens:
        if tok in PUNCT:
            prev = ""
            scope = 0
            continue
        if scope:
            feats.append("n:" + tok)
            scope -= 1
        else:
            feats.append("w:" + tok)
        if prev:
            feats.append("b:" + prev + "_" + tok)
        if tok in negators:
            scope = _NEG_SCOPE
        prev = tok
    return feats


def dense_features(text: str, raw_tokens: Sequence[str]) -> list[float]:
    """Lexicon features (see DENSE_NAMES) of one lower-cased normalised text."""
    pos = neg = pos_n = neg_n = 0
    scope = 0
    positive, negative, negators = lexicon.POSITIVE_WORDS, lexicon.NEGATIVE_WORDS, lexicon.NEGATORS
    for tok in raw_tokens:
        if tok in PUNCT:
            scope = 0
            continue
        if tok in positive:
            if scope:
                pos_n += 1
            else:
                pos += 1
        elif tok in negative:
            if scope:
                neg_n += 1
            else:
                neg += 1
        if tok in negators:
            scope = _NEG_SCOPE
        elif scope:
            scope -= 1
    complaint = 0
    for ch in set(text).intersection(_COMPLAINT_BY_FIRST):
        for w in _COMPLAINT_BY_FIRST[ch]:
            complaint += text.count(w)
    good = pos + neg_n
    bad = neg + pos_n + complaint
    return [
        math.log1p(pos), math.log1p(neg), math.log1p(pos_n), math.log1p(neg_n), math.log1p(complaint),
        (bad - good) / (good + bad + 1.0), math.log1p(text.count("!")), math.log1p(text.count("?")),
    ]


def text_features(text: str) -> tuple[list[str], list[float]]:
    """Both feature sets of one normalised text (lower-casing and segmenting it)."""
    low = text.lower()
    raw = cut_raw(low)
    return sparse_features(low, raw), dense_features(low, raw)


@dataclass
class NegativityModel:
    vocab: dict[str, int]
    weights: npt.NDArray[np.float32]
    dense_weights: npt.NDArray[np.float64]
    bias: float
    platt_a: float
    platt_b: float
    meta: dict[str, Any] = field(default_factory=dict)

    # ---- persistence -------------------------------------------------------------------------------------------
    @classmethod
    def load(cls, path: str | Path | None = None) -> NegativityModel:
        """Load an ``.npz`` model (default: the one shipped in the package)."""
        if path is None:
            with resources.files(__package__).joinpath("data", DEFAULT_MODEL).open("rb") as fh:
                return cls._from_npz(np.load(fh, allow_pickle=False))
        with open(path, "rb") as fh:
            return cls._from_npz(np.load(fh, allow_pickle=False))

    @classmethod
    def _from_npz(cls, z: Any) -> NegativityModel:
        meta = json.loads(str(z["meta"]))
        if meta.get("feature_version") != FEATURE_VERSION:
            raise ValueError(f"model feature_version {meta.get('feature_version')} != {FEATURE_VERSION}")
        vocab_list = bytes(z["vocab"]).decode("utf-8").split("\n") if len(z["vocab"]) else []
        return cls(
            vocab={v: i for i, v in enumerate(vocab_list)},
            weights=np.asarray(z["weights"], dtype=np.float32),
            dense_weights=np.asarray(z["dense_weights"], dtype=np.float64),
            bias=float(z["bias"]),
            platt_a=float(z["platt"][0]),
            platt_b=float(z["platt"][1]),
            meta=meta,
        )

    def save(self, path: str | Path) -> None:
        inv = [""] * len(self.vocab)
        for k, i in self.vocab.items():
            inv[i] = k
        meta = {**self.meta, "feature_version": FEATURE_VERSION, "dense_names": list(DENSE_NAMES)}
        with open(path, "wb") as fh:
            np.savez_compressed(
                fh,
                vocab=np.frombuffer("\n".join(inv).encode("utf-8"), dtype=np.uint8),
                weights=self.weights.astype(np.float32),
                dense_weights=self.dense_weights,
                bias=np.float64(self.bias),
                platt=np.array([self.platt_a, self.platt_b], dtype=np.float64),
                meta=np.array(json.dumps(meta, ensure_ascii=False, sort_keys=True)),
            )

    # ---- inference ---------------------------------------------------------------------------------------------
    def scores(self, sparse: Sequence[Sequence[str]], dense: Sequence[Sequence[float]]) -> npt.NDArray[np.float64]:
        """Raw decision scores (positive = negative sentiment) of a batch."""
        n = len(sparse)
        get = self.vocab.get
        flat: list[int] = []
        doc: list[int] = []
        scale = np.zeros(n, dtype=np.float64)
        for d, feats in enumerate(sparse):
            idx: set[int | None] = set(map(get, feats))
            idx.discard(None)
            if idx:
                flat.extend(idx)  # type: ignore[arg-type]
                doc.extend([d] * len(idx))
                scale[d] = 1.0 / math.sqrt(len(idx))
        sums = np.bincount(np.asarray(doc, dtype=np.intp), weights=self.weights[np.asarray(flat, dtype=np.intp)], minlength=n)
        out: npt.NDArray[np.float64] = sums * scale + np.asarray(dense, dtype=np.float64).reshape(n, -1) @ self.dense_weights + self.bias
        return out

    def calibrate(self, scores: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        z = np.clip(self.platt_a * scores + self.platt_b, -40.0, 40.0)
        out: npt.NDArray[np.float64] = 1.0 / (1.0 + np.exp(-z))
        return out

    def predict_proba(self, texts: Sequence[str]) -> npt.NDArray[np.float64]:
        """Probability that each (already normalised) text is negative."""
        sparse: list[list[str]] = []
        dense: list[list[float]] = []
        for t in texts:
            s, d = text_features(t)
            sparse.append(s)
            dense.append(d)
        return self.calibrate(self.scores(sparse, dense))


def lexicon_only_model() -> NegativityModel:
    """A hand-set fallback used when no trained model file is available."""
    return NegativityModel(
        vocab={}, weights=np.zeros(0, dtype=np.float32),
        dense_weights=np.array([-1.5, 1.5, 1.2, -0.8, 1.5, 1.0, 0.3, 0.3]), bias=-0.1, platt_a=1.5, platt_b=0.0,
        meta={"name": "lexicon-only fallback"},
    )
