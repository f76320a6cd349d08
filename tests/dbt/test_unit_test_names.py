"""dbt names a unit test's temporary relation after the test: on PostgreSQL a name longer than
63 characters fails the build at run time, so it fails here first."""

from __future__ import annotations

from tests.dbt.unit_tests import declared_unit_tests

POSTGRES_IDENTIFIER_LIMIT = 63


def test_unit_test_names_fit_a_postgres_identifier() -> None:
    names = declared_unit_tests()

    assert names
    too_long = [name for name in names if len(name) > POSTGRES_IDENTIFIER_LIMIT]
    assert too_long == []
