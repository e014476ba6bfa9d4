"""Text normalisation: HTML/script stripped, entities unescaped (repeatedly:
``&amp;lt;`` too) and tags stripped again, full-width →
half-width, traditional → simplified, invisible characters dropped, whitespace
collapsed.  Every other part of the engine works on the normalised text, and
entity offsets point into it."""

from __future__ import annotations

import html
import re
from typing import Final

import zhconv
from zhconv import zhconv as _zhconv_impl

__all__ = ["normalise", "to_simplified"]

_SCRIPT_STYLE: Final = re.compile(r"<(script|style|noscript|iframe)\b[^>]*>.*?(</\1\s*>|$)", re.I | re.S)
_COMMENT: Final = re.compile(r"<!--.*?(-->|$)", re.S)
_BLOCK_TAG: Final = re.compile(r"<\s*(br|/p|/div|/li|/tr|/h[1-6]|p|div|li|tr|h[1-6])\b[^>]*>", re.I)
_TAG: Final = re.compile(r"</?[A-Za-z][^<>]*>")
_WS: Final = re.compile(r"\s+")
_MAX_ROUNDS: Final = 10

# U+FF01..U+FF5E → U+0021..U+007E, ideographic space → space; zero-width and
# BOM characters removed; a few look-alike dashes/quotes kept as they are.
_WIDTH: Final[dict[int, int | None]] = {c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)}
_WIDTH[0x3000] = 0x20
for _c in (0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF, 0x00AD):
    _WIDTH[_c] = None

_TRAD: frozenset[str] | None = None


def _traditional_chars() -> frozenset[str]:
    global _TRAD
    if _TRAD is None:
        table = _zhconv_impl.getdict("zh-hans")
        _TRAD = frozenset(k for k in table if len(k) == 1 and table[k] != k)
    return _TRAD


def to_simplified(text: str) -> str:
    """Traditional → simplified characters (zhconv ``zh-hans``: characters
    only, no regional vocabulary).  Texts without any traditional-only
    character are returned unchanged without calling zhconv (fast path)."""
    if _traditional_chars().isdisjoint(text):
        return text
    return str(zhconv.convert(text, "zh-hans"))


def _unescape_fully(text: str) -> str:
    """Entities decoded until none is left: ``&amp;lt;`` → ``&lt;`` → ``<``."""
    for _ in range(_MAX_ROUNDS):
        decoded = html.unescape(text)
        if decoded == text:
            break
        text = decoded
    return text


def _strip_tags(text: str) -> str:
    """Tags removed until none is left: removing ``<b>`` from ``<<b>script>``
    leaves ``<script>``, removed in the next round."""
    while True:
        stripped = _TAG.sub("", text)
        if stripped == text:
            return text
        text = stripped


def normalise(text: str) -> str:
    """Return the normalised form of ``text`` (see module docstring)."""
    if "<" in text:
        text = _SCRIPT_STYLE.sub(" ", text)
        text = _COMMENT.sub(" ", text)
        text = _BLOCK_TAG.sub(" ", text)
        text = _strip_tags(text)
    if "&" in text:
        text = _unescape_fully(text)
        if "<" in text:  # escaped markup ("&lt;b&gt;", "&amp;lt;b&amp;gt;") is shown text: strip tags only
            text = _strip_tags(text)
    text = text.translate(_WIDTH)
    text = to_simplified(text)
    return _WS.sub(" ", text).strip()
