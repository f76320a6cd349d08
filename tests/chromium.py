"""Debian's headless Chromium for the browser tests: where it is, and the flags every test
starts it with. Missing, it skips the test, or fails it with ``CIW_REQUIRE_BROWSER=1``."""

from __future__ import annotations

import os
import shutil

import pytest

CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


def chromium_path() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    if os.environ.get("CIW_REQUIRE_BROWSER") == "1":
        pytest.fail("Chromium is required (CIW_REQUIRE_BROWSER=1) but not installed")
    pytest.skip("Chromium is not installed (apt-get install chromium)")
