"""The issue's failing case end to end: a shop's orders-only export (from `ciw generate`, whose
purchase process has seasons, cohort regimes and reactivations) with 9 months of history
before the as-of date and a 270-day horizon. Before, customer_churn and customer_clv
were "not trained" and 0 % of customers were scored; now every customer with an order gets a
churn probability and a predicted revenue with their 80 % intervals from a BTYD champion
judged on an in-data backtest, and the run's summary names the models it could not train.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from ciw.backtest_grid import generated_transactions, write_orders_only_export
from ciw.cli import main
from tests.integration.cli_env import isolated_run_env
from warehouse import read_frame
from warehouse.settings import Settings

pytestmark = pytest.mark.slow

AS_OF = dt.date(2026, 11, 22)
HISTORY_DAYS = 274
HORIZON_DAYS = 270


def test_nine_months_and_a_270_day_horizon_scores_every_customer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    transactions = generated_transactions(
        800, 17, AS_OF - dt.timedelta(days=1), tmp_path, history_days=HISTORY_DAYS
    )
    first_day = AS_OF - dt.timedelta(days=HISTORY_DAYS)
    export, mapping = write_orders_only_export(
        transactions, tmp_path, first_day, AS_OF - dt.timedelta(days=1)
    )
    exported = pd.read_csv(export / "transactions.csv")
    buyers = set(exported["customer"].astype(int))
    warehouse = isolated_run_env(monkeypatch, tmp_path, HORIZON_DAYS)
    monkeypatch.setenv("CIW_ARTIFACTS_DIR", str(tmp_path / "artifacts"))

    assert main(["load", str(export), "--mapping", str(mapping)]) == 0
    assert main(["run", "--as-of", AS_OF.isoformat()]) == 0
    printed = capsys.readouterr().out

    settings = Settings(
        target="duckdb", duckdb_path=warehouse, artifacts_root=tmp_path / "artifacts"
    )
    scores = read_frame(
        settings,
        "select customer_id, churn_probability, churn_probability_lower,"
        " churn_probability_upper, predicted_revenue, predicted_revenue_lower,"
        " predicted_revenue_upper, churn_horizon_days, clv_horizon_days, churn_model_version"
        " from marts.customer_risk_scores",
    ).set_index("customer_id")
    assert buyers <= set(scores.index)
    scored = scores.loc[sorted(buyers)]
    for column in ("churn_probability", "predicted_revenue"):
        assert scored[column].notna().all()
        assert scored[f"{column}_lower"].notna().all()
        assert (
            scored[f"{column}_lower"].astype(float) <= scored[f"{column}_upper"].astype(float)
        ).all()
    assert set(scored["churn_horizon_days"]) == {HORIZON_DAYS}
    assert set(scored["clv_horizon_days"]) == {HORIZON_DAYS}

    from ml.registry import ModelRegistry

    champion = ModelRegistry(settings).champion("customer_churn")
    assert champion is not None
    assert champion.params["champion"] in ("bgnbd_gamma_gamma", "mbgnbd_gamma_gamma")
    assert champion.params["evaluation"] == "in_data_backtest"
    assert set(scored["churn_model_version"]) == {champion.version}
    # The B2B models have no sources here: named, with their reason, and counted at the end.
    assert "not trained account_churn" in printed
    assert "models not trained (see above)" in printed

    listed = main(["models", "list"])
    assert listed == 0
    assert "customer_churn: candidate lightgbm not trained" in capsys.readouterr().out
