"""The Evidently drift report opens in a real headless Chromium and renders the drifted column.

The report's content is drawn by JavaScript from data embedded in a script tag, so the column
name appears in the page's text only once the browser has rendered it: outside script tags the
saved file does not contain it, the DOM Chromium dumps does.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from ml.monitoring.drift_results import drift_report_path
from tests.chromium import CHROMIUM_FLAGS, chromium_path
from tests.ml.monitoring.test_drift import check_recency_drift
from warehouse.settings import Settings

SCRIPTS = re.compile(r"<script\b.*?</script>", re.DOTALL | re.IGNORECASE)


def test_drift_report_renders_in_headless_chromium(tmp_path: Path) -> None:
    chromium = chromium_path()
    settings = Settings(target="duckdb", duckdb_path=tmp_path / "warehouse.duckdb")
    path = drift_report_path(settings, "customer_churn", "browser")
    result = check_recency_drift(report_path=path)
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
