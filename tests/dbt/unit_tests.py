"""The dbt unit tests the project declares, read from the models' YAML."""

from __future__ import annotations

import yaml

from warehouse.paths import DBT_PROJECT_DIR


def declared_unit_tests() -> list[str]:
    """Every unit test's name, once per declaration."""
    return [
        test["name"]
        for path in sorted((DBT_PROJECT_DIR / "models").rglob("*.yml"))
        for test in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("unit_tests", [])
    ]
