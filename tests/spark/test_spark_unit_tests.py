"""An analytics engineer's `dbt build` on Spark leaves dbt's unit tests out (dbt_project.yml):
their fixtures are written in DuckDB and PostgreSQL type names, and the SQL they check is
compared with DuckDB's on Spark relation by relation (test_spark_layers.py). On DuckDB and
PostgreSQL tests/dbt/test_unit_tests.py runs every one of them."""

from __future__ import annotations

import json
from pathlib import Path

from tests.dbt.unit_tests import declared_unit_tests
from warehouse.dbt import run_dbt
from warehouse.settings import Settings


def test_on_spark_the_models_are_built_and_every_unit_test_is_disabled(tmp_path: Path) -> None:
    settings = Settings(target="spark", spark_warehouse_dir=tmp_path / "warehouse")
    run_dbt(["ls", "--resource-type", "model"], settings, target_path=tmp_path, echo=False)
    manifest = json.loads((tmp_path / "manifest.json").read_text())

    declared = declared_unit_tests()
    assert len(declared) > 30
    models = {node["name"] for node in manifest["nodes"].values()}
    assert {"customer_profiles", "lead_features", "alerts"} <= models
    assert manifest["unit_tests"] == {}
    disabled = {
        node["name"]
        for nodes in manifest["disabled"].values()
        for node in nodes
        if node["resource_type"] == "unit_test"
    }
    assert disabled == set(declared)
