"""Exact and near-duplicate detection for public-opinion items.

Pure Python, no Django.

*Exact*: :func:`dedupe_key` is ``"u:" + sha1(canonical URL)`` when the item has
a URL, else ``"t:" + sha1(text key)`` where the text key is the normalised text
with whitespace and punctuation removed. The same item arriving twice (a feed
polled again, a client retrying) has the same key and is stored once.
:func:`canonical_url` lower-cases scheme and host, drops the fragment, default
ports, ``www.``, tracking parameters (``utm_*``, ``spm``, ``from``, ``share*`` …)
and a trailing slash, and sorts the query.

*Near*: a 64-bit SimHash over character shingles (3-grams of the text key).
Reposts and lightly edited copies differ in a few bits; unrelated texts differ
in about half. :func:`near_duplicate` confirms a SimHash candidate with the
Jaccard similarity of the shingle sets, so two different posts that merely
share a template (“…停电了…”) are not merged into one story.
"""

from __future__ import annotations

import functools
import hashlib
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import numpy as np

__all__ = [
    "DEFAULT_NEAR",
    "NearConfig",
    "NearIndex",
    "canonical_url",
    "dedupe_key",
    "dedupe_keys",
    "hamming",
    "jaccard",
    "near_duplicate",
    "nearest",
    "shingles",
    "simhash",
    "text_key",
    "to_signed",
    "to_unsigned",
]

_TRACKING: Final = re.compile(r"^(utm_.*|spm|from|share.*|source|src|ref|timestamp|_t|t|isappinstalled|scene|wfr|vd_source)$")
_DEFAULT_PORTS: Final = {"http": "80", "https": "443"}
_MASK64: Final = (1 << 64) - 1


def canonical_url(url: str) -> str:
    url = url.strip()
    if not url:
        return ""
    parts = urlsplit(url)
    scheme = (parts.scheme or "http").lower()
    if scheme == "https":
        scheme = "http"  # the same page over either scheme
    host = (parts.hostname or "").lower()
    if host.startswith("www."):
        host = host[4:]
    port = str(parts.port) if parts.port else ""
    if port and _DEFAULT_PORTS.get(parts.scheme.lower()) == port:
        port = ""
    netloc = f"{host}:{port}" if port else host
    path = re.sub(r"/{2,}", "/", parts.path or "/")
    if len(path) > 1:
        path = path.rstrip("/")
    query = sorted((k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _TRACKING.match(k.lower()))
    return urlunsplit((scheme, netloc, path, urlencode(query), ""))


def text_key(text: str) -> str:
    """Letters and digits only, NFKC, lower-case: what "the same text" compares."""
    text = unicodedata.normalize("NFKC", text).lower()
    return "".join(ch for ch in text if ch.isalnum())


def dedupe_key(url: str, text: str) -> str:
    canon = canonical_url(url)
    if canon:
        return "u:" + hashlib.sha1(canon.encode()).hexdigest()
    return "t:" + hashlib.sha1(text_key(text).encode()).hexdigest()


def dedupe_keys(url: str, text: str) -> tuple[str, str]:
    """``(dedupe_key(url, text), sha1 of the text key)`` with the text key
    computed once ("" and "" for a text without letters or digits)."""
    key = text_key(text)
    if not key:
        return "", ""
    text_hash = hashlib.sha1(key.encode()).hexdigest()
    canon = canonical_url(url)
    return ("u:" + hashlib.sha1(canon.encode()).hexdigest() if canon else "t:" + text_hash), text_hash


@functools.lru_cache(maxsize=16384)
def shingles(text: str, k: int = 3) -> frozenset[str]:
    key = text_key(text)
    if len(key) <= k:
        return frozenset({key}) if key else frozenset()
    return frozenset(key[i : i + k] for i in range(len(key) - k + 1))


def simhash(text: str, k: int = 3) -> int:
    """Unsigned 64-bit SimHash of the text's shingles (0 for empty text).
    Bit i is set when more than half of the shingle hashes have bit i set."""
    grams = shingles(text, k)
    if not grams:
        return 0
    raw = b"".join(hashlib.blake2b(g.encode(), digest_size=8).digest() for g in grams)
    bits = np.unpackbits(np.frombuffer(raw, dtype=np.uint8)).reshape(len(grams), 64)
    # unpackbits is big-endian per byte, so column 0 is the most significant bit.
    votes = bits.sum(axis=0, dtype=np.int64) * 2 > len(grams)
    return int.from_bytes(np.packbits(votes).tobytes(), "big")


def to_signed(h: int) -> int:
    """For a signed 64-bit database column."""
    h &= _MASK64
    return h - (1 << 64) if h >= 1 << 63 else h


def to_unsigned(h: int) -> int:
    return h & _MASK64


def hamming(a: int, b: int) -> int:
    return ((a ^ b) & _MASK64).bit_count()


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    if not a and not b:
        return 1.0
    return len(a & b) / len(a | b)


@dataclass(frozen=True, slots=True)
class NearConfig:
    #: SimHash candidates within this many differing bits.
    max_distance: int = 18
    #: …confirmed when the shingle sets overlap at least this much.
    min_jaccard: float = 0.5


DEFAULT_NEAR: Final = NearConfig()


def near_duplicate(a: str, b: str, config: NearConfig = DEFAULT_NEAR) -> bool:
    if hamming(simhash(a), simhash(b)) > config.max_distance:
        return False
    return jaccard(shingles(a), shingles(b)) >= config.min_jaccard


def nearest(
    text: str, candidates: Iterable[tuple[int, int, str]], config: NearConfig = DEFAULT_NEAR, *, text_hash: int | None = None
) -> tuple[int, float] | None:
    """The best confirmed near-duplicate among ``(id, simhash, text)`` candidates
    (the SimHash as stored, signed or not): ``(id, jaccard)`` or None. SimHash
    prunes; Jaccard decides."""
    h = simhash(text) if text_hash is None else text_hash
    mine = shingles(text)
    best: tuple[int, float] | None = None
    for cid, chash, ctext in candidates:
        if hamming(h, chash) > config.max_distance:
            continue
        j = jaccard(mine, shingles(ctext))
        if j >= config.min_jaccard and (best is None or j > best[1]):
            best = (cid, j)
    return best


class NearIndex:
    """:func:`nearest` for many texts against the same candidates: the SimHash
    distances to every candidate in one vectorised pass (numpy XOR + bit count)
    instead of a Python loop per candidate; Jaccard only for the few within
    ``max_distance``. Candidates added later (new stories of the same batch)
    are searched too. Same answers as :func:`nearest` (best Jaccard; the first
    candidate wins a tie)."""

    def __init__(self, candidates: Iterable[tuple[int, int, str]], config: NearConfig = DEFAULT_NEAR) -> None:
        self.config = config
        self._ids: list[int] = []
        self._texts: list[str] = []
        hashes: list[int] = []
        for cid, chash, ctext in candidates:
            self._ids.append(cid)
            self._texts.append(ctext)
            hashes.append(to_unsigned(chash))
        self._hashes = np.array(hashes, dtype=np.uint64)
        self._extra: list[tuple[int, int, str]] = []

    def __len__(self) -> int:
        return len(self._ids) + len(self._extra)

    def add(self, cid: int, chash: int, text: str) -> None:
        self._extra.append((cid, chash, text))

    def nearest(self, text: str, text_hash: int | None = None) -> tuple[int, float] | None:
        h = to_unsigned(simhash(text) if text_hash is None else text_hash)
        mine = shingles(text)
        best: tuple[int, float] | None = None
        # Newest first, as the candidates were given: the batch's own new stories.
        for cid, chash, ctext in reversed(self._extra):
            if hamming(h, chash) > self.config.max_distance:
                continue
            j = jaccard(mine, shingles(ctext))
            if j >= self.config.min_jaccard and (best is None or j > best[1]):
                best = (cid, j)
        if len(self._hashes):
            dist = np.bitwise_count(self._hashes ^ np.uint64(h))
            for i in np.flatnonzero(dist <= self.config.max_distance).tolist():
                j = jaccard(mine, shingles(self._texts[i]))
                if j >= self.config.min_jaccard and (best is None or j > best[1]):
                    best = (self._ids[i], j)
        return best
