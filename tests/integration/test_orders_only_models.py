"""The real-data evaluation, on generated orders: only customer id, date and amount.

Exactly what an evaluator with held-out transactions does: write the orders as a plain export,
``ciw load`` it with a mapping, ``ciw run --as-of`` the end of the calibration period with the
horizon N set in the environment, read every customer's churn probability and predicted revenue
for the next N days from ``marts.customer_risk_scores``, and compare them on the holdout with a
BG/NBD + Gamma-Gamma model fitted on the same calibration transactions.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from ciw.backtest_grid import ORDERS_ONLY_MAPPING, generated_transactions
from ciw.cli import main
from ml.baselines.btyd import (
    bgnbd_expected_purchases,
    bgnbd_probability_no_purchase,
    fit_bgnbd,
    fit_gamma_gamma,
    gamma_gamma_expected_spend,
)
from tests.integration.cli_env import isolated_run_env
from warehouse import read_frame
from warehouse.settings import Settings

pytestmark = pytest.mark.slow

END = dt.date(2026, 10, 31)
HORIZON_DAYS = 120
CALIBRATION_END = END - dt.timedelta(days=HORIZON_DAYS)


def _transactions(tmp_path: Path) -> pd.DataFrame:
    return generated_transactions(3000, 11, END, tmp_path, history_days=730)


def _btyd_baseline(calibration: pd.DataFrame) -> pd.DataFrame:
    """BG/NBD + Gamma-Gamma on daily transactions, the textbook way (time in weeks)."""
    days = calibration.assign(day=calibration["timestamp"].dt.normalize())
    daily = days.groupby(["customer", "day"], as_index=False)["amount"].sum()
    end = pd.Timestamp(CALIBRATION_END, tz="UTC")
    summary = daily.groupby("customer").agg(
        first=("day", "min"), last=("day", "max"), n=("day", "size")
    )
    x = (summary["n"] - 1).to_numpy(dtype=float)
    t_x = ((summary["last"] - summary["first"]).dt.days / 7.0).to_numpy()
    big_t = ((end - summary["first"]).dt.days / 7.0).to_numpy()
    params = fit_bgnbd(x, t_x, big_t)
    repeat_value = (
        daily.sort_values("day").groupby("customer").apply(lambda g: g["amount"].iloc[1:].mean())
    )
    m = repeat_value.reindex(summary.index).fillna(0.0).to_numpy()
    repeaters = x > 0
    spend_params = fit_gamma_gamma(x[repeaters], m[repeaters])
    horizon = HORIZON_DAYS / 7.0
    expected = bgnbd_expected_purchases(params, horizon, x, t_x, big_t)
    spend = gamma_gamma_expected_spend(spend_params, x, m)
    spend = np.where(repeaters, spend, daily["amount"].mean())
    return pd.DataFrame(
        {
            "baseline_churn": bgnbd_probability_no_purchase(params, horizon, x, t_x, big_t),
            "baseline_revenue": expected * spend,
        },
        index=summary.index,
    )


def test_orders_only_scores_beat_bgnbd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    transactions = _transactions(tmp_path)
    export = tmp_path / "export"
    export.mkdir()
    transactions.to_csv(export / "transactions.csv", index=False)
    (tmp_path / "mapping.yml").write_text(ORDERS_ONLY_MAPPING)

    warehouse = isolated_run_env(monkeypatch, tmp_path, HORIZON_DAYS)

    assert main(["load", str(export), "--mapping", str(tmp_path / "mapping.yml")]) == 0
    assert main(["run", "--as-of", CALIBRATION_END.isoformat()]) == 0

    settings = Settings(target="duckdb", duckdb_path=warehouse)
    scores = read_frame(
        settings,
        "select customer_id, churn_probability, predicted_revenue, clv_horizon_days, "
        "churn_horizon_days from marts.customer_risk_scores",
    ).set_index("customer_id")

    stamped = transactions.assign(timestamp=pd.to_datetime(transactions["date"], utc=True))
    cutoff = pd.Timestamp(CALIBRATION_END, tz="UTC")
    calibration = stamped[stamped["timestamp"] < cutoff]
    holdout = stamped[
        (stamped["timestamp"] >= cutoff)
        & (stamped["timestamp"] < cutoff + pd.Timedelta(days=HORIZON_DAYS))
    ]
    customers = pd.Index(calibration["customer"].unique())

    # Every customer with a calibration order has both scores, for the configured horizon.
    assert set(customers) <= set(scores.index)
    scored = scores.loc[customers]
    assert scored["churn_probability"].notna().all()
    assert scored["predicted_revenue"].notna().all()
    assert set(scored["clv_horizon_days"]) == {HORIZON_DAYS}
    assert set(scored["churn_horizon_days"]) == {HORIZON_DAYS}

    actual_revenue = holdout.groupby("customer")["amount"].sum().reindex(customers, fill_value=0)
    actual_churn = ~customers.isin(holdout["customer"])
    baseline = _btyd_baseline(calibration).reindex(customers)

    model_auc = roc_auc_score(actual_churn, scored["churn_probability"])
    baseline_auc = roc_auc_score(actual_churn, baseline["baseline_churn"])
    model_mae = float(np.mean(np.abs(scored["predicted_revenue"].astype(float) - actual_revenue)))
    baseline_mae = float(np.mean(np.abs(baseline["baseline_revenue"] - actual_revenue)))
    print(
        f"churn ROC-AUC model {model_auc:.4f} vs BG/NBD {baseline_auc:.4f}; "
        f"revenue MAE model {model_mae:.2f} vs BG/NBD+GG {baseline_mae:.2f}"
    )
    assert model_auc > baseline_auc
    assert model_mae < baseline_mae
