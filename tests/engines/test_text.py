"""Text engine: normalisation, segmentation, entities, topic, relevance, keywords, calibration."""

from __future__ import annotations

import numpy as np
import pytest

from griddesk.engines.text import TOPICS, Analyzer, Directory, Entity, negativity, normalise
from griddesk.engines.text.segment import tokenize

DIRECTORY = Directory(places=("城关镇", "东风村", "城关"), stations=("城关供电所", "东城变电站"))


@pytest.fixture(scope="module")
def analyzer() -> Analyzer:
    return Analyzer(directory=DIRECTORY)


# ---- normalisation -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("ＡＢＣ１２３　停电！", "ABC123 停电!"),  # full-width → half-width, ideographic space
        ("電費太貴了，電錶有問題", "电费太贵了,电表有问题"),  # traditional → simplified
        ("<p>又<b>停电</b>了</p><script>alert('x')</script>", "又停电了"),  # tags and script removed
        ("<style>p{color:red}</style>电压&nbsp;低&amp;不稳&lt;3&gt;", "电压 低&不稳<3>"),  # entities unescaped
        ("  多个   空格\n\t换行 ", "多个 空格 换行"),  # whitespace collapsed
        ("\ufeff零\u200b宽字符", "零宽字符"),  # BOM and zero-width removed
        ("简体文本不变", "简体文本不变"),
    ],
)
def test_normalise(raw: str, expected: str) -> None:
    assert normalise(raw) == expected


def test_escaped_markup_is_stripped_after_unescape() -> None:
    assert normalise("&lt;script&gt;停电&lt;/script&gt;") == "停电"


@pytest.mark.parametrize(
    "raw",
    [
        "&amp;lt;script&amp;gt;停电&amp;lt;/script&amp;gt;",
        "&amp;amp;lt;b&amp;amp;gt;停电",
        "<<b>script>停电<</b>/script>",
        "&lt;&lt;b&gt;script&gt;停电",
        "&lt;<b></b>script>停电",
    ],
)
def test_normalise_leaves_no_markup_however_it_is_escaped(raw: str) -> None:
    out = normalise(raw)
    assert "停电" in out
    assert "<" not in out and "&" not in out, out


# ---- segmentation ----------------------------------------------------------------------------------------------------
def test_user_dictionary_keeps_power_terms_whole() -> None:
    tokens = tokenize("我家智能电表走字太快,阶梯电价不合理,欠费停电后一直没有复电,供电所说要抢修")
    for term in ("智能电表", "阶梯电价", "欠费停电", "复电", "供电所", "抢修"):
        assert term in tokens, (term, tokens)


def test_tokens_have_no_punctuation_and_keep_numbers_whole(analyzer: Analyzer) -> None:
    a = analyzer.analyse("打95598没人接！户号1234567890。")
    assert "95598" in a.tokens and "1234567890" in a.tokens
    assert "!" not in a.tokens and "。" not in a.tokens


# ---- entities --------------------------------------------------------------------------------------------------------
def test_entities_with_offsets(analyzer: Analyzer) -> None:
    a = analyzer.analyse("城关镇东风村停电三天，城关供电所不管。户号：3100123456789，手机１３８１２３４５６７８，座机0371-66778899")
    kinds = [(e.kind, e.text) for e in a.entities]
    assert kinds == [
        ("place", "城关镇"),
        ("place", "东风村"),
        ("station", "城关供电所"),  # the station wins over the shorter place "城关"
        ("account", "3100123456789"),
        ("phone", "13812345678"),  # full-width digits normalised first
        ("phone", "0371-66778899"),
    ]
    for e in a.entities:
        assert a.normalised[e.start : e.end] == e.text


def test_account_needs_context_and_phone_needs_a_valid_prefix(analyzer: Analyzer) -> None:
    a = analyzer.analyse("订单号1234567890123已付,号码12812345678不是手机")
    assert [e.kind for e in a.entities] == []
    b = analyzer.analyse("户号为 0012345678 的用户")
    assert b.entities == (Entity("account", "0012345678", 4, 14),)


# ---- topic -----------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "topic"),
    [
        ("我们小区这周第三次停电了,什么时候来电?", "outage"),
        ("晚上电压低,空调带不动,灯忽明忽暗", "power_quality"),
        ("这个月电费怎么这么高,阶梯电价算错了,要求退费", "billing_tariff"),
        ("怀疑电表走字太快,要求校验电能表", "metering"),
        ("营业厅工作人员态度恶劣,还骂人,推诿扯皮", "staff_conduct"),
        ("申请光伏并网两个月了还没办理好,报装手续太多", "business_handling"),
        ("路边电线杆倾斜,电线掉落,有触电安全隐患", "construction_safety"),
        ("用支付宝缴费成功了但网上国网显示没到账", "payment_channels"),
        ("今天天气不错,适合出去玩", "other"),
    ],
)
def test_topic(analyzer: Analyzer, text: str, topic: str) -> None:
    a = analyzer.analyse(text)
    assert a.topic == topic, a.topic_scores
    assert set(a.topic_scores) == set(TOPICS)
    assert sum(a.topic_scores.values()) == pytest.approx(1.0)
    if topic != "other":
        assert topic in a.topic_terms  # explanation: which terms counted


# ---- relevance -------------------------------------------------------------------------------------------------------
def test_relevance(analyzer: Analyzer) -> None:
    assert analyzer.analyse("国家电网95598说今晚抢修,停电要到明早").relevant
    assert analyzer.analyse("东城变电站附近在施工").relevant  # a station from the directory
    off = analyzer.analyse("这家餐厅的红烧肉很好吃,下次还来")
    assert not off.relevant and off.relevance < 0.2
    weak = analyzer.analyse("东风村的路修好了")  # a place alone is not enough
    assert not weak.relevant and weak.relevance > 0


# ---- keywords --------------------------------------------------------------------------------------------------------
def test_risk_keywords(analyzer: Analyzer) -> None:
    a = analyzer.analyse("再不解决我就找媒体曝光,还要打12345投诉!户号1234512345")
    assert a.keywords == ("媒体", "曝光", "12345")
    # a numeric keyword does not match inside a longer number
    assert analyzer.analyse("户号1234512345").keywords == ()
    custom = Analyzer(risk_keywords=["热搜", "ＣＣＴＶ"])
    assert custom.analyse("这事都上热搜了,cctv也来了").keywords == ("热搜", "cctv")


# ---- negativity ------------------------------------------------------------------------------------------------------
NEGATIVE = [
    "一个月停电五次,打95598没人管,太差劲了",
    "服务态度极差,电费乱收,投诉了也没人理",
    "房间又脏又小,空调还坏了,非常失望",
    "等了两个小时外卖才到,饭都凉了,再也不点了",
]
POSITIVE = [
    "抢修师傅半夜冒雨赶来,很快就恢复供电了,非常感谢",
    "营业厅工作人员很耐心,手续办得很快,点赞",
    "酒店位置很好,房间干净,服务周到,下次还会再来",
    "味道很好,送餐也快,好评",
]


def test_negativity_separates_clear_cases() -> None:
    neg = negativity(NEGATIVE)
    pos = negativity(POSITIVE)
    assert neg.shape == (4,) and pos.shape == (4,)
    assert np.all((neg >= 0) & (neg <= 1)) and np.all((pos >= 0) & (pos <= 1))
    assert neg.min() > 0.7, neg
    assert pos.max() < 0.3, pos


def test_analyse_many_matches_analyse(analyzer: Analyzer) -> None:
    texts = NEGATIVE + POSITIVE + [""]
    many = analyzer.analyse_many(texts)
    assert [m.negativity for m in many] == pytest.approx([analyzer.analyse(t).negativity for t in texts])
    assert many[-1].normalised == "" and many[-1].tokens == () and many[-1].topic == "other"


def test_negation_changes_the_score() -> None:
    good, not_good = negativity(["服务很满意", "服务很不满意"])
    assert not_good > good + 0.3
