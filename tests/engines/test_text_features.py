"""Segmenter-free and vectorised features of the text engine (feature version 2)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from griddesk.engines.text import Analyzer, NegativityModel, lexicon, normalise
from griddesk.engines.text.features import (
    NEGATED,
    decode,
    lexicon_features,
    negation_mask,
    ngram_codes,
    string_hashes,
    term_regex,
    word_codes,
)
from griddesk.engines.text.model import FeatureOptions, featurise_batch, lookup
from griddesk.engines.text.segment import PUNCT, cut_raw
from griddesk.engines.text.training import train


def _grams(text: str, max_n: int = 3) -> list[str]:
    return [text[i : i + n] for n in range(1, max_n + 1) for i in range(len(text) - n + 1)]


# ---- character n-grams ---------------------------------------------------------------------------------------------
def test_ngram_codes_are_exact_and_never_cross_texts() -> None:
    texts = ["不好吃", "ab", "", "电费太高了!", "𠀀x"]  # includes an empty text and a character outside the BMP
    doc, codes = ngram_codes(texts, negation=False)
    got: dict[int, list[str]] = {}
    for d, c in zip(doc.tolist(), codes.tolist()):
        got.setdefault(d, []).append(decode(c))
    for i, t in enumerate(texts):
        assert sorted(got.get(i, [])) == sorted(_grams(t)), t
    assert len(set(codes.tolist())) == len({g for t in texts for g in _grams(t)})  # distinct n-grams, distinct codes


def test_ngram_codes_of_a_batch_equal_those_of_each_text_alone() -> None:
    texts = ["服务不太满意,没有及时处理", "房间很干净", "没有电"]
    doc, codes = ngram_codes(texts, four=True)
    for i, t in enumerate(texts):
        _, alone = ngram_codes([t], four=True)
        assert sorted(codes[doc == i].tolist()) == sorted(alone.tolist())


def test_negation_scope_marks_the_characters_after_a_negator_within_the_clause() -> None:
    text = "服务不太满意,没有及时处理"
    assert negation_mask(text) == [(4, 6), (9, 13)]  # 不太 → 满意 (cut at the comma); 没有 → 及时处理
    doc, codes = ngram_codes([text])
    negated = sorted(decode(c) for c in codes.tolist() if c & NEGATED)
    assert "~满意" in negated and "~及时" in negated and "~满" in negated
    assert not any(g.startswith("~服") or g == "~," for g in negated)


# ---- term patterns ---------------------------------------------------------------------------------------------------
def test_term_regex_is_leftmost_longest_and_overlapping_finds_every_start() -> None:
    words = ["停电", "频繁停电", "停", "电费", "电费高"]
    assert term_regex(words).findall("频繁停电电费高停") == ["频繁停电", "电费高", "停"]
    assert term_regex(words, overlapping=True).findall("频繁停电电费高停") == ["频繁停电", "停电", "电费高", "停"]
    assert term_regex([]).findall("anything") == []
    assert term_regex(["a.b"]).findall("a.b axb") == ["a.b"]  # escaped


def test_topic_terms_count_overlapping_and_nested_terms() -> None:
    text = "频繁停电,电费高,又停电"
    a = Analyzer().analyse(text)
    outage = dict((t, c) for t, c, _ in a.topic_terms["outage"])
    assert outage["频繁停电"] == 1 and outage["停电"] == 2 and outage["又停"] == 1
    billing = dict((t, c) for t, c, _ in a.topic_terms["billing_tariff"])
    assert billing["电费"] == 1 and billing["电费高"] == 1  # "电费" is a prefix of the longest match "电费高"
    rel = dict((t, c) for t, c, _ in a.relevance_terms)
    assert rel["停电"] == 2 and rel["电费"] == 1 and rel["电"] == 3
    # every occurrence counts, as str.count would (none of these terms overlaps itself)
    for matches in [*a.topic_terms.values(), a.relevance_terms]:
        for term, count, _ in matches:
            assert count == text.count(term), term


# ---- dense lexicon block ---------------------------------------------------------------------------------------------
def test_lexicon_features_count_negated_words_separately() -> None:
    plain = lexicon_features("服务满意")
    negated = lexicon_features("服务没有满意")
    assert plain[0] > 0 and plain[2] == 0  # positive, not negated
    assert negated[0] == 0 and negated[2] > 0  # negated positive
    assert negated[5] > plain[5]  # polarity moves towards negative
    cut = lexicon_features("没有,满意")  # punctuation ends the negation scope
    assert cut[0] > 0 and cut[2] == 0



def test_round4_general_lexicon_terms_reach_the_dense_block_and_the_segmenter() -> None:
    # round 4 (ADR 0008): general-purpose negators and sentiment words
    assert {"毫无", "并非", "根本不"} <= lexicon.NEGATORS
    assert "诚意" in lexicon.POSITIVE_WORDS and "避雷" in lexicon.NEGATIVE_WORDS
    negated = lexicon_features("毫无诚意")  # new negator + new positive word → a negated positive
    assert negated[0] == 0 and negated[2] > 0
    assert lexicon_features("建议避雷")[1] > 0  # new negative word counted
    # leftmost-longest: 灿烂 is a positive word, not a hit on the negative 烂 of 太烂
    bright = lexicon_features("阳光灿烂")
    assert bright[0] > 0 and bright[1] == 0
    assert "避雷" in cut_raw("建议大家避雷")  # lexicon terms are user-dictionary words of the segmenter

# ---- word features and hashing ---------------------------------------------------------------------------------------
def test_string_hashes_do_not_depend_on_the_batch_or_the_process_hash_seed() -> None:
    words = ["停电", "电费", "a", "𠀀", "停电了"]
    h = string_hashes(words)
    assert len(set(h.tolist())) == len(words)
    assert string_hashes(["停电"]).tolist() == [h[0]]
    code = "from griddesk.engines.text.features import string_hashes; print(string_hashes(['停电', '电费']).tolist())"
    root = Path(__file__).resolve().parents[2]
    outs = {
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=root,
                       env={**os.environ, "PYTHONHASHSEED": seed}).stdout
        for seed in ("1", "2")
    }
    assert outs == {str(h[:2].tolist()) + "\n"}


def test_word_codes_mark_negated_words_and_keep_bigrams_inside_clauses() -> None:
    toks = cut_raw("服务不满意,很好")
    doc, codes = word_codes([toks, ["好"]], punct=PUNCT, negators=lexicon.NEGATORS)
    n_words = sum(1 for t in toks if t not in PUNCT)
    assert (doc == 0).sum() == n_words + (n_words - 2)  # unigrams + bigrams of 2 clauses
    assert (doc == 1).sum() == 1
    neg_doc, neg_codes = word_codes([["不", "好"]], punct=PUNCT, negators=lexicon.NEGATORS)
    _, plain_codes = word_codes([["好"]], punct=PUNCT, negators=lexicon.NEGATORS)
    assert plain_codes[0] not in neg_codes.tolist()  # "好" after 不 is a different (negated) feature


def test_lookup_finds_distinct_features_per_document() -> None:
    vocab = np.array(sorted({3, 7, 11, -5}), dtype=np.int64)
    doc = np.array([0, 0, 0, 1, 1, 2, 2], dtype=np.int64)
    codes = np.array([7, 7, 5, 11, 3, 99, -5], dtype=np.int64)
    d, f = lookup(vocab, doc, codes)
    assert list(zip(d.tolist(), f.tolist())) == [(0, 2), (1, 1), (1, 3), (2, 0)]


# ---- feature options travel with the model ---------------------------------------------------------------------------
def test_feature_options_are_saved_with_the_model(tmp_path: Path) -> None:
    texts = ["房间干净,服务很好", "服务太差,非常失望", "早餐丰富,推荐", "没有热水,不满意"] * 5
    labels = [1, 0, 1, 0] * 5
    opts = FeatureOptions(fourgrams=True, char_negation=True, words=False)
    m = train(texts, labels, folds=2, min_df=1, options=opts)
    p = tmp_path / "m.npz"
    m.save(p)
    loaded = NegativityModel.load(p)
    assert loaded.options == opts
    probe = [normalise(t) for t in ["服务很好", "非常失望"]]
    assert np.allclose(loaded.predict_proba(probe), m.predict_proba(probe))
    _, codes, _ = featurise_batch(["服务很好"], opts)
    assert any(c & (1 << 62) and c & NEGATED for c in codes.tolist())  # 4-gram codes present
    assert len(featurise_batch(["服务很好"], FeatureOptions(fourgrams=False, words=False))[1]) == 4 + 3 + 2


@pytest.mark.parametrize("text", ["", "   ", "!!!", "a"])
def test_degenerate_texts(text: str) -> None:
    a = Analyzer().analyse(text)
    assert 0.0 <= a.negativity <= 1.0
