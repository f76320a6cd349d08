"""A run whose models cannot train still fills the scored marts and alerts, with the rules.

Label horizons longer than the feature spine (546 days) leave account churn, lead score,
customer churn and CLV without a single matured label. The B2B two then have no champion:
the scoring step must serve each one's rule as ``rule:<name>`` into ml.predictions and the
marts must show those rows. The customer two need no label: their BTYD candidates are judged
on an in-data backtest and become champions, so every customer is scored by a model.
The scenario runs on DuckDB: what differs per warehouse is the SQL, and the session's built
warehouses (both targets) check the Python rules against the marts that state the same rules
in SQL (account health, the six-factor lead score) at the run's as-of date.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from ml.baselines.rules import health_components, lead_score_points, project_rule_config
from orchestration.launch import run_pipeline
from tests.built import BuiltWarehouse
from warehouse import read_frame
from warehouse.settings import Settings

pytestmark = pytest.mark.slow

#: Longer than the feature spine: no label matures.
UNREACHABLE_HORIZON_DAYS = "600"
AS_OF = date(2026, 10, 1)


def _point_environment_at(settings: Settings, monkeypatch: pytest.MonkeyPatch, tmp: Path) -> None:
    for key, value in settings.dbt_env().items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("CIW_DBT_TARGET_PATH", str(tmp / "dbt_target"))
    monkeypatch.setenv("DAGSTER_HOME", str(tmp / "dagster_home"))
    monkeypatch.delenv("CIW_DAGSTER_STORAGE", raising=False)
    for name in (
        "CIW_ACCOUNT_CHURN_HORIZON_DAYS",
        "CIW_LEAD_CONVERSION_HORIZON_DAYS",
        "CIW_CHURN_HORIZON_DAYS",
        "CIW_CLV_HORIZON_DAYS",
    ):
        monkeypatch.setenv(name, UNREACHABLE_HORIZON_DAYS)


def test_python_rules_match_the_sql_marts(built_warehouse: BuiltWarehouse) -> None:
    """The Python rules and the SQL marts compute the same health components and lead points."""
    settings = built_warehouse.settings
    config = project_rule_config()
    latest = "as_of_date = (select max(as_of_date) from features.account_billing_features)"
    accounts = read_frame(
        settings,
        "select billing.*, usage.*, support.* "
        "from features.account_billing_features as billing "
        "left join features.account_usage_features as usage "
        "using (account_id, as_of_date) "
        "left join features.account_support_features as support "
        f"using (account_id, as_of_date) where billing.{latest}",
    )
    accounts = accounts.loc[:, ~accounts.columns.duplicated()]
    health = read_frame(settings, "select * from marts.account_health").set_index("account_id")
    assert len(health) > 0
    python = health_components(accounts).set_index(accounts["account_id"]).loc[health.index]
    for component in ("usage", "engagement", "support", "financial"):
        both = pd.concat([python[component], health[f"{component}_score"]], axis=1).dropna()
        assert len(both) > 0.9 * len(health), component
        assert both.iloc[:, 0].to_numpy() == pytest.approx(both.iloc[:, 1].to_numpy(), abs=1e-9)

    leads = read_frame(
        settings,
        "select * from features.lead_features "
        "where as_of_date = (select max(as_of_date) from features.lead_features)",
    )
    scores = read_frame(settings, "select * from marts.lead_scores").set_index("lead_id")
    assert len(scores) > 0
    points = lead_score_points(leads, config).set_index(leads["lead_id"]).loc[scores.index]
    total = points.fillna(0.0).sum(axis=1)
    assert total.to_numpy() == pytest.approx(scores["lead_score"].astype(float).to_numpy())


def test_models_that_cannot_train_are_served_by_their_rules(
    duckdb_settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sources.generate import GeneratorConfig, generate

    settings = duckdb_settings
    _point_environment_at(settings, monkeypatch, tmp_path)
    exports = tmp_path / "exports"
    generate(exports, GeneratorConfig(customers=300, seed=7, end_date=date(2026, 10, 31)))

    result = run_pipeline(settings, exports, as_of=AS_OF)
    assert result.success, result.totals()

    champions = read_frame(
        settings, "select model_name from ml.model_registry where status = 'champion'"
    )
    untrained = {"account_churn", "lead_score"}
    assert not untrained & set(champions["model_name"])
    # No label matures for the customer models either, but BTYD needs none: it is champion
    # (judged on an in-data backtest), so their rules are not needed (unit-tested instead).
    assert {"customer_churn", "customer_clv"} <= set(champions["model_name"])

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
    assert int(accounts["horizon"]) == int(UNREACHABLE_HORIZON_DAYS)

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
