"""The rules the scoring step serves when a model has no champion (ml/baselines/rules.py) are
the rules the marts state in SQL: account health's components and the six-factor lead score,
computed in Python from the features equal the marts' columns on the session's built
warehouses (both targets). The fallback itself, a run where nothing can train, is in
tests/integration/test_short_histories.py.
"""

from __future__ import annotations

import pandas as pd
import pytest

from ml.baselines.rules import health_components, lead_score_points, project_rule_config
from tests.built import BuiltWarehouse
from warehouse import read_frame

pytestmark = pytest.mark.slow


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
