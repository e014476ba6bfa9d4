"""Shared fixtures of the browser tests."""

from __future__ import annotations

import pytest

from .test_walkthrough import CHROMIUM_ARGS, chromium_path


@pytest.fixture
def browser(transactional_db):
    """Debian's chromium under Playwright, for a test that opens its own contexts."""
    sync_api = pytest.importorskip("playwright.sync_api")
    from django.db import connections

    # The live server's threads and this test share the database: close our
    # connections at the boundary, or PostgreSQL refuses to drop the test database.
    connections.close_all()
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()
            connections.close_all()
