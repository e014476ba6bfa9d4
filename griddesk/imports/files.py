"""Reading an uploaded CSV or XLSX file into rows of text.

Only the shape of the file is checked here (type, encoding, header, row count);
the rows themselves are validated later with the API's ``IntakeSerializer``.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from django.utils.translation import gettext as _

from griddesk.common.errors import InvalidInput

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

_XLSX_MAGIC = b"PK\x03\x04"
_ENCODINGS = ("utf-8-sig", "gb18030")


@dataclass
class Table:
    file_format: str  # "csv" or "xlsx"
    header: list[str]
    #: (spreadsheet row number, {column: text}); the header is row 1.
    rows: list[tuple[int, dict[str, str]]]


def file_format(filename: str, data: bytes) -> str:
    name = filename.lower().strip()
    if name.endswith(".xlsx"):
        if not data.startswith(_XLSX_MAGIC):
            raise InvalidInput(_("The file is not a valid XLSX workbook."), code="bad_xlsx", field="file")
        return "xlsx"
    if name.endswith(".csv"):
        return "csv"
    if name.endswith(".xls"):
        raise InvalidInput(
            _("Old Excel (.xls) files are not supported; save the sheet as .xlsx or .csv."), code="unsupported_type", field="file"
        )
    raise InvalidInput(_("Only CSV (.csv) and Excel (.xlsx) files can be imported."), code="unsupported_type", field="file")


def records(filename: str, data: bytes) -> tuple[str, Iterator[tuple[int, list[str]]]]:
    """The file's format and its records ``(row number, cell texts)`` — the
    readers every import shares (work orders, survey responses, opinion items);
    each import interprets the header itself. Refuses an empty file, an
    unsupported type or a damaged workbook with ``InvalidInput``."""
    if not data:
        raise InvalidInput(_("The file is empty."), code="empty", field="file")
    fmt = file_format(filename, data)
    return fmt, (_csv_records(data) if fmt == "csv" else _xlsx_records(data))


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


def _decode(data: bytes) -> str:
    if b"\x00" in data:
        raise InvalidInput(
            _("The file could not be read as text; save it as CSV in UTF-8 or GB18030 (GBK)."), code="undecodable", field="file"
        )
    for encoding in _ENCODINGS:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise InvalidInput(
        _("The file could not be read as text; save it as CSV in UTF-8 or GB18030 (GBK)."), code="undecodable", field="file"
    )


def _csv_records(data: bytes) -> Iterator[tuple[int, list[str]]]:
    text = _decode(data)
    first_line = text.split("\n", 1)[0]
    delimiter = max((",", "\t", ";"), key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        # Numbered by record, not by physical line, so a quoted multi-line cell
        # still counts as one row (as a spreadsheet shows it).
        for number, values in enumerate(reader, start=1):
            yield number, [v.strip() for v in values]
    except csv.Error as exc:
        raise InvalidInput(
            _("The CSV file is malformed: %(error)s") % {"error": str(exc)}, code="malformed_csv", field="file"
        ) from None


def _xlsx_records(data: bytes) -> Iterator[tuple[int, list[str]]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, TypeError) as exc:
        raise InvalidInput(_("The file is not a valid XLSX workbook."), code="bad_xlsx", field="file") from exc
    except Exception as exc:  # openpyxl raises a variety of errors on damaged files
        raise InvalidInput(_("The file is not a valid XLSX workbook."), code="bad_xlsx", field="file") from exc
    try:
        if not workbook.worksheets:
            return
        sheet = workbook.worksheets[0]
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            yield number, [_cell_text(v) for v in values]
    finally:
        workbook.close()


def _cell_text(value: Any) -> str:
    """Spreadsheet cells as the text a user typed: 3300112233 not 3300112233.0."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return value.isoformat()
    return str(value).strip()
