"""What an uploaded file is, judged from its bytes (not its name), and what a
photo says about itself (EXIF time and GPS). No Django, no storage: the
services call these before anything is written."""

from __future__ import annotations

import io
import warnings
import zipfile
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import IO, Any
from zoneinfo import ZoneInfo

import filetype
from PIL import Image, ImageOps, UnidentifiedImageError

#: Camera clocks without an EXIF offset are taken as local time here.
LOCAL_TZ = ZoneInfo("Asia/Shanghai")
THUMBNAIL_PX = 320
_HEAD = 8192


@dataclass(frozen=True)
class FileType:
    mime: str
    kind: str  # image / audio / document
    extensions: tuple[str, ...]  # accepted name endings; the first is canonical


_OOXML = {
    "word/": FileType("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "document", ("docx",)),
    "xl/": FileType("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "document", ("xlsx",)),
    "ppt/": FileType("application/vnd.openxmlformats-officedocument.presentationml.presentation", "document", ("pptx",)),
}
_OLE = {
    "doc": FileType("application/msword", "document", ("doc",)),
    "xls": FileType("application/vnd.ms-excel", "document", ("xls",)),
    "ppt": FileType("application/vnd.ms-powerpoint", "document", ("ppt",)),
}
#: What may be attached, by the MIME type ``filetype`` reports.
ALLOWED: dict[str, FileType] = {
    "image/jpeg": FileType("image/jpeg", "image", ("jpg", "jpeg", "jpe")),
    "image/png": FileType("image/png", "image", ("png",)),
    "image/webp": FileType("image/webp", "image", ("webp",)),
    "image/heic": FileType("image/heic", "image", ("heic", "heif")),
    "audio/mpeg": FileType("audio/mpeg", "audio", ("mp3",)),
    "audio/x-wav": FileType("audio/wav", "audio", ("wav",)),
    "audio/amr": FileType("audio/amr", "audio", ("amr",)),
    "application/pdf": FileType("application/pdf", "document", ("pdf",)),
    **{ft.mime: ft for ft in _OOXML.values()},
    **{ft.mime: ft for ft in _OLE.values()},
}
#: The ``accept`` list of the upload form.
ACCEPT = "image/*,audio/*," + ",".join(sorted({f".{e}" for ft in ALLOWED.values() for e in ft.extensions}))

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_MACHO = (b"\xfe\xed\xfa\xce", b"\xfe\xed\xfa\xcf", b"\xce\xfa\xed\xfe", b"\xcf\xfa\xed\xfe", b"\xca\xfe\xba\xbe")


class Refused(Exception):
    """A file that may not be attached; ``code`` is the API's stable code."""

    def __init__(self, code: str, **params: Any) -> None:
        super().__init__(code)
        self.code = code
        self.params = params


def extension(name: str) -> str:
    base = name.rsplit("/", 1)[-1].rsplit("\\", 1)[-1]
    return base.rsplit(".", 1)[-1].lower() if "." in base.strip(".") else ""


def is_executable(head: bytes) -> bool:
    """PE (MZ), ELF, Mach-O (thin and fat) or a script with a ``#!`` line."""
    return head.startswith((b"MZ", b"\x7fELF", *_MACHO, b"#!"))


def sniff(fh: IO[bytes], name: str) -> FileType:
    """The allowed type of ``fh`` from its bytes; refuses executables, unknown
    types and names whose extension does not fit the content."""
    fh.seek(0)
    head = fh.read(_HEAD)
    fh.seek(0)
    kind = filetype.guess(head)
    found: FileType | None = None
    if head.startswith(b"#!AMR"):  # before the script check: AMR's magic is "#!AMR\n"
        found = ALLOWED["audio/amr"]
    elif is_executable(head) or (kind is not None and kind.mime in {"application/x-msdownload", "application/x-executable"}):
        raise Refused("file_executable")
    elif head.startswith(b"PK\x03\x04"):
        found = _ooxml(fh)
    elif head.startswith(_OLE_MAGIC):
        # An OLE compound file: Word, Excel and PowerPoint share the container;
        # which of the three it is follows the name (all three are allowed).
        found = _OLE.get(extension(name))
        if found is None:
            raise Refused("file_type_mismatch", detected="application/x-ole-storage")
    elif kind is not None:
        found = ALLOWED.get(kind.mime)
        if found is None:
            raise Refused("file_type_not_allowed", detected=kind.mime)
    if found is None:
        raise Refused("file_type_not_allowed", detected="")
    if extension(name) not in found.extensions:
        raise Refused("file_type_mismatch", detected=found.mime)
    return found


def _ooxml(fh: IO[bytes]) -> FileType:
    """DOCX / XLSX / PPTX: a ZIP with ``[Content_Types].xml`` and its part folder.
    Only the directory is read (nothing is decompressed)."""
    try:
        with zipfile.ZipFile(fh) as z:
            names = z.namelist()
    except (zipfile.BadZipFile, OSError, ValueError):
        raise Refused("file_type_not_allowed", detected="application/zip") from None
    finally:
        fh.seek(0)
    if "[Content_Types].xml" in names:
        for prefix, ft in _OOXML.items():
            if any(n.startswith(prefix) for n in names):
                return ft
    raise Refused("file_type_not_allowed", detected="application/zip")


@dataclass
class ImageInfo:
    width: int
    height: int
    taken_at: datetime | None
    gps_lat: float | None
    gps_lon: float | None
    thumbnail: bytes  # JPEG


def inspect_image(fh: IO[bytes], *, max_pixels: int) -> ImageInfo:
    """Size, EXIF time and position, and a thumbnail. Refuses images with more
    than ``max_pixels`` pixels (decompression bombs) before decoding them, and
    images that do not decode."""
    fh.seek(0)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(fh)
            width, height = img.size
            if width * height > max_pixels:
                raise Refused("image_too_many_pixels", pixels=width * height, limit=max_pixels)
            exif = img.getexif()
            taken_at = _exif_time(exif)
            lat, lon = _exif_gps(exif)
            img.draft("RGB", (THUMBNAIL_PX * 2, THUMBNAIL_PX * 2))  # JPEG: decode at a reduced scale
            img.load()
            thumb = ImageOps.exif_transpose(img)
            if thumb.mode not in ("RGB", "L"):
                thumb = thumb.convert("RGBA").convert("RGB") if "A" in thumb.mode or thumb.mode == "P" else thumb.convert("RGB")
            thumb.thumbnail((THUMBNAIL_PX, THUMBNAIL_PX))
            buf = io.BytesIO()
            thumb.save(buf, format="JPEG", quality=80)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise Refused("image_too_many_pixels", pixels=None, limit=max_pixels) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise Refused("image_unreadable") from None
    finally:
        fh.seek(0)
    return ImageInfo(width, height, taken_at, lat, lon, buf.getvalue())


_EXIF_IFD, _GPS_IFD = 0x8769, 0x8825
_DATETIME, _DATETIME_ORIGINAL, _OFFSET_ORIGINAL = 306, 36867, 36881


def _exif_time(exif: Image.Exif) -> datetime | None:
    ifd = exif.get_ifd(_EXIF_IFD)
    raw = ifd.get(_DATETIME_ORIGINAL) or exif.get(_DATETIME)
    if not isinstance(raw, str):
        return None
    try:
        local = datetime.strptime(raw.strip("\x00 ").strip(), "%Y:%m:%d %H:%M:%S")  # noqa: DTZ007 - EXIF time is local; its offset is applied below
    except ValueError:
        return None
    offset = ifd.get(_OFFSET_ORIGINAL)
    if isinstance(offset, str) and len(offset.strip()) == 6 and offset[0] in "+-":
        try:
            sign = 1 if offset[0] == "+" else -1
            hours, minutes = int(offset[1:3]), int(offset[4:6])
            return local.replace(tzinfo=timezone(sign * timedelta(hours=hours, minutes=minutes)))
        except ValueError:
            pass
    return local.replace(tzinfo=LOCAL_TZ)


def _exif_gps(exif: Image.Exif) -> tuple[float | None, float | None]:
    gps = exif.get_ifd(_GPS_IFD)
    lat = _degrees(gps.get(2), gps.get(1), "S")
    lon = _degrees(gps.get(4), gps.get(3), "W")
    if lat is None or lon is None or not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None, None
    return lat, lon


def _degrees(value: Any, ref: Any, negative: str) -> float | None:
    try:
        d, m, s = (float(x) for x in value)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    deg = d + m / 60 + s / 3600
    if isinstance(ref, bytes):
        ref = ref.decode("ascii", "ignore")
    if isinstance(ref, str) and ref.strip("\x00 ").upper() == negative:
        deg = -deg
    return round(deg, 7)
