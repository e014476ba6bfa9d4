"""Suggested complaint grade (1 = most serious ... 4 = least) from editable rules.

Pure Python, no Django.  Rules are evaluated in (priority, code) order and the
first matching rule wins.  Within a rule, each *condition kind* that is
specified (order types, channels, categories, keywords, the three flags) must
hold (AND); within one kind, any listed value is enough (OR).  With
``any_of=True`` a rule matches when ANY specified kind holds.  A rule that
specifies no condition at all is a catch-all and always matches.

After the grade is chosen, complexity is raised to ``important`` for repeat
complaints and sensitive customers.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Final

__all__ = [
    "CHANNELS",
    "COMPLAINT_CATEGORIES",
    "COMPLEXITIES",
    "DEFAULT_GRADING_RULES",
    "DEFAULT_RULE_CODE",
    "GRADES",
    "GradeSuggestion",
    "GradingRule",
    "OrderFacts",
    "category_matches",
    "match_rule",
    "suggest_grade",
]

GRADES: Final[tuple[int, ...]] = (1, 2, 3, 4)
COMPLEXITIES: Final[tuple[str, ...]] = ("ordinary", "important")
COMPLAINT_CATEGORIES: Final[tuple[str, ...]] = (
    "service",
    "business",
    "outage",
    "power_quality",
    "grid_construction",
)
CHANNELS: Final[tuple[str, ...]] = (
    "95598",
    "online",
    "wechat",
    "alipay",
    "hall",
    "12345",
    "media",
    "inspection",
)
DEFAULT_RULE_CODE: Final = "default"


@dataclass(frozen=True, slots=True)
class OrderFacts:
    """What the grading engine knows about a work order."""

    order_type: str
    channel: str
    category: str  # dotted code, e.g. "service.attitude"; top level before the dot
    content: str
    sensitive_customer: bool = False
    escalated: bool = False
    repeat: bool = False


def _as_str_set(value: Iterable[str], name: str, code: str) -> frozenset[str]:
    if isinstance(value, str):
        raise ValueError(f"rule {code!r}: {name} must be a collection of strings, not a str")
    items = frozenset(value)
    for item in items:
        if not isinstance(item, str) or not item:
            raise ValueError(f"rule {code!r}: {name} entries must be non-empty strings")
    return items


@dataclass(frozen=True, slots=True)
class GradingRule:
    """One editable grading rule.  See module docstring for semantics."""

    code: str
    priority: int  # lower is evaluated first
    grade: int
    complexity: str  # "ordinary" | "important"
    description: str = ""
    order_types: frozenset[str] = field(default_factory=frozenset)  # empty = any
    channels: frozenset[str] = field(default_factory=frozenset)
    # exact code, or any code under a prefix ("service" matches "service.attitude")
    categories: frozenset[str] = field(default_factory=frozenset)
    keywords: tuple[str, ...] = ()  # any keyword contained in content
    sensitive_customer: bool | None = None
    escalated: bool | None = None
    repeat: bool | None = None
    any_of: bool = False

    def __post_init__(self) -> None:
        if not isinstance(self.code, str) or not self.code.strip():
            raise ValueError("grading rule code must be a non-empty string")
        code = self.code
        if isinstance(self.priority, bool) or not isinstance(self.priority, int):
            raise ValueError(f"rule {code!r}: priority must be an int, got {self.priority!r}")
        if isinstance(self.grade, bool) or self.grade not in GRADES:
            raise ValueError(f"rule {code!r}: grade must be one of 1, 2, 3, 4, got {self.grade!r}")
        if self.complexity not in COMPLEXITIES:
            raise ValueError(
                f"rule {code!r}: complexity must be 'ordinary' or 'important', "
                f"got {self.complexity!r}"
            )
        # Accept any iterable (e.g. lists from JSON) and normalise.
        object.__setattr__(self, "order_types", _as_str_set(self.order_types, "order_types", code))
        object.__setattr__(self, "channels", _as_str_set(self.channels, "channels", code))
        categories = _as_str_set(self.categories, "categories", code)
        for cat in categories:
            if cat.startswith(".") or cat.endswith(".") or ".." in cat:
                raise ValueError(f"rule {code!r}: malformed category code {cat!r}")
        object.__setattr__(self, "categories", categories)
        if isinstance(self.keywords, str):
            raise ValueError(f"rule {code!r}: keywords must be a sequence of strings, not a str")
        keywords = tuple(dict.fromkeys(self.keywords))  # dedupe, keep order
        for kw in keywords:
            if not isinstance(kw, str) or not kw.strip():
                raise ValueError(f"rule {code!r}: keywords must be non-empty strings")
        object.__setattr__(self, "keywords", keywords)
        for flag in ("sensitive_customer", "escalated", "repeat"):
            value = getattr(self, flag)
            if value is not None and not isinstance(value, bool):
                raise ValueError(f"rule {code!r}: {flag} must be True, False or None")

    @property
    def has_conditions(self) -> bool:
        return bool(
            self.order_types
            or self.channels
            or self.categories
            or self.keywords
            or self.sensitive_customer is not None
            or self.escalated is not None
            or self.repeat is not None
        )


@dataclass(frozen=True, slots=True)
class GradeSuggestion:
    grade: int
    complexity: str
    rule_code: str
    reasons: tuple[str, ...]


def category_matches(rule_category: str, category: str) -> bool:
    """``rule_category`` equals ``category`` or is a dotted ancestor of it."""
    return category == rule_category or category.startswith(rule_category + ".")


def _yes_no(value: bool) -> str:
    return "yes" if value else "no"


def match_rule(facts: OrderFacts, rule: GradingRule) -> tuple[str, ...] | None:
    """Reasons if ``rule`` matches ``facts``, else None.

    A catch-all rule (no conditions) matches with the reason ``"any order"``.
    """
    # Each entry: None = kind not specified; () = specified but failed;
    # non-empty = matched, with reasons.
    results: list[tuple[str, ...]] = []

    if rule.order_types:
        results.append(
            (f"order_type: {facts.order_type}",) if facts.order_type in rule.order_types else ()
        )
    if rule.channels:
        results.append((f"channel: {facts.channel}",) if facts.channel in rule.channels else ())
    if rule.categories:
        hits = sorted(c for c in rule.categories if category_matches(c, facts.category))
        if hits:
            shown = facts.category if hits == [facts.category] else f"{facts.category} ({hits[0]})"
            results.append((f"category: {shown}",))
        else:
            results.append(())
    if rule.keywords:
        content = facts.content.casefold()
        results.append(tuple(f"keyword: {kw}" for kw in rule.keywords if kw.casefold() in content))
    for flag in ("sensitive_customer", "escalated", "repeat"):
        wanted: bool | None = getattr(rule, flag)
        if wanted is not None:
            actual: bool = getattr(facts, flag)
            results.append((f"{flag}: {_yes_no(actual)}",) if actual == wanted else ())

    if not results:
        return ("any order",)
    if rule.any_of:
        if not any(results):
            return None
    elif not all(results):
        return None
    return tuple(reason for group in results for reason in group)


def suggest_grade(facts: OrderFacts, rules: Sequence[GradingRule]) -> GradeSuggestion:
    """First matching rule by (priority, code); grade 4 ordinary if none.

    Complexity is raised to ``important`` when the order is a repeat complaint
    or comes from a sensitive customer.
    """
    grade, complexity, code = 4, "ordinary", DEFAULT_RULE_CODE
    reasons: list[str] = ["no rule matched"]
    for rule in sorted(rules, key=lambda r: (r.priority, r.code)):
        matched = match_rule(facts, rule)
        if matched is not None:
            grade, complexity, code = rule.grade, rule.complexity, rule.code
            reasons = list(matched)
            break
    if complexity != "important" and (facts.repeat or facts.sensitive_customer):
        complexity = "important"
        if facts.repeat:
            reasons.append("important: repeat complaint")
        if facts.sensitive_customer:
            reasons.append("important: sensitive customer")
    return GradeSuggestion(grade=grade, complexity=complexity, rule_code=code, reasons=tuple(reasons))


DEFAULT_GRADING_RULES: Final[tuple[GradingRule, ...]] = (
    GradingRule(
        code="escalated_or_media",
        priority=10,
        grade=1,
        complexity="important",
        description="越级、媒体曝光或经12345/信访渠道的投诉，定为一级（重要）",
        channels=frozenset({"media", "12345"}),
        keywords=(
            "曝光",
            "媒体",
            "记者",
            "信访",
            "上访",
            "投诉无门",
            "12345",
            "市长热线",
            "网络发帖",
            "群体",
        ),
        escalated=True,
        any_of=True,
    ),
    GradingRule(
        code="conduct",
        priority=20,
        grade=2,
        complexity="ordinary",
        description="服务类投诉涉及服务态度、推诿刁难、吃拿卡要等行风问题，定为二级",
        categories=frozenset({"service"}),
        keywords=("态度", "辱骂", "推诿", "吃拿卡要", "索要", "收受", "不作为", "刁难", "违规"),
    ),
    GradingRule(
        code="sensitive_customer",
        priority=30,
        grade=2,
        complexity="important",
        description="敏感客户的投诉，定为二级（重要）",
        sensitive_customer=True,
    ),
    GradingRule(
        code="business_quality",
        priority=40,
        grade=3,
        complexity="ordinary",
        description="营业业扩、停电、供电质量、电网建设类投诉，定为三级",
        categories=frozenset({"business", "outage", "power_quality", "grid_construction"}),
    ),
    GradingRule(
        code="service_general",
        priority=50,
        grade=4,
        complexity="ordinary",
        description="其他服务类投诉，定为四级",
        categories=frozenset({"service"}),
    ),
)
