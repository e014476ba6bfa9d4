"""Lifecycle scripts shared by the walked demo and the bulk loader.

A *journey* is the sequence of actions an order goes through from intake to
its final state, with the state after each step (checked against the workflow
transition table, so the bulk loader cannot invent an impossible history).
Timings are drawn per step; an order in the database is a journey cut at the
present moment.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from griddesk.engines import workflow
from griddesk.engines.workflow import Action, State


@dataclass(frozen=True, slots=True)
class Step:
    action: str
    to_state: str
    arg: str = ""  # return_visit: outcome


#: (min, max) minutes between the previous step and this one.
GAP_MINUTES: dict[str, tuple[int, int]] = {
    "create": (1, 6),
    "forward": (3, 30),
    "grade": (10, 120),
    "dispatch": (5, 60),
    "accept": (15, 240),
    "assign_station": (10, 120),
    "station_findings": (120, 720),
    "submit_report": (120, 1200),
    "return_report": (60, 480),
    "confirm_report": (20, 300),
    "return_visit": (240, 2880),
    "assess": (720, 4320),
    "archive": (240, 4320),
    "reopen": (60, 1440),
    "invalidate": (5, 120),
    "merge": (5, 60),
    "urge": (60, 600),
    "suspend": (60, 600),
}

JOURNEY_KINDS = ("normal", "returned", "revisit", "mgr_reopen", "invalid", "merged")


def _ok_outcome(rng: random.Random) -> str:
    return rng.choices(("satisfied", "basically_satisfied", "unreachable"), (80, 12, 8))[0]


def journey(rng: random.Random, kind: str, *, station: bool, urge: bool = False, forward_first: bool = True) -> list[Step]:
    """The full script of ``kind`` up to its final state (archived / invalid / merged)."""
    S = State
    if kind in ("invalid", "merged"):
        steps = [Step("forward", S.FORWARDED)] if forward_first else []
        if urge:
            steps.append(Step("urge", steps[-1].to_state if steps else S.RECEIVED))
        steps.append(Step("invalidate", S.INVALID) if kind == "invalid" else Step("merge", S.MERGED))
        return _checked(steps)
    steps = [Step("forward", S.FORWARDED), Step("grade", S.GRADED), Step("dispatch", S.DISPATCHED)]
    if urge:
        steps.append(Step("urge", S.DISPATCHED))
    steps.append(Step("accept", S.INVESTIGATING))
    if station:
        steps += [Step("assign_station", S.INVESTIGATING), Step("station_findings", S.INVESTIGATING)]
    steps.append(Step("submit_report", S.REPORTED))
    if kind == "returned":
        steps += [Step("return_report", S.INVESTIGATING), Step("submit_report", S.REPORTED)]
    steps.append(Step("confirm_report", S.FED_BACK))
    if kind == "revisit":
        steps += [
            Step("return_visit", S.INVESTIGATING, "unsatisfied"),
            Step("submit_report", S.REPORTED),
            Step("confirm_report", S.FED_BACK),
        ]
    steps.append(Step("return_visit", S.VISITED, _ok_outcome(rng)))
    steps.append(Step("assess", S.ASSESSED))
    if kind == "mgr_reopen":
        steps += [
            Step("reopen", S.INVESTIGATING),
            Step("submit_report", S.REPORTED),
            Step("confirm_report", S.FED_BACK),
            Step("return_visit", S.VISITED, _ok_outcome(rng)),
            Step("assess", S.ASSESSED),
        ]
    steps.append(Step("archive", S.ARCHIVED))
    return _checked(steps)


def _checked(steps: list[Step]) -> list[Step]:
    state = State.RECEIVED
    for s in steps:
        target = State(s.to_state)
        got = workflow.check(Action(s.action), state, target if s.action in ("return_visit", "urge") else None)
        assert got == target, (s, state, got)
        state = target
    return steps


def cut_at_last(steps: list[Step], target: str) -> list[Step]:
    """The prefix of ``steps`` ending at the last step that leaves the order in ``target``."""
    if target == State.RECEIVED:
        return []
    for i in range(len(steps) - 1, -1, -1):
        if steps[i].to_state == target:
            return steps[: i + 1]
    raise ValueError(f"journey never reaches {target}")


def gaps_seconds(rng: random.Random, steps: list[Step], *, slow: float = 1.0, stall_at: int | None = None, stall: float = 1.0) -> list[int]:
    """Seconds between consecutive steps (the first entry is the intake delay)."""
    out = [rng.randint(*GAP_MINUTES["create"]) * 60 + rng.randrange(60)]
    for i, s in enumerate(steps):
        lo, hi = GAP_MINUTES[s.action]
        g = rng.uniform(lo, hi) * 60 * slow
        if stall_at is not None and i == stall_at:
            g *= stall
        out.append(int(g) + 1)
    return out
