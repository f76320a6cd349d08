"""An analytics engineer's `dbt build` on Spark leaves dbt's unit tests out (dbt_project.yml):
their fixtures are written in DuckDB and PostgreSQL type names, and the SQL they check is
compared with DuckDB's on Spark relation by relation (test_spark_layers.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import yaml

from warehouse.paths import DBT_PROJECT_DIR


def unit_tests_in_yaml() -> set[str]:
    names: set[str] = set()
    for path in (DBT_PROJECT_DIR / "models").rglob("*.yml"):
        document = yaml.safe_load(path.read_text()) or {}
        names |= {test["name"] for test in document.get("unit_tests", [])}
    return names


def listed(target: str, target_path: Path) -> set[str]:
    """The unit tests and models ``dbt ls`` lists on ``target``, by name."""
    env = {**os.environ, "CIW_TARGET": target, "CIW_DBT_TARGET_PATH": str(target_path)}
    ciw = str(Path(sys.executable).with_name("ciw"))
    kinds = ["--resource-type", "unit_test", "--resource-type", "model"]
    done = subprocess.run(
        [ciw, "dbt", "--quiet", "ls", *kinds, "--output", "name"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return set(done.stdout.split())


def test_a_build_on_spark_lists_the_models_and_no_unit_test(tmp_path: Path) -> None:
    """(On DuckDB and PostgreSQL tests/dbt/test_unit_tests.py runs every one of them.)"""
    unit_tests = unit_tests_in_yaml()
    assert len(unit_tests) > 30
    names = listed("spark", tmp_path)
    assert {"customer_profiles", "lead_features", "alerts"} <= names
    assert not names & unit_tests
