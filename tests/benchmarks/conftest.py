"""The feature-store benchmark runs on the feature-store tests' toy feature models."""

from pathlib import Path

import pytest

from tests.feature_repo.conftest import write_toy_features_dir


@pytest.fixture
def toy_features_dir(tmp_path: Path) -> Path:
    return write_toy_features_dir(tmp_path)
