from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile


@pytest.fixture
def media(settings: Any, tmp_path: Path) -> Path:
    """A fresh local storage root for the test."""
    root = tmp_path / "media"
    root.mkdir()
    settings.MEDIA_ROOT = root
    return root


def stored_files(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


@pytest.fixture
def upload(client_for: Any):
    def run(username: str, number: str, name: str, content: bytes, expect: int = 201, **data: Any) -> dict[str, Any]:
        r = client_for(username).post(
            f"/api/v1/work-orders/{number}/attachments/",
            {"file": SimpleUploadedFile(name, content), **data},
            format="multipart",
        )
        assert r.status_code == expect, (r.status_code, r.content.decode()[:500])
        return r.json()

    return run
