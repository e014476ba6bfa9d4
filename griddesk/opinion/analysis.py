"""The text engine (griddesk.engines.text) set up with GridDesk's own
organisation directory (county areas and station names) and the editable risk
keywords. The analyser is cached per process against a cheap fingerprint of
those inputs, so an edit in the admin takes effect on the next batch."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Max

from griddesk.engines.text import Analysis, Analyzer, Directory, normalise
from griddesk.organisation.models import Department, DepartmentType

from .models import RiskKeyword

__all__ = ["Analysis", "AreaIndex", "analyse_many", "area_index", "normalise"]

_lock = threading.Lock()
_cache: dict[str, Any] = {}


@dataclass(frozen=True)
class AreaIndex:
    """Resolves a place or station name (or a department code) to the county
    company (or the city company) it belongs to."""

    by_name: dict[str, int]
    companies: dict[int, Department]

    def resolve(self, name: str) -> Department | None:
        pk = self.by_name.get(name.strip())
        return self.companies.get(pk) if pk is not None else None


def _fingerprint() -> tuple[Any, ...]:
    d = Department.objects.aggregate(n=Count("id"), m=Max("id"))
    k = RiskKeyword.objects.aggregate(n=Count("id"), m=Max("id"))
    return (d["n"], d["m"], k["n"], k["m"])


def _build() -> tuple[Analyzer, AreaIndex]:
    depts = list(Department.objects.filter(active=True).only("id", "code", "name", "type", "area", "path", "parent_id"))
    companies = {d.pk: d for d in depts if d.type in (DepartmentType.COMPANY, DepartmentType.COUNTY_COMPANY)}

    def company_of(d: Department) -> int | None:
        for pk in reversed([int(p) for p in d.path.strip("/").split("/") if p]):
            if pk in companies:
                return pk
        return None

    names: dict[str, int] = {}
    places: list[str] = []
    stations: list[str] = []
    for d in depts:
        c = company_of(d)
        if c is None:
            continue
        names.setdefault(d.code, c)
        if d.type in (DepartmentType.COMPANY, DepartmentType.COUNTY_COMPANY):
            names.setdefault(d.name, c)
            if d.area:
                places.append(d.area)
                names.setdefault(d.area, c)
                short = d.area.rstrip("县市区")
                if len(short) >= 2:
                    names.setdefault(short, c)
        elif d.type == DepartmentType.POWER_STATION:
            stations.append(d.name)
            names.setdefault(d.name, c)
            town = d.name.removesuffix("供电所")
            if len(town) >= 2 and town != d.name:
                places.append(town)
                names.setdefault(town, c)
    risk_words = list(RiskKeyword.objects.filter(active=True, kind=RiskKeyword.Kind.RISK).values_list("word", flat=True))
    analyzer = Analyzer(directory=Directory(places=tuple(places), stations=tuple(stations)), risk_keywords=risk_words)
    return analyzer, AreaIndex(by_name=names, companies=companies)


def _current() -> tuple[Analyzer, AreaIndex]:
    fp = _fingerprint()
    with _lock:
        if _cache.get("fp") != fp:
            _cache["fp"] = fp
            _cache["value"] = _build()
        return _cache["value"]  # type: ignore[no-any-return]


def analyse_many(texts: list[str]) -> list[Analysis]:
    analyzer, _ = _current()
    return list(analyzer.analyse_many(texts)) if texts else []


def area_index() -> AreaIndex:
    return _current()[1]
