"""Feast imported once without typeguard's import-time instrumentation, and typeguard left as
it was for everything else (tests/feature_repo)."""

from __future__ import annotations

import subprocess
import sys

#: In a fresh interpreter (this worker may have imported Feast already): which of Feast's
#: classes carry typeguard's checks, and whether typeguard's decorator is its own again.
PROBE = """
import sys
{prepare}
import typeguard
from feast.feature_view import FeatureView
from feast.field import Field
instrumented = [
    cls.__name__ for cls in (FeatureView, Field)
    if "check_argument_types_internal" in cls.__init__.__code__.co_names
]
import typeguard._decorators
restored = typeguard.typechecked is typeguard._decorators.typechecked
print(",".join(instrumented) or "none", "restored" if restored else "replaced")
"""


def probe(prepare: str) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE.format(prepare=prepare)],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return done.stdout.split()


def test_feast_is_imported_without_instrumenting_its_classes() -> None:
    quick = "from feature_repo.feast_import import import_feast\nimport_feast()\nimport_feast()"
    assert probe(quick) == ["none", "restored"]
    # what the plain import does, which the project's import avoids
    assert probe("") == ["FeatureView,Field", "restored"]


def test_deriving_the_definitions_imports_feast_the_quick_way() -> None:
    """The first use of Feast in a run (the Dagster definitions) goes through it, and the
    objects it builds are Feast's own."""
    prepare = (
        "from feature_repo.config import FeastOptions\n"
        "from feature_repo.dbt_features import load_feature_models\n"
        "from feature_repo.repository import derive_definitions\n"
        "from ml.contracts import MODEL_SPECS\n"
        "from warehouse.settings import Settings\n"
        "assert 'feast' not in sys.modules\n"
        "definitions = derive_definitions(load_feature_models(), MODEL_SPECS, "
        "Settings(target='duckdb'), FeastOptions())\n"
        "assert definitions.feature_views and definitions.services"
    )
    assert probe(prepare) == ["none", "restored"]
