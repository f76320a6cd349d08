"""Performance on matured labels, feedback shares and the retraining plan."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd
import pytest

from ml.contracts import MODEL_SPECS, predictions_ddl
from ml.monitoring import (
    MonitoringError,
    MonitoringSettings,
    RetrainingSignal,
    count_new_feedback,
    evaluate_performance,
    feedback_signals,
    inaccurate_share,
    plan_retraining,
    read_feedback,
    read_matured_predictions,
    write_performance_result,
)
from warehouse import read_frame
from warehouse.connections import connect_duckdb, connect_postgres
from warehouse.settings import Settings

CHURN = MODEL_SPECS["customer_churn"]
CLV = MODEL_SPECS["customer_clv"]
DEALS = MODEL_SPECS["deal_risk"]


def execute(settings: Settings, *statements: str) -> None:
    """Run setup SQL on either warehouse."""
    if settings.target == "duckdb":
        with connect_duckdb(settings) as duck:
            for statement in statements:
                duck.execute(statement)
        return
    with connect_postgres(settings) as postgres:
        for statement in statements:
            postgres.execute(statement)


def churn_rows(rows: int, seed: int, *, noise: float, as_of: date) -> pd.DataFrame:
    """Labels and scores whose separation falls as ``noise`` grows."""
    rng = np.random.default_rng(seed)
    label = rng.random(rows) < 0.3
    score = 1 / (1 + np.exp(-(2.0 * label - 1.0 + rng.normal(0, noise, rows))))
    return pd.DataFrame(
        {
            "entity_id": [str(100_001 + i) for i in range(rows)],
            "as_of_date": as_of,
            "score": score,
            "label": label,
        }
    )


def auc(frame: pd.DataFrame) -> float:
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(frame["label"].astype(int), frame["score"]))


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
    dialect = "postgres" if warehouse_settings.target == "postgres" else "duckdb"
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
        predictions_ddl(dialect),
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


def test_enough_feedback_on_the_alerts_a_model_raised_is_a_signal() -> None:
    """Feedback counts for the model of its alert (marts.alerts.model_name): churn alerts on
    shop customers judge customer_churn, those on accounts account_churn."""
    now = datetime(2026, 11, 22, 6)
    feedback = pd.DataFrame(
        {
            "alert_type": ["churn_risk"] * 6
            + ["usage_decline", "high_risk_deal", "cart_abandonment"],
            "model_name": ["customer_churn"] * 4 + ["account_churn"] * 3 + ["deal_risk", None],
            "recorded_at": pd.to_datetime(
                [
                    *("2026-11-01", "2026-11-02", "2026-11-20", "2026-11-21"),
                    *("2026-11-01", "2026-11-21", "2026-11-21", "2026-11-21", "2026-11-21"),
                ]
            ),
        }
    )
    since = {"customer_churn": datetime(2026, 11, 10)}

    signals = feedback_signals(feedback, since, threshold=2, now=now)

    assert [(s.model_name, s.cause) for s in signals] == [
        ("customer_churn", "feedback"),
        ("account_churn", "feedback"),
    ]
    assert signals[0].detail == "2 new feedback rows on churn_risk"
    assert signals[1].detail == "3 new feedback rows on churn_risk, usage_decline"


def test_plan_retraining_honours_evidence_age_and_cool_down() -> None:
    now = datetime(2026, 11, 22, 6)
    cooldown = timedelta(days=7)
    drift = RetrainingSignal("customer_churn", "drift", now - timedelta(hours=1), "drifted")
    perf = RetrainingSignal("deal_risk", "performance", now - timedelta(hours=2), "worse")
    unknown = RetrainingSignal("no_such_model", "drift", now, "?")

    first = plan_retraining([drift, perf, unknown], {}, now=now, cooldown=cooldown)
    same_evidence = plan_retraining(
        [drift], {"customer_churn": {"drift": now}}, now=now + timedelta(days=8), cooldown=cooldown
    )
    new_evidence_in_cool_down = plan_retraining(
        [drift],
        {"customer_churn": {"drift": now - timedelta(days=2)}},
        now=now,
        cooldown=cooldown,
    )
    after_cool_down = plan_retraining(
        [drift],
        {"customer_churn": {"drift": now - timedelta(days=8), "performance": now}},
        now=now,
        cooldown=cooldown,
    )

    kept_champion = plan_retraining(
        [RetrainingSignal("customer_churn", "drift", now, "drifted", "check-9", "v1")],
        {"customer_churn": {"drift": now - timedelta(days=30)}},
        now=now,
        cooldown=cooldown,
        acted_versions={"customer_churn": {"drift": "v1"}},
    )

    assert first == [drift, perf]
    assert kept_champion == []
    assert same_evidence == []
    assert new_evidence_in_cool_down == []
    assert after_cool_down == [drift]


def test_only_the_newest_flagged_checks_are_signals(warehouse_settings: Settings) -> None:
    from ml.drift import ColumnDrift, DriftResult, write_drift_results
    from ml.monitoring import latest_drift_signals, latest_performance_signals

    def drift(model: str, drifted: bool, at: datetime) -> DriftResult:
        score = ColumnDrift("score", "score", "numerical", "wasserstein", 0.3, 0.1, drifted)
        return DriftResult(model, "v1", at, [], score, 0.0, drifted, 10, 10, 0.3)

    day = datetime(2026, 11, 20, 6)
    write_drift_results(warehouse_settings, drift("customer_churn", True, day), "c1")
    write_drift_results(
        warehouse_settings, drift("customer_churn", False, day.replace(day=21)), "c2"
    )
    write_drift_results(warehouse_settings, drift("deal_risk", True, day.replace(day=21)), "d1")
    degraded = evaluate_performance(
        CHURN,
        churn_rows(300, seed=9, noise=3.0, as_of=date(2026, 8, 1)),
        model_version="v1",
        reference_value=0.99,
        settings=MonitoringSettings(min_matured_rows=100),
        checked_at=day,
    )
    write_performance_result(warehouse_settings, degraded, run_id="p1")

    drift_signals = latest_drift_signals(warehouse_settings)
    performance_signals = latest_performance_signals(warehouse_settings)

    assert [(s.model_name, s.evidence_id, s.model_version) for s in drift_signals] == [
        ("deal_risk", "d1", "v1")
    ]
    assert [(s.model_name, s.cause, s.evidence_id) for s in performance_signals] == [
        ("customer_churn", "performance", "p1")
    ]
    assert performance_signals[0].observed_at == day
