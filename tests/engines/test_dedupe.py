from __future__ import annotations

import pytest

from griddesk.engines.dedupe import (
    canonical_url,
    dedupe_key,
    hamming,
    jaccard,
    near_duplicate,
    nearest,
    shingles,
    simhash,
    text_key,
    to_signed,
    to_unsigned,
)

STORM = "东湖县城关镇从昨晚十点停电到现在还没来电，冰箱里的东西全坏了，供电公司电话一直打不通！"
REPOST = "【转发】" + STORM + "#停电#"
OTHER_OUTAGE = "东湖县临湖镇昨晚停电到现在还没来电，供电公司电话一直打不通，家里老人很热"
BILL = "本月电费比上个月多了三百块，家里就两个人，电表是不是有问题？给个说法"


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("https://www.Example.com/news/1/?utm_source=wx&id=5#top", "http://example.com/news/1?id=5"),
        ("https://example.com:443/a//b/", "https://example.com/a/b"),
        ("http://example.com/p?b=2&a=1&spm=x.y", "http://example.com/p?a=1&b=2"),
    ],
)
def test_canonical_url_equates_the_same_page(a: str, b: str) -> None:
    assert canonical_url(a) == canonical_url(b)
    assert dedupe_key(a, "x") == dedupe_key(b, "y")


def test_canonical_url_keeps_what_identifies_the_page() -> None:
    assert canonical_url("http://example.com/p?id=1") != canonical_url("http://example.com/p?id=2")
    assert canonical_url("http://example.com:8080/p") != canonical_url("http://example.com/p")
    assert canonical_url("  ") == ""


def test_text_key_ignores_width_case_space_and_punctuation() -> None:
    assert text_key("停电了！ ＡＢＣ１２３") == text_key("停电了abc123")
    assert dedupe_key("", "停电了！！") == dedupe_key("", "停电了") != dedupe_key("", "来电了")
    assert dedupe_key("", "x").startswith("t:") and dedupe_key("http://a.b/c", "x").startswith("u:")


def test_reposts_are_near_duplicates_and_different_posts_are_not() -> None:
    assert near_duplicate(STORM, REPOST)
    assert hamming(simhash(STORM), simhash(REPOST)) <= 8
    assert not near_duplicate(STORM, OTHER_OUTAGE)  # same template, different story
    assert not near_duplicate(STORM, BILL)
    assert hamming(simhash(STORM), simhash(BILL)) > 18


def test_nearest_picks_the_best_confirmed_candidate() -> None:
    cands = [(1, simhash(BILL), BILL), (2, to_signed(simhash(REPOST)), REPOST), (3, simhash(OTHER_OUTAGE), OTHER_OUTAGE)]
    found = nearest(STORM, cands)
    assert found is not None and found[0] == 2 and found[1] > 0.8
    assert nearest(BILL + "再加几个字", [(9, simhash(STORM), STORM)]) is None


def test_signed_round_trip_and_empty_text() -> None:
    for h in (0, 1, (1 << 63), (1 << 64) - 1, simhash(STORM)):
        s = to_signed(h)
        assert -(1 << 63) <= s < (1 << 63)
        assert to_unsigned(s) == h
    assert simhash("") == 0 and shingles("！！") == frozenset()
    assert jaccard(frozenset(), frozenset()) == 1.0


def test_near_index_gives_the_same_answers_as_nearest() -> None:
    import random

    from griddesk.engines.dedupe import NearConfig, NearIndex

    rng = random.Random(7)
    towns = ["城关", "临湖", "青山", "白沙", "城西", "石门"]
    lines = ["{t}镇整片停电，已经两个小时了，冰箱里的东西都要化了", "{t}镇电费比上个月多了两百多，电表是不是有问题",
             "感谢{t}供电所的师傅冒雨抢修，半夜就来电了"]
    texts = [rng.choice(lines).format(t=rng.choice(towns)) + "第" + str(rng.randint(1, 30)) + "条" for _ in range(300)]
    candidates = [(i + 1, to_signed(simhash(t)), t) for i, t in enumerate(texts[:200])]
    for cfg in (NearConfig(), NearConfig(max_distance=6, min_jaccard=0.8)):
        index = NearIndex(candidates, cfg)
        assert len(index) == 200
        for t in texts[200:] + [STORM, REPOST, "完全无关的一句话"]:
            assert index.nearest(t, simhash(t)) == nearest(t, candidates, cfg)
    # Added candidates are searched, newest first, before the given ones.
    index = NearIndex(candidates)
    index.add(-1, simhash(STORM), STORM)
    assert index.nearest(REPOST) == nearest(REPOST, [(-1, simhash(STORM), STORM), *candidates])
    assert index.nearest(REPOST) is not None and index.nearest(REPOST)[0] == -1  # type: ignore[index]
    assert NearIndex([]).nearest(STORM) is None


def test_dedupe_keys_agree_with_dedupe_key() -> None:
    from griddesk.engines.dedupe import dedupe_keys

    for url, text in [("", STORM), ("https://www.example.com/a?utm_source=x", STORM), ("", "！！ ？"), ("  ", REPOST)]:
        key, text_hash = dedupe_keys(url, text)
        if not text_key(text):
            assert (key, text_hash) == ("", "")
            continue
        assert key == dedupe_key(url, text) and text_hash == dedupe_key("", text)[2:]
