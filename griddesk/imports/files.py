"""Reading an uploaded CSV or XLSX file into rows of text.

The file is read through the one guarded reader (``griddesk.common.files``:
type, encoding, size, zip-bomb and row/column/cell limits); only the import's
own shape is checked here (header, row count). The rows themselves are
validated later with the API's ``IntakeSerializer``.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _

from griddesk.common.errors import InvalidInput
from griddesk.common.files import file_format, read_upload, records

__all__ = ["COLUMNS", "MAX_ROWS", "OPTIONAL_COLUMNS", "REQUIRED_COLUMNS", "Table", "file_format", "header_name",
           "read_table", "read_upload", "records"]

MAX_ROWS = 20_000

#: Columns of an import file, in the order of the downloadable template.
COLUMNS = (
    "external_id",
    "channel",
    "type",
    "category",
    "content",
    "received_at",
    "account_no",
    "customer_name",
    "phone",
    "address",
    "customer_category",
    "remedy_sought",
)
#: Optional extra columns that are understood when present.
OPTIONAL_COLUMNS = ("title", "anonymous")
#: Columns the header must contain.
REQUIRED_COLUMNS = ("external_id", "channel", "type", "content", "received_at")


@dataclass
class Table:
    file_format: str  # "csv" or "xlsx"
    header: list[str]
    #: (spreadsheet row number, {column: text}); the header is row 1.
    rows: list[tuple[int, dict[str, str]]]


def read_table(filename: str, data: bytes) -> Table:
    """Parse ``data``; raise ``InvalidInput`` with a clear message if it cannot be imported."""
    fmt, rows_in = records(filename, data)
    header: list[str] | None = None
    rows: list[tuple[int, dict[str, str]]] = []
    for number, values in rows_in:
        if header is None:
            if not any(values):
                continue  # blank lines above the header
            header = [header_name(v) for v in values]
            missing = [c for c in REQUIRED_COLUMNS if c not in header]
            if missing:
                raise InvalidInput(
                    _("The header row lacks the column(s) %(columns)s. Download the template to see the expected columns.")
                    % {"columns": ", ".join(missing)},
                    code="missing_columns",
                    field="file",
                )
            continue
        if not any(values):
            continue  # blank line
        if len(rows) >= MAX_ROWS:
            raise InvalidInput(
                _("The file has more than %(max)d rows; split it into smaller files.") % {"max": MAX_ROWS},
                code="too_many_rows",
                field="file",
            )
        row: dict[str, str] = {}
        for i, name in enumerate(header):
            if name and name not in row:
                row[name] = values[i] if i < len(values) else ""
        rows.append((number, row))
    if header is None or not rows:
        raise InvalidInput(_("The file contains no rows to import."), code="empty", field="file")
    return Table(file_format=fmt, header=header, rows=rows)


def header_name(value: str) -> str:
    """A header cell as a column code: "*Account No" → "account_no"."""
    return value.strip().strip("*").strip().lower().replace(" ", "_")
