"""Every customer scored on any history: short to long histories x short to long horizons.

The issue's grid (3, 6, 9, 12, 18 months x 30, 90, 180, 270 days) on simulated orders-only
shops whose purchases break BG/NBD's assumptions (seasonal rates, rates that decay with age,
drop-out in calendar time; see tests/ml/conftest.py). For each cell: the label rows that can
mature are built as Feast would join them, the order-feature cross-sections as dbt would, and
``train_and_register`` must register a champion whose scores cover every customer with an
order, with an interval, and say why any candidate did not train. End to end through dbt and
Dagster, the same is checked on two cells in tests/integration/test_short_histories.py.
"""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pandas as pd
import pytest

from ml.contracts import MODEL_SPECS
from ml.registry import ModelRegistry
from ml.selection import train_and_register
from tests.ml.conftest import (
    DATA_END,
    SPINE_STEP_DAYS,
    order_cross_sections,
    order_feature_frame,
    simulate_orders,
)
from tests.ml.test_candidates import _write_table
from warehouse.settings import Settings

HISTORY_MONTHS = (3, 6, 9, 12, 18)
HORIZONS = (30, 90, 180, 270)


def _label_frame(orders: pd.DataFrame, horizon: int, periods: int) -> pd.DataFrame | None:
    try:
        return order_feature_frame(orders, horizon, periods=periods)
    except ValueError:  # no as-of date has a matured label: what the label model gives then
        return None


@pytest.mark.parametrize("months", HISTORY_MONTHS)
@pytest.mark.parametrize("horizon", HORIZONS)
def test_every_customer_is_scored_whatever_the_history_and_horizon(
    duckdb_settings: Settings, months: int, horizon: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CIW_CHURN_HORIZON_DAYS", str(horizon))
    monkeypatch.setenv("CIW_CLV_HORIZON_DAYS", str(horizon))
    history = int(months * 30.4)
    orders = simulate_orders(customers=250, seed=months * 1000 + horizon, history_days=history)
    periods = min(40, history // SPINE_STEP_DAYS + 1)
    sections = order_cross_sections(orders, periods=periods)
    _write_table(
        duckdb_settings,
        "features.customer_order_features",
        sections.drop(columns=["first_order_date", "last_order_date"]),
    )
    registry = ModelRegistry(duckdb_settings)
    latest = sections[sections["as_of_date"] == DATA_END].reset_index(drop=True)
    buyers = orders[orders["order_date"] < pd.Timestamp(DATA_END)]["customer_id"].unique()
    assert set(latest["customer_id"]) == set(buyers)

    for name in ("customer_churn", "customer_clv"):
        spec = MODEL_SPECS[name]
        frame = _label_frame(orders, horizon, periods)
        if frame is not None and name == "customer_clv":
            frame = frame.drop(columns="is_churned")
        outcome = train_and_register(
            duckdb_settings,
            spec,
            frame,
            registry,
            as_of=DATA_END,
            missing_labels=f"no label matures within {history} days for {horizon} days",
        )

        assert outcome.trained, f"{name} {months}m/{horizon}d: {outcome.reason}"
        assert outcome.chosen, outcome
        assert outcome.chosen_because
        if outcome.chosen != "lightgbm":
            assert "lightgbm" in outcome.not_trained or outcome.evaluation == "label_holdout"
        champion = registry.champion(name)
        assert champion is not None and champion.params.get("horizon_days") == horizon
        model = registry.load_model(champion)
        scores = np.asarray(model.predict(latest), dtype=float)
        assert np.isfinite(scores).all() and len(scores) == len(buyers)
        if name == "customer_churn":
            assert ((scores >= 0) & (scores <= 1)).all()
        else:
            assert (scores >= 0).all()
        if hasattr(model, "predict_interval"):
            lower, upper = model.predict_interval(latest)
            assert np.isfinite(lower).all() and np.all(lower <= upper + 1e-9)
        horizon_rows = champion.params.get("evaluation_horizon_days", horizon)
        assert 0 < horizon_rows <= horizon
        assert champion.holdout_window[1] <= DATA_END - timedelta(days=0)
