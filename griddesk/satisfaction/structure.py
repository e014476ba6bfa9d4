"""Checks of a questionnaire's model structure (constructs, indicators, paths).

``structure_problems(...)`` takes the structure as plain data — the state an
edit *would* produce — and returns every problem as (code, message) with a
Chinese message, so the admin refuses a bad edit before anything is saved
instead of leaving a model whose next snapshot fails.

Always refused (``STRUCTURAL``): a path or an indicator pointing at a
construct of another questionnaire (or one deleted in the same edit), a path
from a construct to itself, the same path twice, a cycle, duplicate codes.

Refused for an *active* questionnaire only (``INCOMPLETE``), because a new
construct needs two saves (first the construct, then its indicators and paths,
which can only choose saved constructs): a construct without indicators, a
construct on no path, a Mode B (formative) construct with fewer than two
indicators, no paths, an index construct that is not a construct. Mark the
questionnaire inactive (a draft) while building it, then activate it.

As a last guard the result is handed to ``engines.pls.PlsModel``, the same
check the snapshot runs.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.utils.translation import gettext as _

from griddesk.engines import pls

STRUCTURAL = frozenset({"foreign_construct", "self_loop", "duplicate_path", "cyclic_model", "duplicate_code"})
INCOMPLETE = frozenset({"no_indicators", "no_path", "mode_b_single", "no_paths", "unknown_index_construct"})


@dataclass(frozen=True)
class Problem:
    code: str
    message: str


def _cycle(codes: list[str], edges: set[tuple[str, str]]) -> list[str]:
    """Constructs on a cycle (Kahn's algorithm leaves them with in-degree > 0)."""
    indeg = dict.fromkeys(codes, 0)
    for _f, t in edges:
        indeg[t] = indeg.get(t, 0) + 1
    ready = [c for c, d in indeg.items() if d == 0]
    while ready:
        c = ready.pop()
        for f, t in edges:
            if f == c:
                indeg[t] -= 1
                if indeg[t] == 0:
                    ready.append(t)
    return sorted(c for c, d in indeg.items() if d > 0)


def structure_problems(*, constructs: Iterable[tuple[str, str]], indicators: Iterable[tuple[str, str | None]],
                       paths: Iterable[tuple[str | None, str | None]], index_construct: str,
                       active: bool) -> list[Problem]:
    """``constructs``: (code, mode); ``indicators``: (indicator code, construct code or None when the construct is
    not one of this questionnaire's); ``paths``: (source, target) codes, None likewise."""
    out: list[Problem] = []
    cons = list(constructs)
    modes = dict(cons)
    codes = [c for c, _m in cons]
    for c in sorted({c for c in codes if codes.count(c) > 1}):
        out.append(Problem("duplicate_code", _("Construct code “%(c)s” is used twice.") % {"c": c}))
    blocks: dict[str, list[str]] = {c: [] for c in codes}
    inds = list(indicators)
    ind_codes = [i for i, _c in inds]
    for i in sorted({i for i in ind_codes if ind_codes.count(i) > 1}):
        out.append(Problem("duplicate_code", _("Indicator code “%(i)s” is used twice.") % {"i": i}))
    for ind, con in inds:
        if con is None or con not in blocks:
            out.append(Problem("foreign_construct", _(
                "Indicator “%(i)s” belongs to a construct that is not part of this questionnaire (or is being deleted)."
            ) % {"i": ind}))
        else:
            blocks[con].append(ind)
    edges: set[tuple[str, str]] = set()
    for src, dst in paths:
        if src is None or dst is None or src not in blocks or dst not in blocks:
            out.append(Problem("foreign_construct", _(
                "Path %(f)s → %(t)s uses a construct that is not part of this questionnaire (or is being deleted)."
            ) % {"f": src or "?", "t": dst or "?"}))
            continue
        if src == dst:
            out.append(Problem("self_loop", _("Path %(f)s → %(t)s points from a construct to itself.") % {"f": src, "t": dst}))
            continue
        if (src, dst) in edges:
            out.append(Problem("duplicate_path", _("Path %(f)s → %(t)s is given twice.") % {"f": src, "t": dst}))
            continue
        edges.add((src, dst))
    cyc = _cycle(codes, edges)
    if cyc:
        out.append(Problem("cyclic_model", _(
            "The paths form a cycle through %(lvs)s; a satisfaction model must be recursive (no path may lead back)."
        ) % {"lvs": "、".join(cyc)}))
    if active:
        on_path = {c for e in edges for c in e}
        for c in codes:
            if not blocks.get(c):
                out.append(Problem("no_indicators", _("Construct %(c)s has no indicators (questions).") % {"c": c}))
            elif modes.get(c) == "B" and len(blocks[c]) < 2:
                out.append(Problem("mode_b_single", _(
                    "Construct %(c)s is Mode B (formative) with a single indicator; Mode B needs at least two "
                    "(use Mode A for a single question)."
                ) % {"c": c}))
            if c not in on_path and edges:
                out.append(Problem("no_path", _("Construct %(c)s takes part in no path.") % {"c": c}))
        if not edges:
            out.append(Problem("no_paths", _("The model has no paths between constructs.")))
        if index_construct not in blocks:
            out.append(Problem("unknown_index_construct", _(
                "The index construct “%(c)s” is not one of the questionnaire's constructs."
            ) % {"c": index_construct}))
    if active and not out:
        try:
            pls.PlsModel(blocks=blocks, paths=sorted(edges), modes=modes)
        except pls.PlsError as exc:  # pragma: no cover - the checks above cover the engine's rules
            out.append(Problem(exc.code, _("The model is not valid: %(m)s") % {"m": str(exc)}))
    return out


def inactive_hint() -> str:
    return _("To build a model in several steps, mark the questionnaire inactive (draft) and activate it when complete.")
