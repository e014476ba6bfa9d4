"""Training and evaluation helpers for the negativity classifier.

Training uses scikit-learn (imported lazily: inference needs only numpy) and
is deterministic: fixed fold assignment, liblinear with a fixed seed, no
threads.  Labels follow the datasets' convention — 1 = positive, 0 = negative
— and the model predicts the *negative* class.

Recipe (``train``):

1. normalise and lower-case every text, compute features for the whole set at once
   (:func:`.model.featurise_batch`: numpy over code points, no segmenter);
2. vocabulary = sparse feature codes present in at least ``min_df`` training texts (sorted ``int64``);
3. rows: binary sparse features scaled to unit L2 norm, then the dense
   lexicon features;
4. NB-LR (Wang & Manning's NB-SVM with a logistic loss): sparse columns scaled
   by their naive-Bayes log-count ratio, then L2-regularised logistic
   regression (liblinear, ``C`` = 16, chosen on the ChnSentiCorp dev split);
   the ratios are folded back into the saved weights;
5. Platt calibration: a 1-D logistic fit of out-of-fold decision scores
   (``folds``-fold) against the labels, so probabilities are honest for texts
   the model has not seen; the final weights are fitted on all the data.
"""

from __future__ import annotations

import csv
import hashlib
import io
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from .model import FeatureOptions, NegativityModel, featurise_batch, lookup
from .normalise import normalise

__all__ = [
    "DEFAULT_TRAIN_DATA",
    "TEXT_COLUMNS",
    "EvalFigures",
    "LabelledData",
    "build_matrix",
    "figures",
    "read_labelled",
    "train",
]

DEFAULT_TRAIN_DATA: Final[str] = "/work/shared/data/text/chnsenticorp/train.tsv"
TEXT_COLUMNS: Final[tuple[str, ...]] = ("text_a", "text", "review", "content", "sentence", "comment")
LABEL_COLUMNS: Final[tuple[str, ...]] = ("label", "labels", "sentiment", "y")


@dataclass(frozen=True)
class LabelledData:
    texts: list[str]
    labels: list[int]  # 1 = positive, 0 = negative
    skipped: int  # empty rows / empty text / bad label
    text_column: str
    label_column: str


def read_labelled(path: str | Path, *, text_column: str | None = None, label_column: str | None = None) -> LabelledData:
    """Read a CSV or TSV of labelled texts (delimiter auto-detected from the
    header line; TSV read with ``csv.QUOTE_NONE``; a UTF-8 BOM is ignored).
    Rows with an empty text or a label other than 0/1 are skipped and counted."""
    raw = Path(path).read_bytes().decode("utf-8-sig", errors="replace")
    first = raw.split("\n", 1)[0]
    tsv = first.count("\t") > 0 and first.count("\t") >= first.count(",")
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))
    if tsv:
        reader = csv.reader(io.StringIO(raw, newline=""), delimiter="\t", quoting=csv.QUOTE_NONE)
    else:
        reader = csv.reader(io.StringIO(raw, newline=""))
    header = [h.strip().lstrip("\ufeff") for h in next(reader, [])]
    lower = [h.lower() for h in header]

    def pick(given: str | None, choices: Sequence[str], what: str) -> int:
        if given is not None:
            if given in header:
                return header.index(given)
            if given.lower() in lower:
                return lower.index(given.lower())
            raise ValueError(f"no {what} column {given!r} in {header}")
        for c in choices:
            if c in lower:
                return lower.index(c)
        raise ValueError(f"cannot find a {what} column in {header}; pass --{what}-column")

    ti = pick(text_column, TEXT_COLUMNS, "text")
    li = pick(label_column, LABEL_COLUMNS, "label")
    texts: list[str] = []
    labels: list[int] = []
    skipped = 0
    for row in reader:
        if len(row) <= max(ti, li):
            skipped += 1
            continue
        text, label = row[ti].strip(), row[li].strip()
        if not text or label not in ("0", "1"):
            skipped += 1
            continue
        texts.append(text)
        labels.append(int(label))
    return LabelledData(texts, labels, skipped, header[ti], header[li])


Features = tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.float64]]


def featurise(texts: Sequence[str], options: FeatureOptions = FeatureOptions()) -> Features:
    """(document, code) pairs and the dense block of raw texts (normalised and lower-cased here)."""
    return featurise_batch([normalise(t).lower() for t in texts], options)


def subset(f: Features, rows: npt.NDArray[np.intp]) -> Features:
    """The features of ``rows`` (in that order), renumbered 0..len(rows)-1."""
    doc, codes, dense = f
    new = np.full(len(dense), -1, dtype=np.int64)
    new[rows] = np.arange(len(rows), dtype=np.int64)
    keep = new[doc] >= 0
    return new[doc[keep]], codes[keep], dense[rows]


def build_vocab(f: Features, min_df: int) -> npt.NDArray[np.int64]:
    """Sorted codes present in at least ``min_df`` documents."""
    doc, codes, _ = f
    if len(codes) == 0:
        return np.zeros(0, dtype=np.int64)
    order = np.lexsort((codes, doc))
    d, c = doc[order], codes[order]
    first = np.ones(len(c), dtype=bool)
    first[1:] = (d[1:] != d[:-1]) | (c[1:] != c[:-1])
    uniq, df = np.unique(c[first], return_counts=True)
    out: npt.NDArray[np.int64] = uniq[df >= min_df]
    return out


def build_matrix(f: Features, vocab: npt.NDArray[np.int64]) -> Any:
    """scipy CSR matrix: unit-L2 binary sparse block, then the dense block."""
    from scipy import sparse as sp

    doc, codes, dense = f
    n, nv = len(dense), len(vocab)
    d, col = lookup(vocab, doc, codes)
    cnt = np.bincount(d, minlength=n)
    vals = 1.0 / np.sqrt(np.maximum(cnt[d], 1))
    x = sp.csr_matrix((vals, (d, col)), shape=(n, nv), dtype=np.float64)
    return sp.hstack([x, sp.csr_matrix(dense)], format="csr", dtype=np.float64)


def _nb_ratio(x: Any, y: npt.NDArray[np.int64], nv: int, alpha: float = 1.0) -> npt.NDArray[np.float64]:
    """NB log-count ratio r_j = log((p_j/|p|) / (q_j/|q|)) of the binary sparse
    block (p: negative texts, q: positive texts); 1 for the dense block."""
    b = (x[:, :nv] > 0).astype(np.float64)
    p = np.asarray(b[y == 1].sum(axis=0)).ravel() + alpha
    q = np.asarray(b[y == 0].sum(axis=0)).ravel() + alpha
    r = np.log((p / p.sum()) / (q / q.sum()))
    return np.concatenate([r, np.ones(x.shape[1] - nv)])


def _fit(x: Any, y: npt.NDArray[np.int64], c: float, seed: int, nv: int) -> tuple[npt.NDArray[np.float64], float]:
    """NB-LR: logistic regression on NB-scaled features; returns the weights
    folded back onto the unscaled features (w_j · r_j) and the intercept."""
    from scipy import sparse as sp
    from sklearn.linear_model import LogisticRegression

    r = _nb_ratio(x, y, nv)
    clf = LogisticRegression(C=c, solver="liblinear", random_state=seed, max_iter=1000)
    clf.fit(x @ sp.diags(r), y)
    return clf.coef_.ravel() * r, float(clf.intercept_[0])


def _platt(scores: npt.NDArray[np.float64], y: npt.NDArray[np.int64]) -> tuple[float, float]:
    """Platt scaling with the usual target smoothing, by Newton's method on (A, B)."""
    n_pos = float(y.sum())
    n_neg = float(len(y) - n_pos)
    t = np.where(y == 1, (n_pos + 1.0) / (n_pos + 2.0), 1.0 / (n_neg + 2.0))
    a, b = 1.0, 0.0
    for _ in range(100):
        p = 1.0 / (1.0 + np.exp(-np.clip(a * scores + b, -40, 40)))
        g = np.array([np.sum((p - t) * scores), np.sum(p - t)])
        w = p * (1.0 - p) + 1e-12
        h = np.array([[np.sum(w * scores * scores), np.sum(w * scores)], [np.sum(w * scores), np.sum(w)]])
        step = np.linalg.solve(h + 1e-9 * np.eye(2), g)
        a, b = a - float(step[0]), b - float(step[1])
        if float(np.abs(step).max()) < 1e-9:
            break
    return a, b


def train(
    texts: Sequence[str],
    labels: Sequence[int],
    *,
    c: float = 16.0,
    min_df: int = 2,
    folds: int = 5,
    seed: int = 13,
    options: FeatureOptions = FeatureOptions(),
    source: str = "",
    log: Any = None,
) -> NegativityModel:
    """Train a negativity model on texts labelled 1 = positive / 0 = negative."""
    if len(texts) != len(labels) or len(texts) < 10:
        raise ValueError("need at least 10 labelled texts")
    y = np.asarray([1 - int(v) for v in labels], dtype=np.int64)  # 1 = negative
    if y.min() == y.max():
        raise ValueError("need both positive and negative examples")
    feats = featurise(texts, options)
    # out-of-fold scores for calibration (vocabulary from the training folds only)
    rng = np.random.RandomState(seed)
    fold = rng.permutation(len(texts)) % max(2, folds)
    oof = np.zeros(len(texts), dtype=np.float64)
    for k in range(max(2, folds)):
        tr = np.flatnonzero(fold != k)
        te = np.flatnonzero(fold == k)
        f_tr = subset(feats, tr)
        voc = build_vocab(f_tr, min_df)
        w, b0 = _fit(build_matrix(f_tr, voc), y[tr], c, seed, len(voc))
        oof[te] = build_matrix(subset(feats, te), voc) @ w + b0
        if log:
            log(f"fold {k + 1}/{max(2, folds)}: out-of-fold accuracy {float(((oof[te] > 0) == y[te]).mean()):.4f}")
    a, b = _platt(oof, y)
    vocab = build_vocab(feats, min_df)
    nv = len(vocab)
    coef, intercept = _fit(build_matrix(feats, vocab), y, c, seed, nv)
    digest = hashlib.sha256("\n".join(f"{lab}\t{t}" for t, lab in zip(texts, labels)).encode()).hexdigest()
    return NegativityModel(
        vocab=vocab,
        weights=coef[:nv].astype(np.float32),
        dense_weights=coef[nv:].astype(np.float64),
        bias=intercept,
        platt_a=a,
        platt_b=b,
        meta={
            "source": source,
            "rows": len(texts),
            "data_sha256": digest,
            "c": c,
            "min_df": min_df,
            "folds": folds,
            "seed": seed,
            "vocab_size": nv,
            "features": options.as_dict(),
            "oof_accuracy": round(float(((oof > 0) == y).mean()), 4),
        },
    )


@dataclass(frozen=True)
class EvalFigures:
    n: int
    accuracy: float
    precision_neg: float
    recall_neg: float
    f1_neg: float
    seconds: float
    items_per_s: float

    def as_dict(self) -> dict[str, float | int]:
        return {
            "n": self.n,
            "accuracy": round(self.accuracy, 4),
            "precision_neg": round(self.precision_neg, 4),
            "recall_neg": round(self.recall_neg, 4),
            "f1_neg": round(self.f1_neg, 4),
            "items_per_s": round(self.items_per_s, 1),
        }


def figures(labels: Sequence[int], predicted_negative: Sequence[bool], seconds: float) -> EvalFigures:
    """Accuracy and precision/recall/F1 of the negative class (labels: 0 = negative)."""
    tp = fp = fn = correct = 0
    for lab, neg in zip(labels, predicted_negative):
        is_neg = lab == 0
        correct += int(is_neg == bool(neg))
        if neg and is_neg:
            tp += 1
        elif neg:
            fp += 1
        elif is_neg:
            fn += 1
    n = len(labels)
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * p * r / (p + r) if p + r else 0.0
    return EvalFigures(n, correct / n if n else 0.0, p, r, f1, seconds, n / seconds if seconds > 0 else float("inf"))
