"""The one writer of exported spreadsheets: no cell of an export is a live formula.

A customer's text such as ``=HYPERLINK("http://x","y")`` written into a cell
becomes a formula that Excel runs when the file is opened (CSV/formula
injection). As OWASP recommends, every text cell that begins with ``=``, ``+``,
``-``, ``@``, a tab or a carriage return is written with a leading single quote,
so it is shown as the text it was. Numbers stay numbers (a negative number is a
number, not text). Every XLSX export saves through :func:`save`, which applies
this to every cell of every sheet, so no export can forget it; CSV exports pass
their cells through :func:`neutralise`.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from openpyxl import Workbook

#: Characters that make a spreadsheet treat a cell as a formula (OWASP).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    """``value`` as an inert cell: text that could start a formula gets a leading ``'``."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def save(wb: Workbook) -> bytes:
    """The workbook as XLSX bytes, with every text cell neutralised (openpyxl has
    already taken a text beginning with ``=`` for a formula; assigning the quoted
    text makes it a plain string cell again)."""
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                value = cell.value
                if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
                    cell.value = "'" + value
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
