"""Dashboard data (ECharts options' inputs), XLSX tables and the PDF report.

All built from a stored snapshot's JSON (no recomputation)."""

from __future__ import annotations

import io
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from griddesk.common import spreadsheets

from .models import IndexSnapshot, Questionnaire

#: Quadrant codes are the engine's (``engines.ipa.QUADRANTS``); "improve_first" is
#: how snapshots stored before the engine was used named "concentrate_here".
FIRST = ("concentrate_here", "improve_first")
IMPROVE = (*FIRST, "low_priority")


def _quadrant(code: str) -> str:
    return {
        "concentrate_here": _("Improve first"),
        "improve_first": _("Improve first"),
        "keep_up": _("Keep up the good work"),
        "low_priority": _("Low priority"),
        "possible_overkill": _("Possible overkill"),
    }.get(code, code)


def _layout(q: Questionnaire, result: dict[str, Any]) -> dict[str, tuple[float, float]]:
    """Left-to-right layers by longest path from an exogenous construct."""
    lvs = list(result.get("lvs") or result.get("names") or [])
    edges = [k.split("->") for k in (result.get("paths") or {})]
    depth = {lv: 0 for lv in lvs}
    for _round in range(len(lvs)):
        for f, t in edges:
            if depth.get(t, 0) < depth.get(f, 0) + 1:
                depth[t] = depth.get(f, 0) + 1
    layers: dict[int, list[str]] = {}
    for lv in lvs:
        layers.setdefault(depth[lv], []).append(lv)
    pos = {}
    for d, members in layers.items():
        for i, lv in enumerate(members):
            pos[lv] = (120.0 + 170.0 * d, 60.0 + (i + 0.5) * (360.0 / len(members)))
    return pos


def chart_data(q: Questionnaire, result: dict[str, Any]) -> dict[str, Any]:
    names = result.get("names") or {}
    index = result.get("index") or {}
    pos = _layout(q, result)
    boot = (result.get("bootstrap") or {}).get("paths") or {}
    nodes = [{"id": lv, "name": f"{names.get(lv, lv)}\n{index.get(lv, 0):.1f}", "x": x, "y": y,
              "r2": (result.get("r2") or {}).get(lv)} for lv, (x, y) in pos.items()]
    links = []
    for key, coef in (result.get("paths") or {}).items():
        f, t = key.split("->")
        ci = boot.get(key)
        sig = bool(ci and (ci["ci_low"] > 0 or ci["ci_high"] < 0))
        links.append({"source": f, "target": t, "value": round(coef, 3), "significant": sig})
    ipa = result.get("ipa") or {}
    trend = (result.get("segments") or {}).get("period") or []
    return {
        "index": index.get(q.index_construct),
        "nodes": nodes,
        "links": links,
        "ipa": [{"name": d["name"], "code": d["construct"], "value": [round(d["importance"], 3), round(d["performance"], 1)],
                 "quadrant": d["quadrant"], "first": d["quadrant"] in FIRST} for d in ipa.get("drivers", [])],
        "ipa_means": [ipa.get("importance_mean"), ipa.get("performance_mean")],
        "trend": {"periods": [r["key"] for r in trend], "index": [r["index"] for r in trend],
                  "low": [r["ci_low"] for r in trend], "high": [r["ci_high"] for r in trend]},
    }


def tables(q: Questionnaire, result: dict[str, Any]) -> dict[str, Any]:
    names = result.get("names") or {}
    boot = result.get("bootstrap") or {}
    bidx = (boot.get("index") or {}) if boot else {}
    bpaths = boot.get("paths") or {} if boot else {}
    rel = result.get("reliability") or {}
    constructs = []
    for lv in result.get("lvs") or []:
        ci = bidx.get(lv) or {}
        r = rel.get(lv) or {}
        constructs.append({"code": lv, "name": names.get(lv, lv), "index": (result.get("index") or {}).get(lv),
                           "ci_low": ci.get("ci_low"), "ci_high": ci.get("ci_high"), "r2": (result.get("r2") or {}).get(lv),
                           "alpha": r.get("alpha"), "rho_c": r.get("rho_c"), "ave": r.get("ave")})
    paths = []
    for key, coef in (result.get("paths") or {}).items():
        f, t = key.split("->")
        ci = bpaths.get(key) or {}
        paths.append({"key": key, "from": names.get(f, f), "to": names.get(t, t), "coef": coef,
                      "ci_low": ci.get("ci_low"), "ci_high": ci.get("ci_high"), "t": ci.get("t")})
    ipa = result.get("ipa") or {}
    by_code = {d["construct"]: d for d in ipa.get("drivers", [])}
    ranked = [{**by_code[c], "quadrant_label": _quadrant(by_code[c]["quadrant"])} for c in ipa.get("priorities", []) if c in by_code]
    # "What to improve first" lists the drivers that perform below the cut-off
    # (improve first, then low priority); the well-performing ones (keep up,
    # possible overkill) are listed apart, not ahead of them.
    priorities = [r for r in ranked if r["quadrant"] in IMPROVE]
    keep = [r for r in ranked if r["quadrant"] not in IMPROVE]
    dim_labels = {"area": _("Area"), "customer_category": _("Customer category"), "channel": _("Channel"),
                  "period": _("Month")}
    segments = result.get("segments") or {}
    target = next((c for c in constructs if c["code"] == q.index_construct), None)
    return {"constructs": constructs, "paths": paths, "priorities": priorities, "keep": keep, "ranked": priorities + keep,
            "segments": segments,
            "segment_groups": [{"dim": d, "label": dim_labels.get(d, d), "rows": rows} for d, rows in segments.items()],
            "index_ci": (target["ci_low"], target["ci_high"]) if target and target["ci_low"] is not None else None,
            "gof": result.get("gof"), "n": result.get("n")}


# ------------------------------------------------------------------ XLSX


def workbook(q: Questionnaire, result: dict[str, Any] | None, rates: dict[str, list[dict[str, Any]]]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = _("Visit rates")[:31]
    bold = Font(bold=True)
    ws.append([_("Return-visit satisfaction rate = (satisfied + basically satisfied) / reached visits")])
    for by, rows in rates.items():
        ws.append([])
        ws.append([pgettext("grouping", "By"), by])  # the bare "By" is a person (经办人)
        ws.append([_("Group"), _("Visits"), _("Satisfied"), _("Basically satisfied"), _("Unsatisfied"), _("Unreachable"),
                   _("Numerator"), _("Denominator"), _("Rate")])
        for c in ws[ws.max_row]:
            c.font = bold
        for r in rows:
            ws.append([r["label"], r["visits"], r["satisfied"], r["basically_satisfied"], r["unsatisfied"], r["unreachable"],
                       r["numerator"], r["denominator"], r["rate"]])
    if result:
        t = tables(q, result)
        s = wb.create_sheet(_("Index")[:31])
        s.append([_("Construct"), pgettext("construct", "Name"), _("Index"), _("CI low"), _("CI high"), "R²", "Cronbach α", _("Composite reliability"), "AVE"])
        for r in t["constructs"]:
            s.append([r["code"], r["name"], r["index"], r["ci_low"], r["ci_high"], r["r2"], r["alpha"], r["rho_c"], r["ave"]])
        s.append([])
        s.append(["GoF", t["gof"], "n", t["n"]])
        p = wb.create_sheet(_("Paths")[:31])
        p.append([_("Path"), pgettext("path", "From"), pgettext("path", "To"), _("Coefficient"), _("CI low"), _("CI high"), "t"])
        for r in t["paths"]:
            p.append([r["key"], r["from"], r["to"], r["coef"], r["ci_low"], r["ci_high"], r["t"]])
        i = wb.create_sheet("IPA")
        i.append([_("Priority"), _("Construct"), _("Importance (total effect)"), _("Performance (index)"), _("Quadrant")])
        for n, r in enumerate(t["ranked"], start=1):
            i.append([n, r["name"], r["importance"], r["performance"], r["quadrant_label"]])
        g = wb.create_sheet(_("Segments")[:31])
        g.append([_("Dimension"), _("Group"), "n", _("Index"), _("CI low"), _("CI high"), _("CI method"),
                  _("Trend per month"), _("Trend CI low"), _("Trend CI high")])
        for dim, rows in t["segments"].items():
            for r in rows:
                tr = r.get("trend") or {}
                g.append([dim, r["label"], r["n"], r["index"], r["ci_low"], r["ci_high"], r.get("ci_method"),
                          tr.get("slope"), tr.get("ci_low"), tr.get("ci_high")])
    return spreadsheets.save(wb)  # the shared writer: no cell is a live formula


# ------------------------------------------------------------------ PDF


def pdf_report(q: Questionnaire, snap: IndexSnapshot, rates: list[dict[str, Any]]) -> bytes:
    """Charts and Chinese text via matplotlib's PdfPages with a CJK font."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.backends.backend_pdf import PdfPages

    plt.rcParams["font.sans-serif"] = ["WenQuanYi Micro Hei", "Noto Sans CJK SC", "DejaVu Sans"]
    plt.rcParams["font.family"] = "sans-serif"
    plt.rcParams["axes.unicode_minus"] = False
    result = snap.result
    t = tables(q, result)
    c = chart_data(q, result)
    buf = io.BytesIO()
    with PdfPages(buf) as pdf:
        fig = plt.figure(figsize=(8.27, 11.69))
        fig.text(0.08, 0.95, f"{q.name}", fontsize=16, weight="bold")
        fig.text(0.08, 0.92, _("Satisfaction index report · period %(p)s · %(n)d responses · computed %(at)s") % {
            "p": snap.period or _("all"), "n": snap.n, "at": timezone.localtime(snap.computed_at).strftime("%Y-%m-%d %H:%M")
            if snap.computed_at else "—"}, fontsize=9)
        fig.text(0.08, 0.87, _("Customer satisfaction index: %(v).1f / 100") % {"v": c["index"] or 0}, fontsize=14)
        ax = fig.add_axes((0.08, 0.52, 0.84, 0.3))
        labels = [r["name"] for r in t["constructs"]]
        vals = [r["index"] or 0 for r in t["constructs"]]
        lo = [max(0.0, (r["index"] or 0) - (r["ci_low"] or r["index"] or 0)) for r in t["constructs"]]
        hi = [max(0.0, (r["ci_high"] or r["index"] or 0) - (r["index"] or 0)) for r in t["constructs"]]
        ax.bar(labels, vals, yerr=[lo, hi], color="#3b7dd8", capsize=3)
        ax.set_ylim(0, 100)
        ax.set_title(_("Index by construct (95% bootstrap CI)"))
        ax2 = fig.add_axes((0.1, 0.08, 0.8, 0.36))
        for d in c["ipa"]:
            color = "#d9534f" if d["first"] else "#5b8def"
            ax2.scatter(d["value"][0], d["value"][1], color=color, s=60)
            ax2.annotate(d["name"], (d["value"][0], d["value"][1]), textcoords="offset points", xytext=(5, 5))
        if c["ipa_means"][0] is not None:
            ax2.axvline(c["ipa_means"][0], color="#999", ls="--")
            ax2.axhline(c["ipa_means"][1], color="#999", ls="--")
        ax2.set_xlabel(_("Importance (total effect on satisfaction)"))
        ax2.set_ylabel(_("Performance (index)"))
        ax2.set_title(_("Importance–performance analysis"))
        pdf.savefig(fig)
        plt.close(fig)

        fig = plt.figure(figsize=(8.27, 11.69))
        fig.text(0.08, 0.95, _("What to improve first"), fontsize=14, weight="bold")
        y = 0.92
        for n, r in enumerate(t["priorities"], start=1):
            fig.text(0.1, y, f"{n}. {r['name']} — {r['quadrant_label']} ({_('importance')} {r['importance']:.3f}, "
                     f"{_('performance')} {r['performance']:.1f})", fontsize=10)
            y -= 0.025
        y -= 0.02
        fig.text(0.08, y, _("Path coefficients"), fontsize=14, weight="bold")
        y -= 0.03
        for r in t["paths"]:
            ci = f" [{r['ci_low']:.3f}, {r['ci_high']:.3f}]" if r["ci_low"] is not None else ""
            fig.text(0.1, y, f"{r['from']} → {r['to']}: {r['coef']:.3f}{ci}", fontsize=9)
            y -= 0.02
        y -= 0.02
        fig.text(0.08, y, _("Return-visit satisfaction by department"), fontsize=14, weight="bold")
        y -= 0.03
        for r in rates[:12]:
            rate = f"{r['rate'] * 100:.1f}%" if r["rate"] is not None else "—"
            fig.text(0.1, y, f"{r['label']}: {rate} ({r['numerator']}/{r['denominator']})", fontsize=9)
            y -= 0.02
        pdf.savefig(fig)
        plt.close(fig)

        trend = c["trend"]
        if trend["periods"]:
            fig, ax = plt.subplots(figsize=(8.27, 5))
            ax.plot(trend["periods"], trend["index"], marker="o", color="#3b7dd8")
            if all(v is not None for v in trend["low"] + trend["high"]):
                ax.fill_between(trend["periods"], trend["low"], trend["high"], alpha=0.2, color="#3b7dd8")
            ax.set_title(_("Satisfaction index by month (95% CI)"))
            pdf.savefig(fig)
            plt.close(fig)
    return buf.getvalue()
