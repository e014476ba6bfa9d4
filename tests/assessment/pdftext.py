"""The page count and the text of a PDF, read back with pypdf for the tests."""

from __future__ import annotations

import io
from dataclasses import dataclass

from pypdf import PdfReader


@dataclass
class Pdf:
    pages: list[str]  # the text of each page

    @property
    def text(self) -> str:
        return "\n".join(self.pages)


def read(data: bytes) -> Pdf:
    assert data.startswith(b"%PDF-"), data[:20]
    reader = PdfReader(io.BytesIO(data), strict=True)
    return Pdf(pages=[page.extract_text() or "" for page in reader.pages])
