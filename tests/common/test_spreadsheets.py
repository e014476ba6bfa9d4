"""The shared spreadsheet writer: no exported cell is a live formula; numbers stay numbers."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from openpyxl import load_workbook

from griddesk.assessment import exports as assessment_exports
from griddesk.common import spreadsheets
from griddesk.satisfaction import exports as satisfaction_exports

HOSTILE = ['=HYPERLINK("http://x","y")', "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A2)", "\t=1+1", "\r=1+1"]


@pytest.mark.parametrize("text", HOSTILE)
def test_text_that_could_start_a_formula_is_quoted(text):
    assert spreadsheets.neutralise(text) == "'" + text


@pytest.mark.parametrize("value", [-3, -2.5, 0, 7, None, True, "普通文本", "a=b", "'=already quoted", ""])
def test_other_values_are_left_alone(value):
    assert spreadsheets.neutralise(value) == value


def test_xlsx_export_cells_are_inert_and_numbers_numeric():
    data = assessment_exports.xlsx([("T", ["=header", "n"], [[text, -3] for text in HOSTILE] + [["-5", -4.5]])])
    ws = load_workbook(io.BytesIO(data)).active
    cells = [c for row in ws.iter_rows() for c in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    # (XML turns a carriage return into a line feed on the way back)
    assert [c.value for c in ws["A"]] == ["'=header", *("'" + t.replace("\r", "\n") for t in HOSTILE), "'-5"]
    assert [c.value for c in ws["B"][1:]] == [-3] * len(HOSTILE) + [-4.5]
    assert all(c.data_type == "n" for c in ws["B"][1:])


def test_satisfaction_workbook_is_written_through_the_shared_writer():
    rates = {"area": [{"label": '=HYPERLINK("http://x","y")', "visits": 3, "satisfied": 1, "basically_satisfied": 1,
                       "unsatisfied": 1, "unreachable": 0, "numerator": 2, "denominator": 3, "rate": -0.5}]}
    ws = load_workbook(io.BytesIO(satisfaction_exports.workbook(None, None, rates))).active  # type: ignore[arg-type]
    row = next(r for r in ws.iter_rows() if r[0].value and "HYPERLINK" in str(r[0].value))
    assert row[0].data_type == "s" and row[0].value.startswith("'=")
    assert row[-1].value == -0.5 and row[-1].data_type == "n"


def test_every_workbook_is_saved_by_the_shared_writer():
    root = Path(spreadsheets.__file__).parents[1]
    offenders = []
    for path in root.rglob("*.py"):
        if path.name == "spreadsheets.py" and path.parent.name == "common":
            continue
        text = path.read_text(encoding="utf-8")
        if "Workbook(" in text and "spreadsheets.save(" not in text:
            offenders.append(str(path.relative_to(root)))
        if re.search(r"\bwb\.save\(", text):
            offenders.append(f"{path.relative_to(root)}: wb.save")
    assert offenders == []
