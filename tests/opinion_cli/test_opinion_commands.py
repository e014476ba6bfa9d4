"""``griddesk opinion evaluate`` and ``griddesk opinion train`` on tiny files."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from griddesk.engines.text import NegativityModel

ROWS = [
    (1, "服务很好,抢修及时,非常满意"),
    (1, "房间干净,前台热情,推荐"),
    (1, "送餐很快,味道不错"),
    (0, "三天两头停电,太差了,投诉也没人管"),
    (0, "态度恶劣,乱收费,非常失望"),
    (0, "饭菜凉了,等了两个小时,差评"),
]


def _write(tmp_path: Path, name: str, sep: str) -> Path:
    p = tmp_path / name
    head = sep.join(["label", "review"])
    p.write_text(head + "\n" + "\n".join(f"{lab}{sep}{t}" for lab, t in ROWS) + "\n", encoding="utf-8")
    return p


def test_evaluate_prints_one_json_line_with_both_systems(tmp_path: Path) -> None:
    f = _write(tmp_path, "tiny.tsv", "\t")
    out = StringIO()
    call_command("opinion", "evaluate", str(f), stdout=out)
    lines = out.getvalue().strip().splitlines()
    result = json.loads(lines[-1])
    assert result["rows"] == 6 and result["griddesk"]["n"] == 6
    for system in ("griddesk", "snownlp"):
        figs = result[system]
        assert set(figs) >= {"accuracy", "precision_neg", "recall_neg", "f1_neg", "items_per_s"}
        assert 0 <= figs["accuracy"] <= 1 and figs["items_per_s"] > 0
    assert result["griddesk"]["accuracy"] == 1.0
    assert result["f1_neg_gain_points"] == pytest.approx(
        100 * (result["griddesk"]["f1_neg"] - result["snownlp"]["f1_neg"]), abs=0.02
    )
    assert any(line.startswith("griddesk") for line in lines[:-1])  # the human-readable table comes first


def test_evaluate_with_named_columns_and_without_snownlp(tmp_path: Path) -> None:
    p = tmp_path / "named.csv"
    p.write_text("y,body\n" + "\n".join(f"{lab},{t.replace(',', ' ')}" for lab, t in ROWS), encoding="utf-8")
    out = StringIO()
    call_command("opinion", "evaluate", str(p), "--text-column", "body", "--label-column", "y", "--no-snownlp",
                 stdout=out)
    result = json.loads(out.getvalue().strip().splitlines()[-1])
    assert "snownlp" not in result and result["griddesk"]["n"] == 6
    with pytest.raises(CommandError):
        call_command("opinion", "evaluate", str(p), stdout=StringIO())  # no text/label column found


def test_train_on_own_data_writes_a_loadable_model(tmp_path: Path) -> None:
    f = _write(tmp_path, "own.csv", ",")
    rows = f.read_text(encoding="utf-8").splitlines()
    f.write_text("\n".join([rows[0]] + rows[1:] * 4) + "\n", encoding="utf-8")
    out_path = tmp_path / "model.npz"
    out = StringIO()
    call_command("opinion", "train", "--data", str(f), "--out", str(out_path), "--folds", "2", stdout=out)
    assert "saved" in out.getvalue()
    m = NegativityModel.load(out_path)
    assert m.meta["rows"] == 24 and m.meta["source"] == "own.csv"
