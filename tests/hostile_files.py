"""Builders of hostile upload files for the tests: small XLSX files that expand
to millions of cells or one huge shared string, zips whose headers lie. The XML
is streamed into the zip, so building a 500 MB sheet costs no memory."""

from __future__ import annotations

import io
import struct
import zipfile
from collections.abc import Iterable, Iterator

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
    "</Types>"
)
_ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
    "</Relationships>"
)
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>'
    "</Relationships>"
)
_SHEET_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
SHEET = "xl/worksheets/sheet1.xml"
STRINGS = "xl/sharedStrings.xml"


def xlsx(sheet_body: Iterable[str], strings_body: Iterable[str] = ()) -> bytes:
    """A workbook whose first sheet's XML is ``sheet_body`` (inside <worksheet>) and
    whose shared strings are ``strings_body`` (inside <sst>), both streamed."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        zf.writestr("[Content_Types].xml", _CONTENT_TYPES)
        zf.writestr("_rels/.rels", _ROOT_RELS)
        zf.writestr("xl/workbook.xml", _WORKBOOK)
        zf.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        _stream(zf, STRINGS, [('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                               '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'),
                              *strings_body, "</sst>"])
        _stream(zf, SHEET, [_SHEET_HEAD, *sheet_body, "</worksheet>"])
    return out.getvalue()


def _stream(zf: zipfile.ZipFile, name: str, parts: Iterable[str]) -> None:
    with zf.open(name, "w", force_zip64=True) as f:
        buf: list[str] = []
        size = 0
        for part in parts:
            buf.append(part)
            size += len(part)
            if size > 1 << 20:
                f.write("".join(buf).encode())
                buf, size = [], 0
        f.write("".join(buf).encode())


def wide_rows(rows: int, columns: int, *, refs: bool = False) -> Iterator[str]:
    """``rows`` × ``columns`` cells holding 1: the 32M-cell bomb is 2,000 × 16,000."""
    from openpyxl.utils import get_column_letter

    yield "<sheetData>"
    if refs:
        letters = [get_column_letter(c) for c in range(1, columns + 1)]
    for r in range(1, rows + 1):
        if refs:
            yield f'<row r="{r}">' + "".join(f'<c r="{letters[c]}{r}"><v>1</v></c>' for c in range(columns)) + "</row>"
        else:
            yield f'<row r="{r}">' + "<c><v>1</v></c>" * columns + "</row>"
    yield "</sheetData>"


def lying_dimension(rows: int) -> Iterator[str]:
    """A sheet that claims A1:XFD<rows> but holds one cell per row (openpyxl pads every row to 16,384)."""
    yield f'<dimension ref="A1:XFD{rows}"/><sheetData>'
    for r in range(1, rows + 1):
        yield f'<row r="{r}"><c r="A{r}"><v>{r}</v></c></row>'
    yield "</sheetData>"


def one_huge_string(chars: int) -> Iterator[str]:
    """Shared strings holding one string of ``chars`` characters."""
    yield "<si><t>"
    chunk = "A" * (1 << 20)
    left = chars
    while left > 0:
        yield chunk[: min(left, len(chunk))]
        left -= len(chunk)
    yield "</t></si>"


def cell_with_string(index: int = 0) -> Iterator[str]:
    yield f'<sheetData><row r="1"><c r="A1" t="s"><v>{index}</v></c></row></sheetData>'


def lie_about_size(data: bytes, name: str, declared: int) -> bytes:
    """The zip with ``name``'s uncompressed size in the central directory (what
    readers trust) and the local header replaced by ``declared``."""
    zf = zipfile.ZipFile(io.BytesIO(data))
    out = bytearray(data)
    pos = zf.start_dir
    while out[pos : pos + 4] == b"PK\x01\x02":
        n, m, k = struct.unpack_from("<HHH", out, pos + 28)
        entry_name = bytes(out[pos + 46 : pos + 46 + n]).decode()
        if entry_name == name:
            extra_at = pos + 46 + n
            # zip64 extra field (force_zip64): header id 1, sizes inside it
            e = extra_at
            while e < extra_at + m:
                hid, size = struct.unpack_from("<HH", out, e)
                if hid == 1:
                    struct.pack_into("<Q", out, e + 4, declared)
                e += 4 + size
            if struct.unpack_from("<L", out, pos + 24)[0] != 0xFFFFFFFF:
                struct.pack_into("<L", out, pos + 24, declared)
        pos += 46 + n + m + k
    return bytes(out)
