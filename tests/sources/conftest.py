"""A folder for a loader test's export files."""

from pathlib import Path

import pytest


@pytest.fixture
def exports(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Where the test writes its exports. These small files are mostly bad on purpose, so the
    bad-share limit is off (it has its own tests)."""
    monkeypatch.setenv("CIW_MAX_BAD_SHARE", "1")
    return tmp_path / "exports"
