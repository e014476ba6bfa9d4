"""The negativity classifier: features and numpy inference.

Features of one text (normalised, lower-cased, spaces removed) — see :mod:`.features`; no word
segmentation, so the whole batch is featurised with a handful of numpy operations:

* sparse, binary, L2-normalised per text: character 1–3-grams (exact codes) and 4-grams (64-bit
  hashed codes); unigrams and bigrams inside a negation scope (the few characters after 不/没有/未…
  within a clause) once more as "negated" features;
* dense, from the hand-written sentiment lexicon (:mod:`.lexicon`), so that texts from other domains
  (food delivery, shopping, power service) still get a signal when their n-grams were never seen in
  training: log-counts of positive, negative, negated-positive, negated-negative and complaint words,
  a polarity ratio, and "!"/"?" counts.

Score = w·x_sparse + v·x_dense + b; probability of *negative* = sigmoid(A·score + B) with Platt's A, B
fitted on out-of-fold scores of the training data (so the output is a calibrated probability).

The model is an ``.npz`` of plain arrays (sorted ``int64`` feature codes, weights, dense weights, bias,
Platt's A and B, and a JSON ``meta`` string) loaded without pickle; lookup is ``np.searchsorted``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from . import lexicon
from .features import DENSE_NAMES, lexicon_features, ngram_codes, token_lexicon_features, word_codes
from .segment import PUNCT, cut_many

__all__ = [
    "DEFAULT_MODEL",
    "DENSE_NAMES",
    "FEATURE_VERSION",
    "FeatureOptions",
    "NegativityModel",
    "featurise_batch",
    "lexicon_only_model",
]

FEATURE_VERSION: Final[int] = 2
DEFAULT_MODEL: Final[str] = "negativity.npz"


@dataclass(frozen=True)
class FeatureOptions:
    """Which sparse feature families a model uses (saved in its ``meta["features"]``)."""

    fourgrams: bool = False  # character 4-grams (hashed) besides the exact 1–3-grams
    char_negation: bool = False  # character 1–2-grams inside a negation scope, marked
    words: bool = True  # word unigrams (negation-marked) and in-clause bigrams (rjieba + user dictionary)
    token_lexicon: bool = False  # dense lexicon block from whole words (else from the trie regex, no segmenter)

    def as_dict(self) -> dict[str, bool]:
        return {"fourgrams": self.fourgrams, "char_negation": self.char_negation, "words": self.words,
                "token_lexicon": self.token_lexicon}


def featurise_batch(
    lows: Sequence[str], options: FeatureOptions = FeatureOptions(), tokens: Sequence[Sequence[str]] | None = None
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.float64]]:
    """(document index, feature code) pairs and the dense lexicon block of lower-cased normalised texts;
    ``tokens``: their :func:`.segment.cut_raw` words when already computed.  Codes are returned as the
    ``int64`` view of the ``uint64`` codes of :mod:`.features` (numpy sorts int64 several times faster)."""
    doc, codes = ngram_codes([t.replace(" ", "") for t in lows], negation=options.char_negation,
                             four=options.fourgrams)
    toks = tokens
    if (options.words or options.token_lexicon) and toks is None:
        toks = cut_many(list(lows))
    if options.words and toks is not None:
        wd, wc = word_codes(toks, punct=PUNCT, negators=lexicon.NEGATORS)
        doc, codes = np.concatenate([doc, wd]), np.concatenate([codes, wc])
    if options.token_lexicon and toks is not None:
        rows = [token_lexicon_features(t, tk, PUNCT) for t, tk in zip(lows, toks)]
    else:
        rows = [lexicon_features(t) for t in lows]
    dense = np.asarray(rows, dtype=np.float64).reshape(len(lows), len(DENSE_NAMES))
    return doc, codes.view(np.int64), dense


def lookup(
    vocab: npt.NDArray[np.int64], doc: npt.NDArray[np.int64], codes: npt.NDArray[np.int64]
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Distinct (document, vocabulary column) pairs of the codes present in ``vocab`` (sorted int64)."""
    nv = len(vocab)
    if nv == 0 or len(codes) == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty
    # queries sorted first: searchsorted on sorted keys walks the vocabulary in order (cache-friendly);
    # sort-based de-duplication (np.unique's hash path is much slower on these arrays)
    order = np.argsort(codes)
    sc = codes[order]
    idx = np.searchsorted(vocab, sc)
    idx[idx >= nv] = 0
    hit = vocab[idx] == sc
    key = np.sort(doc[order][hit] * nv + idx[hit].astype(np.int64))
    if len(key):
        key = key[np.concatenate(([True], key[1:] != key[:-1]))]
    return key // nv, key % nv


@dataclass
class NegativityModel:
    vocab: npt.NDArray[np.int64]  # sorted int64 view of the feature codes (see .features); column j has weights[j]
    weights: npt.NDArray[np.float32]
    dense_weights: npt.NDArray[np.float64]
    bias: float
    platt_a: float
    platt_b: float
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def options(self) -> FeatureOptions:
        f = self.meta.get("features") or {}
        return FeatureOptions(**{k: bool(v) for k, v in f.items() if k in FeatureOptions.__dataclass_fields__})

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
        vocab = np.asarray(z["vocab"]).view(np.int64)
        weights = np.asarray(z["weights"], dtype=np.float32)
        if len(vocab) > 1 and bool(np.any(vocab[1:] < vocab[:-1])):
            order = np.argsort(vocab, kind="stable")
            vocab, weights = vocab[order], weights[order]
        return cls(
            vocab=vocab,
            weights=weights,
            dense_weights=np.asarray(z["dense_weights"], dtype=np.float64),
            bias=float(z["bias"]),
            platt_a=float(z["platt"][0]),
            platt_b=float(z["platt"][1]),
            meta=meta,
        )

    def save(self, path: str | Path) -> None:
        meta = {**self.meta, "feature_version": FEATURE_VERSION, "dense_names": list(DENSE_NAMES)}
        with open(path, "wb") as fh:
            np.savez_compressed(
                fh,
                vocab=np.asarray(self.vocab, dtype=np.int64),
                weights=self.weights.astype(np.float32),
                dense_weights=self.dense_weights,
                bias=np.float64(self.bias),
                platt=np.array([self.platt_a, self.platt_b], dtype=np.float64),
                meta=np.array(json.dumps(meta, ensure_ascii=False, sort_keys=True)),
            )

    # ---- inference ---------------------------------------------------------------------------------------------
    def scores(self, lows: Sequence[str], tokens: Sequence[Sequence[str]] | None = None) -> npt.NDArray[np.float64]:
        """Raw decision scores (positive = negative sentiment) of lower-cased normalised texts
        (``tokens``: their :func:`.segment.cut_raw` words, when already computed)."""
        n = len(lows)
        doc, codes, dense = featurise_batch(lows, self.options, tokens)
        d, f = lookup(self.vocab, doc, codes)
        cnt = np.bincount(d, minlength=n).astype(np.float64)
        sums = np.bincount(d, weights=self.weights[f].astype(np.float64), minlength=n)
        scale = np.divide(1.0, np.sqrt(cnt), out=np.zeros(n, dtype=np.float64), where=cnt > 0)
        out: npt.NDArray[np.float64] = sums * scale + dense @ self.dense_weights + self.bias
        return out

    def calibrate(self, scores: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        z = np.clip(self.platt_a * scores + self.platt_b, -40.0, 40.0)
        out: npt.NDArray[np.float64] = 1.0 / (1.0 + np.exp(-z))
        return out

    def predict_proba(self, texts: Sequence[str]) -> npt.NDArray[np.float64]:
        """Probability that each (already normalised) text is negative."""
        return self.calibrate(self.scores([t.lower() for t in texts]))


def lexicon_only_model() -> NegativityModel:
    """A hand-set fallback used when no trained model file is available."""
    return NegativityModel(
        vocab=np.zeros(0, dtype=np.int64), weights=np.zeros(0, dtype=np.float32),
        dense_weights=np.array([-1.5, 1.5, 1.2, -0.8, 1.5, 1.0, 0.3, 0.3]), bias=-0.1, platt_a=1.5, platt_b=0.0,
        meta={"name": "lexicon-only fallback",
              "features": FeatureOptions(fourgrams=False, char_negation=False, words=False,
                                          token_lexicon=False).as_dict()},
    )
