"""dbt's unit tests, on both warehouses.

Pipeline runs leave them out (``orchestration.dbt.UNIT_TESTS_ENV``: they test the SQL's logic on
fixed inputs, not the day's data), so CI runs every one of them here, against the session's
built warehouses (dbt reads the parents' column types from them).
"""

from __future__ import annotations

from pathlib import Path

from tests.built import BuiltWarehouse
from tests.dbt.unit_tests import declared_unit_tests
from warehouse.dbt import run_dbt


def test_every_dbt_unit_test_passes(built_warehouse: BuiltWarehouse, tmp_path: Path) -> None:
    # Raises DbtFailure, with the failing tests in the log's tail, when one fails.
    result = run_dbt(
        ["test", "--select", "test_type:unit"],
        built_warehouse.settings,
        target_path=tmp_path / "dbt_target",
        echo=False,
    )
    assert dict(result.statuses["unit_test"]) == {"pass": len(declared_unit_tests())}
