"""Which department types lead a graded complaint.

Pure Python, no Django.  From the source paper: 一二级转到监审部门、一三级转到
营销部门、四级转到客户中心; 一级由监审部门与营销部门共同受理.  So grade 1 is led
jointly by audit (primary) and marketing, grade 2 by audit, grade 3 by
marketing and grade 4 by the customer service centre.

The working-day time limits by complexity live in
:data:`griddesk.engines.workdays.DEFAULT_WORKING_DAYS_BY_COMPLEXITY`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final

__all__ = [
    "DEFAULT_ROUTING_RULES",
    "DEPARTMENT_TYPES",
    "GRADES",
    "NoRoute",
    "RoutingRule",
    "route",
    "validate_routing_rules",
]

GRADES: Final[tuple[int, ...]] = (1, 2, 3, 4)

#: Department type codes.
DEPARTMENT_TYPES: Final[tuple[str, ...]] = (
    "station_95598",  # 95598 供电服务指挥中心 / 客服站
    "marketing",  # 营销部
    "audit",  # 监审部门（审计/纪检监察）
    "customer_center",  # 客户服务中心
    "power_station",  # 供电所
    "party_mass",  # 党群工作部
)


class NoRoute(ValueError):
    """No routing rule exists for a grade."""


def _check_grade(grade: int) -> None:
    if isinstance(grade, bool) or not isinstance(grade, int) or grade not in GRADES:
        raise ValueError(f"grade must be one of 1, 2, 3, 4, got {grade!r}")


@dataclass(frozen=True, slots=True)
class RoutingRule:
    """``lead_types[0]`` is the primary lead; the rest co-lead jointly."""

    grade: int
    lead_types: tuple[str, ...]

    def __post_init__(self) -> None:
        _check_grade(self.grade)
        if isinstance(self.lead_types, str):
            raise ValueError(
                f"routing rule for grade {self.grade}: lead_types must be a sequence "
                "of department type codes, not a str"
            )
        leads = tuple(self.lead_types)
        if not leads:
            raise ValueError(f"routing rule for grade {self.grade}: lead_types is empty")
        unknown = [t for t in leads if t not in DEPARTMENT_TYPES]
        if unknown:
            raise ValueError(
                f"routing rule for grade {self.grade}: unknown department type(s) "
                f"{', '.join(map(repr, unknown))}; known: {', '.join(DEPARTMENT_TYPES)}"
            )
        if len(set(leads)) != len(leads):
            raise ValueError(
                f"routing rule for grade {self.grade}: duplicate department type in {leads!r}"
            )
        object.__setattr__(self, "lead_types", leads)


def validate_routing_rules(rules: Iterable[RoutingRule]) -> None:
    """Raise ValueError if two rules share a grade."""
    seen: set[int] = set()
    for rule in rules:
        if rule.grade in seen:
            raise ValueError(f"more than one routing rule for grade {rule.grade}")
        seen.add(rule.grade)


def route(grade: int, rules: Sequence[RoutingRule]) -> tuple[str, ...]:
    """Department types leading a complaint of ``grade`` (primary first).

    Raises ValueError for an invalid grade or conflicting rules, and
    :class:`NoRoute` (a ValueError) when no rule covers the grade.
    """
    _check_grade(grade)
    matches = [r for r in rules if r.grade == grade]
    if not matches:
        raise NoRoute(f"no routing rule for grade {grade}; configure one in the routing rules")
    if len(matches) > 1:
        raise ValueError(f"more than one routing rule for grade {grade}")
    return matches[0].lead_types


DEFAULT_ROUTING_RULES: Final[tuple[RoutingRule, ...]] = (
    RoutingRule(grade=1, lead_types=("audit", "marketing")),
    RoutingRule(grade=2, lead_types=("audit",)),
    RoutingRule(grade=3, lead_types=("marketing",)),
    RoutingRule(grade=4, lead_types=("customer_center",)),
)
