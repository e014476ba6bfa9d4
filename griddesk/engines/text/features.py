"""Fast, segmenter-free features for the negativity classifier (feature version 2).

* :func:`ngram_codes` — every character 1-, 2- and 3-gram of a *batch* of texts as one
  ``uint64`` array, computed with numpy over the code points (no Python loop per n-gram).
  The codes are exact, not hashed: each character is its code point + 1 (≤ 0x110000 < 2**21),
  a unigram is ``c1``, a bigram ``c1 << 21 | c2``, a trigram ``c1 << 42 | c2 << 21 | c3``, so
  unigrams < 2**21 ≤ bigrams < 2**42 ≤ trigrams < 2**63 and no two n-grams share a code.
  Inside a *negation scope* (the few characters after a negator — 不, 没有, 未 … — within a
  clause) the unigrams and bigrams are emitted a second time with bit 63 set ("negated").
* :func:`lexicon_features` — the dense lexicon block (see ``DENSE_NAMES``) from one compiled
  trie-shaped regular expression over the hand-written sentiment lexicon, negators and clause
  punctuation (leftmost-longest matching, like a dictionary segmenter would, but in C).
* :func:`term_regex` — the trie-shaped pattern builder, also used for topic/relevance terms.

A model's vocabulary is the sorted ``int64`` view of these codes; lookup is ``np.searchsorted``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from typing import Final

import numpy as np
import numpy.typing as npt

from . import lexicon

__all__ = [
    "DENSE_NAMES",
    "NEGATED",
    "NEG_SCOPE_CHARS",
    "decode",
    "lexicon_features",
    "negation_mask",
    "ngram_codes",
    "term_regex",
    "token_lexicon_features",
    "word_codes",
]

DENSE_NAMES: Final[tuple[str, ...]] = (
    "lex_pos", "lex_neg", "lex_pos_negated", "lex_neg_negated", "lex_complaint", "lex_polarity", "exclaim", "question",
)
NEGATED: Final[int] = 1 << 63
FOURGRAM: Final[int] = (1 << 63) | (1 << 62)
# word features: bit 63 and bit 61 set, bit 62 clear (negated n-grams have bits 42–62 clear, 4-grams bit 62 set);
# bits 59–60 the kind, bits 0–58 a 64-bit hash of the word(s).
WORD, WORD_NEGATED, WORD_BIGRAM = ((1 << 63) | (1 << 61) | (k << 59) for k in (0, 1, 2))
_HASH_BITS: Final[int] = (1 << 59) - 1
NEG_SCOPE_WORDS: Final[int] = 2  # words after a negator (within the clause) marked as negated
NEG_SCOPE_CHARS: Final[int] = 4  # characters after a negator (within the clause) that are "negated"
_MASK21: Final[int] = (1 << 21) - 1
CLAUSE_PUNCT: Final[str] = ",.!?;:、，。！？；：…~～\n"


class _Trie(dict[str, "_Trie"]):
    pass


def _trie_pattern(words: Iterable[str]) -> str:
    trie = _Trie()
    for w in words:
        node = trie
        for ch in w:
            node = node.setdefault(ch, _Trie())
        node[""] = _Trie()

    def build(node: _Trie) -> str:
        end = "" in node
        alts = [re.escape(ch) + build(child) for ch, child in sorted(node.items()) if ch]
        if not alts:
            return ""
        body = alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"
        if end:
            body = "(?:" + body + ")?"
        return body

    return build(trie)


def term_regex(words: Iterable[str], *, overlapping: bool = False) -> re.Pattern[str]:
    """A compiled pattern matching any of ``words``, leftmost-longest (a trie turned into nested
    groups, so matching costs about one pass over the text).  ``overlapping=True`` wraps it in a
    look-ahead capture, so ``finditer`` reports the longest word starting at *every* position."""
    clean = sorted({w for w in words if w})
    if not clean:
        return re.compile(r"(?!x)x")
    body = _trie_pattern(clean)
    return re.compile(f"(?=({body}))" if overlapping else body)


# ---- negation scope ------------------------------------------------------------------------------------------------
_NEGATORS_RE: Final = term_regex(lexicon.NEGATORS)
_CLAUSE_RE: Final = re.compile("[" + re.escape(CLAUSE_PUNCT) + "]")


def negation_mask(text: str) -> list[tuple[int, int]]:
    """Spans [start, end) of ``text`` that are inside a negation scope: up to NEG_SCOPE_CHARS characters
    after each negator, cut at clause punctuation."""
    spans: list[tuple[int, int]] = []
    for m in _NEGATORS_RE.finditer(text):
        s = m.end()
        e = min(len(text), s + NEG_SCOPE_CHARS)
        p = _CLAUSE_RE.search(text, s, e)
        if p is not None:
            e = p.start()
        if e > s:
            spans.append((s, e))
    return spans


# ---- character n-grams ---------------------------------------------------------------------------------------------
def ngram_codes(
    texts: Sequence[str], *, negation: bool = True, four: bool = False
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.uint64]]:
    """(document index, n-gram code) of every character 1–3-gram of every text (texts as given: pass them
    lower-cased, spaces removed).  Duplicates are kept; see the module docstring for the code layout."""
    lens = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
    total = int(lens.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.uint64)
    joined = "".join(texts)
    a = np.frombuffer(joined.encode("utf-32-le", "surrogatepass"), dtype=np.uint32).astype(np.uint64) + np.uint64(1)
    doc = np.repeat(np.arange(len(texts), dtype=np.int64), lens)
    end = np.repeat(np.cumsum(lens), lens)
    pos = np.arange(total, dtype=np.int64)
    s21, s42 = np.uint64(21), np.uint64(42)
    docs = [doc]
    codes = [a]
    ok2 = pos[:-1] + 2 <= end[:-1]
    bi = (a[:-1] << s21) | a[1:]
    docs.append(doc[:-1][ok2])
    codes.append(bi[ok2])
    ok3 = pos[:-2] + 3 <= end[:-2]
    docs.append(doc[:-2][ok3])
    codes.append(((a[:-2] << s42) | (a[1:-1] << s21) | a[2:])[ok3])
    if four:
        ok4 = pos[:-3] + 4 <= end[:-3]
        h = ((a[:-3] << s42) | (a[1:-2] << s21) | a[2:-1]) * np.uint64(0x9E3779B97F4A7C15) ^ (a[3:] * np.uint64(0xC2B2AE3D27D4EB4F))
        docs.append(doc[:-3][ok4])
        codes.append((h | np.uint64(FOURGRAM))[ok4])
    if negation:
        starts = np.cumsum(lens) - lens
        flag = np.zeros(total + 1, dtype=np.int8)
        any_neg = False
        for i, t in enumerate(texts):
            for s, e in negation_mask(t):
                off = int(starts[i])
                flag[off + s] += 1
                flag[off + e] -= 1
                any_neg = True
        if any_neg:
            inside = np.cumsum(flag[:-1]) > 0
            neg = np.uint64(NEGATED)
            docs.append(doc[inside])
            codes.append(a[inside] | neg)
            both = inside[:-1] & inside[1:] & ok2
            docs.append(doc[:-1][both])
            codes.append(bi[both] | neg)
    return np.concatenate(docs), np.concatenate(codes)


_K1: Final = np.uint64(0x9E3779B97F4A7C15)
_K2: Final = np.uint64(0xBF58476D1CE4E5B9)
_K3: Final = np.uint64(0x94D049BB133111EB)
_POWERS: list[npt.NDArray[np.uint64]] = []


def _powers(n: int) -> npt.NDArray[np.uint64]:
    """_K1 ** i (mod 2**64) for i < n (cached, grown by doubling)."""
    if not _POWERS or len(_POWERS[0]) < n:
        size = max(64, 1 << (max(n, 1) - 1).bit_length())
        out = np.empty(size, dtype=np.uint64)
        acc = 1
        for i in range(size):
            out[i] = acc
            acc = (acc * int(_K1)) & 0xFFFFFFFFFFFFFFFF
        _POWERS[:] = [out]
    return _POWERS[0][:n]


def string_hashes(words: Sequence[str]) -> npt.NDArray[np.uint64]:
    """Deterministic 64-bit hashes of non-empty strings, computed together with numpy (polynomial over
    the code points, then a splitmix-style finaliser); independent of PYTHONHASHSEED."""
    if not words:
        return np.zeros(0, dtype=np.uint64)
    lens = np.fromiter(map(len, words), dtype=np.int64, count=len(words))
    cp = np.frombuffer("".join(words).encode("utf-32-le", "surrogatepass"), dtype=np.uint32).astype(np.uint64)
    starts = np.cumsum(lens) - lens
    within = np.arange(len(cp), dtype=np.int64) - np.repeat(starts, lens)
    h: npt.NDArray[np.uint64] = np.add.reduceat((cp + np.uint64(1)) * _powers(int(lens.max()))[within], starts)
    h = h + lens.astype(np.uint64) * _K3
    h ^= h >> np.uint64(31)
    h *= _K2
    h ^= h >> np.uint64(29)
    return h


def word_codes(
    token_lists: Sequence[Sequence[str]], *, punct: frozenset[str], negators: frozenset[str]
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.uint64]]:
    """(document index, code) of word features: every word (punctuation excluded) as a unigram — marked
    "negated" when within NEG_SCOPE_WORDS words after a negator in the same clause — and every pair of
    consecutive words of a clause as a bigram."""
    flat: list[str] = []
    docs: list[int] = []
    negated: list[bool] = []
    bigram: list[bool] = []
    for d, toks in enumerate(token_lists):
        prev = False
        scope = 0
        for tok in toks:
            if tok in punct:
                prev = False
                scope = 0
                continue
            flat.append(tok)
            docs.append(d)
            negated.append(scope > 0)
            bigram.append(prev)
            if tok in negators:
                scope = NEG_SCOPE_WORDS
            elif scope:
                scope -= 1
            prev = True
    if not flat:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.uint64)
    h = string_hashes(flat)
    doc = np.asarray(docs, dtype=np.int64)
    neg = np.asarray(negated, dtype=bool)
    hb = h & np.uint64(_HASH_BITS)
    uni = np.where(neg, hb | np.uint64(WORD_NEGATED), hb | np.uint64(WORD))
    bi_at = np.flatnonzero(np.asarray(bigram, dtype=bool))
    pair = h[bi_at - 1] * _K2 + h[bi_at]
    pair ^= pair >> np.uint64(32)
    bi = (pair & np.uint64(_HASH_BITS)) | np.uint64(WORD_BIGRAM)
    return np.concatenate([doc, doc[bi_at]]), np.concatenate([uni, bi])


def decode(code: int) -> str:
    """Human-readable form of an n-gram code ("好", "不好", "~满意" for a negated one); hashed codes
    (4-grams, words) cannot be decoded and are shown as "#<hex>"."""
    code &= 0xFFFFFFFFFFFFFFFF  # the int64 view too
    if code & FOURGRAM == FOURGRAM or (code & NEGATED and code & (1 << 61)):
        return f"#{code:016x}"
    prefix = "~" if code & NEGATED else ""
    code &= NEGATED - 1
    chars = []
    while code:
        chars.append(chr((code & _MASK21) - 1))
        code >>= 21
    return prefix + "".join(reversed(chars))


# ---- dense lexicon block -------------------------------------------------------------------------------------------
_POS, _NEG, _NEGATOR, _PUNCT = 1, 2, 3, 4
_KIND: Final[dict[str, int]] = {}
for _w in lexicon.POSITIVE_WORDS:
    _KIND[_w] = _POS
for _w in lexicon.NEGATIVE_WORDS:
    _KIND[_w] = _NEG
for _w in lexicon.NEGATORS:
    _KIND[_w] = _NEGATOR
for _ch in CLAUSE_PUNCT:
    _KIND[_ch] = _PUNCT
_LEXICON_RE: Final = term_regex(_KIND)
_COMPLAINT_RE: Final = term_regex(lexicon.COMPLAINT_WORDS, overlapping=True)


def lexicon_features(text: str) -> list[float]:
    """The dense block (DENSE_NAMES) of one lower-cased normalised text: counts of positive/negative
    lexicon words, outside or inside a negation scope (the next NEG_SCOPE_CHARS characters after a
    negator, within the clause), complaint phrases, polarity and "!"/"?" counts."""
    pos = neg = pos_n = neg_n = 0
    scope_end = -1
    kind = _KIND
    for m in _LEXICON_RE.finditer(text):
        k = kind[m.group()]
        if k == _PUNCT:
            scope_end = -1
        elif k == _NEGATOR:
            scope_end = m.end() + NEG_SCOPE_CHARS
        elif m.start() < scope_end:
            if k == _POS:
                pos_n += 1
            else:
                neg_n += 1
            scope_end = -1
        elif k == _POS:
            pos += 1
        else:
            neg += 1
    complaint = len(_COMPLAINT_RE.findall(text)) if text else 0
    good = pos + neg_n
    bad = neg + pos_n + complaint
    return [
        math.log1p(pos), math.log1p(neg), math.log1p(pos_n), math.log1p(neg_n), math.log1p(complaint),
        (bad - good) / (good + bad + 1.0), math.log1p(text.count("!")), math.log1p(text.count("?")),
    ]


_COMPLAINT_BY_FIRST: Final[dict[str, tuple[str, ...]]] = {}
for _w in sorted(lexicon.COMPLAINT_WORDS):
    _COMPLAINT_BY_FIRST[_w[0]] = (*_COMPLAINT_BY_FIRST.get(_w[0], ()), _w)


def token_lexicon_features(text: str, raw_tokens: Sequence[str], punct: frozenset[str]) -> list[float]:
    """The dense block (DENSE_NAMES) from the words of a segmenter (round-1 definition): a lexicon word
    counts when it is a whole word; it is negated within NEG_SCOPE_WORDS words after a negator in the
    same clause; complaint phrases are counted as substrings."""
    pos = neg = pos_n = neg_n = 0
    scope = 0
    positive, negative, negators = lexicon.POSITIVE_WORDS, lexicon.NEGATIVE_WORDS, lexicon.NEGATORS
    for tok in raw_tokens:
        if tok in punct:
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
            scope = NEG_SCOPE_WORDS
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
