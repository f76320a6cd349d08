"""Training sets from Spark: every model's training set built through Spark's point-in-time
join (``feature_repo.spark_features.SparkFeatures``) equals the one Feast builds on DuckDB from
the same exports: the same label rows, in the same order, with the same features."""

from __future__ import annotations

from typing import Any

import pytest

from ml.contracts import MODEL_SPECS
from tests.spark.warehouses import assert_same_features
from warehouse.settings import Settings

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("spark")]


def test_every_training_set_built_from_spark_equals_feasts(
    both_warehouses: dict[str, Any],
) -> None:
    from feature_repo.spark_features import SparkFeatures
    from feature_repo.store import FeatureStoreGateway
    from ml.training_sets import NotEnoughData, build_training_set, run_as_of_date

    duck: Settings = both_warehouses["settings"]["duckdb"]
    spark: Settings = both_warehouses["settings"]["spark"]
    feast = FeatureStoreGateway(duck)
    feast.sync()
    on_spark = SparkFeatures(spark)
    as_of = run_as_of_date(duck)
    assert run_as_of_date(spark) == as_of
    built = []
    for name, spec in MODEL_SPECS.items():
        try:
            want = build_training_set(duck, spec, feast, as_of)
        except NotEnoughData as reason:  # then Spark has no rows to train on either
            with pytest.raises(NotEnoughData, match=str(reason)[:40]):
                build_training_set(spark, spec, on_spark, as_of)
            continue
        got = build_training_set(spark, spec, on_spark, as_of)
        # The same rows in the same order: the set is sorted by date and entity.
        assert got[spec.entity_column].tolist() == want[spec.entity_column].tolist(), name
        assert_same_features(want, got, ["as_of_date", spec.entity_column])
        built.append(name)
    assert {"customer_churn", "customer_clv", "customer_segments"} <= set(built), built
