from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from griddesk.engines.search import Document, Field, bigrams, document_tokens, matches, normalise, plan

CJK = st.text(alphabet=st.sampled_from("电费表箱停电抢修客户投诉营业厅东湖路号单元服务态度差高"), min_size=2, max_size=30)


def test_bigrams_fold_case_width_and_punctuation():
    assert bigrams("电费，偏高！") == ["电费", "费偏", "偏高"]
    assert normalise("ＡＢ c-1") == "abc1"
    assert bigrams("电") == ["电"]


@given(text=CJK, start=st.integers(0, 28), length=st.integers(2, 10))
def test_every_substring_of_the_text_finds_the_order(text, start, length):
    q = text[start:start + length]
    if len(q) < 2:
        return
    tokens = document_tokens(Document(texts=[text]))
    assert matches(tokens, plan(q, personal=False))


def test_phone_whole_and_last_four_only_for_personal_searches():
    tokens = document_tokens(Document(phones=["138-1234-5678"], texts=["电费偏高"]))
    assert matches(tokens, plan("13812345678", personal=True))
    assert matches(tokens, plan("5678", personal=True))
    assert not matches(tokens, plan("1234", personal=True))  # not the last four
    assert not matches(tokens, plan("13812345678", personal=False))
    assert not matches(tokens, plan("5678", personal=False))


def test_fields_do_not_leak_into_each_other():
    tokens = document_tokens(Document(names=["张三"], addresses=["东湖路88号"], texts=["表箱损坏"]))
    assert matches(tokens, plan("张三", personal=True))
    assert not matches(tokens, plan("张三", personal=False))  # a name is personal data
    assert matches(tokens, plan("东湖路", personal=True))
    assert not matches(tokens, plan("东湖路", personal=False))
    assert matches(tokens, plan("表箱", personal=False))
    assert plan("张三", personal=True).personal and not plan("表箱", personal=False).personal


def test_confidential_orders_are_found_by_personal_data_only_by_the_intake_side():
    tokens = document_tokens(Document(phones=["13812345678"], names=["张三"], confidential=True))
    assert not matches(tokens, plan("13812345678", personal=True))
    assert matches(tokens, plan("13812345678", personal=True, confidential=True))
    assert matches(tokens, plan("张三", personal=True, confidential=True))


def test_numbers_match_exactly_for_everyone():
    tokens = document_tokens(Document(numbers=[(Field.NUMBER, "TS20261128000123"), (Field.EXTERNAL_ID, "95598-2026112800001")]))
    assert matches(tokens, plan("ts20261128000123", personal=False))
    assert matches(tokens, plan("95598-2026112800001", personal=False))
    assert not matches(tokens, plan("TS2026112800012", personal=False))


def test_one_character_is_too_short():
    p = plan("电", personal=True)
    assert p.too_short and not p.clauses
