"""``griddesk satisfaction ...``: the satisfaction statistics engines from the command line.

    griddesk satisfaction pls DATA.csv --model MODEL.json [--scheme path|centroid|factorial]
        [--scale standard|center|none] [--bootstrap N] [--seed S] [--missing error|listwise|mean]
        [--index --scale-min 1 --scale-max 10] [--json]
    griddesk satisfaction ahp MATRIX.json [--method eigen|geometric] [--max-cr 0.1] [--json]
    griddesk satisfaction fuzzy SPEC.json [--operator product_bsum|min_max|product_max|min_bsum] [--json]

DATA is comma-, semicolon- or tab-separated with a header row (detected; with tab or
semicolon separators a decimal comma is accepted).  Columns not named in a block are
ignored, numeric or not.  MODEL.json is ``{"blocks": {"LV": ["indicator", ...]}, "paths":
[["FROM", "TO"], ...], "modes": {"LV": "A"|"B"}}``.

MATRIX.json: ``{"labels": [...], "matrix": [[...]]}`` or ``{"labels": [...], "judgements":
[["a", "b", 3], ...]}``; for a whole hierarchy ``{"criteria": <one of those>,
"alternatives": {"criterion": <one of those>, ...}}``.

SPEC.json: ``{"weights": [...], "membership": [[...]]}`` (or ``"counts"`` instead of
``"membership"``), optional ``"grades"``, ``"grade_scores"``, ``"operator"``; two-level:
``{"weights": [top weights], "groups": [{"weights": [...], "membership": [[...]]}, ...]}``.

Every user error (unreadable file, bad model, missing column, inconsistent judgements...)
prints one line on stderr and exits with status 2, without a traceback.
"""

from __future__ import annotations

import csv
import io
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
from django.core.management.base import BaseCommand, CommandError, CommandParser

from griddesk.engines import ahp, fuzzy, pls

USAGE_ERROR = 2
_MISSING_TOKENS = {"", "na", "nan", "null", "none", "-", "n/a"}


def _fail(message: str) -> CommandError:
    return CommandError(message, returncode=USAGE_ERROR)


def _clean(obj: Any) -> Any:
    """JSON-safe: non-finite floats become null, numpy scalars plain numbers."""
    if isinstance(obj, dict):
        return {str(k): _clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_clean(v) for v in obj]
    if isinstance(obj, (float, np.floating)):
        f = float(obj)
        return f if math.isfinite(f) else None
    if isinstance(obj, np.integer):
        return int(obj)
    return obj


def _load_json(path: str) -> Any:
    try:
        return json.loads(Path(path).read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        raise _fail(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise _fail(f"{path}: cannot read ({exc})") from None
    except json.JSONDecodeError as exc:
        raise _fail(f"{path}: invalid JSON ({exc.msg}, line {exc.lineno})") from None


def read_table(path: str, needed: tuple[str, ...],
               owner: dict[str, str] | None = None) -> tuple[np.ndarray, list[str]]:
    """Read the ``needed`` columns of a CSV/TSV file as floats (missing cells NaN)."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise _fail(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise _fail(f"{path}: cannot read ({exc})") from None
    first = text.split("\n", 1)[0]
    delim = max(("\t", ";", ","), key=first.count)
    if first.count(delim) == 0:
        delim = ","
    rows = list(csv.reader(io.StringIO(text), delimiter=delim))
    while rows and not any(c.strip() for c in rows[-1]):
        rows.pop()
    if len(rows) < 2:
        raise _fail(f"{path}: needs a header row and at least one data row")
    header = [h.strip() for h in rows[0]]
    pos: dict[str, int] = {}
    for i, h in enumerate(header):
        pos.setdefault(h, i)
    missing = [c for c in needed if c not in pos]
    if missing:
        where = "; ".join(f"block {owner[c]!r} names column {c!r}" if owner else f"column {c!r}" for c in missing)
        raise _fail(f"{where}, not found in {path} (its columns: {', '.join(h for h in header if h)})")
    decimal_comma = delim != ","
    out = np.empty((len(rows) - 1, len(needed)))
    for j, name in enumerate(needed):
        k = pos[name]
        for i, row in enumerate(rows[1:]):
            cell = row[k].strip() if k < len(row) else ""
            if cell.lower() in _MISSING_TOKENS:
                out[i, j] = math.nan
                continue
            if decimal_comma:
                cell = cell.replace(",", ".")
            try:
                out[i, j] = float(cell)
            except ValueError:
                raise _fail(f"{path}: column {name!r}, data row {i + 1}: {row[k]!r} is not a number") from None
    return out, list(needed)


class Command(BaseCommand):
    help = "Customer-satisfaction statistics: PLS path modelling (CSI index), AHP weights, fuzzy evaluation."
    requires_system_checks: list[str] = []
    requires_migrations_checks = False

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, parser_class=CommandParser)
        p = sub.add_parser("pls", help="PLS path model (Lohmöller/Wold PLS-PM) of survey data")
        p.add_argument("data", help="CSV / TSV file with a header row")
        p.add_argument("--model", required=True, help="model JSON: blocks, paths, modes")
        p.add_argument("--scheme", choices=pls.SCHEMES, default="path")
        p.add_argument("--scale", choices=pls.SCALES, default="standard")
        p.add_argument("--bootstrap", type=int, default=0, metavar="N", help="bootstrap resamples (0 = none)")
        p.add_argument("--seed", type=int, default=0)
        p.add_argument("--missing", choices=("error", "listwise", "mean"), default="error",
                       help="missing-answer policy (default: refuse data with missing answers)")
        p.add_argument("--index", action="store_true", help="0-100 ACSI-style index per LV")
        p.add_argument("--scale-min", type=float, default=None, help="lowest answer of the scale (with --index)")
        p.add_argument("--scale-max", type=float, default=None, help="highest answer of the scale (with --index)")
        p.add_argument("--max-iter", type=int, default=300)
        p.add_argument("--json", action="store_true", help="print one JSON object")
        a = sub.add_parser("ahp", help="AHP weights and consistency of a pairwise-comparison matrix")
        a.add_argument("matrix", help="JSON file")
        a.add_argument("--method", choices=("eigen", "geometric"), default="eigen")
        a.add_argument("--max-cr", type=float, default=ahp.DEFAULT_MAX_CR)
        a.add_argument("--json", action="store_true")
        f = sub.add_parser("fuzzy", help="fuzzy comprehensive evaluation")
        f.add_argument("spec", help="JSON file")
        f.add_argument("--operator", choices=fuzzy.OPERATORS, default=None)
        f.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **opts: Any) -> None:
        action = opts["action"]
        try:
            if action == "pls":
                out = self._pls(opts)
            elif action == "ahp":
                out = self._ahp(opts)
            else:
                out = self._fuzzy(opts)
        except (pls.PlsError, ahp.AhpError, fuzzy.FuzzyError) as exc:
            raise _fail(str(exc)) from None
        if opts["json"]:
            self.stdout.write(json.dumps(_clean(out), ensure_ascii=False, allow_nan=False, indent=None))
        else:
            self.stdout.write(getattr(self, f"_table_{action}")(out))

    # ----------------------------------------------------------------- pls

    def _pls(self, opts: dict[str, Any]) -> dict[str, Any]:
        model = pls.PlsModel.from_json(_load_json(opts["model"]))
        if opts["bootstrap"] < 0:
            raise _fail("--bootstrap must be >= 0")
        scale_range = None
        if opts["index"]:
            lo, hi = opts["scale_min"], opts["scale_max"]
            if lo is None or hi is None:
                raise _fail("--index needs --scale-min and --scale-max (the answer scale, e.g. 1 and 10)")
            if not hi > lo:
                raise _fail("--scale-max must be greater than --scale-min")
            scale_range = {c: (lo, hi) for c in model.indicators}
        owner = {i: lv for lv, inds in model.blocks.items() for i in inds}
        data, cols = read_table(opts["data"], model.indicators, owner)
        clean, report = pls.missing_policy(data, opts["missing"], cols)
        res = pls.pls_fit(clean, cols, model, scheme=opts["scheme"], scale=opts["scale"],
                          bootstrap=opts["bootstrap"], seed=opts["seed"], scale_range=scale_range,
                          max_iter=opts["max_iter"])
        out = res.to_json()
        out["missing"] = report.to_json()
        if not opts["index"]:
            out.pop("index")
        if not opts["bootstrap"]:
            out.pop("bootstrap")
        return out

    def _table_pls(self, r: dict[str, Any]) -> str:
        lines = [f"PLS-PM  n = {r['n']}, scheme = {r['scheme']}, scale = {r['scale']}, "
                 f"{r['iterations']} iterations, GoF = {r['gof']:.3f}"]
        if r["missing"]["rows_in"] != r["missing"]["rows_out"] or r["missing"]["imputed_cells"]:
            m = r["missing"]
            lines.append(f"missing answers ({m['policy']}): {m['rows_in'] - m['rows_out']} rows dropped, "
                         f"{m['imputed_cells']} cells imputed")
        boot = r.get("bootstrap")
        lines += ["", "Path coefficients"]
        for k, v in r["paths"].items():
            extra = ""
            if boot:
                b = boot["paths"][k]
                extra = f"   se {b['se']:.3f}   95% CI [{b['ci_low']:.3f}, {b['ci_high']:.3f}]"
            lines.append(f"  {k:<32} {v:8.3f}{extra}")
        lines += ["", "R²"] + [f"  {k:<32} {v:8.3f}" for k, v in r["r2"].items()]
        lines += ["", f"  {'LV':<20} {'alpha':>8} {'rho_c':>8} {'AVE':>8}"]
        for k, v in r["reliability"].items():
            lines.append(f"  {k:<20} {v['alpha']:8.3f} {v['rho_c']:8.3f} {v['ave']:8.3f}")
        lines += ["", f"  {'indicator':<20} {'weight':>8} {'loading':>8}"]
        for k, v in r["weights"].items():
            lines.append(f"  {k:<20} {v:8.3f} {r['loadings'][k]:8.3f}")
        if r.get("index"):
            lines += ["", "Index (0-100)"]
            for k, v in r["index"].items():
                extra = ""
                if boot and boot.get("index") and k in boot["index"]:
                    b = boot["index"][k]
                    extra = f"   95% CI [{b['ci_low']:.1f}, {b['ci_high']:.1f}]"
                lines.append(f"  {k:<32} {v:8.1f}{extra}")
        if boot:
            lines += ["", f"bootstrap: {boot['resamples']} of {boot['requested']} resamples used, seed {boot['seed']}"]
        return "\n".join(lines)

    # ----------------------------------------------------------------- ahp

    @staticmethod
    def _one_matrix(obj: Any, method: str, max_cr: float | None, where: str) -> ahp.AhpResult:
        if not isinstance(obj, dict):
            raise _fail(f"{where}: expected an object with 'matrix' or 'judgements'")
        labels = obj.get("labels")
        if "judgements" in obj:
            if not isinstance(labels, list):
                raise _fail(f"{where}: 'judgements' needs 'labels'")
            try:
                m = ahp.matrix_from_judgements(labels, [tuple(j) for j in obj["judgements"]])
            except (TypeError, ValueError) as exc:
                if isinstance(exc, ahp.AhpError):
                    raise
                raise _fail(f"{where}: each judgement is [a, b, value]") from None
        elif "matrix" in obj:
            m = obj["matrix"]
        else:
            raise _fail(f"{where}: expected 'matrix' or 'judgements'")
        try:
            return ahp.ahp_weights(m, labels=labels, method=method, max_cr=max_cr)
        except ahp.AhpError as exc:
            raise ahp.AhpError(f"{where}: {exc}", code=exc.code, cr=exc.cr) from None

    def _ahp(self, opts: dict[str, Any]) -> dict[str, Any]:
        obj = _load_json(opts["matrix"])
        method, max_cr = opts["method"], opts["max_cr"]
        if isinstance(obj, dict) and "criteria" in obj:
            crit = self._one_matrix(obj["criteria"], method, max_cr, "criteria")
            alts_raw = obj.get("alternatives")
            if not isinstance(alts_raw, dict):
                raise _fail("'alternatives' must map each criterion to its comparison matrix")
            alts = {c: self._one_matrix(v, method, max_cr, f"alternatives under {c!r}") for c, v in alts_raw.items()}
            return {"criteria": crit.to_json(), "alternatives": {c: a.to_json() for c, a in alts.items()},
                    "priorities": ahp.ahp_synthesise(crit, alts)}
        return self._one_matrix(obj, method, max_cr, "matrix").to_json()

    def _table_ahp(self, r: dict[str, Any]) -> str:
        def one(x: dict[str, Any], title: str) -> list[str]:
            out = [title] + [f"  {k:<24} {v:8.4f}" for k, v in x["weights"].items()]
            out.append(f"  λmax = {x['lambda_max']:.4f}, CI = {x['ci']:.4f}, RI = {x['ri']:.2f}, CR = {x['cr']:.4f}")
            return out

        if "criteria" in r:
            lines = one(r["criteria"], "Criteria")
            for c, a in r["alternatives"].items():
                lines += [""] + one(a, f"Alternatives under {c}")
            lines += ["", "Global priorities"] + [f"  {k:<24} {v:8.4f}" for k, v in r["priorities"].items()]
            return "\n".join(lines)
        return "\n".join(one(r, "AHP weights"))

    # ----------------------------------------------------------------- fuzzy

    def _fuzzy(self, opts: dict[str, Any]) -> dict[str, Any]:
        spec = _load_json(opts["spec"])
        if not isinstance(spec, dict) or "weights" not in spec:
            raise _fail("the spec must be an object with 'weights' and 'membership' (or 'groups')")
        op = opts["operator"] or spec.get("operator", "product_bsum")
        grades, scores = spec.get("grades"), spec.get("grade_scores")

        def matrix(obj: dict[str, Any], where: str) -> Any:
            if "membership" in obj:
                return obj["membership"]
            if "counts" in obj:
                return fuzzy.membership_from_counts(obj["counts"])
            raise _fail(f"{where}: expected 'membership' or 'counts'")

        if "groups" in spec:
            groups = spec["groups"]
            if not isinstance(groups, list) or not all(isinstance(g, dict) and "weights" in g for g in groups):
                raise _fail("'groups' must be a list of {weights, membership}")
            top, first = fuzzy.fuzzy_two_level(
                spec["weights"], [(g["weights"], matrix(g, f"group {i + 1}")) for i, g in enumerate(groups)],
                operator=op, top_operator=spec.get("top_operator"), grades=grades, grade_scores=scores)
            return {**top.to_json(), "groups": [g.to_json() for g in first]}
        return fuzzy.fuzzy_evaluate(spec["weights"], matrix(spec, "spec"), operator=op, grades=grades,
                                    grade_scores=scores).to_json()

    def _table_fuzzy(self, r: dict[str, Any]) -> str:
        lines = [f"Fuzzy comprehensive evaluation ({r['operator']})"]
        for g, v in r["vector"].items():
            lines.append(f"  {g:<16} {v:8.4f}   normalised {r['normalised'][g]:8.4f}")
        lines.append(f"  max-membership grade: {r['grade']}")
        if r.get("score") is not None:
            lines.append(f"  weighted score: {r['score']:.2f}")
        return "\n".join(lines)
