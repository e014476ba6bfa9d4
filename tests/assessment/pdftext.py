"""A small PDF reader for tests: the page count and the text of a PDF such as
matplotlib writes (Type 3 or Type0/CID TrueType fonts with ToUnicode maps,
Flate streams). No PDF library is in the test dependencies; this reads exactly what
the report needs and fails loudly on anything it cannot parse."""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass

_OBJ = re.compile(rb"(\d+) 0 obj\s*(.*?)\s*endobj", re.DOTALL)
_STREAM = re.compile(rb"stream\r?\n(.*?)\r?\nendstream", re.DOTALL)


@dataclass
class Pdf:
    pages: list[str]  # the text of each page, one line per text object

    @property
    def text(self) -> str:
        return "\n".join(self.pages)


def _objects(data: bytes) -> dict[int, bytes]:
    return {int(m.group(1)): m.group(2) for m in _OBJ.finditer(data)}


def _stream(body: bytes) -> bytes:
    m = _STREAM.search(body)
    assert m, body[:200]
    raw = m.group(1)
    return zlib.decompress(raw) if b"/FlateDecode" in body[: m.start()] else raw


def _ref(body: bytes, key: bytes) -> int:
    m = re.search(rb"/" + key + rb"\s+(\d+) 0 R", body)
    assert m, (key, body[:200])
    return int(m.group(1))


def _cmap(data: bytes) -> dict[int, str]:
    out: dict[int, str] = {}
    for block in re.findall(rb"beginbfchar(.*?)endbfchar", data, re.DOTALL):
        for src, dst in re.findall(rb"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>", block):
            out[int(src, 16)] = bytes.fromhex(dst.decode()).decode("utf-16-be")
    for block in re.findall(rb"beginbfrange(.*?)endbfrange", data, re.DOTALL):
        for lo, hi, dst in re.findall(rb"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>\s*(\[[^\]]*\]|<[0-9a-fA-F]+>)", block):
            lo_i, hi_i = int(lo, 16), int(hi, 16)
            if dst.startswith(b"["):
                for i, d in enumerate(re.findall(rb"<([0-9a-fA-F]+)>", dst)):
                    out[lo_i + i] = bytes.fromhex(d.decode()).decode("utf-16-be")
            else:
                start = int(dst[1:-1], 16)
                for i in range(hi_i - lo_i + 1):
                    out[lo_i + i] = chr(start + i)
    return out


def _literal(s: bytes, i: int) -> tuple[bytes, int]:
    """The literal string starting after the ``(`` at ``i``; returns (bytes, index after ``)``)."""
    out = bytearray()
    depth = 1
    esc = {ord("n"): b"\n", ord("r"): b"\r", ord("t"): b"\t", ord("b"): b"\b", ord("f"): b"\f"}
    while True:
        c = s[i]
        if c == 0x5C:  # backslash
            n = s[i + 1]
            if n in esc:
                out += esc[n]
                i += 2
            elif 0x30 <= n <= 0x37:
                m = re.match(rb"[0-7]{1,3}", s[i + 1 : i + 4])
                assert m
                out.append(int(m.group(0), 8) & 0xFF)
                i += 1 + len(m.group(0))
            elif n in (0x0A, 0x0D):
                i += 2
            else:
                out.append(n)
                i += 2
            continue
        if c == 0x28:
            depth += 1
        elif c == 0x29:
            depth -= 1
            if depth == 0:
                return bytes(out), i + 1
        out.append(c)
        i += 1


def _page_text(content: bytes, fonts: dict[bytes, tuple[dict[int, str], int] | None]) -> str:
    lines: list[str] = []
    current: tuple[dict[int, str], int] | None = None
    line: list[str] = []
    i = 0
    tokens = re.compile(rb"\(|<[0-9a-fA-F\s]*>|/[^\s/\[\]()<>]+|BT|ET|Tf")
    last_name = b""
    while True:
        m = tokens.search(content, i)
        if not m:
            break
        tok = m.group(0)
        i = m.end()
        if tok == b"(" or (tok.startswith(b"<") and not tok.startswith(b"<<")):
            if tok == b"(":
                raw, i = _literal(content, i)
            else:
                raw = bytes.fromhex(re.sub(rb"\s", b"", tok[1:-1]).decode())
            if current is None:
                line.append(raw.decode("latin-1"))
            else:
                cmap, width = current
                line.append("".join(cmap.get(int.from_bytes(raw[j : j + width], "big"), "\ufffd")
                                    for j in range(0, len(raw), width)))
        elif tok.startswith(b"/"):
            last_name = tok[1:]
        elif tok == b"Tf":
            current = fonts.get(last_name)
        elif tok == b"ET":
            lines.append("".join(line))
            line = []
        elif tok == b"BT":
            line = []
    return "\n".join(lines)


def read(data: bytes) -> Pdf:
    assert data.startswith(b"%PDF-"), data[:20]
    assert data.rstrip().endswith(b"%%EOF"), data[-40:]
    assert b"startxref" in data[-200:] and b"xref" in data
    objs = _objects(data)
    catalog = next(b for b in objs.values() if b"/Type /Catalog" in b)
    pages_root = objs[_ref(catalog, b"Pages")]
    kids = [int(k) for k in re.findall(rb"(\d+) 0 R", re.search(rb"/Kids\s*\[(.*?)\]", pages_root, re.DOTALL).group(1))]
    count = int(re.search(rb"/Count (\d+)", pages_root).group(1))
    assert count == len(kids), (count, kids)
    pages = []
    for kid in kids:
        page = objs[kid]
        assert b"/Type /Page" in page
        resources = objs[_ref(page, b"Resources")]
        fonts: dict[bytes, tuple[dict[int, str], int] | None] = {}
        m = re.search(rb"/Font\s+(\d+) 0 R", resources)
        if m:
            for name, ref in re.findall(rb"/([^\s/]+)\s+(\d+) 0 R", objs[int(m.group(1))]):
                font = objs[int(ref)]
                width = 2 if b"/Subtype /Type0" in font else 1  # CID fonts: two-byte codes
                fonts[name] = (_cmap(_stream(objs[_ref(font, b"ToUnicode")])), width) if b"/ToUnicode" in font else None
        pages.append(_page_text(_stream(objs[_ref(page, b"Contents")]), fonts))
    return Pdf(pages=pages)
