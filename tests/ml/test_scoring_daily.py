"""The daily run scores only the as-of dates its champion has not scored yet."""

from __future__ import annotations

from datetime import date, datetime

import pandas as pd
import pytest

from ml.contracts import MODEL_SPECS
from ml.scoring import already_scored, score_entities, score_model, write_predictions
from ml.training_sets import NotEnoughData
from warehouse.settings import Settings

AS_OF = date(2026, 11, 22)


class _CountingGateway:
    """A feature store that counts scoring-frame reads and has no rows."""

    def __init__(self) -> None:
        self.reads: list[date] = []

    def scoring_frame(self, spec: object, as_of: date) -> pd.DataFrame:
        self.reads.append(as_of)
        return pd.DataFrame()


class _ConstantModel:
    def predict(self, frame: pd.DataFrame) -> list[float]:
        return [0.5] * len(frame)

    def predict_labels(self, frame: pd.DataFrame) -> None:
        return None

    def top_factors(self, frame: pd.DataFrame, k: int = 3) -> pd.DataFrame:
        return pd.DataFrame(index=frame.index)


def _write(settings: Settings, version: str) -> None:
    frame = pd.DataFrame({"customer_id": [1, 2], "as_of_date": [AS_OF, AS_OF]})
    rows = score_entities(
        MODEL_SPECS["customer_churn"],
        _ConstantModel(),
        version,
        frame,
        horizon_days=90,
        scored_at=datetime(2026, 11, 22, 6),
        run_id="run-1",
    )
    assert write_predictions(settings, rows) == 2


def test_already_scored_is_per_model_version_and_date(warehouse_settings: Settings) -> None:
    assert not already_scored(warehouse_settings, "customer_churn", "v1", AS_OF)  # no table yet
    _write(warehouse_settings, "v1")
    assert already_scored(warehouse_settings, "customer_churn", "v1", AS_OF)
    assert not already_scored(warehouse_settings, "customer_churn", "v2", AS_OF)
    assert not already_scored(warehouse_settings, "customer_churn", "v1", date(2026, 11, 23))
    assert not already_scored(warehouse_settings, "customer_clv", "v1", AS_OF)


def test_a_scored_day_is_not_scored_again_by_the_same_champion(duckdb_settings: Settings) -> None:
    from ml.registry import ModelRegistry
    from tests.ml.registry_candidates import make_candidate, png_bytes, training_frame

    spec = MODEL_SPECS["customer_churn"]
    registry = ModelRegistry(duckdb_settings)
    _, crowned = registry.register(make_candidate(training_frame(), png_bytes()))
    champion = registry.champion(spec.name)
    assert crowned and champion is not None
    _write(duckdb_settings, champion.version)
    gateway = _CountingGateway()

    def score(as_of: date, *, skip_scored: bool) -> pd.DataFrame:
        return score_model(
            duckdb_settings,
            spec,
            gateway,  # type: ignore[arg-type]
            registry,
            as_of=as_of,
            run_id="run-2",
            skip_scored=skip_scored,
        )

    skipped = score(AS_OF, skip_scored=True)
    assert skipped.empty and gateway.reads == []  # not even the features were read
    # A new day, or a run that does not skip, reads the day's features (none here).
    for as_of, skip in ((date(2026, 11, 23), True), (AS_OF, False)):
        with pytest.raises(NotEnoughData, match="no customer has features"):
            score(as_of, skip_scored=skip)
    assert gateway.reads == [date(2026, 11, 23), AS_OF]
