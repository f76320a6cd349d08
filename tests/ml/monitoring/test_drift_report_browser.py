"""The Evidently drift report opens in a real headless Chromium and renders the drifted column.

The report's content is drawn by JavaScript from data embedded in a script tag, so the column
name appears in the page's text only once the browser has rendered it: outside script tags the
saved file does not contain it, the DOM Chromium dumps does.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from ml.monitoring.drift import check_drift
from ml.monitoring.drift_results import drift_report_path
from tests.ml.monitoring.test_drift import FEATURES, customer_frame
from warehouse.settings import Settings

SCRIPTS = re.compile(r"<script\b.*?</script>", re.DOTALL | re.IGNORECASE)
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


def _chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    if os.environ.get("CIW_REQUIRE_BROWSER") == "1":
        pytest.fail("Chromium is required (CIW_REQUIRE_BROWSER=1) but not installed")
    pytest.skip("Chromium is not installed (apt-get install chromium)")


def test_drift_report_renders_in_headless_chromium(tmp_path: Path) -> None:
    chromium = _chromium()
    settings = Settings(target="duckdb", duckdb_path=tmp_path / "warehouse.duckdb")
    path = drift_report_path(settings, "customer_churn", "browser")
    result = check_drift(
        customer_frame(1_000, seed=1),
        customer_frame(1_000, seed=2, recency_shift=30.0),
        columns=FEATURES,
        model_name="customer_churn",
        model_version="v1",
        report_path=path,
    )
    assert "recency_days" in result.drifted_columns

    saved_text = SCRIPTS.sub("", path.read_text(encoding="utf-8"))
    assert "recency_days" not in saved_text  # only the embedded data names it before rendering

    dumped = subprocess.run(
        [
            chromium,
            *CHROMIUM_FLAGS,
            f"--user-data-dir={tmp_path / 'profile'}",
            "--virtual-time-budget=15000",
            "--dump-dom",
            path.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    rendered_text = SCRIPTS.sub("", dumped)
    assert "recency_days" in rendered_text
