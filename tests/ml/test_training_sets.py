"""Training sets above the row cap: a seeded sample of whole entities reaches the feature store."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from ml.contracts import MODEL_SPECS, ModelSpec
from ml.training_sets import build_training_set, sample_entities, training_max_rows
from warehouse.connections import connect_duckdb
from warehouse.settings import Settings, SettingsError


def _spine(customers: int, dates: int) -> pd.DataFrame:
    """Every customer on every date; customer c is churned on date d when (c + d) % 5 == 0."""
    rows = [
        {
            "customer_id": f"C{customer:05d}",
            "as_of_date": date(2026, 1, 1) + pd.Timedelta(days=7 * day),
            "is_churned": (customer + day) % 5 == 0,
            "horizon_days": 90,
        }
        for customer in range(customers)
        for day in range(dates)
    ]
    return pd.DataFrame(rows)


def test_a_spine_under_the_cap_is_kept_whole() -> None:
    rows = _spine(50, 4)
    assert sample_entities(rows, "customer_id", 200) is rows
    assert sample_entities(rows, "customer_id", 10_000) is rows


def test_the_sample_keeps_whole_entities_near_the_cap() -> None:
    rows = _spine(4_000, 10)  # 40,000 rows
    kept = sample_entities(rows, "customer_id", 8_000)
    assert 7_000 <= len(kept) <= 9_000
    per_customer = kept.groupby("customer_id").size()
    assert set(per_customer) == {10}, "a kept customer keeps every as-of date"
    shares = kept["as_of_date"].value_counts(normalize=True)
    assert shares.max() - shares.min() < 1e-9, "each date keeps its share of the spine"
    assert abs(kept["is_churned"].mean() - rows["is_churned"].mean()) < 0.02


def test_the_sample_is_the_same_whatever_the_row_order() -> None:
    rows = _spine(2_000, 5)
    first = sample_entities(rows, "customer_id", 3_000)
    shuffled = sample_entities(rows.sample(frac=1.0, random_state=3), "customer_id", 3_000)
    assert set(first["customer_id"]) == set(shuffled["customer_id"])
    other_seed = sample_entities(rows, "customer_id", 3_000, seed=7)
    assert set(other_seed["customer_id"]) != set(first["customer_id"])


def test_the_cap_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CIW_TRAINING_MAX_ROWS", "1234")
    assert training_max_rows() == 1234
    monkeypatch.setenv("CIW_TRAINING_MAX_ROWS", "many")
    with pytest.raises(SettingsError, match="CIW_TRAINING_MAX_ROWS must be a positive number"):
        training_max_rows()


class _RecordingGateway:
    """A feature store that answers with the entity rows it was asked for and one feature."""

    def __init__(self) -> None:
        self.asked: list[pd.DataFrame] = []

    def training_frame(self, spec: ModelSpec, entity_rows: pd.DataFrame) -> pd.DataFrame:
        self.asked.append(entity_rows)
        return entity_rows.assign(orders_lifetime=1.0)


def test_a_training_set_reads_only_the_sampled_entities(
    duckdb_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = MODEL_SPECS["customer_churn"]
    labels = _spine(600, 6)  # 3,600 label rows
    with connect_duckdb(duckdb_settings) as connection:
        connection.execute("create schema features")
        connection.register("labels", labels)
        connection.execute(f"create table features.{spec.label_model} as select * from labels")
    monkeypatch.setenv("CIW_TRAINING_MAX_ROWS", "1200")
    gateway = _RecordingGateway()

    frame = build_training_set(duckdb_settings, spec, gateway, date(2026, 3, 1))

    (asked,) = gateway.asked
    assert 900 <= len(asked) <= 1_500
    assert set(asked.groupby("customer_id").size()) == {6}
    assert len(frame) == len(asked)
    assert frame.attrs["spine_rows"] == 3_600
    saved = pd.read_parquet(duckdb_settings.artifacts_dir / "training_sets/customer_churn.parquet")
    assert set(saved["customer_id"]) == set(asked["customer_id"])

    monkeypatch.delenv("CIW_TRAINING_MAX_ROWS")
    whole = build_training_set(duckdb_settings, spec, _RecordingGateway(), date(2026, 3, 1))
    assert len(whole) == 3_600
