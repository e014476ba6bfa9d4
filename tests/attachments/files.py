"""Real files of each kind, built in memory for the tests."""

from __future__ import annotations

import io
import struct
import wave
import zipfile
import zlib

from PIL import Image


def jpeg(size: tuple[int, int] = (1200, 900), *, taken: str | None = None, gps: tuple[float, float] | None = None,
         offset: str | None = None) -> bytes:
    exif = Image.Exif()
    if taken:
        exif.get_ifd(0x8769)[36867] = taken
        if offset:
            exif.get_ifd(0x8769)[36881] = offset
    if gps:
        lat, lon = gps
        g = exif.get_ifd(0x8825)
        g[1], g[3] = ("N" if lat >= 0 else "S"), ("E" if lon >= 0 else "W")
        g[2], g[4] = _dms(abs(lat)), _dms(abs(lon))
    buf = io.BytesIO()
    Image.new("RGB", size, (30, 110, 190)).save(buf, "JPEG", exif=exif)
    return buf.getvalue()


def _dms(deg: float) -> tuple[float, float, float]:
    d = int(deg)
    m = int((deg - d) * 60)
    s = round(((deg - d) * 60 - m) * 60, 4)
    return (float(d), float(m), s)


def png(size: tuple[int, int] = (64, 48)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGBA", size, (200, 30, 30, 128)).save(buf, "PNG")
    return buf.getvalue()


def webp() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (80, 60), "green").save(buf, "WEBP")
    return buf.getvalue()


def heic() -> bytes:
    import pillow_heif

    pillow_heif.register_heif_opener()
    buf = io.BytesIO()
    Image.new("RGB", (96, 64), "orange").save(buf, "HEIF")
    return buf.getvalue()


def png_bomb(width: int = 100_000, height: int = 100_000) -> bytes:
    """A small PNG whose header claims ``width``×``height`` pixels (IHDR rewritten, CRC fixed)."""
    raw = bytearray(png((8, 8)))
    ihdr_at = 8  # after the signature: length(4) type(4) data(13) crc(4)
    data = struct.pack(">II", width, height) + bytes(raw[ihdr_at + 16 : ihdr_at + 21])
    raw[ihdr_at + 8 : ihdr_at + 21] = data
    raw[ihdr_at + 21 : ihdr_at + 25] = struct.pack(">I", zlib.crc32(b"IHDR" + data) & 0xFFFFFFFF)
    return bytes(raw)


def wav() -> bytes:
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(b"\x00\x01" * 8000)
    return buf.getvalue()


def mp3() -> bytes:
    # ID3v2 tag, then MPEG-1 Layer III frames (128 kbit/s, 44.1 kHz: 417 bytes each).
    frame = b"\xff\xfb\x90\x64" + b"\x00" * 413
    return b"ID3\x03\x00\x00\x00\x00\x00\x0a" + b"\x00" * 10 + frame * 4


def amr() -> bytes:
    return b"#!AMR\n" + bytes([0x3C]) + b"\x00" * 31


def pdf() -> bytes:
    return b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def xlsx() -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.append(["户号", "电量"])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def docx() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>')
        z.writestr("word/document.xml", '<?xml version="1.0"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"/>')
    return buf.getvalue()


def plain_zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("a.txt", "hello")
    return buf.getvalue()


def ole(sub: bytes = b"") -> bytes:
    return b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504 + sub + b"\x00" * 1024


def elf() -> bytes:
    return b"\x7fELF\x02\x01\x01" + b"\x00" * 200


def pe() -> bytes:
    return b"MZ\x90\x00" + b"\x00" * 200


def macho() -> bytes:
    return b"\xcf\xfa\xed\xfe" + b"\x00" * 200


def script() -> bytes:
    return b"#!/bin/sh\nrm -rf /\n"
