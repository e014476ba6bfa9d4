"""Negativity classifier: data loading, deterministic training, save/load, accuracy on ChnSentiCorp dev."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest

from griddesk.engines.text import Analyzer, NegativityModel, default_model, normalise
from griddesk.engines.text.training import figures, read_labelled, train

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "text"
DEV = SHARED / "chnsenticorp" / "dev.tsv"
TRAIN = SHARED / "chnsenticorp" / "train.tsv"

POS = ["房间干净,服务很好", "早餐丰富,位置方便,推荐", "前台热情,下次还来", "性价比高,很满意", "环境安静,床很舒服"]
NEG = ["房间很脏,服务太差", "隔音差,吵得睡不着", "前台态度恶劣,再也不来", "价格贵,设施陈旧,失望", "热水没有,空调坏了"]


def _small() -> tuple[list[str], list[int]]:
    texts, labels = [], []
    for i in range(6):
        for p, n in zip(POS, NEG):
            texts += [f"{p}{'!' * (i % 3)}第{i}次", f"{n}{'?' * (i % 2)}第{i}次"]
            labels += [1, 0]
    return texts, labels


def test_read_labelled_detects_tsv_and_csv_and_skips_bad_rows(tmp_path: Path) -> None:
    tsv = tmp_path / "a.tsv"
    tsv.write_text('label\ttext_a\n1\t"引号"不是CSV引号\n0\t差\n\t\n2\t坏标签\n0\t\n', encoding="utf-8")
    d = read_labelled(tsv)
    assert d.texts == ['"引号"不是CSV引号', "差"] and d.labels == [1, 0] and d.skipped == 3
    csv_file = tmp_path / "b.csv"
    csv_file.write_text('\ufeffcat,label,review\n书,1,"好书,推荐"\n书,0,差\n', encoding="utf-8")
    d = read_labelled(csv_file)
    assert d.texts == ["好书,推荐", "差"] and d.text_column == "review"
    with pytest.raises(ValueError):
        read_labelled(csv_file, text_column="nope")


def test_training_is_deterministic(tmp_path: Path) -> None:
    texts, labels = _small()
    a = train(texts, labels, folds=3, min_df=1)
    b = train(texts, labels, folds=3, min_df=1)
    assert np.array_equal(a.vocab, b.vocab)
    assert np.array_equal(a.weights, b.weights) and a.bias == b.bias and (a.platt_a, a.platt_b) == (b.platt_a, b.platt_b)
    pa, pb = tmp_path / "a.npz", tmp_path / "b.npz"
    a.save(pa)
    b.save(pb)
    assert hashlib.sha256(pa.read_bytes()).digest() == hashlib.sha256(pb.read_bytes()).digest()
    loaded = NegativityModel.load(pa)
    probe = [normalise(t) for t in ["服务很好,推荐", "太差了,失望"]]
    assert np.allclose(loaded.predict_proba(probe), a.predict_proba(probe))
    assert loaded.predict_proba(probe)[1] > loaded.predict_proba(probe)[0]
    # an Analyzer can use the retrained model
    an = Analyzer(model_path=str(pa))
    assert an.analyse("太差了,失望").negativity == pytest.approx(float(loaded.predict_proba([probe[1]])[0]))


def test_training_refuses_one_class() -> None:
    with pytest.raises(ValueError):
        train(["好"] * 20, [1] * 20)


def test_figures() -> None:
    f = figures([0, 0, 1, 1], [True, False, True, False], 2.0)
    assert (f.accuracy, f.precision_neg, f.recall_neg, f.f1_neg, f.items_per_s) == (0.5, 0.5, 0.5, 0.5, 2.0)


def test_shipped_model_metadata() -> None:
    m = default_model()
    assert m.meta.get("source") == "train.tsv" and m.meta.get("rows") == 9600
    assert len(m.vocab) == m.weights.shape[0] > 1000


@pytest.mark.skipif(not DEV.exists(), reason="../shared/data/text not present")
def test_accuracy_on_chnsenticorp_dev() -> None:
    d = read_labelled(DEV)
    probs = default_model().predict_proba([normalise(t) for t in d.texts])
    f = figures(d.labels, [bool(p >= 0.5) for p in probs], 1.0)
    assert f.n == 1200
    assert f.accuracy >= 0.93, f
    # calibration: mean predicted probability of negative close to the observed share of negatives
    share_neg = 1 - sum(d.labels) / len(d.labels)
    assert abs(float(np.mean(probs)) - share_neg) < 0.05
