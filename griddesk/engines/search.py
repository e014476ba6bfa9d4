"""Search tokens for work orders: one inverted index answers every kind of
search staff make (a caller's phone or its last four digits, a name, an
address fragment, the text of the content and the report), the same on SQLite
and PostgreSQL.

Chinese has no spaces between words, so text is indexed as overlapping
character pairs (CJK bigrams, the strategy of Lucene's CJKAnalyzer and
PostgreSQL's zhparser-free set-ups): "电费偏高" → 电费 费偏 偏高. A query of two
or more characters matches a document that holds every pair of the query, so a
two-character query is one index lookup and a longer one an intersection.
Letters are folded to lower case; spaces and punctuation are dropped before the
pairs are formed (in documents and queries alike, so a document containing the
query always holds its pairs).

Each token carries a two-letter field prefix, so one index serves all fields
without one field's text matching another's query:
``tx`` content/report text, ``ad`` address, ``nm`` whole name,
``ph`` whole phone number, ``pt`` last four digits of a phone, and the exact
numbers: ``no`` order number, ``ex`` 95598 id, ``ac`` account number. The
personal fields of a confidential (anonymous) order are prefixed ``x`` besides
(``xph…``): only the roles that may see a confidential order's identity search
them, so a phone search does not tie a handler to an anonymous complaint.
Tokens are made of letters, digits and CJK characters only, so they are safe
inside SQLite FTS5 quoted strings and PostgreSQL text arrays.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

_KEEP = re.compile(r"[^0-9a-z\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_DIGITS = re.compile(r"\d+")

#: Shortest text query: one character would match most of the corpus.
MIN_QUERY_CHARS = 2
#: Longest query: its pairs are intersected; beyond this the query is cut.
MAX_QUERY_CHARS = 64


class Field(StrEnum):
    TEXT = "tx"
    ADDRESS = "ad"
    NAME = "nm"
    PHONE = "ph"
    PHONE_TAIL = "pt"
    NUMBER = "no"
    EXTERNAL_ID = "ex"
    ACCOUNT = "ac"


#: Prefix of a confidential order's personal-field tokens.
CONFIDENTIAL_PREFIX = "x"

#: Fields that are personal data: searching them is a personal-data search.
PERSONAL_FIELDS: frozenset[Field] = frozenset({Field.ADDRESS, Field.NAME, Field.PHONE, Field.PHONE_TAIL})


def normalise(text: str) -> str:
    """Full-width → half-width, lower case, only letters, digits and CJK kept."""
    return _KEEP.sub("", unicodedata.normalize("NFKC", text or "").lower())


def bigrams(text: str) -> list[str]:
    """The distinct character pairs of the normalised text, in order of first
    appearance; a single character is its own token."""
    t = normalise(text)
    if len(t) == 1:
        return [t]
    seen: dict[str, None] = {}
    for i in range(len(t) - 1):
        seen.setdefault(t[i:i + 2], None)
    return list(seen)


def phone_digits(phone: str) -> str:
    return "".join(_DIGITS.findall(unicodedata.normalize("NFKC", phone or "")))


@dataclass(frozen=True)
class Document:
    """What one order is found by."""

    texts: Sequence[str] = ()
    names: Sequence[str] = ()
    phones: Sequence[str] = ()
    addresses: Sequence[str] = ()
    numbers: Sequence[tuple[Field, str]] = ()
    confidential: bool = False


def document_tokens(doc: Document) -> str:
    """The order's tokens, space-separated, each once."""
    out: dict[str, None] = {}
    x = CONFIDENTIAL_PREFIX if doc.confidential else ""
    for text in doc.texts:
        for g in bigrams(text):
            out.setdefault(Field.TEXT + g, None)
    for f, number in doc.numbers:
        n = normalise(number)
        if n:
            out.setdefault(f + n, None)
    for address in doc.addresses:
        for g in bigrams(address):
            out.setdefault(x + Field.ADDRESS + g, None)
    for name in doc.names:
        n = normalise(name)
        if n:
            out.setdefault(x + Field.NAME + n, None)
    for phone in doc.phones:
        d = phone_digits(phone)
        if d:
            out.setdefault(x + Field.PHONE + d, None)
            if len(d) >= 4:
                out.setdefault(x + Field.PHONE_TAIL + d[-4:], None)
    return " ".join(out)


@dataclass(frozen=True)
class Clause:
    """Documents holding every token match this clause."""

    field: Field
    tokens: tuple[str, ...]


@dataclass(frozen=True)
class Plan:
    """A query as clauses (a document matching any clause matches the query),
    the fields searched (what a "nothing found" message names), and whether the
    query was too short to search text."""

    query: str
    clauses: tuple[Clause, ...] = ()
    searched: tuple[Field, ...] = ()
    too_short: bool = False
    personal: bool = False


def plan(query: str, *, personal: bool, confidential: bool = False) -> Plan:
    """How to search ``query``. ``personal``: the user may search personal
    data (phones, names, addresses); without it numbers and text only.
    ``confidential``: the user may also find confidential orders by their
    customer's personal data."""
    q = normalise(query)[:MAX_QUERY_CHARS]
    if len(q) < MIN_QUERY_CHARS:
        return Plan(query=q, too_short=True)
    clauses: list[Clause] = [
        Clause(Field.NUMBER, (Field.NUMBER + q,)),
        Clause(Field.EXTERNAL_ID, (Field.EXTERNAL_ID + q,)),
        Clause(Field.ACCOUNT, (Field.ACCOUNT + q,)),
    ]
    digits = phone_digits(query)
    only_digits = digits == q
    if personal:
        pii: list[Clause] = []
        if only_digits and len(digits) == 4:
            pii.append(Clause(Field.PHONE_TAIL, (Field.PHONE_TAIL + digits,)))
        elif only_digits and 7 <= len(digits) <= 15:
            pii.append(Clause(Field.PHONE, (Field.PHONE + digits,)))
        if not only_digits:
            pii.append(Clause(Field.NAME, (Field.NAME + q,)))
            pii.append(Clause(Field.ADDRESS, _prefixed(Field.ADDRESS, bigrams(q))))
        clauses.extend(pii)
        if confidential:
            clauses.extend(
                Clause(c.field, tuple(CONFIDENTIAL_PREFIX + t for t in c.tokens)) for c in pii
            )
    clauses.append(Clause(Field.TEXT, _prefixed(Field.TEXT, bigrams(q))))
    searched = tuple(dict.fromkeys(c.field for c in clauses))
    return Plan(
        query=q,
        clauses=tuple(clauses),
        searched=searched,
        personal=any(c.field in PERSONAL_FIELDS for c in clauses),
    )


def _prefixed(f: Field, grams: Iterable[str]) -> tuple[str, ...]:
    return tuple(f + g for g in grams)


def matches(tokens: str, p: Plan) -> bool:
    """Whether a document's tokens match the plan (the reference semantics the
    database queries implement; used by tests)."""
    have = set(tokens.split())
    return any(all(t in have for t in c.tokens) for c in p.clauses)
