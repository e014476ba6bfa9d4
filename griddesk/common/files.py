"""The one guarded reader of uploaded CSV and XLSX files (ADR 0017).

Every import (work orders, survey responses, opinion items, and the readers to
come) reads its file through :func:`records`, which yields ``(row number, cell
texts)`` and refuses a hostile file *while streaming*, before the memory or the
time is spent:

* the upload's size (``FILE_MAX_BYTES``; the same limit as an API request body),
* for XLSX: the number of zip members, each member's *declared* size and the
  bytes *actually inflated* (counted chunk by chunk, so a zip whose headers lie
  is stopped at the budget: ``FILE_MAX_DECOMPRESSED_BYTES``),
* rows (``FILE_MAX_ROWS``), columns (``FILE_MAX_COLUMNS``), cells
  (``FILE_MAX_CELLS``; with the XML elements around them, this bounds the time)
  and characters in one cell or shared string (``FILE_MAX_CELL_CHARS``), counted
  as the XML is parsed.

The workbook is parsed here with expat, not with openpyxl: openpyxl's read-only
mode still builds every shared string in memory and pads every row to the
sheet's *declared* dimension (a 20 KB file claiming ``A1:XFD2000`` became 32M
cells). Only the first worksheet is read, with cached values of formulas, dates
by their number format, and cells as the text a user typed.

Refusals are ``InvalidInput`` on the field ``file`` with a stable code:
``file_too_large``, ``file_decompressed_too_large``, ``file_too_many_rows``,
``file_too_many_columns``, ``file_too_many_cells``, ``file_cell_too_long``, ``file_invalid`` (a workbook
whose structure is hostile: a DTD, sizes that disagree with its headers, too
many parts), besides the older ``empty``, ``unsupported_type``, ``bad_xlsx``,
``undecodable`` and ``malformed_csv``.
"""

from __future__ import annotations

import csv
import io
import posixpath
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import IO, Any
from xml.parsers import expat

from django.conf import settings
from django.utils.translation import gettext as _

from griddesk.common.errors import InvalidInput

_XLSX_MAGIC = b"PK\x03\x04"
_ENCODINGS = ("utf-8-sig", "gb18030")
_CHUNK = 64 * 1024
#: An XLSX has a dozen parts; thousands are a zip built to exhaust the reader.
MAX_PARTS = 1_000


@dataclass(frozen=True)
class Limits:
    max_bytes: int
    max_decompressed_bytes: int
    max_rows: int
    max_columns: int
    max_cell_chars: int
    max_cells: int

    @property
    def max_sheet_elements(self) -> int:
        """XML elements a sheet may have: a cell is ``<c>`` and ``<v>`` (an inline
        string ``<c><is><t>``), plus a ``<row>`` and its odds and ends."""
        return 2 * self.max_cells + 2 * self.max_rows + 10_000

    @classmethod
    def from_settings(cls) -> Limits:
        return cls(
            max_bytes=settings.FILE_MAX_BYTES,
            max_decompressed_bytes=settings.FILE_MAX_DECOMPRESSED_BYTES,
            max_rows=settings.FILE_MAX_ROWS,
            max_columns=settings.FILE_MAX_COLUMNS,
            max_cell_chars=settings.FILE_MAX_CELL_CHARS,
            max_cells=settings.FILE_MAX_CELLS,
        )


# ------------------------------------------------------------------ refusals


def _refuse(code: str, message: str) -> InvalidInput:
    return InvalidInput(message, code=code, field="file")


def _too_large(limits: Limits) -> InvalidInput:
    return _refuse("file_too_large", _("The file is larger than %(mb)s MB; split it into smaller files.") % {"mb": _mb(limits.max_bytes)})


def _decompressed_too_large(limits: Limits) -> InvalidInput:
    return _refuse(
        "file_decompressed_too_large",
        _("The workbook unpacks to more than %(mb)s MB; split it into smaller files.") % {"mb": _mb(limits.max_decompressed_bytes)},
    )


def _too_many_rows(limits: Limits) -> InvalidInput:
    return _refuse("file_too_many_rows", _("The file has more than %(max)d rows; split it into smaller files.") % {"max": limits.max_rows})


def _too_many_columns(limits: Limits) -> InvalidInput:
    return _refuse("file_too_many_columns", _("The file has more than %(max)d columns.") % {"max": limits.max_columns})


def _too_many_cells(limits: Limits) -> InvalidInput:
    return _refuse("file_too_many_cells", _("The file has more than %(max)d cells; split it into smaller files.") % {"max": limits.max_cells})


def _cell_too_long(limits: Limits, row: int) -> InvalidInput:
    if row:
        message = _("Row %(row)d has a cell longer than %(max)d characters.") % {"row": row, "max": limits.max_cell_chars}
    else:
        message = _("The workbook has a text longer than %(max)d characters.") % {"max": limits.max_cell_chars}
    return _refuse("file_cell_too_long", message)


def _invalid() -> InvalidInput:
    return _refuse("file_invalid", _("The workbook is damaged or built to harm the reader; save it again from Excel or as CSV."))


def _bad_xlsx() -> InvalidInput:
    return _refuse("bad_xlsx", _("The file is not a valid XLSX workbook."))


def _mb(n: int) -> str:
    return f"{n / (1024 * 1024):g}"


# ------------------------------------------------------------------ entry points


def read_upload(upload: Any, limits: Limits | None = None) -> bytes:
    """The bytes of an uploaded file, refused by its size before it is read into
    memory (Django has already spooled a large upload to a temporary file, which
    it deletes at the end of the request)."""
    limits = limits or Limits.from_settings()
    size = getattr(upload, "size", None)
    if size is not None and size > limits.max_bytes:
        raise _too_large(limits)
    data: bytes = upload.read(limits.max_bytes + 1)
    if len(data) > limits.max_bytes:
        raise _too_large(limits)
    return data


def file_format(filename: str, data: bytes) -> str:
    name = filename.lower().strip()
    if name.endswith(".xlsx"):
        if not data.startswith(_XLSX_MAGIC):
            raise _bad_xlsx()
        return "xlsx"
    if name.endswith(".csv"):
        return "csv"
    if name.endswith(".xls"):
        raise InvalidInput(
            _("Old Excel (.xls) files are not supported; save the sheet as .xlsx or .csv."), code="unsupported_type", field="file"
        )
    raise InvalidInput(_("Only CSV (.csv) and Excel (.xlsx) files can be imported."), code="unsupported_type", field="file")


def records(filename: str, data: bytes, limits: Limits | None = None) -> tuple[str, Iterator[tuple[int, list[str]]]]:
    """The file's format and its records ``(row number, cell texts)``. The size is
    checked now; everything else while the caller iterates, so a caller that stops
    early (its own row limit) stops the reading too."""
    limits = limits or Limits.from_settings()
    if not data:
        raise InvalidInput(_("The file is empty."), code="empty", field="file")
    if len(data) > limits.max_bytes:
        raise _too_large(limits)
    fmt = file_format(filename, data)
    return fmt, (_csv_records(data, limits) if fmt == "csv" else _xlsx_records(data, limits))


# ------------------------------------------------------------------ CSV


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


def _csv_records(data: bytes, limits: Limits) -> Iterator[tuple[int, list[str]]]:
    text = _decode(data)
    first_line = text.split("\n", 1)[0]
    delimiter = max((",", "\t", ";"), key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    number = 0
    cells = 0
    try:
        # Numbered by record, not by physical line, so a quoted multi-line cell
        # still counts as one row (as a spreadsheet shows it).
        for number, values in enumerate(reader, start=1):
            if number > limits.max_rows:
                raise _too_many_rows(limits)
            if len(values) > limits.max_columns:
                raise _too_many_columns(limits)
            cells += len(values)
            if cells > limits.max_cells:
                raise _too_many_cells(limits)
            if any(len(v) > limits.max_cell_chars for v in values):
                raise _cell_too_long(limits, number)
            yield number, [v.strip() for v in values]
    except csv.Error as exc:
        if "field larger than field limit" in str(exc):
            raise _cell_too_long(limits, number + 1) from None
        raise InvalidInput(
            _("The CSV file is malformed: %(error)s") % {"error": str(exc)}, code="malformed_csv", field="file"
        ) from None


# ------------------------------------------------------------------ XLSX


class _Budget:
    """Bytes left to inflate, over all the parts read."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.left = limits.max_decompressed_bytes

    def take(self, n: int) -> None:
        self.left -= n
        if self.left < 0:
            raise _decompressed_too_large(self.limits)


def _local(name: str) -> str:
    return name if ":" not in name else name.rsplit(":", 1)[1]


#: Elements of a small part (relationships, workbook, styles).
_SMALL_PART_ELEMENTS = 100_000


def _parser(start: Callable[[str, dict[str, str]], None], end: Callable[[str], None] | None = None,
            text: Callable[[str], None] | None = None, max_elements: int | None = _SMALL_PART_ELEMENTS) -> expat.XMLParserType:
    """An expat parser that refuses a DTD and, unless ``max_elements`` is None (the
    caller counts), more than ``max_elements`` elements: parsing costs a Python
    call per element, so the count bounds the time as the byte budget bounds memory."""
    p = expat.ParserCreate()
    p.buffer_text = False

    def no_dtd(*_args: Any) -> None:
        raise _invalid()

    p.StartDoctypeDeclHandler = no_dtd  # XLSX parts never have one; entities are how XML bombs work
    p.EntityDeclHandler = no_dtd
    if max_elements is not None:
        seen = [0]

        def counted(name: str, attrs: dict[str, str]) -> None:
            seen[0] += 1
            if seen[0] > max_elements:
                raise _invalid()
            start(name, attrs)

        p.StartElementHandler = counted
    else:
        p.StartElementHandler = start
    if end is not None:
        p.EndElementHandler = end
    if text is not None:
        p.CharacterDataHandler = text
    return p


def _inflate(zf: zipfile.ZipFile, info: zipfile.ZipInfo, budget: _Budget) -> Iterator[bytes]:
    """A member's bytes in chunks, counted against the budget and its declared size."""
    read = 0
    try:
        with zf.open(info) as f:
            stream: IO[bytes] = f
            while chunk := stream.read(_CHUNK):
                read += len(chunk)
                budget.take(len(chunk))
                if read > info.file_size:
                    raise _invalid()  # more than its header declares
                yield chunk
    except (zipfile.BadZipFile, EOFError, OSError, NotImplementedError, RuntimeError):
        # a bad CRC (zipfile stops at the declared size, so a lying header ends here),
        # a truncated stream, an unsupported method or an encrypted member
        raise _invalid() from None
    if read != info.file_size:
        raise _invalid()


def _parse(zf: zipfile.ZipFile, info: zipfile.ZipInfo, budget: _Budget, parser: expat.XMLParserType,
           after_chunk: Callable[[], Iterator[tuple[int, list[str]]]] | None = None) -> Iterator[tuple[int, list[str]]]:
    try:
        for chunk in _inflate(zf, info, budget):
            parser.Parse(chunk, False)
            if after_chunk is not None:
                yield from after_chunk()
        parser.Parse(b"", True)
        if after_chunk is not None:
            yield from after_chunk()
    except expat.ExpatError:
        raise _bad_xlsx() from None


def _drain(zf: zipfile.ZipFile, info: zipfile.ZipInfo, budget: _Budget, parser: expat.XMLParserType) -> None:
    for _row in _parse(zf, info, budget, parser):
        pass


@dataclass
class _Book:
    sheet: str
    shared_strings: str | None
    styles: str | None
    date1904: bool


def _rels(zf: zipfile.ZipFile, names: dict[str, zipfile.ZipInfo], budget: _Budget, path: str) -> list[tuple[str, str, str]]:
    """(id, type, target path) of the relationships of the part ``path``."""
    folder, base = posixpath.split(path)
    rels_path = posixpath.join(folder, "_rels", base + ".rels")
    out: list[tuple[str, str, str]] = []
    if rels_path not in names:
        return out

    def start(name: str, attrs: dict[str, str]) -> None:
        if _local(name) == "Relationship" and attrs.get("TargetMode") != "External":
            target = attrs.get("Target", "")
            full = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join(folder, target))
            out.append((attrs.get("Id", ""), attrs.get("Type", ""), full))
            if len(out) > MAX_PARTS:
                raise _invalid()

    _drain(zf, names[rels_path], budget, _parser(start))
    return out


def _book(zf: zipfile.ZipFile, names: dict[str, zipfile.ZipInfo], budget: _Budget) -> _Book | None:
    workbook = next((t for _i, typ, t in _rels(zf, names, budget, "") if typ.endswith("/officeDocument")), "xl/workbook.xml")
    if workbook not in names:
        raise _bad_xlsx()
    sheet_ids: list[str] = []
    date1904 = [False]

    def start(name: str, attrs: dict[str, str]) -> None:
        tag = _local(name)
        if tag == "sheet":
            rid = next((v for k, v in attrs.items() if ":" in k and _local(k) == "id"), "")
            sheet_ids.append(rid)
            if len(sheet_ids) > MAX_PARTS:
                raise _invalid()
        elif tag == "workbookPr":
            date1904[0] = attrs.get("date1904", "").lower() in ("1", "true")

    _drain(zf, names[workbook], budget, _parser(start))
    rels = _rels(zf, names, budget, workbook)
    by_id = {rid: (typ, target) for rid, typ, target in rels}
    sheets = [by_id[r][1] for r in sheet_ids if r in by_id and by_id[r][0].endswith("/worksheet")]
    if not sheets:
        return None
    if sheets[0] not in names:
        raise _bad_xlsx()

    def part(kind: str) -> str | None:
        return next((t for _i, typ, t in rels if typ.endswith(kind) and t in names), None)

    return _Book(sheet=sheets[0], shared_strings=part("/sharedStrings"), styles=part("/styles"), date1904=date1904[0])


def _shared_strings(zf: zipfile.ZipFile, info: zipfile.ZipInfo, budget: _Budget, limits: Limits) -> list[str]:
    strings: list[str] = []
    parts: list[str] = []
    state = {"chars": 0, "in_t": False, "phonetic": 0}

    def start(name: str, attrs: dict[str, str]) -> None:
        tag = _local(name)
        if tag == "si":
            parts.clear()
            state["chars"] = 0
        elif tag == "rPh":
            state["phonetic"] += 1  # phonetic guide runs are not part of the text
        elif tag == "t" and not state["phonetic"]:
            state["in_t"] = True

    def end(name: str) -> None:
        tag = _local(name)
        if tag == "si":
            strings.append("".join(parts))
        elif tag == "rPh":
            state["phonetic"] -= 1
        elif tag == "t":
            state["in_t"] = False

    def text(data: str) -> None:
        if state["in_t"]:
            state["chars"] += len(data)
            if state["chars"] > limits.max_cell_chars:
                raise _cell_too_long(limits, 0)
            parts.append(data)

    _drain(zf, info, budget, _parser(start, end, text, max_elements=limits.max_sheet_elements))
    return strings


def _date_styles(zf: zipfile.ZipFile, info: zipfile.ZipInfo, budget: _Budget) -> tuple[set[int], set[int]]:
    """Indexes of the cell styles whose number format is a date, and of those that are durations."""
    from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format, is_timedelta_format

    custom: dict[int, str] = {}
    xfs: list[int] = []
    state = {"in_cell_xfs": False}

    def start(name: str, attrs: dict[str, str]) -> None:
        tag = _local(name)
        if tag == "numFmt":
            try:
                custom[int(attrs.get("numFmtId", ""))] = attrs.get("formatCode", "")
            except ValueError:
                pass
        elif tag == "cellXfs":
            state["in_cell_xfs"] = True
        elif tag == "xf" and state["in_cell_xfs"]:
            try:
                xfs.append(int(attrs.get("numFmtId", "0")))
            except ValueError:
                xfs.append(0)

    def end(name: str) -> None:
        if _local(name) == "cellXfs":
            state["in_cell_xfs"] = False

    _drain(zf, info, budget, _parser(start, end))
    dates: set[int] = set()
    durations: set[int] = set()
    for index, fmt_id in enumerate(xfs):
        fmt = custom.get(fmt_id) or BUILTIN_FORMATS.get(fmt_id) or ""
        if fmt and is_date_format(fmt):
            dates.add(index)
            if is_timedelta_format(fmt):
                durations.add(index)
    return dates, durations


def _column(ref: str) -> int:
    n = 0
    for ch in ref:
        if "A" <= ch <= "Z":
            n = n * 26 + ord(ch) - 64
        elif "a" <= ch <= "z":
            n = n * 26 + ord(ch) - 96
        else:
            break
    return n


def _xlsx_records(data: bytes, limits: Limits) -> Iterator[tuple[int, list[str]]]:
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError):
        raise _bad_xlsx() from None
    with zf:
        infos = zf.infolist()
        if len(infos) > MAX_PARTS:
            raise _invalid()
        if sum(i.file_size for i in infos) > limits.max_decompressed_bytes:
            raise _decompressed_too_large(limits)
        names = {i.filename: i for i in infos}
        budget = _Budget(limits)
        book = _book(zf, names, budget)
        if book is None:
            return
        strings = _shared_strings(zf, names[book.shared_strings], budget, limits) if book.shared_strings else []
        dates, durations = _date_styles(zf, names[book.styles], budget) if book.styles else (set(), set())
        yield from _SheetReader(limits, strings, dates, durations, book.date1904).read(zf, names[book.sheet], budget)


class _SheetReader:
    """Rows of one worksheet, parsed as the XML streams in."""

    def __init__(self, limits: Limits, strings: list[str], dates: set[int], durations: set[int], date1904: bool) -> None:
        from openpyxl.utils.datetime import MAC_EPOCH, WINDOWS_EPOCH

        self.limits = limits
        self.strings = strings
        self.dates = dates
        self.durations = durations
        self.epoch = MAC_EPOCH if date1904 else WINDOWS_EPOCH
        self.done: list[tuple[int, list[str]]] = []
        self.rows_seen = 0
        self.cells_seen = 0
        self.elements_seen = 0
        self.row_number = 0
        self.row: dict[int, str] = {}
        self.column = 0
        self.cell_type = "n"
        self.cell_style = 0
        self.in_row = False
        self.collect = False  # inside <v>, or <t> of an inline string
        self.in_inline = False
        self.phonetic = 0
        self.chars = 0
        self.parts: list[str] = []

    def read(self, zf: zipfile.ZipFile, info: zipfile.ZipInfo, budget: _Budget) -> Iterator[tuple[int, list[str]]]:
        yield from _parse(zf, info, budget, _parser(self.start, self.end, self.text, max_elements=None), self.flush)

    def flush(self) -> Iterator[tuple[int, list[str]]]:
        done, self.done = self.done, []
        yield from done

    def start(self, name: str, attrs: dict[str, str]) -> None:
        self.elements_seen += 1
        if self.elements_seen > self.limits.max_sheet_elements:
            raise _invalid() if self.cells_seen <= self.limits.max_cells else _too_many_cells(self.limits)
        tag = _local(name)
        if tag == "row":
            self.rows_seen += 1
            if self.rows_seen > self.limits.max_rows:
                raise _too_many_rows(self.limits)
            try:
                self.row_number = int(attrs["r"]) if "r" in attrs else self.row_number + 1
            except ValueError:
                self.row_number += 1
            self.row = {}
            self.column = 0
            self.in_row = True
        elif tag == "c" and self.in_row:
            self.cells_seen += 1
            if self.cells_seen > self.limits.max_cells:
                raise _too_many_cells(self.limits)
            ref = attrs.get("r")
            self.column = _column(ref) if ref else self.column + 1
            if self.column > self.limits.max_columns:
                raise _too_many_columns(self.limits)
            self.cell_type = attrs.get("t", "n")
            try:
                self.cell_style = int(attrs.get("s", "0"))
            except ValueError:
                self.cell_style = 0
            self.parts = []
            self.chars = 0
        elif tag == "v" and self.in_row:
            self.collect = True
        elif tag == "is":
            self.in_inline = True
        elif tag == "rPh":
            self.phonetic += 1
        elif tag == "t" and self.in_inline and not self.phonetic:
            self.collect = True

    def end(self, name: str) -> None:
        tag = _local(name)
        if tag in ("v", "t"):
            self.collect = False
        elif tag == "is":
            self.in_inline = False
        elif tag == "rPh":
            self.phonetic -= 1
        elif tag == "c" and self.in_row:
            if self.parts:
                self.row[self.column] = self.value("".join(self.parts))
        elif tag == "row" and self.in_row:
            width = max(self.row, default=0)
            self.done.append((self.row_number, [self.row.get(i, "") for i in range(1, width + 1)]))
            self.in_row = False

    def text(self, data: str) -> None:
        if self.collect:
            self.chars += len(data)
            if self.chars > self.limits.max_cell_chars:
                raise _cell_too_long(self.limits, self.row_number)
            self.parts.append(data)

    def value(self, raw: str) -> str:
        kind = self.cell_type
        if kind == "s":
            try:
                return _cell_text(self.strings[int(raw)])
            except (ValueError, IndexError):
                raise _bad_xlsx() from None
        if kind == "b":
            return _cell_text(raw.strip() not in ("0", "false", ""))
        if kind == "n":
            return self.number(raw.strip())
        if kind == "d":
            from openpyxl.utils.datetime import from_ISO8601

            try:
                return _cell_text(from_ISO8601(raw.strip()))
            except ValueError:
                return raw.strip()
        return _cell_text(raw)  # str (a formula's text), inlineStr, e (an error such as #N/A)

    def number(self, raw: str) -> str:
        try:
            value: int | float = int(raw) if raw.lstrip("-").isdigit() else float(raw)
        except ValueError:
            return raw
        if self.cell_style in self.dates:
            from openpyxl.utils.datetime import from_excel

            try:
                return _cell_text(from_excel(value, self.epoch, timedelta=self.cell_style in self.durations))
            except (OverflowError, ValueError):
                return "#VALUE!"
        return _cell_text(value)


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
