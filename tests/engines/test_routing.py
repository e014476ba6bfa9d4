from __future__ import annotations

import pytest

from griddesk.engines.routing import (
    DEFAULT_ROUTING_RULES,
    DEPARTMENT_TYPES,
    NoRoute,
    RoutingRule,
    route,
    validate_routing_rules,
)


@pytest.mark.parametrize(
    ("grade", "leads"),
    [
        (1, ("audit", "marketing")),  # 一级由监审部门与营销部门共同受理
        (2, ("audit",)),
        (3, ("marketing",)),
        (4, ("customer_center",)),
    ],
)
def test_default_routes(grade: int, leads: tuple[str, ...]) -> None:
    assert route(grade, DEFAULT_ROUTING_RULES) == leads


def test_default_rules_valid() -> None:
    validate_routing_rules(DEFAULT_ROUTING_RULES)
    assert set(DEPARTMENT_TYPES) == {
        "station_95598",
        "marketing",
        "audit",
        "customer_center",
        "power_station",
        "party_mass",
    }


def test_no_route() -> None:
    rules = [RoutingRule(grade=1, lead_types=("audit",))]
    with pytest.raises(NoRoute, match="no routing rule for grade 3"):
        route(3, rules)
    assert issubclass(NoRoute, ValueError)


@pytest.mark.parametrize("grade", [0, 5, -1, True])
def test_invalid_grade(grade: int) -> None:
    with pytest.raises(ValueError, match="grade must be one of"):
        route(grade, DEFAULT_ROUTING_RULES)
    with pytest.raises(ValueError, match="grade must be one of"):
        RoutingRule(grade=grade, lead_types=("audit",))


def test_unknown_department_type() -> None:
    with pytest.raises(ValueError, match=r"unknown department type.*'legal'"):
        RoutingRule(grade=1, lead_types=("audit", "legal"))


def test_empty_duplicate_and_str_leads() -> None:
    with pytest.raises(ValueError, match="empty"):
        RoutingRule(grade=1, lead_types=())
    with pytest.raises(ValueError, match="duplicate"):
        RoutingRule(grade=1, lead_types=("audit", "audit"))
    with pytest.raises(ValueError, match="not a str"):
        RoutingRule(grade=1, lead_types="audit")  # type: ignore[arg-type]


def test_list_leads_normalised_to_tuple() -> None:
    rule = RoutingRule(grade=2, lead_types=["audit", "party_mass"])  # type: ignore[arg-type]
    assert rule.lead_types == ("audit", "party_mass")
    assert route(2, [rule]) == ("audit", "party_mass")


def test_conflicting_rules() -> None:
    rules = [RoutingRule(grade=4, lead_types=("customer_center",)), RoutingRule(grade=4, lead_types=("power_station",))]
    with pytest.raises(ValueError, match="more than one routing rule for grade 4"):
        route(4, rules)
    with pytest.raises(ValueError, match="more than one"):
        validate_routing_rules(rules)
