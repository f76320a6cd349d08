"""Drift checks: quiet on large unshifted samples, loud on a planted shift; stored on both
warehouses; the HTML report is written."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ml.monitoring.drift import (
    REPORT_COLUMNS,
    DriftInputError,
    DriftResult,
    DriftThresholds,
    check_drift,
    report_columns,
)
from ml.monitoring.drift_results import drift_report_path, prune_reports, write_drift_results
from warehouse import read_frame
from warehouse.settings import Settings

IMPORTANT = "recency_days"


def customer_frame(rows: int, seed: int, *, recency_shift: float = 0.0) -> pd.DataFrame:
    """Customer-like features (counts, money, shares, flags, a category, gaps) and a score
    driven mostly by recency, as the churn model's is."""
    rng = np.random.default_rng(seed)
    recency = rng.exponential(40.0, rows) + recency_shift
    frame = pd.DataFrame(
        {
            "customer_id": np.arange(rows) + 100_001,
            "as_of_date": pd.Timestamp("2026-11-01"),
            IMPORTANT: recency,
            "orders_30d": rng.poisson(1.2, rows),
            "orders_90d": rng.poisson(3.5, rows),
            "orders_lifetime": rng.poisson(9.0, rows),
            "revenue_90d": rng.lognormal(4.0, 1.0, rows),
            "revenue_lifetime": rng.lognormal(6.0, 1.1, rows),
            "avg_order_value": rng.gamma(3.0, 25.0, rows),
            "days_since_first_order": rng.uniform(30, 900, rows),
            "return_rate": rng.beta(1.0, 12.0, rows),
            "discount_share": rng.beta(2.0, 5.0, rows),
            "sessions_30d": rng.poisson(6.0, rows).astype(float),
            "cart_adds_30d": rng.poisson(2.0, rows).astype(float),
            "is_loyalty_member": rng.random(rows) < 0.35,
            "top_category": rng.choice(
                ["apparel", "home", "beauty", "sports", "toys"], rows, p=[0.3, 0.25, 0.2, 0.15, 0.1]
            ),
            "channel": rng.choice(["web", "store", "app"], rows, p=[0.5, 0.3, 0.2]),
        }
    )
    gaps = rng.random(rows) < 0.1
    frame.loc[gaps, "sessions_30d"] = np.nan
    frame.loc[gaps, "cart_adds_30d"] = np.nan
    logit = 0.04 * (recency - 40.0) - 0.3 * (frame["orders_90d"] - 3.5) + rng.normal(0, 0.5, rows)
    frame["score"] = 1.0 / (1.0 + np.exp(-logit))
    return frame


FEATURES = [
    column
    for column in customer_frame(10, 0).columns
    if column not in {"customer_id", "as_of_date", "score"}
]


def check_churn_drift(
    reference: pd.DataFrame,
    current: pd.DataFrame,
    *,
    columns: list[str] = FEATURES,
    model_version: str = "v1",
    thresholds: DriftThresholds | None = None,
    report_path: Path | None = None,
) -> DriftResult:
    """``check_drift`` of the features as the churn model's."""
    return check_drift(
        reference,
        current,
        columns=columns,
        model_name="customer_churn",
        model_version=model_version,
        thresholds=thresholds,
        report_path=report_path,
    )


def check_recency_drift(
    *, model_version: str = "v1", report_path: Path | None = None
) -> DriftResult:
    """1,000 customers against 1,000 whose recency is 30 days longer: recency and the score
    drift, nothing else."""
    return check_churn_drift(
        customer_frame(1_000, seed=1),
        customer_frame(1_000, seed=2, recency_shift=30.0),
        model_version=model_version,
        report_path=report_path,
    )


def test_large_unshifted_samples_flag_nothing() -> None:
    reference = customer_frame(100_000, seed=1)
    current = customer_frame(100_000, seed=2)

    result = check_churn_drift(reference, current)

    assert [row.column for row in result.columns] == FEATURES
    assert result.drifted_columns == []
    assert result.score is not None and not result.score.is_drifted
    assert not result.is_drifted
    assert result.share_drifted == 0.0
    assert {row.stattest for row in result.columns} == {"wasserstein", "psi"}


def test_planted_shift_in_an_important_feature_is_flagged() -> None:
    reference = customer_frame(20_000, seed=1)
    current = customer_frame(20_000, seed=2, recency_shift=15.0)

    result = check_churn_drift(reference, current)

    assert result.drifted_columns == [IMPORTANT]
    assert result.score is not None and result.score.is_drifted
    assert result.is_drifted
    recency = next(row for row in result.columns if row.column == IMPORTANT)
    assert recency.drift_score >= recency.threshold


def test_feature_share_alone_can_mark_the_model_drifted() -> None:
    reference = customer_frame(3_000, seed=1)
    current = customer_frame(3_000, seed=2)
    current["channel"] = "app"
    limits = DriftThresholds(drift_share=0.05, score_threshold=10.0)

    result = check_churn_drift(reference, current, thresholds=limits)

    assert result.drifted_columns == ["channel"]
    assert result.score is not None and not result.score.is_drifted
    assert result.is_drifted


def test_unusable_columns_are_skipped_with_a_reason() -> None:
    last_order = {"last_order_date": pd.Timestamp("2026-10-01")}
    reference = customer_frame(2_000, seed=1).assign(**last_order)
    current = customer_frame(2_000, seed=2).assign(**last_order).drop(columns=["channel"])
    current["sessions_30d"] = np.nan

    result = check_churn_drift(
        reference, current, columns=[*FEATURES, "last_order_date", "as_of_date"]
    )

    assert result.skipped_columns == {
        "channel": "missing from the current frame",
        "sessions_30d": "no values in the reference or current frame",
        "last_order_date": "date column",
        "as_of_date": "key or date column",
    }
    assert "channel" not in [row.column for row in result.columns]


def test_bad_input_says_what_is_wrong() -> None:
    frame = customer_frame(100, seed=1)
    with pytest.raises(DriftInputError, match="current frame has no rows"):
        check_drift(frame, frame.iloc[:0], columns=FEATURES, model_name="m", model_version="v")
    with pytest.raises(DriftInputError, match="reference frame has no 'score' column"):
        check_drift(
            frame.drop(columns=["score"]),
            frame,
            columns=FEATURES,
            model_name="m",
            model_version="v",
        )


def test_html_report_is_written(tmp_path: Path) -> None:
    settings = Settings(target="duckdb", duckdb_path=tmp_path / "warehouse.duckdb")
    path = drift_report_path(settings, "customer_churn", "run/1:a")

    result = check_recency_drift(report_path=path)

    assert path == tmp_path / "artifacts" / "drift" / "customer_churn" / "run_1_a.html"
    assert result.report_path == path
    text = path.read_text(encoding="utf-8")
    assert text.lstrip().lower().startswith("<!doctype html") or "<html" in text.lower()
    assert IMPORTANT in text


def test_distances_are_evidentlys_value_drift() -> None:
    """The check computes distances with Evidently's stat tests, not through a Report (whose
    plots cost most of its time): the numbers must stay those of Evidently's ValueDrift."""
    from evidently import DataDefinition, Dataset, Report
    from evidently.metrics import ValueDrift

    reference = customer_frame(3_000, seed=1)
    current = customer_frame(3_000, seed=2, recency_shift=12.0)
    result = check_churn_drift(reference, current)

    checked = [*result.columns, *([result.score] if result.score else [])]
    frames = [frame[[row.column for row in checked]].copy() for frame in (current, reference)]
    categorical = [row.column for row in checked if row.column_type == "categorical"]
    for frame in frames:
        for column in categorical:
            frame[column] = frame[column].astype(str)
    definition = DataDefinition(
        numerical_columns=[row.column for row in checked if row.column_type == "numerical"],
        categorical_columns=categorical,
    )
    metrics = [
        ValueDrift(column=row.column, method=row.stattest, threshold=row.threshold)
        for row in checked
    ]
    snapshot = Report(metrics).run(
        *(Dataset.from_pandas(frame, data_definition=definition) for frame in frames)
    )
    evidently_scores = {
        metric["config"]["column"]: metric["value"] for metric in snapshot.dict()["metrics"]
    }
    assert len(evidently_scores) == len(checked) == len(FEATURES) + 1
    for row in checked:
        assert row.drift_score == pytest.approx(evidently_scores[row.column], rel=1e-9), row.column


def test_the_report_shows_the_score_and_the_most_drifted_features(tmp_path: Path) -> None:
    reference = customer_frame(1_000, seed=1)
    current = customer_frame(1_000, seed=2, recency_shift=30.0)
    wide = {
        f"noise_{index}": np.random.default_rng(index).normal(size=1_000) for index in range(20)
    }
    reference, current = (frame.assign(**wide) for frame in (reference, current))
    path = tmp_path / "report.html"

    result = check_churn_drift(reference, current, columns=[*FEATURES, *wide], report_path=path)

    rows = [*result.columns, *([result.score] if result.score else [])]
    shown = report_columns(rows, REPORT_COLUMNS)
    assert len(result.columns) > REPORT_COLUMNS
    assert shown[:2] == ["score", IMPORTANT]  # the score, then the furthest past its threshold
    assert len(shown) == REPORT_COLUMNS + 1
    text = path.read_text(encoding="utf-8")
    left_out = sorted((set(FEATURES) | set(wide)) - set(shown))
    assert IMPORTANT in text
    assert not [column for column in left_out if f"Drift in column '{column}'" in text]
    assert [column for column in shown if f"Drift in column '{column}'" in text] == shown


def test_results_are_stored_and_read_back(warehouse_settings: Settings) -> None:
    result = check_recency_drift(model_version="v7")

    written = write_drift_results(warehouse_settings, result, run_id="run-a")
    write_drift_results(warehouse_settings, result, run_id="run-b")

    stored = read_frame(
        warehouse_settings,
        "select * from ml.drift_results where run_id = 'run-a' order by column_role, column_name",
    )
    assert written == len(FEATURES) + 1 == len(stored)
    assert read_frame(warehouse_settings, "select count(*) as n from ml.drift_results")["n"][0] == (
        2 * written
    )
    score_row = stored[stored["column_role"] == "score"].iloc[0]
    assert score_row["column_name"] == "score"
    assert bool(score_row["is_drifted"]) and bool(score_row["dataset_drifted"])
    drifted = set(stored.loc[stored["is_drifted"].astype(bool), "column_name"])
    assert drifted == {IMPORTANT, "score"}
    assert set(stored["model_version"]) == {"v7"}
    by_column = {row.column: row.drift_score for row in result.columns}
    assert stored.set_index("column_name").loc[IMPORTANT, "drift_score"] == pytest.approx(
        by_column[IMPORTANT]
    )


def test_only_the_newest_reports_are_kept(tmp_path: Path) -> None:
    import os

    for age, name in enumerate(["newest", "middle", "oldest"]):
        report = tmp_path / f"{name}.html"
        report.write_text("<html></html>")
        os.utime(report, (1_000_000 - age, 1_000_000 - age))

    removed = prune_reports(tmp_path, keep=2)

    assert removed == [tmp_path / "oldest.html"]
    assert sorted(path.name for path in tmp_path.iterdir()) == ["middle.html", "newest.html"]
