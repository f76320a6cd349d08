"""CSM feedback read per alert type: shares of 'inaccurate' and rows since a moment."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import pytest

from ml.monitoring.feedback import count_new_feedback, inaccurate_share, read_feedback
from tests.ml.monitoring.scored_rows import execute
from warehouse.settings import Settings


def test_feedback_share_and_new_rows(warehouse_settings: Settings) -> None:
    assert read_feedback(warehouse_settings).empty  # no table yet
    accuracy = ["inaccurate", "accurate", "inaccurate", "somewhat_accurate", "accurate"]
    alert_ids = ["a1", "a1", "a2", "a3", "a9"]
    feedback = ", ".join(
        f"('f{i}', '{alert}', timestamp '2026-11-{10 + i} 09:00:00', 'csm', '{accuracy[i]}')"
        for i, alert in enumerate(alert_ids)
    )
    execute(
        warehouse_settings,
        "create schema if not exists ops",
        "create table ops.alert_feedback (feedback_id varchar, alert_id varchar, "
        "recorded_at timestamp, recorded_by varchar, alert_accuracy varchar)",
        f"insert into ops.alert_feedback values {feedback}",
        "create schema if not exists marts",
        "create table marts.alerts (alert_id varchar, alert_type varchar, model_name varchar)",
        "insert into marts.alerts values ('a1', 'churn_risk', 'customer_churn'), "
        "('a2', 'churn_risk', 'account_churn'), ('a3', 'cart_abandonment', null)",
    )

    rows = read_feedback(warehouse_settings)
    shares = inaccurate_share(rows).set_index("alert_type")

    assert len(rows) == 5
    models = rows.set_index("feedback_id")["model_name"]
    assert models[["f0", "f1", "f2"]].tolist() == [
        "customer_churn",
        "customer_churn",
        "account_churn",
    ]
    assert models[["f3", "f4"]].isna().all()  # an alert no model raises; an unknown alert
    assert shares.loc["churn_risk", "feedback_rows"] == 3
    assert shares.loc["churn_risk", "share"] == pytest.approx(2 / 3)
    assert shares.loc["unknown", "feedback_rows"] == 1
    assert count_new_feedback(rows, None, ["churn_risk"]) == 3
    assert count_new_feedback(rows, datetime(2026, 11, 11, 12), ["churn_risk"]) == 1
    aware = rows.assign(recorded_at=pd.to_datetime(rows["recorded_at"]).dt.tz_localize("UTC"))
    assert count_new_feedback(aware, datetime(2026, 11, 11, 12), ["churn_risk"]) == 1
    since = read_feedback(warehouse_settings, since=datetime(2026, 11, 12, 12))
    assert sorted(since["feedback_id"]) == ["f3", "f4"]
