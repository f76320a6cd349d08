"""The scoring glue: prediction rows follow the ml.predictions contract, whatever the model."""

from __future__ import annotations

from datetime import date, datetime
from typing import ClassVar

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from ml.contracts import MODEL_SPECS, ModelSpec, predictions_ddl
from ml.scoring import PREDICTION_COLUMNS, score_entities, write_predictions
from ml.training_sets import label_horizon
from warehouse import read_frame
from warehouse.settings import Settings


class _LinearModel:
    """A tiny real model: score = sigmoid(w . x); contributions = w * x."""

    feature_names: ClassVar[list[str]] = ["recency_days", "frequency"]
    weights: ClassVar[np.ndarray] = np.array([0.02, -0.5])

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        logits = frame[self.feature_names].to_numpy(dtype=float) @ self.weights
        return 1 / (1 + np.exp(-logits))

    def predict_labels(self, frame: pd.DataFrame) -> list[str] | None:
        return None

    def top_factors(self, frame: pd.DataFrame, k: int = 3) -> pd.DataFrame:
        contributions = frame[self.feature_names].to_numpy(dtype=float) * self.weights
        rows = []
        for values in contributions:
            order = np.argsort(-np.abs(values))[:k]
            row: dict[str, object] = {}
            for rank, index in enumerate(order, start=1):
                row[f"factor_{rank}_name"] = self.feature_names[index]
                row[f"factor_{rank}_contribution"] = float(values[index])
            rows.append(row)
        return pd.DataFrame(rows)


def _frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": [100001, 100002, 100003],
            "as_of_date": [date(2026, 11, 22)] * 3,
            "recency_days": [10, 200, 45],
            "frequency": [8, 1, 3],
        }
    )


def test_score_entities_follow_the_predictions_contract() -> None:
    spec = MODEL_SPECS["customer_churn"]
    rows = score_entities(
        spec,
        _LinearModel(),
        "customer_churn-abc",
        _frame(),
        horizon_days=90,
        scored_at=datetime(2026, 11, 22, 6, 0),
        run_id="run-1",
    )
    assert list(rows.columns) == PREDICTION_COLUMNS
    assert rows["entity_id"].tolist() == ["100001", "100002", "100003"]
    assert rows["entity"].unique().tolist() == ["customer"]
    # The long-lapsed single buyer scores highest; its top factor is recency.
    assert rows["score"].idxmax() == 1
    assert rows.loc[1, "factor_1_name"] == "recency_days"
    assert rows.loc[0, "factor_1_name"] == "frequency"
    # Only two features: the third factor is empty, not invented.
    assert rows["factor_3_name"].isna().all()
    assert set(rows["horizon_days"]) == {90}


class _BinnedModel(_LinearModel):
    """The linear model with fixed intervals, as a calibration bin gives them: they can miss."""

    def predict_interval(self, frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        return np.array([0.2, np.nan, 0.1]), np.array([0.3, np.nan, 0.2])


def test_every_interval_holds_its_own_score() -> None:
    frame = _frame()
    scores = _LinearModel().predict(frame)
    rows = score_entities(
        MODEL_SPECS["customer_churn"],
        _BinnedModel(),
        "customer_churn-abc",
        frame,
        horizon_days=90,
        scored_at=datetime(2026, 11, 22, 6, 0),
        run_id="run-1",
    )
    # Row 0 scores ~0.02, below its bin's interval [0.2, 0.3]: the lower end moves down to the
    # score. Row 2 scores ~0.35, above [0.1, 0.2]: the upper end moves up. Row 1 has no interval
    # and is given none.
    assert scores[0] < 0.2 and scores[2] > 0.2
    assert (rows.loc[0, "score_lower"], rows.loc[0, "score_upper"]) == (
        pytest.approx(scores[0]),
        0.3,
    )
    assert (rows.loc[2, "score_lower"], rows.loc[2, "score_upper"]) == (
        0.1,
        pytest.approx(scores[2]),
    )
    assert np.isnan(rows.loc[1, "score_lower"]) and np.isnan(rows.loc[1, "score_upper"])
    held = rows.dropna(subset=["score_lower"])
    assert (held["score_lower"] <= held["score"]).all()
    assert (held["score"] <= held["score_upper"]).all()


def test_label_horizon_reads_the_label_rows() -> None:
    assert label_horizon(pd.DataFrame({"horizon_days": [90, 90]})) == 90
    assert label_horizon(pd.DataFrame({"is_won": [True]})) is None


@pytest.mark.parametrize("dialect", ["duckdb", "postgres"])
def test_predictions_ddl_names_every_contract_column(dialect: str) -> None:
    ddl = predictions_ddl(dialect)  # type: ignore[arg-type]
    for column in PREDICTION_COLUMNS:
        assert f"    {column} " in ddl


def test_write_predictions_appends(warehouse_settings: Settings) -> None:
    rows = score_entities(
        MODEL_SPECS["customer_churn"],
        _LinearModel(),
        "v1",
        _frame(),
        horizon_days=90,
        scored_at=datetime(2026, 11, 22, 6, 0),
        run_id="run-1",
    )
    assert write_predictions(warehouse_settings, rows) == 3
    assert write_predictions(warehouse_settings, rows.assign(run_id="run-2")) == 3
    stored = read_frame(
        warehouse_settings,
        "select run_id, count(*) as n, min(factor_1_name) as f from ml.predictions group by run_id "
        "order by run_id",
    )
    assert stored["run_id"].tolist() == ["run-1", "run-2"]
    assert stored["n"].astype(int).tolist() == [3, 3]


def test_challenger_is_judged_against_the_champion_on_its_own_holdout(
    duckdb_settings: Settings, churn_frame: pd.DataFrame
) -> None:
    """The second training re-measures the champion on the new holdout rows before comparing."""
    from ml.registry import ModelRegistry
    from ml.selection import champion_on_holdout, train_and_register

    spec = MODEL_SPECS["customer_churn"]
    registry = ModelRegistry(duckdb_settings)
    dates = sorted(churn_frame["as_of_date"].unique())
    earlier = churn_frame[churn_frame["as_of_date"] <= dates[-3]]

    first = train_and_register(duckdb_settings, spec, earlier, registry, seed=1)
    assert first.trained and first.became_champion
    assert champion_on_holdout(spec, registry, earlier, (dates[0], dates[0])) is not None

    second = train_and_register(duckdb_settings, spec, churn_frame, registry, seed=1)
    assert second.trained
    versions = {version.version: version for version in registry.versions(spec.name)}
    window = versions[second.version].holdout_window
    assert window[0] > versions[first.version].holdout_window[1]

    # The first model's ROC-AUC on the second holdout decides, not its own recorded one.
    rows = churn_frame[
        (churn_frame["as_of_date"] >= window[0]) & (churn_frame["as_of_date"] <= window[1])
    ]
    first_model = registry.load_model(versions[first.version])
    first_on_new = roc_auc_score(rows["is_churned"].astype(int), first_model.predict(rows))
    assert first_on_new != pytest.approx(first.metrics["roc_auc"], abs=1e-9)
    champion = registry.champion(spec.name)
    assert champion is not None
    winner = second.version if second.metrics["roc_auc"] > first_on_new else first.version
    assert champion.version == winner


class _BrokenModel:
    """A champion whose feature went away: it fails at scoring time."""

    model_name = "deal_risk"
    version_params: ClassVar[dict[str, object]] = {}
    feature_names: ClassVar[list[str]] = ["days_in_stage_v2"]

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        return frame[self.feature_names].to_numpy(dtype=float)[:, 0]


class _FrameGateway:
    """The feature store's scoring frame, already read (Feast itself is tested elsewhere)."""

    def __init__(self, frame: pd.DataFrame) -> None:
        self.frame = frame
        self.reads: list[str] = []

    def scoring_frame(self, spec: ModelSpec, as_of: date) -> pd.DataFrame:
        self.reads.append(spec.name)
        return self.frame


def _open_deals() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "opportunity_id": ["OPP-1", "OPP-2", "OPP-3"],
            "as_of_date": [date(2026, 11, 22)] * 3,
            "stage_win_rate": [0.5, 0.5, None],
            "overall_win_rate": [0.3, 0.3, 0.3],
            "days_in_stage": [5, 90, 10],
        }
    )


def test_scoring_falls_back_to_the_rule_without_a_champion_or_when_it_fails(
    duckdb_settings: Settings,
) -> None:
    from dataclasses import replace

    from ml.registry import ModelRegistry
    from ml.scoring import score_model, scoring_dir
    from ml.training_sets import NotEnoughData
    from tests.ml.registry_candidates import make_candidate, png_bytes, training_frame

    spec = MODEL_SPECS["deal_risk"]
    registry = ModelRegistry(duckdb_settings)
    gateway = _FrameGateway(_open_deals())
    stale = scoring_dir(duckdb_settings) / "deal_risk.parquet"
    stale.parent.mkdir(parents=True, exist_ok=True)
    _open_deals().to_parquet(stale)

    def score() -> pd.DataFrame:
        return score_model(
            duckdb_settings,
            spec,
            gateway,  # type: ignore[arg-type]
            registry,
            as_of=date(2026, 11, 22),
            run_id="run-1",
            scored_at=datetime(2026, 11, 22, 6, 0),
        )

    without_champion = score()
    assert list(without_champion.columns) == PREDICTION_COLUMNS
    assert set(without_champion["model_version"]) == {"rule:deal_stage_age"}
    # 1 - 0.5; stalled three thresholds: 1 - 0.5 / 4; no stage rate: 1 - overall 0.3.
    assert without_champion["score"].tolist() == pytest.approx([0.5, 0.875, 0.7])
    factors = without_champion.loc[1, ["factor_1_name", "factor_2_name", "factor_2_contribution"]]
    assert factors.tolist() == ["stage_loss_rate", "stalled_in_stage", pytest.approx(0.375)]
    assert without_champion["horizon_days"].isna().all()
    assert not stale.exists()  # drift must not judge a frame the champion never scored

    candidate = make_candidate(training_frame(), png_bytes(), model_name="deal_risk")
    _, crowned = registry.register(replace(candidate, model=_BrokenModel()))
    assert crowned
    broken_champion = score()
    assert set(broken_champion["model_version"]) == {"rule:deal_stage_age"}
    assert broken_champion["score"].tolist() == pytest.approx(without_champion["score"].tolist())

    with pytest.raises(NotEnoughData, match="no champion"):
        score_model(
            duckdb_settings,
            MODEL_SPECS["customer_segments"],
            _FrameGateway(_frame()),  # type: ignore[arg-type]
            registry,
            as_of=date(2026, 11, 22),
            run_id="run-1",
        )


def test_models_over_the_same_views_share_one_scoring_frame(duckdb_settings: Settings) -> None:
    from ml.registry import ModelRegistry
    from ml.scoring import ScoringFrames, score_model

    registry = ModelRegistry(duckdb_settings)
    deals = _FrameGateway(_open_deals())
    frames: ScoringFrames = {}

    def score(as_of: date, run_id: str) -> None:
        score_model(
            duckdb_settings,
            MODEL_SPECS["deal_risk"],
            deals,  # type: ignore[arg-type]
            registry,
            as_of=as_of,
            run_id=run_id,
            frames=frames,
        )

    for run_id in ("run-1", "run-2"):  # the same views twice in one run: read once
        score(date(2026, 11, 22), run_id)
    assert deals.reads == ["deal_risk"]
    # Another date is another frame.
    score(date(2026, 11, 23), "run-3")
    assert deals.reads == ["deal_risk", "deal_risk"]
    assert {key[1] for key in frames} == {date(2026, 11, 22), date(2026, 11, 23)}
