"""The backtest's screen table, JSON document and grid table, including untrained models."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ciw.backtest import BacktestResult, Champion
from ciw.backtest_grid import GridCell, grid_markdown, months_before
from ciw.backtest_report import result_document, screen_table, write_outputs
from ml.backtest import BASELINE, CEILING, PROJECT, BacktestError, HoldoutWindow, holdout_metrics
from warehouse.settings import Settings

REASON = (
    "only 0 rows to fit on before the calibration slice from 2026-07-10: need more as-of "
    "dates of history"
)


def _result() -> tuple[BacktestResult, pd.DataFrame, dict[str, pd.DataFrame]]:
    rng = np.random.default_rng(5)
    index = pd.Index(range(200), name="customer_id")
    truth = pd.DataFrame(
        {"churned": rng.random(200) < 0.6, "revenue": rng.gamma(1.0, 50.0, 200)}, index=index
    )
    truth.loc[truth["churned"], "revenue"] = 0.0
    baseline = pd.DataFrame(
        {"churn_probability": rng.random(200), "predicted_revenue": rng.gamma(1.0, 40.0, 200)},
        index=index,
    )
    nobody = pd.DataFrame(index=index, columns=list(baseline.columns), dtype=float)
    result = BacktestResult(
        HoldoutWindow(dt.date(2026, 7, 31), dt.date(2026, 10, 31)), "DuckDB file x", "exports"
    )
    result.customers = len(truth)
    result.metrics = {
        PROJECT: holdout_metrics(truth, nobody),
        BASELINE: holdout_metrics(truth, baseline),
    }
    result.champions = [
        Champion("customer_churn", None, None, REASON),
        Champion("customer_clv", "5e7fa3015cd0", "lightgbm"),
    ]
    return result, truth, {PROJECT: nobody, BASELINE: baseline}


def test_the_screen_table_fits_80_columns_and_says_why_a_model_is_missing() -> None:
    result, _, _ = _result()
    table = screen_table(result)
    assert all(len(line) <= 80 for line in table.splitlines())
    assert "ROC-AUC" in table and "total error" in table
    assert "not trained: only 0 rows to fit on" in table
    assert "lightgbm 5e7fa301" in table
    scored = [line for line in table.splitlines() if "customers scored" in line]
    assert scored and all(line.split()[-2:] == ["0.0%", "100.0%"] for line in scored)


def test_the_ceiling_is_a_third_column_and_in_the_json(tmp_path: Path) -> None:
    result, truth, scores = _result()
    ceiling = scores[BASELINE].assign(churn_probability=truth["churned"].astype(float) * 0.9)
    result.metrics[CEILING] = holdout_metrics(truth, ceiling)

    table = screen_table(result)
    document = result_document(result, None)

    assert all(len(line) <= 80 for line in table.splitlines())
    header = next(line for line in table.splitlines() if "BG/NBD + GG" in line)
    assert header.split()[-1] == "ceiling"
    auc = next(line for line in table.splitlines() if "ROC-AUC" in line)
    assert auc.split()[-1] == "1.0000"  # the ceiling's scores separate the classes
    assert "cross-fitted on this holdout's own outcomes" in table
    assert document["metrics"][CEILING]["churn"]["roc_auc"] == 1.0


def test_outputs_without_project_scores_still_hold_the_baseline(tmp_path: Path) -> None:
    result, truth, scores = _result()
    path = write_outputs(result, truth, scores, tmp_path, None)
    document = json.loads(path.read_text())
    assert document == json.loads(json.dumps(result_document(result, None)))
    assert document["metrics"][PROJECT]["churn"]["roc_auc"] is None
    assert document["metrics"][BASELINE]["churn"]["roc_auc"] is not None
    assert document["champions"]["customer_churn"] == {
        "status": "not trained",
        "version": None,
        "estimator": None,
        "reason": REASON,
    }
    assert document["as_of_date"] == "2026-08-01" and document["horizon_days"] == 92
    for name in ("churn_lift", "churn_calibration", "revenue_predicted_vs_actual"):
        assert (tmp_path / f"{name}.png").read_bytes()[:4] == b"\x89PNG"


def test_the_grid_table_lists_untrained_models_with_their_reason() -> None:
    result, _, _ = _result()
    table = grid_markdown(
        [GridCell(3, 90, result, 12.0), GridCell(6, 90, None, 3.0, "boom")], 2_000
    )
    assert "| 3 months | 90 days | 0% / 0% | - vs " in table
    assert "not trained [1]; lightgbm 5e7fa301" in table
    assert f"[1] {REASON}" in table
    assert "| 6 months | 90 days | error: boom |" in table
    assert months_before(dt.date(2026, 5, 31), 3) == dt.date(2026, 2, 28)


def test_grid_lists_parse_comma_separated_positive_numbers() -> None:
    import click
    import pytest

    from ciw.backtest_cli import positive_ints

    assert positive_ints(None, None, "9,12, 15") == (9, 12, 15)
    assert positive_ints(None, None, None) is None
    for bad in ("", "9,x", "0,12", "-3"):
        with pytest.raises(click.BadParameter, match="positive whole numbers"):
            positive_ints(None, None, bad)


@pytest.mark.parametrize("target", ["duckdb", "postgres", "spark"])
def test_the_backtest_warehouse_is_never_the_users(target: str, tmp_path: Path) -> None:
    """reset_warehouse drops what backtest_settings names: on every target it must be a
    warehouse of the backtest's own (on Spark it once named the user's tables' folder)."""
    from ciw.backtest import BACKTEST_DATABASE, backtest_settings

    mine = Settings(
        target=target,  # type: ignore[arg-type]
        duckdb_path=tmp_path / "mine" / "warehouse.duckdb",
        pg_database="ciw",
        spark_warehouse_dir=tmp_path / "mine" / "spark" / "warehouse",
        spark_metastore_url="jdbc:postgresql://metastore/hive",
    )
    window = HoldoutWindow(dt.date(2026, 7, 31), dt.date(2026, 10, 31))

    chosen = backtest_settings(mine, window, tmp_path / "backtests")

    own = tmp_path / "backtests" / "2026-07-31"
    assert chosen.target == target and chosen.describe() != mine.describe()
    assert chosen.artifacts_dir == own / "artifacts"
    if target == "duckdb":
        assert chosen.duckdb_path == own / "warehouse.duckdb"
    elif target == "spark":
        assert own in chosen.spark_warehouse_dir.parents
        assert chosen.spark_metastore_url == ""  # its own Derby metastore beside its tables
        assert own in chosen.spark_derby_dir.parents
    else:
        assert chosen.pg_database == BACKTEST_DATABASE


def test_a_backtest_refuses_the_users_own_file(tmp_path: Path) -> None:
    from ciw.backtest import backtest_settings

    window = HoldoutWindow(dt.date(2026, 7, 31), dt.date(2026, 10, 31))
    mine = Settings(duckdb_path=tmp_path / "2026-07-31" / "warehouse.duckdb")
    with pytest.raises(BacktestError, match="would be yours"):
        backtest_settings(mine, window, tmp_path)
