"""A short history end to end: issue 17's failing case and the rule fallback in one run.

A shop with 9 months of history before the as-of date (from ``ciw generate``, whose purchase
process has seasons, cohort regimes and reactivations) asks for a 270-day churn and CLV
horizon, and 600-day horizons for account churn and lead conversion. No label for any of them
can mature inside the history:

* customer churn and CLV were "not trained" and 0 % of customers scored before; now every
  customer with an order gets a churn probability and a predicted revenue with their 80 %
  intervals from a BTYD champion judged on an in-data backtest;
* account churn and lead score have no champion, so the scoring step serves each one's rule as
  ``rule:<name>`` into ml.predictions, the scored marts and the alerts show those rows, and the
  run's summary and ``ciw models list`` name what could not be trained and why.

The scenario runs on DuckDB: what differs per warehouse is the SQL, and
tests/integration/test_rule_fallback.py checks the Python rules against the marts that state
the same rules in SQL on the session's built warehouses (both targets).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from ciw.cli import main
from tests.integration.cli_env import isolated_run_env
from warehouse import read_frame
from warehouse.settings import Settings

pytestmark = pytest.mark.slow

AS_OF = dt.date(2026, 11, 22)
HISTORY_DAYS = 274
HORIZON_DAYS = 270
#: Longer than the whole history: no B2B label matures.
UNREACHABLE_HORIZON_DAYS = 600


def test_nine_months_score_every_customer_and_serve_rules_where_nothing_trains(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from sources.generate import GeneratorConfig, generate

    exports = tmp_path / "exports"
    config = GeneratorConfig(
        customers=500,
        seed=17,
        end_date=AS_OF - dt.timedelta(days=1),
        history_days=HISTORY_DAYS,
    )
    generate(exports, config)
    warehouse = isolated_run_env(monkeypatch, tmp_path, HORIZON_DAYS)
    monkeypatch.setenv("CIW_ARTIFACTS_DIR", str(tmp_path / "artifacts"))
    for name in ("CIW_ACCOUNT_CHURN_HORIZON_DAYS", "CIW_LEAD_CONVERSION_HORIZON_DAYS"):
        monkeypatch.setenv(name, str(UNREACHABLE_HORIZON_DAYS))

    assert main(["load", str(exports)]) == 0
    assert main(["run", "--as-of", AS_OF.isoformat()]) == 0
    printed = capsys.readouterr().out
    settings = Settings(
        target="duckdb", duckdb_path=warehouse, artifacts_root=tmp_path / "artifacts"
    )

    _every_buyer_is_scored_by_a_btyd_champion(settings)
    _untrained_b2b_models_are_served_by_their_rules(settings)

    # The untrained models are named, with their reason, and counted at the end.
    assert "not trained account_churn" in printed
    assert "not trained lead_score" in printed
    assert "models not trained (see above)" in printed
    assert main(["models", "list"]) == 0
    listed = capsys.readouterr().out
    assert "customer_churn: candidate lightgbm not trained" in listed


def _every_buyer_is_scored_by_a_btyd_champion(settings: Settings) -> None:
    from ml.registry import ModelRegistry

    # A buyer is a unified profile (records that identity resolution merged count once) with
    # an order that was not cancelled.
    buyers = read_frame(
        settings,
        "select distinct unified.customer_id from staging.stg_commerce__orders as orders"
        " join intermediate.int_identity_customer_map as unified"
        " on orders.customer_id = unified.commerce_customer_id"
        " where orders.order_status <> 'cancelled'",
    )
    scores = read_frame(
        settings,
        "select customer_id, churn_probability, churn_probability_lower,"
        " churn_probability_upper, predicted_revenue, predicted_revenue_lower,"
        " predicted_revenue_upper, churn_horizon_days, clv_horizon_days, churn_model_version"
        " from marts.customer_risk_scores",
    ).set_index("customer_id")
    assert len(buyers) > 100
    assert set(buyers["customer_id"]) <= set(scores.index)
    scored = scores.loc[sorted(buyers["customer_id"])]
    for column in ("churn_probability", "predicted_revenue"):
        assert scored[column].notna().all()
        assert scored[f"{column}_lower"].notna().all()
        lower = scored[f"{column}_lower"].astype(float)
        assert (lower <= scored[f"{column}_upper"].astype(float)).all()
    assert set(scored["churn_horizon_days"]) == {HORIZON_DAYS}
    assert set(scored["clv_horizon_days"]) == {HORIZON_DAYS}

    registry = ModelRegistry(settings)
    for model in ("customer_churn", "customer_clv"):
        champion = registry.champion(model)
        assert champion is not None, model
        assert champion.params["champion"] in ("bgnbd_gamma_gamma", "mbgnbd_gamma_gamma")
        assert champion.params["evaluation"] == "in_data_backtest"
        if model == "customer_churn":
            assert set(scored["churn_model_version"]) == {champion.version}


def _untrained_b2b_models_are_served_by_their_rules(settings: Settings) -> None:
    champions = read_frame(
        settings, "select model_name from ml.model_registry where status = 'champion'"
    )
    assert not {"account_churn", "lead_score"} & set(champions["model_name"])

    served = read_frame(
        settings,
        "select model_name, min(model_version) as first_version, "
        "max(model_version) as last_version, count(*) as n, min(score) as low, "
        "max(score) as high, count(factor_1_name) as explained "
        "from ml.predictions group by model_name",
    ).set_index("model_name")
    expected = {"account_churn": "rule:account_health", "lead_score": "rule:lead_score"}
    for model, version in expected.items():
        row = served.loc[model]
        assert row["first_version"] == row["last_version"] == version
        assert int(row["n"]) > 0 and int(row["explained"]) == int(row["n"])
        assert 0.0 <= float(row["low"]) <= float(row["high"]) <= 1.0
        assert float(row["low"]) < float(row["high"])  # the rule ranks, it is no constant

    accounts = read_frame(
        settings,
        "select count(*) as n, count(churn_probability) as scored, "
        "min(model_version) as low_version, max(model_version) as high_version, "
        "min(churn_horizon_days) as horizon from marts.account_risk_scores",
    ).iloc[0]
    assert int(accounts["n"]) > 0 and int(accounts["scored"]) == int(accounts["n"])
    assert accounts["low_version"] == accounts["high_version"] == "rule:account_health"
    assert int(accounts["horizon"]) == UNREACHABLE_HORIZON_DAYS

    customers = read_frame(
        settings,
        "select count(*) as n, count(churn_probability) as churn, count(predicted_revenue) as clv, "
        "sum(case when churn_model_version like 'rule:%' then 1 else 0 end) as by_rule "
        "from marts.customer_risk_scores",
    ).iloc[0]
    assert int(customers["n"]) > 0
    assert int(customers["churn"]) == int(customers["clv"]) == int(customers["n"])
    assert int(customers["by_rule"]) == 0  # BTYD champions score every customer
    leads = read_frame(
        settings,
        "select count(*) as n, min(model_version) as version from marts.lead_conversion_scores",
    ).iloc[0]
    assert int(leads["n"]) > 0 and leads["version"] == "rule:lead_score"

    # Alerts read the rule's scores like a model's: account churn alerts with rule factors.
    alerts = read_frame(
        settings,
        "select count(*) as n from marts.alerts "
        "where alert_type = 'churn_risk' and entity_type = 'account'",
    )
    assert int(alerts["n"].iloc[0]) > 0
