"""sync exports and applies only what changed, and says clearly what it cannot export."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from feature_repo.dbt_features import FeatureDefinitionError
from feature_repo.store import FeatureStoreGateway
from tests.feature_repo.conftest import (
    TOY_SPEC,
    day,
    engagement_rows,
    make_gateway,
    write_tables,
)
from warehouse.settings import Settings


def test_a_second_sync_does_nothing_and_a_changed_model_is_exported_again(
    toy_gateway: FeatureStoreGateway,
) -> None:
    again = toy_gateway.sync()
    assert (again.applied, again.exported, again.unchanged) == (False, 0, 2)

    changed = engagement_rows().assign(sessions_30d=[40, 50])
    write_tables(toy_gateway.settings, {"toy_engagement_features": changed})
    after = toy_gateway.sync()
    assert (after.applied, after.exported, after.unchanged) == (False, 1, 1)
    rows = pd.DataFrame({"customer_id": [1], "as_of_date": [day("2026-01-12")]})
    assert toy_gateway.training_frame(TOY_SPEC, rows)["sessions_30d"].tolist() == [40]


def test_a_yaml_change_is_applied_again(toy_gateway: FeatureStoreGateway, toy_features_dir) -> None:
    path = toy_features_dir / "_toy__features.yml"
    path.write_text(path.read_text().replace("Sessions in 30 days.", "Sessions, 30 days."))
    result = make_gateway(toy_gateway.settings, toy_features_dir).sync()
    assert result.applied and result.exported == 0


def test_a_missing_feature_table_is_exported_empty(
    duckdb_settings: Settings, toy_features_dir: Path
) -> None:
    write_tables(duckdb_settings, {"toy_engagement_features": engagement_rows()})
    gateway = make_gateway(duckdb_settings, toy_features_dir)
    result = gateway.sync()
    assert result.missing_models == "toy_order_features"
    rows = pd.DataFrame({"customer_id": [1], "as_of_date": [day("2026-01-12")]})
    frame = gateway.training_frame(TOY_SPEC, rows)
    assert frame["orders_30d"].isna().all()
    assert frame["sessions_30d"].tolist() == [4]


def test_a_yaml_column_missing_from_the_table_is_named(
    duckdb_settings: Settings, toy_features_dir: Path
) -> None:
    write_tables(
        duckdb_settings,
        {"toy_engagement_features": engagement_rows().drop(columns=["is_active"])},
    )
    with pytest.raises(FeatureDefinitionError, match="toy_engagement_features lacks column"):
        make_gateway(duckdb_settings, toy_features_dir).sync()
