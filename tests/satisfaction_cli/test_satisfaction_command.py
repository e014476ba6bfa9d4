"""``griddesk satisfaction pls|ahp|fuzzy`` on the ECSI data and published worked examples."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

ROOT = Path(__file__).resolve().parents[2]
ECSI = ROOT / ".." / "shared" / "data" / "pls" / "ecsi_mobi"
BANK = ROOT / ".." / "shared" / "data" / "pls" / "bank_satisfaction" / "satisfaction.csv"
needs_ecsi = pytest.mark.skipif(not (ECSI / "mobi_250.txt").exists(), reason="../shared ECSI data absent")


def run(*args: str) -> str:
    out = StringIO()
    call_command("satisfaction", *args, stdout=out)
    return out.getvalue()


def run_json(*args: str) -> Any:
    return json.loads(run(*args, "--json"))


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "griddesk.settings"}
    return subprocess.run([sys.executable, "-m", "griddesk.cli", "satisfaction", *args], capture_output=True,
                          text=True, cwd=ROOT, env=env, timeout=120)


@pytest.fixture
def ecsi_model(tmp_path: Path) -> Path:
    blocks: dict[str, list[str]] = {}
    with open(ECSI / "ECSImeasuremod.csv", newline="") as f:
        for src, tgt in list(csv.reader(f))[1:]:
            blocks.setdefault(src, []).append(tgt)
    with open(ECSI / "ECSIstrucmod.csv", newline="") as f:
        paths = [[a, b] for a, b in list(csv.reader(f))[1:]]
    p = tmp_path / "model.json"
    p.write_text(json.dumps({"blocks": blocks, "paths": paths}))
    return p


def smartpls(folder: str) -> dict[str, float]:
    """SmartPLS path coefficients as {"FROM->TO": value} (comma decimals)."""
    lines = [line.split("\t") for line in (ECSI / folder / "pathCoefficients.txt").read_text().splitlines()]
    header = [h.strip() for h in lines[0][1:]]
    out = {}
    for cells in lines[1:]:
        for h, v in zip(header, cells[1:]):
            val = float(v.strip().replace(",", ".")) if v.strip() else 0.0
            if h and val:
                out[f"{cells[0].strip()}->{h}"] = val
    return out


@needs_ecsi
@pytest.mark.parametrize(("scheme", "folder"), [("path", "pathWeighting"), ("centroid", "centroid"),
                                                ("factorial", "factorial")])
def test_pls_json_reproduces_reference(ecsi_model: Path, scheme: str, folder: str) -> None:
    out = run_json("pls", str(ECSI / "mobi_250.txt"), "--model", str(ecsi_model), "--scheme", scheme)
    ref = smartpls(folder)
    assert set(out["paths"]) == set(ref)
    for k, v in ref.items():
        assert out["paths"][k] == pytest.approx(v, abs=5e-4), k
    assert set(out) >= {"paths", "r2", "weights", "loadings", "reliability", "gof"}
    assert "index" not in out and "bootstrap" not in out
    assert out["weights"]["CUSCO"] == pytest.approx(1.0)
    assert out["n"] == 250 and out["missing"]["rows_out"] == 250


@needs_ecsi
def test_pls_index_and_bootstrap(ecsi_model: Path) -> None:
    args = ("pls", str(ECSI / "mobi_250.txt"), "--model", str(ecsi_model), "--bootstrap", "50", "--seed", "3",
            "--index", "--scale-min", "1", "--scale-max", "10")
    out = run_json(*args)
    assert set(out["index"]) == {"Image", "Expectation", "Quality", "Value", "Satisfaction", "Complaints", "Loyalty"}
    assert all(0 < v < 100 for v in out["index"].values())
    b = out["bootstrap"]
    assert b["resamples"] == 50 and b["seed"] == 3
    st = b["paths"]["Satisfaction->Loyalty"]
    assert st["ci_low"] < out["paths"]["Satisfaction->Loyalty"] < st["ci_high"]
    assert b["index"]["Satisfaction"]["ci_low"] < out["index"]["Satisfaction"]
    assert run_json(*args) == out  # same seed, same answer
    table = run(*args)
    assert "Index (0-100)" in table and "95% CI" in table and "Satisfaction->Loyalty" in table


@needs_ecsi
def test_pls_readable_table(ecsi_model: Path) -> None:
    table = run("pls", str(ECSI / "mobi_250.txt"), "--model", str(ecsi_model))
    assert "Path coefficients" in table and "GoF" in table
    assert "Satisfaction->Loyalty" in table and "0.485" in table


def test_pls_csv_with_ignored_columns_and_decimal_commas(tmp_path: Path) -> None:
    import numpy as np

    rng = np.random.default_rng(0)
    n = 60
    a = rng.normal(size=n)
    b = 0.7 * a + 0.5 * rng.normal(size=n)
    cols = {"a1": a + 0.3 * rng.normal(size=n), "a2": a + 0.3 * rng.normal(size=n),
            "b1": b + 0.3 * rng.normal(size=n), "b2": b + 0.3 * rng.normal(size=n)}
    model = tmp_path / "m.json"
    model.write_text(json.dumps({"blocks": {"A": ["a1", "a2"], "B": ["b1", "b2"]}, "paths": [["A", "B"]]}))
    comma = tmp_path / "d.csv"
    with open(comma, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["id", "gender", *cols])
        for i in range(n):
            w.writerow([i, "男" if i % 2 else "女", *(f"{cols[c][i]:.6f}" for c in cols)])
    semi = tmp_path / "d.txt"
    with open(semi, "w", newline="") as f:
        w = csv.writer(f, delimiter=";")
        w.writerow(["gender", *cols])
        for i in range(n):
            w.writerow(["x", *(f"{cols[c][i]:.6f}".replace(".", ",") for c in cols)])
    x = run_json("pls", str(comma), "--model", str(model))
    y = run_json("pls", str(semi), "--model", str(model))
    assert x["paths"]["A->B"] == pytest.approx(y["paths"]["A->B"])
    assert 0.5 < x["paths"]["A->B"] < 1


def test_pls_missing_values_policy(tmp_path: Path) -> None:
    model = tmp_path / "m.json"
    model.write_text(json.dumps({"blocks": {"A": ["a1", "a2"], "B": ["b1"]}, "paths": [["A", "B"]]}))
    data = tmp_path / "d.tsv"
    rows = ["a1\ta2\tb1"] + [f"{i % 5 + 1}\t{(i * 7) % 5 + 1}\t{(i * 3) % 4 + 1}" for i in range(30)]
    rows[5] = "3\t\t2"
    data.write_text("\n".join(rows) + "\n")
    with pytest.raises(CommandError, match="listwise"):
        run("pls", str(data), "--model", str(model))
    out = run_json("pls", str(data), "--model", str(model), "--missing", "listwise")
    assert out["n"] == 29 and out["missing"]["dropped_rows"] == [4]  # 0-based data row
    out = run_json("pls", str(data), "--model", str(model), "--missing", "mean")
    assert out["n"] == 30 and out["missing"]["imputed_cells"] == 1


def test_pls_user_errors(tmp_path: Path) -> None:
    data = tmp_path / "d.csv"
    data.write_text("a1,a2,b1\n1,2,3\n2,3,1\n3,1,2\n4,4,4\n")
    model = tmp_path / "m.json"
    for obj, msg in [
        ({"blocks": {"A": ["a1", "zz"], "B": ["b1"]}, "paths": [["A", "B"]]}, "block 'A' names column 'zz'"),
        ({"blocks": {"A": ["a1"], "B": ["b1"]}, "paths": [["A", "C"]]}, "unknown LV 'C'"),
        ({"blocks": {"A": ["a1"], "B": ["b1"]}, "paths": [["A", "B"], ["B", "A"]]}, "cycle"),
    ]:
        model.write_text(json.dumps(obj))
        with pytest.raises(CommandError, match=msg) as e:
            run("pls", str(data), "--model", str(model))
        assert e.value.returncode == 2
    model.write_text("{not json")
    with pytest.raises(CommandError, match="invalid JSON"):
        run("pls", str(data), "--model", str(model))
    model.write_text(json.dumps({"blocks": {"A": ["a1"], "B": ["b1"]}, "paths": [["A", "B"]]}))
    with pytest.raises(CommandError, match="no such file"):
        run("pls", str(tmp_path / "none.csv"), "--model", str(model))
    with pytest.raises(CommandError, match="scale-min"):
        run("pls", str(data), "--model", str(model), "--index")
    data.write_text("a1,a2,b1\n1,2,3\n2,x,1\n3,oops,2\n4,4,4\n")
    model.write_text(json.dumps({"blocks": {"A": ["a1", "a2"], "B": ["b1"]}, "paths": [["A", "B"]]}))
    with pytest.raises(CommandError, match="'x' is not a number"):
        run("pls", str(data), "--model", str(model))


@needs_ecsi
def test_subprocess_exit_codes(ecsi_model: Path, tmp_path: Path) -> None:
    ok = cli("pls", str(ECSI / "mobi_250.txt"), "--model", str(ecsi_model), "--json")
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["paths"]["Image->Expectation"] == pytest.approx(0.50491393, abs=5e-4)
    bad = tmp_path / "bad.json"
    bad.write_text(ecsi_model.read_text().replace("PERQ7", "PERQ9"))
    err = cli("pls", str(ECSI / "mobi_250.txt"), "--model", str(bad), "--json")
    assert err.returncode == 2
    assert "PERQ9" in err.stderr and "Quality" in err.stderr and "Traceback" not in err.stderr
    assert err.stdout == ""


# --------------------------------------------------------------------------- ahp / fuzzy


def test_ahp_leader_example(tmp_path: Path) -> None:
    # Wikipedia, "Analytic hierarchy process – leader example": weights .547/.127/.270/.056
    spec = {"labels": ["Experience", "Education", "Charisma", "Age"],
            "judgements": [["Experience", "Education", 4], ["Experience", "Charisma", 3], ["Experience", "Age", 7],
                           ["Education", "Charisma", 0.3333333], ["Education", "Age", 3], ["Charisma", "Age", 5]]}
    f = tmp_path / "ahp.json"
    f.write_text(json.dumps(spec))
    out = run_json("ahp", str(f))
    assert out["weights"] == pytest.approx({"Experience": 0.547, "Education": 0.127, "Charisma": 0.270,
                                           "Age": 0.056}, abs=1e-3)
    assert out["cr"] < 0.1 and out["consistent"] is True
    assert "λmax" in run("ahp", str(f))
    f.write_text(json.dumps({"labels": ["a", "b", "c"], "matrix": [[1, 9, 1 / 9], [1 / 9, 1, 9], [9, 1 / 9, 1]]}))
    with pytest.raises(CommandError, match="CR = .* must be revised") as e:
        run("ahp", str(f))
    assert e.value.returncode == 2


def test_ahp_hierarchy(tmp_path: Path) -> None:
    three = ["Tom", "Dick", "Harry"]
    spec = {
        "criteria": {"labels": ["Experience", "Education", "Charisma", "Age"],
                     "matrix": [[1, 4, 3, 7], [1 / 4, 1, 1 / 3, 3], [1 / 3, 3, 1, 5], [1 / 7, 1 / 3, 1 / 5, 1]]},
        "alternatives": {
            "Experience": {"labels": three, "matrix": [[1, 1 / 4, 4], [4, 1, 9], [1 / 4, 1 / 9, 1]]},
            "Education": {"labels": three, "matrix": [[1, 3, 1 / 5], [1 / 3, 1, 1 / 7], [5, 7, 1]]},
            "Charisma": {"labels": three, "matrix": [[1, 5, 9], [1 / 5, 1, 4], [1 / 9, 1 / 4, 1]]},
            "Age": {"labels": three, "matrix": [[1, 1 / 3, 5], [3, 1, 9], [1 / 5, 1 / 9, 1]]},
        },
    }
    f = tmp_path / "h.json"
    f.write_text(json.dumps(spec))
    out = run_json("ahp", str(f))
    assert out["priorities"] == pytest.approx({"Tom": 0.358, "Dick": 0.493, "Harry": 0.149}, abs=1e-3)
    assert "Global priorities" in run("ahp", str(f))


def test_fuzzy_clothing_example(tmp_path: Path) -> None:
    # textbook 服装评判 example (see tests/engines/test_fuzzy.py): M(∧,∨) -> (.2,.3,.4,.1), 不太欢迎
    spec = {"weights": [0.1, 0.2, 0.3, 0.4], "grades": ["很欢迎", "较欢迎", "不太欢迎", "不欢迎"],
            "membership": [[0.2, 0.5, 0.2, 0.1], [0.7, 0.2, 0.1, 0], [0, 0.4, 0.5, 0.1], [0.2, 0.3, 0.5, 0]]}
    f = tmp_path / "f.json"
    f.write_text(json.dumps(spec, ensure_ascii=False), encoding="utf-8")
    out = run_json("fuzzy", str(f), "--operator", "min_max")
    assert list(out["vector"].values()) == pytest.approx([0.2, 0.3, 0.4, 0.1])
    assert out["grade"] == "不太欢迎"
    assert "不太欢迎" in run("fuzzy", str(f), "--operator", "min_max")
    two = {"weights": [0.5, 0.5], "grade_scores": [100, 80, 60, 40],
           "groups": [{"weights": [0.5, 0.5], "counts": [[5, 3, 2, 0], [1, 1, 1, 1]]},
                      {"weights": [1.0], "membership": [[0.1, 0.2, 0.3, 0.4]]}]}
    f.write_text(json.dumps(two))
    out = run_json("fuzzy", str(f))
    assert len(out["groups"]) == 2 and 40 < out["score"] < 100
    f.write_text(json.dumps({"weights": [0.9, 0.3], "membership": [[0.5, 0.5], [0.5, 0.5]]}))
    with pytest.raises(CommandError, match="sum to 1"):
        run("fuzzy", str(f))
