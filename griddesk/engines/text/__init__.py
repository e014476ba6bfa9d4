"""Chinese text analysis for public-opinion (舆情) monitoring — pure Python, no Django.

Public API (stable; the ``opinion`` app depends on it)::

    from griddesk.engines.text import Analyzer, Directory, TOPICS, negativity, normalise

    analyzer = Analyzer(directory=Directory(places=("城关镇", "东风村"), stations=("城关供电所",)),
                        risk_keywords=None,        # None → DEFAULT_RISK_KEYWORDS (曝光, 媒体, 信访, 12345 …)
                        model_path=None)           # None → the classifier shipped in data/negativity.npz
    a = analyzer.analyse("城关镇东风村又停电了！户号1234567890，电话13812345678，再不修就找媒体曝光")
    a.normalised        # HTML/script stripped, entities unescaped, full-width → half-width,
                        # traditional → simplified, whitespace collapsed
    a.tokens            # jieba words (rjieba: jieba-rs, with the power-industry user dictionary),
                        # lower-cased, no punctuation
    a.relevant, a.relevance          # about electricity service / this utility? relevance in [0, 1]
    a.topic, a.topic_scores          # one of TOPICS; scores sum to 1 over TOPICS ("other" = prior mass)
    a.negativity                     # calibrated probability (0–1) that the text is negative
    a.entities                       # Entity(kind, text, start, end), offsets into a.normalised
                                     # kinds: "place", "station" (from the Directory), "account" (户号 + 10–13
                                     # digits), "phone" (mobile 1[3-9]xxxxxxxxx, landline 0xx(x)-xxxxxxx(x))
    a.keywords                       # risk keywords found, in order of first appearance, unique
    a.topic_terms, a.relevance_terms # explanation: {topic: ((term, count, weight), …)}, ((term, count, weight), …)
    analyzer.analyse_many(texts)     # batch (classifier vectorised over the batch)
    negativity(texts)                # np.ndarray of probabilities with the shipped model

Relevance: the sum S of weights of matched electricity terms (:data:`lexicon.RELEVANCE_TERMS`), station
names (3 each) and place names (0.5 each); ``relevance = 1 - exp(-S / 3)``, relevant when ≥ 0.5.
Topic: the sum of weights of matched :data:`lexicon.TOPIC_TERMS` per topic; ``score_t = s_t / (Σs + 1.5)``,
"other" gets ``1.5 / (Σs + 1.5)``; the topic is the arg-max.  Terms are matched as substrings of the
lower-cased normalised text (every occurrence at every position counts, overlapping ones too: "频繁停电"
counts "频繁停电" and "停电"), with one compiled trie-shaped pattern over all topic and relevance terms.
Negativity: see :mod:`.model` (character 1–3-grams and words, with negation marking, + a hand-written
sentiment lexicon; NB logistic regression trained on ChnSentiCorp by ``griddesk opinion train``,
Platt-calibrated).  Speed: segmentation is compiled (rjieba) and done once per text for both ``tokens`` and
the classifier; n-gram features are computed and looked up for the whole batch with numpy; topic/relevance
and the lexicon use compiled trie-shaped regular expressions.

Thread-safety: an Analyzer is immutable after construction and may be shared between threads.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

import numpy as np
import numpy.typing as npt

from . import lexicon
from .entities import ENTITY_KINDS, Directory, Entity, EntityFinder
from .features import term_regex
from .lexicon import DEFAULT_RISK_KEYWORDS, TOPICS
from .model import NegativityModel, lexicon_only_model
from .normalise import normalise
from .segment import PUNCT, cut_many

__all__ = [
    "DEFAULT_RISK_KEYWORDS",
    "ENTITY_KINDS",
    "TOPICS",
    "Analysis",
    "Analyzer",
    "Directory",
    "Entity",
    "NegativityModel",
    "TermIndex",
    "default_model",
    "negativity",
    "normalise",
]

Match = tuple[str, int, float]  # (term, count, weight)


@dataclass(frozen=True)
class Analysis:
    normalised: str
    tokens: tuple[str, ...]
    relevant: bool
    relevance: float
    topic: str
    topic_scores: dict[str, float]
    negativity: float
    entities: tuple[Entity, ...]
    keywords: tuple[str, ...]
    topic_terms: dict[str, tuple[Match, ...]] = field(default_factory=dict)
    relevance_terms: tuple[Match, ...] = ()


class TermIndex:
    """Weighted substring matcher: terms grouped by first character, so only
    terms whose first character occurs in the text are counted."""

    def __init__(self, terms: dict[str, float]) -> None:
        self._by_first: dict[str, list[tuple[str, float]]] = {}
        for term, weight in sorted(terms.items()):
            if term:
                self._by_first.setdefault(term[0], []).append((term, float(weight)))

    def matches(self, text: str, chars: set[str] | None = None) -> list[Match]:
        out: list[Match] = []
        for ch in (chars if chars is not None else set(text)).intersection(self._by_first):
            for term, weight in self._by_first[ch]:
                c = text.count(term)
                if c:
                    out.append((term, c, weight))
        out.sort()
        return out


_MODEL: NegativityModel | None = None


TermInfo = tuple[tuple[str, tuple[tuple[str, float], ...], float], ...]


def _merged_terms() -> dict[str, TermInfo]:
    """longest term → every term that is a prefix of it (itself included) with ((topic, weight), …) and its
    relevance weight.  A look-ahead match of the trie pattern gives the longest term starting at a position;
    all the terms that are its prefixes start there too."""
    terms = sorted(set(lexicon.RELEVANCE_TERMS).union(*lexicon.TOPIC_TERMS.values()))
    info = {
        term: (
            term,
            tuple((t, float(ts[term])) for t, ts in lexicon.TOPIC_TERMS.items() if term in ts),
            float(lexicon.RELEVANCE_TERMS.get(term, 0.0)),
        )
        for term in terms
    }
    return {term: tuple(info[p] for p in terms if term.startswith(p)) for term in terms}


_ALL_TERMS: Final = _merged_terms()
_TERMS_RE: Final = term_regex(_ALL_TERMS, overlapping=True)


def default_model() -> NegativityModel:
    """The shipped classifier (loaded once); the lexicon-only fallback if the file is missing."""
    global _MODEL
    if _MODEL is None:
        try:
            _MODEL = NegativityModel.load(None)
        except FileNotFoundError:
            _MODEL = lexicon_only_model()
    return _MODEL


class Analyzer:
    def __init__(
        self,
        *,
        directory: Directory | None = None,
        risk_keywords: Sequence[str] | None = None,
        model_path: str | None = None,
    ) -> None:
        self.directory = directory or Directory()
        self._entities = EntityFinder(self.directory)
        kws = DEFAULT_RISK_KEYWORDS if risk_keywords is None else tuple(risk_keywords)
        self.risk_keywords: tuple[str, ...] = tuple(dict.fromkeys(normalise(k).lower() for k in kws if k.strip()))
        # Keywords made of Latin letters/digits ("12345", "315") must not match inside a longer number/word.
        self._bounded = {
            k: re.compile(r"(?<![0-9a-z])" + re.escape(k) + r"(?![0-9a-z])")
            for k in self.risk_keywords
            if k.isascii() and k.isalnum()
        }
        self.model = default_model() if model_path is None else NegativityModel.load(Path(model_path))

    def analyse(self, text: str) -> Analysis:
        return self.analyse_many([text])[0]

    def analyse_many(self, texts: Sequence[str]) -> list[Analysis]:
        norms = [normalise(t) for t in texts]
        lows = [n.lower() for n in norms]
        if not texts:
            return []
        raws = cut_many(lows)
        probs: list[float] = self.model.calibrate(self.model.scores(lows, raws)).tolist()
        out: list[Analysis] = []
        terms_re, all_terms = _TERMS_RE, _ALL_TERMS
        for norm, low, raw, p in zip(norms, lows, raws, probs):
            # topic and relevance: one pass of the trie pattern; each hit also counts the terms that are
            # prefixes of the longest term found at that position
            hits: dict[str, tuple[int, tuple[tuple[str, float], ...], float]] = {}
            for longest in terms_re.findall(low):
                for term, topic_weights, rel_weight in all_terms[longest]:
                    prev = hits.get(term)
                    hits[term] = (prev[0] + 1 if prev else 1, topic_weights, rel_weight)
            topic_lists: dict[str, list[Match]] = {}
            rel_terms: list[Match] = []
            for term in sorted(hits):
                c, topic_weights, rel_weight = hits[term]
                for topic, w in topic_weights:
                    topic_lists.setdefault(topic, []).append((term, c, w))
                if rel_weight:
                    rel_terms.append((term, c, rel_weight))
            entities = self._entities.find(norm)
            topic_terms = {t: tuple(ms) for t, ms in topic_lists.items()}
            raw_scores = {t: sum(c * w for _, c, w in ms) for t, ms in topic_terms.items()}
            total = sum(raw_scores.values()) + lexicon.OTHER_PRIOR
            scores = {t: raw_scores.get(t, 0.0) / total for t in TOPICS}
            scores["other"] = lexicon.OTHER_PRIOR / total
            topic = max(TOPICS, key=lambda t: (scores[t], -TOPICS.index(t)))
            s = sum(c * w for _, c, w in rel_terms)
            for e in entities:
                if e.kind == "station":
                    rel_terms.append((e.text, 1, lexicon.STATION_WEIGHT))
                    s += lexicon.STATION_WEIGHT
                elif e.kind == "place":
                    rel_terms.append((e.text, 1, lexicon.PLACE_WEIGHT))
                    s += lexicon.PLACE_WEIGHT
            relevance = 1.0 - math.exp(-s / lexicon.RELEVANCE_SCALE)
            found: list[tuple[int, str]] = []
            for k in self.risk_keywords:
                if k in low:
                    bounded = self._bounded.get(k)
                    if bounded is None:
                        found.append((low.index(k), k))
                    elif (hit := bounded.search(low)) is not None:
                        found.append((hit.start(), k))
            found.sort()
            keywords = [k for _, k in found]
            out.append(
                Analysis(
                    normalised=norm,
                    tokens=tuple(t for t in raw if t not in PUNCT),
                    relevant=relevance >= lexicon.RELEVANCE_THRESHOLD,
                    relevance=round(relevance, 4),
                    topic=topic,
                    topic_scores=scores,
                    negativity=float(p),
                    entities=entities,
                    keywords=tuple(keywords),
                    topic_terms=topic_terms,
                    relevance_terms=tuple(rel_terms),
                )
            )
        return out


def negativity(texts: Sequence[str]) -> npt.NDArray[np.float64]:
    """Calibrated probability that each text is negative, with the shipped model."""
    return default_model().predict_proba([normalise(t) for t in texts])

