"""Entities with offsets into the normalised text: places and stations from
GridDesk's organisation directory, account numbers (户号) and phone numbers."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

__all__ = ["ENTITY_KINDS", "Directory", "Entity", "EntityFinder"]

ENTITY_KINDS: Final[tuple[str, ...]] = ("place", "station", "account", "phone")


@dataclass(frozen=True)
class Directory:
    """Names from GridDesk's organisation: places (areas, counties, towns,
    villages, communities) and stations (供电所, companies, substations)."""

    places: tuple[str, ...] = ()
    stations: tuple[str, ...] = ()


@dataclass(frozen=True)
class Entity:
    kind: str  # "place" | "station" | "account" | "phone"
    text: str
    start: int  # offsets into Analysis.normalised: normalised[start:end] == text
    end: int


# 户号 and similar context words, then up to 8 non-digit characters (": ", "是", "为"), then 10–13 digits.
_ACCOUNT: Final = re.compile(
    r"(?:户号|用户号|用户编号|客户编号|客户号|电费户号|缴费号|户口号|账户号|帐户号|账号|帐号|户名号)"
    r"[^\d\n]{0,8}?(?<!\d)(\d{10,13})(?!\d)"
)
_MOBILE: Final = re.compile(r"(?<![\d])(?:\+?86[- ]?)?(1[3-9]\d[- ]?\d{4}[- ]?\d{4})(?!\d)")
_DIGIT: Final = re.compile(r"\d")
_LANDLINE: Final = re.compile(r"(?<![\d-])(\(?0\d{2,3}\)?[- ]?\d{7,8})(?![\d])")


def _names(names: Iterable[str]) -> re.Pattern[str] | None:
    clean = sorted({n.strip() for n in names if n and n.strip()}, key=lambda n: (-len(n), n))
    if not clean:
        return None
    return re.compile("|".join(re.escape(n) for n in clean))


class EntityFinder:
    """Compiled matchers for one directory; ``find`` returns non-overlapping
    entities sorted by start offset (stations win over places on the same
    text, longer names over shorter ones)."""

    def __init__(self, directory: Directory | None = None) -> None:
        d = directory or Directory()
        self._stations = _names(d.stations)
        self._places = _names(d.places)

    def find(self, text: str) -> tuple[Entity, ...]:
        found: list[Entity] = []
        taken: list[tuple[int, int]] = []

        def free(s: int, e: int) -> bool:
            return all(e <= a or s >= b for a, b in taken)

        def add(kind: str, s: int, e: int) -> None:
            if free(s, e):
                taken.append((s, e))
                found.append(Entity(kind, text[s:e], s, e))

        if _DIGIT.search(text) is not None:
            for m in _ACCOUNT.finditer(text):
                add("account", m.start(1), m.end(1))
            for m in _MOBILE.finditer(text):
                add("phone", m.start(1), m.end(1))
            for m in _LANDLINE.finditer(text):
                add("phone", m.start(1), m.end(1))
        for kind, pattern in (("station", self._stations), ("place", self._places)):
            if pattern is not None:
                for m in pattern.finditer(text):
                    add(kind, m.start(), m.end())
        found.sort(key=lambda e: e.start)
        return tuple(found)
