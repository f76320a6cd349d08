"""Performance on matured labels: the verdicts, the window, and the warehouse round trip."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from ml.contracts import MODEL_SPECS, predictions_ddl
from ml.monitoring.performance import (
    evaluate_performance,
    read_matured_predictions,
    write_performance_result,
)
from ml.monitoring.settings import MonitoringError, MonitoringSettings
from tests.ml.monitoring.scored_rows import auc, churn_rows, execute
from warehouse import read_frame
from warehouse.settings import Settings

CHURN = MODEL_SPECS["customer_churn"]
CLV = MODEL_SPECS["customer_clv"]
DEALS = MODEL_SPECS["deal_risk"]


def test_a_classifier_that_lost_separation_is_degraded() -> None:
    at_training = churn_rows(600, seed=1, noise=0.8, as_of=date(2026, 6, 1))
    now = churn_rows(600, seed=2, noise=3.0, as_of=date(2026, 8, 1))
    limits = MonitoringSettings(auc_tolerance=0.05, min_matured_rows=100)

    steady = evaluate_performance(
        CHURN, at_training, model_version="v1", reference_value=auc(at_training), settings=limits
    )
    worse = evaluate_performance(
        CHURN, now, model_version="v1", reference_value=auc(at_training), settings=limits
    )

    assert steady.status == "ok" and not steady.is_degraded
    assert steady.current_value == pytest.approx(auc(at_training))
    assert worse.current_value == pytest.approx(auc(now))
    assert auc(now) < auc(at_training) - 0.05
    assert worse.is_degraded and worse.status == "degraded"
    assert worse.metric_name == "roc_auc" and worse.matured_rows == 600


def test_only_the_newest_window_of_matured_dates_counts() -> None:
    old_and_bad = churn_rows(400, seed=3, noise=6.0, as_of=date(2026, 1, 1))
    recent_and_good = churn_rows(400, seed=4, noise=0.8, as_of=date(2026, 8, 1))
    frame = pd.concat([old_and_bad, recent_and_good])

    result = evaluate_performance(
        CHURN,
        frame,
        model_version="v1",
        reference_value=auc(recent_and_good),
        settings=MonitoringSettings(window_days=90, min_matured_rows=100),
    )

    assert result.matured_rows == 400
    assert result.as_of_start == result.as_of_end == date(2026, 8, 1)
    assert result.status == "ok"


def test_deal_risk_scores_the_loss_so_its_label_is_inverted() -> None:
    rows = churn_rows(500, seed=5, noise=0.8, as_of=date(2026, 8, 1))
    deals = rows.assign(label=~rows["label"])  # label is is_won; the score is P(lost)

    result = evaluate_performance(
        DEALS,
        deals,
        model_version="v1",
        reference_value=auc(rows),
        settings=MonitoringSettings(min_matured_rows=100),
    )

    assert result.current_value == pytest.approx(auc(rows))
    assert result.status == "ok"


def test_a_regressor_whose_error_grew_is_degraded() -> None:
    rng = np.random.default_rng(6)
    actual = rng.gamma(2.0, 100.0, 500)
    frame = pd.DataFrame(
        {"entity_id": "x", "as_of_date": date(2026, 5, 1), "label": actual, "score": actual * 1.5}
    )
    error_now = float(np.mean(np.abs(actual * 0.5)))
    limits = MonitoringSettings(error_tolerance=0.2, min_matured_rows=100)

    degraded = evaluate_performance(
        CLV, frame, model_version="v1", reference_value=error_now / 1.3, settings=limits
    )
    fine = evaluate_performance(
        CLV, frame, model_version="v1", reference_value=error_now / 1.1, settings=limits
    )

    assert degraded.current_value == pytest.approx(error_now)
    assert degraded.is_degraded and degraded.metric_name == "mae"
    assert fine.status == "ok"


def test_too_few_matured_rows_give_no_verdict() -> None:
    rows = churn_rows(50, seed=7, noise=6.0, as_of=date(2026, 8, 1))

    result = evaluate_performance(
        CHURN, rows, model_version="v1", reference_value=0.99, settings=MonitoringSettings()
    )
    empty = evaluate_performance(CHURN, rows.iloc[:0], model_version="v1", reference_value=0.99)

    assert result.status == "insufficient_labels" and not result.is_degraded
    assert empty.status == "insufficient_labels" and empty.current_value is None


def test_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CIW_MONITOR_COOLDOWN_DAYS", "3")
    monkeypatch.setenv("CIW_MONITOR_AUC_TOLERANCE", "0.02")
    assert MonitoringSettings.from_env().cooldown_days == 3
    assert MonitoringSettings.from_env().auc_tolerance == 0.02
    monkeypatch.setenv("CIW_MONITOR_FEEDBACK_ROWS", "many")
    with pytest.raises(MonitoringError, match="CIW_MONITOR_FEEDBACK_ROWS must be a int"):
        MonitoringSettings.from_env()


def test_matured_predictions_are_read_judged_and_stored(warehouse_settings: Settings) -> None:
    as_of = date(2026, 6, 1)
    good = churn_rows(300, seed=8, noise=0.8, as_of=as_of)
    stale = good.assign(score=1.0 - good["score"])  # an earlier scoring run, superseded
    labels = ", ".join(
        f"({row.entity_id}, date '{as_of}', {str(bool(row.label)).lower()})"
        for row in good.itertuples()
    )

    def predictions(frame: pd.DataFrame, scored_at: str, version: str) -> str:
        return ", ".join(
            f"('customer_churn', '{version}', 'customer', '{row.entity_id}', date '{as_of}', "
            f"{row.score}, timestamp '{scored_at}', 'run')"
            for row in frame.itertuples()
        )

    columns = "model_name, model_version, entity, entity_id, as_of_date, score, scored_at, run_id"
    execute(
        warehouse_settings,
        "create schema if not exists ml",
        predictions_ddl(warehouse_settings.target),
        f"insert into ml.predictions ({columns}) values "
        + predictions(stale, "2026-06-01 06:00:00", "v1"),
        f"insert into ml.predictions ({columns}) values "
        + predictions(good, "2026-06-02 06:00:00", "v1"),
        f"insert into ml.predictions ({columns}) values "
        + predictions(stale.head(50), "2026-06-03 06:00:00", "v0"),
        "create schema if not exists features",
        "create table features.customer_churn_labels "
        "(customer_id bigint, as_of_date date, is_churned boolean)",
        f"insert into features.customer_churn_labels values {labels}",
    )

    matured = read_matured_predictions(warehouse_settings, CHURN, "v1")
    result = evaluate_performance(
        CHURN,
        matured,
        model_version="v1",
        reference_value=auc(good) + 0.2,
        settings=MonitoringSettings(min_matured_rows=100),
    )
    write_performance_result(warehouse_settings, result, run_id="check-1")
    stored = read_frame(warehouse_settings, "select * from ml.model_performance")

    assert len(matured) == 300
    assert result.current_value == pytest.approx(auc(good))
    assert result.is_degraded
    assert len(stored) == 1
    row = stored.iloc[0]
    assert row["run_id"] == "check-1" and row["model_version"] == "v1"
    assert bool(row["is_degraded"]) and row["status"] == "degraded"
    assert float(row["current_value"]) == pytest.approx(auc(good))
    assert int(row["matured_rows"]) == 300


def test_without_labels_or_predictions_nothing_is_matured(duckdb_settings: Settings) -> None:
    assert read_matured_predictions(duckdb_settings, CHURN, "v1").empty
