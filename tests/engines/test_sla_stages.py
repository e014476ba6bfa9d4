"""The stage clock's flow (pure)."""

from griddesk.engines import sla


def test_intake_stage() -> None:
    assert sla.stage_at_intake("fault_repair", True) == "arrival"
    assert sla.stage_at_intake("fault_repair", False) == "forward"
    assert sla.stage_at_intake("complaint", True) == "forward"


def test_forward_then_grade_then_none() -> None:
    assert sla.stage_after("forward", "forward") == "grade"
    assert sla.stage_after("grade", "grade") == ""
    # grading straight from received (no forward) also ends the stage clock
    assert sla.stage_after("forward", "grade") == ""
    assert sla.stage_after("", "grade") == sla.KEEP
    assert sla.stage_after("grade", "urge") == sla.KEEP


def test_arrival_runs_until_on_site() -> None:
    s = "arrival"
    for action in ("forward", "grade", "dispatch", "accept", "assign_station", "urge"):
        assert sla.stage_after(s, action) == sla.KEEP
    for action in sla.ARRIVAL_STOP_ACTIONS:
        assert sla.stage_after(s, action) == ""
