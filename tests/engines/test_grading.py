from __future__ import annotations

import dataclasses

import pytest

from griddesk.engines.grading import (
    DEFAULT_GRADING_RULES,
    GradeSuggestion,
    GradingRule,
    OrderFacts,
    category_matches,
    match_rule,
    suggest_grade,
)


def facts(
    *,
    channel: str = "95598",
    category: str = "service.other",
    content: str = "客户反映问题",
    order_type: str = "complaint",
    sensitive_customer: bool = False,
    escalated: bool = False,
    repeat: bool = False,
) -> OrderFacts:
    return OrderFacts(
        order_type=order_type,
        channel=channel,
        category=category,
        content=content,
        sensitive_customer=sensitive_customer,
        escalated=escalated,
        repeat=repeat,
    )


def grade(f: OrderFacts) -> GradeSuggestion:
    return suggest_grade(f, DEFAULT_GRADING_RULES)


# ---------------------------------------------------------- default rules
def test_default_rules_shape() -> None:
    codes = [r.code for r in DEFAULT_GRADING_RULES]
    assert codes == [
        "escalated_or_media",
        "conduct",
        "sensitive_customer",
        "business_quality",
        "service_general",
    ]
    assert [r.priority for r in DEFAULT_GRADING_RULES] == [10, 20, 30, 40, 50]
    assert all(r.description for r in DEFAULT_GRADING_RULES)


@pytest.mark.parametrize(
    ("order", "expected_reason"),
    [
        (facts(escalated=True), "escalated: yes"),
        (facts(channel="media"), "channel: media"),
        (facts(channel="12345"), "channel: 12345"),
        (facts(content="客户称要找记者曝光"), "keyword: 曝光"),
        (facts(content="已拨打市长热线反映", category="outage.planned"), "keyword: 市长热线"),
        (facts(content="多户居民群体投诉", category="power_quality.voltage"), "keyword: 群体"),
    ],
)
def test_rule_escalated_or_media(order: OrderFacts, expected_reason: str) -> None:
    result = grade(order)
    assert (result.grade, result.complexity, result.rule_code) == (1, "important", "escalated_or_media")
    assert expected_reason in result.reasons


def test_escalated_or_media_reasons_list_all_matches() -> None:
    result = grade(facts(channel="media", content="记者要曝光", escalated=True))
    assert result.reasons == ("channel: media", "keyword: 曝光", "keyword: 记者", "escalated: yes")


def test_rule_conduct() -> None:
    result = grade(facts(category="service.attitude", content="工作人员态度恶劣，还推诿"))
    assert result == GradeSuggestion(
        grade=2,
        complexity="ordinary",
        rule_code="conduct",
        reasons=("category: service.attitude (service)", "keyword: 态度", "keyword: 推诿"),
    )


def test_conduct_needs_both_category_and_keyword() -> None:
    # Keyword but wrong category -> falls through to business_quality.
    assert grade(facts(category="business.new_install", content="态度差")).rule_code == "business_quality"
    # Right category, no keyword -> service_general.
    assert grade(facts(category="service.attitude", content="等了很久")).rule_code == "service_general"


def test_rule_sensitive_customer() -> None:
    result = grade(facts(category="outage.fault", content="停电时间长", sensitive_customer=True))
    assert (result.grade, result.complexity, result.rule_code) == (2, "important", "sensitive_customer")
    assert "sensitive_customer: yes" in result.reasons


@pytest.mark.parametrize("top", ["business", "outage", "power_quality", "grid_construction"])
def test_rule_business_quality(top: str) -> None:
    result = grade(facts(category=f"{top}.x", content="普通诉求"))
    assert (result.grade, result.complexity, result.rule_code) == (3, "ordinary", "business_quality")
    assert grade(facts(category=top)).rule_code == "business_quality"


def test_rule_service_general() -> None:
    result = grade(facts(category="service.waiting", content="排队时间长"))
    assert (result.grade, result.complexity, result.rule_code) == (4, "ordinary", "service_general")


def test_no_match_defaults_to_grade_4() -> None:
    result = grade(facts(category="other.unknown", content="咨询电价"))
    assert result == GradeSuggestion(4, "ordinary", "default", ("no rule matched",))
    assert suggest_grade(facts(), []) == GradeSuggestion(4, "ordinary", "default", ("no rule matched",))


# -------------------------------------------------------------- the bump
def test_repeat_bumps_complexity() -> None:
    result = grade(facts(category="outage.fault", content="又停电", repeat=True))
    assert (result.grade, result.complexity, result.rule_code) == (3, "important", "business_quality")
    assert result.reasons[-1] == "important: repeat complaint"


def test_sensitive_bumps_default_and_ordinary_rules() -> None:
    rules = [GradingRule(code="any", priority=1, grade=3, complexity="ordinary")]
    result = suggest_grade(facts(sensitive_customer=True, repeat=True), rules)
    assert result.complexity == "important"
    assert result.reasons == ("any order", "important: repeat complaint", "important: sensitive customer")
    assert suggest_grade(facts(repeat=True), []).complexity == "important"


def test_no_bump_reason_when_already_important() -> None:
    result = grade(facts(channel="media", repeat=True))
    assert result.complexity == "important"
    assert not any(r.startswith("important:") for r in result.reasons)


# ------------------------------------------------------ rule evaluation
def test_priority_order_and_code_tiebreak() -> None:
    rules = [
        GradingRule(code="b", priority=5, grade=3, complexity="ordinary", channels=frozenset({"hall"})),
        GradingRule(code="a", priority=5, grade=2, complexity="ordinary", channels=frozenset({"hall"})),
        GradingRule(code="z", priority=1, grade=4, complexity="ordinary", channels=frozenset({"hall"})),
    ]
    assert suggest_grade(facts(channel="hall"), rules).rule_code == "z"
    assert suggest_grade(facts(channel="hall"), rules[:2]).rule_code == "a"
    assert suggest_grade(facts(channel="hall"), list(reversed(rules[:2]))).rule_code == "a"


def test_all_vs_any_of() -> None:
    base = dict(
        code="r",
        priority=1,
        grade=2,
        complexity="ordinary",
        channels=frozenset({"wechat"}),
        keywords=("电费",),
    )
    all_rule = GradingRule(**base)  # type: ignore[arg-type]
    any_rule = GradingRule(**base, any_of=True)  # type: ignore[arg-type]
    only_channel = facts(channel="wechat", content="停电")
    both = facts(channel="wechat", content="电费多收")
    neither = facts(channel="hall", content="停电")
    assert match_rule(only_channel, all_rule) is None
    assert match_rule(both, all_rule) == ("channel: wechat", "keyword: 电费")
    assert match_rule(only_channel, any_rule) == ("channel: wechat",)
    assert match_rule(both, any_rule) == ("channel: wechat", "keyword: 电费")
    assert match_rule(neither, any_rule) is None


def test_flag_conditions_and_false_values() -> None:
    not_escalated = GradingRule(code="r", priority=1, grade=3, complexity="ordinary", escalated=False)
    assert match_rule(facts(), not_escalated) == ("escalated: no",)
    assert match_rule(facts(escalated=True), not_escalated) is None
    repeat = GradingRule(code="r", priority=1, grade=3, complexity="ordinary", repeat=True)
    assert match_rule(facts(repeat=True), repeat) == ("repeat: yes",)
    assert match_rule(facts(), repeat) is None


def test_order_type_condition() -> None:
    rule = GradingRule(
        code="r", priority=1, grade=3, complexity="ordinary", order_types=frozenset({"complaint"})
    )
    assert match_rule(facts(order_type="complaint"), rule) == ("order_type: complaint",)
    assert match_rule(facts(order_type="opinion"), rule) is None


def test_catch_all_rule() -> None:
    rule = GradingRule(code="all", priority=99, grade=3, complexity="ordinary")
    assert not rule.has_conditions
    assert match_rule(facts(), rule) == ("any order",)
    assert match_rule(facts(), dataclasses.replace(rule, any_of=True)) == ("any order",)


@pytest.mark.parametrize(
    ("rule_cat", "order_cat", "expected"),
    [
        ("service", "service.attitude", True),
        ("service", "service", True),
        ("service.attitude", "service.attitude", True),
        ("service.attitude", "service.attitude.rude", True),
        ("service.attitude", "service.waiting", False),
        ("service", "services.x", False),
        ("service", "servicex", False),
        ("business", "service.business", False),
    ],
)
def test_category_prefix_matching(rule_cat: str, order_cat: str, expected: bool) -> None:
    assert category_matches(rule_cat, order_cat) is expected
    rule = GradingRule(code="r", priority=1, grade=3, complexity="ordinary", categories=frozenset({rule_cat}))
    assert (match_rule(facts(category=order_cat), rule) is not None) is expected


def test_keyword_match_is_case_insensitive_substring() -> None:
    rule = GradingRule(code="r", priority=1, grade=1, complexity="important", keywords=("App",))
    assert match_rule(facts(content="网上国网app无法缴费"), rule) == ("keyword: App",)


def test_collections_are_normalised() -> None:
    rule = GradingRule(
        code="r",
        priority=1,
        grade=1,
        complexity="important",
        channels=["media", "media"],  # type: ignore[arg-type]
        keywords=["曝光", "曝光"],  # type: ignore[arg-type]
    )
    assert rule.channels == frozenset({"media"})
    assert rule.keywords == ("曝光",)
    assert hash(rule)


# ------------------------------------------------------------ validation
@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"grade": 0}, "grade must be one of 1, 2, 3, 4"),
        ({"grade": 5}, "grade must be one of 1, 2, 3, 4"),
        ({"grade": True}, "grade must be one of 1, 2, 3, 4"),
        ({"complexity": "complex"}, "complexity must be 'ordinary' or 'important'"),
        ({"code": ""}, "code must be a non-empty string"),
        ({"keywords": ("",)}, "keywords must be non-empty strings"),
        ({"keywords": "曝光"}, "not a str"),
        ({"channels": "media"}, "not a str"),
        ({"categories": frozenset({"service."})}, "malformed category"),
        ({"escalated": 1}, "escalated must be True, False or None"),
        ({"priority": "1"}, "priority must be an int"),
    ],
)
def test_validation(kwargs: dict[str, object], message: str) -> None:
    base: dict[str, object] = {"code": "r", "priority": 1, "grade": 2, "complexity": "ordinary"}
    base.update(kwargs)
    with pytest.raises(ValueError, match=message):
        GradingRule(**base)  # type: ignore[arg-type]


def test_rules_are_frozen() -> None:
    rule = DEFAULT_GRADING_RULES[0]
    with pytest.raises(dataclasses.FrozenInstanceError):
        rule.grade = 2  # type: ignore[misc]
