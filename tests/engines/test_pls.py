"""PLS-PM engine: reference results (ECSI mobile phone, SmartPLS 2), properties and errors."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from griddesk.engines.pls import PlsError, PlsModel, missing_policy, pls_fit

SHARED = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "pls"
ECSI = SHARED / "ecsi_mobi"
BANK = SHARED / "bank_satisfaction" / "satisfaction.csv"

needs_ecsi = pytest.mark.skipif(not (ECSI / "mobi_250.txt").exists(), reason="../shared/data/pls/ecsi_mobi absent")
needs_bank = pytest.mark.skipif(not BANK.exists(), reason="../shared bank satisfaction data absent")


# --------------------------------------------------------------------------- helpers


def _ecsi() -> tuple[np.ndarray, list[str], PlsModel]:
    with open(ECSI / "mobi_250.txt", newline="") as f:
        rows = list(csv.reader(f, delimiter="\t"))
    cols = rows[0]
    x = np.array(rows[1:], dtype=float)
    blocks: dict[str, list[str]] = {}
    with open(ECSI / "ECSImeasuremod.csv", newline="") as f:
        for src, tgt in list(csv.reader(f))[1:]:
            blocks.setdefault(src, []).append(tgt)
    with open(ECSI / "ECSIstrucmod.csv", newline="") as f:
        paths = [(a, b) for a, b in list(csv.reader(f))[1:]]
    return x, cols, PlsModel(blocks=blocks, paths=paths)


def _read_matrix(path: Path) -> dict[str, dict[str, float]]:
    """A SmartPLS export: tab-separated, padded, comma decimal separators."""
    lines = [line.rstrip("\n").split("\t") for line in path.read_text().splitlines() if line.strip()]
    header = [h.strip() for h in lines[0][1:]]
    out: dict[str, dict[str, float]] = {}
    for cells in lines[1:]:
        out[cells[0].strip()] = {h: float(v.strip().replace(",", ".")) for h, v in zip(header, cells[1:])
                                 if h and v.strip()}
    return out


def _bank() -> tuple[np.ndarray, list[str], PlsModel]:
    with open(BANK, newline="") as f:
        rows = list(csv.reader(f))
    header = rows[0][1:]
    keep = [i for i, h in enumerate(header) if h != "gender"]
    x = np.array([[float(r[1:][i]) for i in keep] for r in rows[1:]])
    cols = [header[i] for i in keep]
    blocks = {lv: [c for c in cols if c.rstrip("0123456789") == prefix]
              for lv, prefix in [("IMAG", "imag"), ("EXPE", "expe"), ("QUAL", "qual"), ("VAL", "val"),
                                 ("SAT", "sat"), ("LOY", "loy")]}
    paths = [("IMAG", "EXPE"), ("IMAG", "SAT"), ("IMAG", "LOY"), ("EXPE", "QUAL"), ("EXPE", "VAL"),
             ("EXPE", "SAT"), ("QUAL", "VAL"), ("QUAL", "SAT"), ("VAL", "SAT"), ("SAT", "LOY")]
    return x, cols, PlsModel(blocks=blocks, paths=paths)


def _synthetic(n: int = 400, seed: int = 3) -> tuple[np.ndarray, list[str], PlsModel]:
    rng = np.random.default_rng(seed)
    a = rng.normal(size=n)
    b = 0.6 * a + 0.8 * rng.normal(size=n)
    c = 0.5 * a + 0.4 * b + 0.7 * rng.normal(size=n)
    cols, data = [], []
    for name, lv in (("a", a), ("b", b), ("c", c)):
        for i, lam in enumerate((0.9, 0.8, 0.7)):
            cols.append(f"{name}{i + 1}")
            data.append(lam * lv + np.sqrt(1 - lam**2) * rng.normal(size=n))
    model = PlsModel(blocks={"A": ["a1", "a2", "a3"], "B": ["b1", "b2", "b3"], "C": ["c1", "c2", "c3"]},
                     paths=[("A", "B"), ("A", "C"), ("B", "C")])
    return np.column_stack(data), cols, model


# --------------------------------------------------------------------------- ECSI reference


SCHEMES = [("path", "pathWeighting"), ("centroid", "centroid"), ("factorial", "factorial")]


@needs_ecsi
@pytest.mark.parametrize(("scheme", "folder"), SCHEMES)
def test_ecsi_reproduces_smartpls_reference(scheme: str, folder: str) -> None:
    x, cols, model = _ecsi()
    res = pls_fit(x, cols, model, scheme=scheme)
    ref_dir = ECSI / folder
    checked = 0
    for (f, t), ref in ((k, v) for f_, row in _read_matrix(ref_dir / "pathCoefficients.txt").items()
                        for k, v in (((f_, t_), val) for t_, val in row.items())):
        assert res.paths.get((f, t), 0.0) == pytest.approx(ref, abs=5e-4), (f, t)
        checked += 1
    for (f, t), ref in ((k, v) for f_, row in _read_matrix(ref_dir / "totalEffects.txt").items()
                        for k, v in (((f_, t_), val) for t_, val in row.items())):
        assert res.total_effects.get((f, t), 0.0) == pytest.approx(ref, abs=5e-4), (f, t)
        checked += 1
    for ind, row in _read_matrix(ref_dir / "outerWeights.txt").items():
        for lv, ref in row.items():
            mine = res.weights[ind] if ind in model.blocks[lv] else 0.0
            assert mine == pytest.approx(ref, abs=5e-4), (ind, lv)
            checked += 1
    for ind, row in _read_matrix(ref_dir / "crossLoadings.txt").items():
        for lv, ref in row.items():
            assert res.cross_loadings[ind][lv] == pytest.approx(ref, abs=5e-4), (ind, lv)
            if ind in model.blocks[lv]:
                assert res.loadings[ind] == pytest.approx(ref, abs=5e-4)
            checked += 1
    assert checked == 2 * 49 + 2 * 24 * 7
    assert res.n == 250


@needs_ecsi
def test_ecsi_quality_measures_are_consistent() -> None:
    x, cols, model = _ecsi()
    res = pls_fit(x, cols, model)
    # R² equals the squared correlation of the LV with its fitted value = sum beta * corr
    corr = np.corrcoef(res.scores, rowvar=False)
    lv = {name: i for i, name in enumerate(res.lvs)}
    for t, r2 in res.r2.items():
        preds = [f for f, tt in model.paths if tt == t]
        xx = res.scores[:, [lv[p] for p in preds]]
        beta, *_ = np.linalg.lstsq(xx, res.scores[:, lv[t]], rcond=None)
        assert r2 == pytest.approx(float(beta @ corr[[lv[p] for p in preds], lv[t]]), abs=1e-9)
        assert 0 < r2 < 1
    assert set(res.r2) == {"Expectation", "Quality", "Value", "Satisfaction", "Complaints", "Loyalty"}
    # single-indicator block: loading 1, alpha = rho = ave = 1
    assert res.reliability["Complaints"].alpha == 1.0 and res.reliability["Complaints"].ave == pytest.approx(1.0)
    # Cronbach's alpha of the standardised Satisfaction block, by the textbook formula on the data
    z = (x - x.mean(0)) / x.std(0, ddof=1)
    sat = z[:, [cols.index(c) for c in model.blocks["Satisfaction"]]]
    k = sat.shape[1]
    alpha = k / (k - 1) * (1 - sat.var(0, ddof=1).sum() / sat.sum(1).var(ddof=1))
    assert res.reliability["Satisfaction"].alpha == pytest.approx(alpha, abs=1e-9)
    lam = np.array([res.loadings[c] for c in model.blocks["Satisfaction"]])
    assert res.reliability["Satisfaction"].ave == pytest.approx(float(np.mean(lam**2)))
    assert res.reliability["Satisfaction"].rho_c == pytest.approx(lam.sum() ** 2 / (lam.sum() ** 2 + (1 - lam**2).sum()))
    # GoF = sqrt(mean communality of multi-indicator blocks x mean R²)
    comm = [res.loadings[i] ** 2 for lvn, inds in model.blocks.items() if len(inds) > 1 for i in inds]
    assert res.gof == pytest.approx(np.sqrt(np.mean(comm) * np.mean(list(res.r2.values()))))
    # scores are standardised and are X w
    assert np.allclose(res.scores.mean(0), 0, atol=1e-12) and np.allclose(res.scores.std(0, ddof=1), 1)
    w = np.array([res.weights[c] for c in model.blocks["Image"]])
    img = z[:, [cols.index(c) for c in model.blocks["Image"]]] @ w
    assert np.allclose(img, res.scores[:, lv["Image"]])


@needs_ecsi
def test_ecsi_index_is_fornell_rescaled_weights() -> None:
    x, cols, model = _ecsi()
    rng = dict.fromkeys(cols, (1.0, 10.0))
    res = pls_fit(x, cols, model, scale_range=rng)
    assert res.index is not None and set(res.index) == set(model.blocks)
    # single indicator: the index is its mean rescaled from 1..10 to 0..100
    cusco = x[:, cols.index("CUSCO")].mean()
    assert res.index["Complaints"] == pytest.approx((cusco - 1) / 9 * 100)
    # multi-indicator: weights / sd, normalised to sum 1, applied to the means
    inds = model.blocks["Satisfaction"]
    sd = x[:, [cols.index(c) for c in inds]].std(0, ddof=1)
    raw = np.array([res.weights[c] for c in inds]) / sd
    mean = x[:, [cols.index(c) for c in inds]].mean(0)
    assert res.index["Satisfaction"] == pytest.approx(float((raw / raw.sum()) @ (mean - 1) / 9 * 100))
    assert all(0 < v < 100 for v in res.index.values())
    # LVs with an indicator lacking a range get no index
    part = pls_fit(x, cols, model, scale_range={c: (1.0, 10.0) for c in cols if c != "PERV2"})
    assert part.index is not None and "Value" not in part.index and "Satisfaction" in part.index


@needs_ecsi
def test_ecsi_to_json_shape() -> None:
    x, cols, model = _ecsi()
    js = pls_fit(x, cols, model, scale_range=dict.fromkeys(cols, (1.0, 10.0))).to_json()
    assert js["paths"]["Satisfaction->Loyalty"] == pytest.approx(0.48547762, abs=5e-4)
    assert set(js["reliability"]["Image"]) == {"alpha", "rho_c", "ave"}
    assert js["bootstrap"] is None and js["index"]["Complaints"] > 0
    import json

    json.dumps(js)  # JSON-serialisable


# --------------------------------------------------------------------------- bootstrap


@needs_ecsi
def test_bootstrap_reproducible_and_sensible() -> None:
    x, cols, model = _ecsi()
    a = pls_fit(x, cols, model, bootstrap=200, seed=7, scale_range=dict.fromkeys(cols, (1.0, 10.0)))
    b = pls_fit(x, cols, model, bootstrap=200, seed=7, scale_range=dict.fromkeys(cols, (1.0, 10.0)))
    c = pls_fit(x, cols, model, bootstrap=200, seed=8)
    assert a.bootstrap is not None and b.bootstrap is not None and c.bootstrap is not None
    assert a.bootstrap.to_json() == b.bootstrap.to_json()
    assert a.bootstrap.paths[("Image", "Expectation")].se != c.bootstrap.paths[("Image", "Expectation")].se
    assert a.bootstrap.resamples == 200
    for key, st in a.bootstrap.paths.items():
        assert st.original == a.paths[key]
        assert st.ci_low <= st.mean <= st.ci_high
        assert 0 < st.se < 0.2
    # strong paths exclude zero, the tiny Expectation->Value path does not
    assert a.bootstrap.paths[("Satisfaction", "Loyalty")].ci_low > 0.2
    ev = a.bootstrap.paths[("Expectation", "Value")]
    assert ev.ci_low < 0 < ev.ci_high
    assert a.bootstrap.index is not None
    sat = a.bootstrap.index["Satisfaction"]
    assert sat.ci_low < sat.original < sat.ci_high and sat.ci_high - sat.ci_low < 10


def test_bootstrap_matches_naive_resampling() -> None:
    """The vectorised bootstrap gives the same numbers as refitting each resample."""
    x, cols, model = _synthetic(n=120)
    res = pls_fit(x, cols, model, bootstrap=30, seed=11)
    assert res.bootstrap is not None
    idx = np.random.default_rng(11).integers(0, len(x), size=(30, len(x)))
    naive = np.array([pls_fit(x[i], cols, model).paths[("A", "C")] for i in idx])
    st = res.bootstrap.paths[("A", "C")]
    assert st.mean == pytest.approx(naive.mean(), abs=1e-9)
    assert st.se == pytest.approx(naive.std(ddof=1), abs=1e-9)
    assert st.ci_low == pytest.approx(np.percentile(naive, 2.5), abs=1e-9)


# --------------------------------------------------------------------------- properties


def test_recovers_known_structural_model() -> None:
    x, cols, model = _synthetic(n=20000, seed=5)
    res = pls_fit(x, cols, model)
    # composites attenuate a little; signs and ordering must hold
    assert res.paths[("A", "B")] > 0.4 and res.paths[("A", "C")] > res.paths[("B", "C")] > 0.15
    assert all(0.6 < res.loadings[c] < 1 for c in cols)


def test_rescaling_an_indicator_changes_nothing_standardised() -> None:
    x, cols, model = _synthetic()
    base = pls_fit(x, cols, model)
    y = x.copy()
    y[:, 0] = y[:, 0] * 37.5 + 4
    y[:, 5] = y[:, 5] * 0.01 - 2
    moved = pls_fit(y, cols, model)
    for k, v in base.paths.items():
        assert moved.paths[k] == pytest.approx(v, abs=1e-10)
    for k, v in base.weights.items():
        assert moved.weights[k] == pytest.approx(v, abs=1e-10)
    assert np.allclose(moved.scores, base.scores)


def test_permuting_rows_changes_nothing() -> None:
    x, cols, model = _synthetic()
    base = pls_fit(x, cols, model)
    perm = np.random.default_rng(0).permutation(len(x))
    other = pls_fit(x[perm], cols, model)
    assert other.paths == pytest.approx(base.paths)
    assert other.loadings == pytest.approx(base.loadings)
    assert np.allclose(other.scores, base.scores[perm])


def test_column_order_and_extra_columns_do_not_matter() -> None:
    x, cols, model = _synthetic()
    base = pls_fit(x, cols, model)
    order = list(reversed(range(len(cols))))
    extra = np.column_stack([x[:, order], np.arange(len(x), dtype=float)])
    other = pls_fit(extra, [cols[i] for i in order] + ["respondent_id"], model)
    assert other.paths == pytest.approx(base.paths)


def test_center_and_none_agree_and_weights_apply_to_raw_units() -> None:
    x, cols, model = _synthetic()
    x = x * np.arange(1, 10) + 5
    c = pls_fit(x, cols, model, scale="center")
    n = pls_fit(x, cols, model, scale="none")
    assert c.paths == pytest.approx(n.paths)
    w = np.array([c.weights[i] for i in model.blocks["A"]])
    a = x[:, :3] @ w
    assert a.std(ddof=1) == pytest.approx(1.0)
    assert np.allclose((a - a.mean()), c.scores[:, 0])


def test_mode_b_on_two_blocks_is_multiple_regression() -> None:
    """Mode B block -> single-indicator block: the weights are the OLS coefficients (up to scale)
    and the path coefficient is the multiple correlation R (Wold's redundancy analysis case)."""
    rng = np.random.default_rng(1)
    n = 500
    xb = rng.normal(size=(n, 3)) @ np.array([[1, 0.3, 0.2], [0, 1, 0.4], [0, 0, 1]])
    y = xb @ np.array([0.5, -0.3, 0.8]) + rng.normal(size=n)
    data = np.column_stack([xb, y])
    cols = ["x1", "x2", "x3", "y"]
    for scheme in ("path", "centroid", "factorial"):
        res = pls_fit(data, cols, PlsModel(blocks={"F": ["x1", "x2", "x3"], "Y": ["y"]}, paths=[("F", "Y")],
                                           modes={"F": "B"}), scheme=scheme)
        z = (data - data.mean(0)) / data.std(0, ddof=1)
        beta, *_ = np.linalg.lstsq(z[:, :3], z[:, 3], rcond=None)
        r2 = 1 - np.sum((z[:, 3] - z[:, :3] @ beta) ** 2) / np.sum(z[:, 3] ** 2)
        w = np.array([res.weights[c] for c in ("x1", "x2", "x3")])
        assert w / np.linalg.norm(w) == pytest.approx(beta / np.linalg.norm(beta), abs=1e-7)
        assert res.paths[("F", "Y")] == pytest.approx(np.sqrt(r2), abs=1e-7)
        assert res.r2["Y"] == pytest.approx(r2, abs=1e-7)


def test_mode_a_on_two_blocks_is_first_singular_pair() -> None:
    """Both blocks Mode A: the weights are the first singular vectors of the cross-correlation
    matrix (Tucker's inter-battery / PLS-SVD)."""
    x, cols, _ = _synthetic(n=300, seed=9)
    model = PlsModel(blocks={"A": ["a1", "a2", "a3"], "B": ["b1", "b2", "b3"]}, paths=[("A", "B")])
    res = pls_fit(x, cols, model, scheme="centroid")
    r = np.corrcoef(x[:, :6], rowvar=False)
    u, _, vt = np.linalg.svd(r[:3, 3:])
    wa = np.array([res.weights[c] for c in ("a1", "a2", "a3")])
    wb = np.array([res.weights[c] for c in ("b1", "b2", "b3")])
    assert abs(wa @ u[:, 0]) / np.linalg.norm(wa) == pytest.approx(1.0, abs=1e-7)
    assert abs(wb @ vt[0]) / np.linalg.norm(wb) == pytest.approx(1.0, abs=1e-7)


@needs_bank
def test_bank_satisfaction_sanity() -> None:
    x, cols, model = _bank()
    for scheme in ("path", "centroid", "factorial"):
        res = pls_fit(x, cols, model, scheme=scheme, scale_range=dict.fromkeys(cols, (1.0, 10.0)))
        assert set(res.r2) == {"EXPE", "QUAL", "VAL", "SAT", "LOY"}
        assert all(0 < v < 1 for v in res.r2.values())
        # EXPE->QUAL is the only predictor of QUAL: the coefficient is the LV correlation, R² its square
        assert res.r2["QUAL"] == pytest.approx(res.paths[("EXPE", "QUAL")] ** 2)
        assert 0 < res.gof < 1
        assert res.index is not None and all(0 < v < 100 for v in res.index.values())
    # the three schemes agree closely on a well-fitting reflective model
    p = pls_fit(x, cols, model, scheme="path").paths
    c = pls_fit(x, cols, model, scheme="centroid").paths
    assert max(abs(p[k] - c[k]) for k in p) < 0.02


# --------------------------------------------------------------------------- missing data


def test_missing_policy_listwise_and_mean() -> None:
    data = np.array([[1.0, 2.0], [np.nan, 4.0], [3.0, np.nan], [5.0, 6.0]])
    out, rep = missing_policy(data, "listwise", columns=["a", "b"])
    assert out.tolist() == [[1.0, 2.0], [5.0, 6.0]]
    assert rep.dropped_rows == (1, 2) and rep.rows_out == 2 and rep.missing_by_column == {"a": 1, "b": 1}
    out, rep = missing_policy(data, "mean")
    assert out[1, 0] == pytest.approx(3.0) and out[2, 1] == pytest.approx(4.0) and rep.imputed_cells == 2
    assert not np.isnan(data).sum() == 0  # input untouched
    with pytest.raises(PlsError) as e:
        missing_policy(data, "error")
    assert e.value.code == "missing_values"
    with pytest.raises(PlsError):
        missing_policy(data, "pairwise")
    with pytest.raises(PlsError, match="no values"):
        missing_policy(np.array([[np.nan, 1.0], [np.nan, 2.0]]), "mean", columns=["a", "b"])


def test_pls_fit_refuses_missing_values() -> None:
    x, cols, model = _synthetic()
    x[3, 4] = np.nan
    with pytest.raises(PlsError, match="missing_policy") as e:
        pls_fit(x, cols, model)
    assert e.value.code == "missing_values" and e.value.field == "b2"
    clean, _ = missing_policy(x, "listwise")
    assert pls_fit(clean, cols, model).n == len(x) - 1


# --------------------------------------------------------------------------- errors


def test_model_validation_errors() -> None:
    ok = {"blocks": {"A": ["a1"], "B": ["b1", "b2"]}, "paths": [["A", "B"]]}
    m = PlsModel.from_json(ok)
    assert m.lvs == ("A", "B") and m.indicators == ("a1", "b1", "b2") and m.mode("B") == "A"
    assert PlsModel.from_json(m.to_json()).to_json() == m.to_json()
    assert PlsModel.from_json({**ok, "modes": {"B": "b"}}).mode("B") == "B"
    cases = [
        ({"blocks": {}, "paths": []}, "invalid_model"),
        ({"blocks": {"A": ["a1"], "B": []}, "paths": [["A", "B"]]}, "invalid_model"),
        ({"blocks": {"A": ["a1"], "B": ["a1"]}, "paths": [["A", "B"]]}, "invalid_model"),
        ({**ok, "paths": [["A", "C"]]}, "unknown_lv"),
        ({**ok, "paths": [["A", "B"], ["B", "A"]]}, "cyclic_model"),
        ({"blocks": {"A": ["a"], "B": ["b"], "C": ["c"]}, "paths": [["A", "B"], ["B", "C"], ["C", "A"]]},
         "cyclic_model"),
        ({**ok, "paths": [["A", "A"]]}, "cyclic_model"),
        ({"blocks": {"A": ["a"], "B": ["b"], "C": ["c"]}, "paths": [["A", "B"]]}, "invalid_model"),
        ({**ok, "modes": {"B": "C"}}, "invalid_model"),
        ({**ok, "modes": {"Z": "A"}}, "unknown_lv"),
        ({**ok, "paths": [["A"]]}, "invalid_model"),
        ({**ok, "extra": 1}, "invalid_model"),
        ({"blocks": {"A": "a1"}, "paths": []}, "invalid_model"),
    ]
    for obj, code in cases:
        with pytest.raises(PlsError) as e:
            PlsModel.from_json(obj)
        assert e.value.code == code, obj
        assert str(e.value)


def test_data_errors() -> None:
    x, cols, model = _synthetic()
    with pytest.raises(PlsError, match="'b2'") as e:
        pls_fit(x, [c if c != "b2" else "B2" for c in cols], model)
    assert e.value.code == "missing_column"
    y = x.copy()
    y[:, 2] = 4.0
    with pytest.raises(PlsError) as e:
        pls_fit(y, cols, model)
    assert e.value.code == "constant_column" and e.value.field == "a3"
    with pytest.raises(PlsError) as e:
        pls_fit(x[:2], cols, model)
    assert e.value.code == "too_few_rows"
    with pytest.raises(PlsError) as e:
        pls_fit(x, cols, model, scheme="magic")
    assert e.value.code == "invalid_option"
    with pytest.raises(PlsError):
        pls_fit(x, cols, model, scale="minmax")
    with pytest.raises(PlsError):
        pls_fit(x, cols[:-1], model)
    with pytest.raises(PlsError):
        pls_fit(x, cols, model, scale_range={"a1": (5.0, 1.0)})
    obj = x.astype(object)
    obj[0, 0] = "n/a"
    with pytest.raises(PlsError) as e:
        pls_fit(obj, cols, model)
    assert e.value.code == "non_numeric"
    formative = PlsModel(blocks=model.blocks, paths=model.paths, modes={"A": "B"})
    y = x.copy()
    y[:, 2] = y[:, 0] + y[:, 1]
    with pytest.raises(PlsError) as e:
        pls_fit(y, cols, formative)
    assert e.value.code == "singular"
