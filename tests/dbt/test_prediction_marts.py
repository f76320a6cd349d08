"""The prediction marts read the latest score per model and entity from append-only ml.predictions.

Two scoring runs write rows for the same customers; the marts must show the second run's scores,
band the churn probability by var ``churn_risk_thresholds`` and scale deal risk to 0-100.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pandas as pd
import pytest

from ml.scoring import PREDICTION_COLUMNS, write_predictions
from warehouse import read_frame
from warehouse.dbt import run_dbt
from warehouse.settings import Settings

pytestmark = pytest.mark.slow


def _rows(model: str, entity: str, scores: dict[str, float], run: int) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "model_name": model,
            "model_version": f"{model}-v{run}",
            "entity": entity,
            "entity_id": list(scores),
            "as_of_date": date(2026, 11, run),
            "score": list(scores.values()),
            "score_lower": [value * 0.5 for value in scores.values()],
            "score_upper": [value * 1.1 for value in scores.values()],
            "score_label": "Champions" if model == "customer_segments" else None,
            "horizon_days": 90,
            "factor_1_name": "recency_days",
            "factor_1_contribution": 0.4,
            "factor_2_name": "frequency",
            "factor_2_contribution": -0.2,
            "factor_3_name": None,
            "factor_3_contribution": None,
            "scored_at": datetime(2026, 11, run, 6, 0),
            "run_id": f"run-{run}",
        }
    )
    return frame[PREDICTION_COLUMNS]


def test_prediction_marts_show_the_latest_run(warehouse_settings: Settings, tmp_path: Path) -> None:
    settings = warehouse_settings
    first = pd.concat(
        [
            _rows("customer_churn", "customer", {"100001": 0.1, "100002": 0.2}, run=1),
            _rows("deal_risk", "opportunity", {"OPP-1": 0.3}, run=1),
        ]
    )
    second = pd.concat(
        [
            _rows("customer_churn", "customer", {"100001": 0.85, "100002": 0.5}, run=2),
            _rows("customer_clv", "customer", {"100001": 120.0}, run=2),
            _rows("customer_segments", "customer", {"100002": 3.0}, run=2),
            _rows("deal_risk", "opportunity", {"OPP-1": 0.8}, run=2),
        ]
    )
    assert write_predictions(settings, first) == 3
    assert write_predictions(settings, second) == 5

    run_dbt(
        ["build", "--select", "tag:scored"],
        settings,
        target_path=tmp_path / "target",
        echo=False,
    )

    customers = read_frame(
        settings,
        "select customer_id, churn_probability, churn_probability_lower, churn_probability_upper,"
        " churn_risk_band, predicted_revenue, predicted_revenue_lower, predicted_revenue_upper,"
        " segment_name, churn_model_version from marts.customer_risk_scores order by customer_id",
    )
    assert customers["customer_id"].tolist() == [100001, 100002]
    assert customers["churn_probability"].tolist() == pytest.approx([0.85, 0.5])
    assert customers["churn_risk_band"].tolist() == ["critical", "medium"]
    assert customers["churn_probability_lower"].tolist() == pytest.approx([0.425, 0.25])
    assert customers["churn_probability_upper"].tolist() == pytest.approx([0.935, 0.55])
    assert float(customers["predicted_revenue"].iloc[0]) == pytest.approx(120.0)
    assert float(customers["predicted_revenue_lower"].iloc[0]) == pytest.approx(60.0)
    assert float(customers["predicted_revenue_upper"].iloc[0]) == pytest.approx(132.0)
    assert pd.isna(customers["predicted_revenue"].iloc[1])
    assert customers["segment_name"].iloc[1] == "Champions"
    assert set(customers["churn_model_version"]) == {"customer_churn-v2"}

    deals = read_frame(settings, "select opportunity_id, risk_score from marts.deal_risk_scores")
    assert deals["opportunity_id"].tolist() == ["OPP-1"]
    assert float(deals["risk_score"].iloc[0]) == pytest.approx(80.0)

    audit = read_frame(settings, "select count(*) as n from ml.predictions")
    assert int(audit["n"].iloc[0]) == 8  # append-only: both runs kept
