"""dbt names a unit test's temporary relation after the test: on PostgreSQL a name longer than
63 characters fails the build at run time, so it fails here first."""

from __future__ import annotations

import yaml

from warehouse.paths import DBT_PROJECT_DIR

POSTGRES_IDENTIFIER_LIMIT = 63


def test_unit_test_names_fit_a_postgres_identifier() -> None:
    names = [
        test["name"]
        for path in (DBT_PROJECT_DIR / "models").rglob("*.yml")
        for test in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("unit_tests", [])
    ]

    assert names
    too_long = [name for name in names if len(name) > POSTGRES_IDENTIFIER_LIMIT]
    assert too_long == []
