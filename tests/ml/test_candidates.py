"""The BTYD candidates beside the supervised model: the in-data backtest when no label can
mature, the selection rule, and train_and_register end to end on a warehouse of each kind."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest

from ml.candidates import BASELINE_NAME, backtest_date, choose, in_data_backtest
from ml.contracts import MODEL_SPECS
from ml.registry import ModelRegistry
from ml.selection import read_last_training, train_and_register
from ml.training import TrainingResult
from tests.ml.conftest import DATA_END, order_cross_sections, simulate_orders
from warehouse.settings import Settings

CHURN = MODEL_SPECS["customer_churn"]
CLV = MODEL_SPECS["customer_clv"]


def test_backtest_date_holds_out_at_most_half_the_history() -> None:
    as_of = date(2026, 11, 22)
    counts = {as_of - timedelta(days=14 * k): 100 for k in range(1, 12)}
    counts[as_of - timedelta(days=14)] = 5  # too few customers to judge on
    assert backtest_date(counts, as_of, history_days=150, horizon_days=270) == as_of - timedelta(
        days=70
    )
    assert backtest_date(counts, as_of, history_days=600, horizon_days=30) == as_of - timedelta(
        days=28
    )
    assert backtest_date({as_of: 100}, as_of, 150, 90) is None


def test_in_data_backtest_reads_outcomes_from_lifetime_counts() -> None:
    early, late = date(2026, 9, 1), date(2026, 11, 1)
    sections = pd.DataFrame(
        {
            "customer_id": [1, 2, 3, 1, 2, 3, 4],
            "as_of_date": [early] * 3 + [late] * 4,
            "frequency": [1, 3, 2, 1, 5, 2, 1],
            "monetary": [10.0, 30.0, 20.0, 10.0, 55.5, 20.0, 7.0],
        }
    )
    churn = in_data_backtest(CHURN, sections, late, early)
    assert churn.horizon_days == 61 and churn.method == "in_data_backtest"
    assert churn.frame["customer_id"].tolist() == [1, 2, 3]  # customer 4 arrived later
    assert churn.target.tolist() == [1.0, 0.0, 1.0]
    revenue = in_data_backtest(CLV, sections, late, early)
    assert revenue.target.tolist() == pytest.approx([0.0, 25.5, 0.0])


def _result(name: str, **metrics: float) -> TrainingResult:
    return TrainingResult(
        model=None,  # type: ignore[arg-type]
        metrics=metrics,
        baseline_metrics={},
        baseline_name=BASELINE_NAME,
        plots={},
        features=["x"],
        params={"champion": name},
        training_window=(DATA_END, DATA_END),
        holdout_window=(DATA_END, DATA_END),
        train_rows=1,
        holdout_rows=1,
        reference=pd.DataFrame(),
    )


def test_lightgbm_takes_over_only_when_better_and_as_well_calibrated() -> None:
    bgnbd = _result("bgnbd_gamma_gamma", roc_auc=0.74, brier=0.20)
    mbgnbd = _result("mbgnbd_gamma_gamma", roc_auc=0.76, brier=0.19)
    sharper = _result("lightgbm", roc_auc=0.80, brier=0.25)
    better = _result("lightgbm", roc_auc=0.80, brier=0.18)
    worse = _result("lightgbm", roc_auc=0.75, brier=0.15)
    assert choose(CHURN, None, [bgnbd, mbgnbd])[0] is mbgnbd
    chosen, why = choose(CHURN, sharper, [bgnbd, mbgnbd])
    assert chosen is mbgnbd and "Brier" in why
    assert choose(CHURN, worse, [bgnbd, mbgnbd])[0] is mbgnbd
    assert choose(CHURN, better, [bgnbd, mbgnbd])[0] is better
    assert choose(CHURN, better, [])[0] is better
    off = _result("lightgbm", mae=10.0, total_revenue_error=0.3)
    btyd = _result("bgnbd_gamma_gamma", mae=12.0, total_revenue_error=-0.05)
    chosen, why = choose(CLV, off, [btyd])
    assert chosen is btyd and "total revenue" in why


def _write_table(settings: Settings, table: str, frame: pd.DataFrame) -> None:
    schema = table.split(".")[0]
    if settings.target == "duckdb":
        from warehouse.connections import connect_duckdb

        with connect_duckdb(settings) as duck:
            duck.execute(f"create schema if not exists {schema}")
            duck.register("incoming", frame)
            duck.execute(f"create or replace table {table} as select * from incoming")
        return
    from warehouse.connections import connect_postgres

    types = {
        "i": "bigint",
        "f": "double precision",
        "b": "boolean",
        "M": "timestamp",
    }
    columns = ", ".join(
        f"{name} {types.get(frame[name].dtype.kind, 'date' if name.endswith('_date') else 'text')}"
        for name in frame.columns
    )
    with connect_postgres(settings) as postgres:
        postgres.execute(f"create schema if not exists {schema}")
        postgres.execute(f"drop table if exists {table}")
        postgres.execute(f"create table {table} ({columns})")
        with postgres.cursor() as cursor, cursor.copy(f"copy {table} from stdin") as copy:
            for row in frame.astype(object).where(frame.notna(), None).itertuples(index=False):
                copy.write_row(row)


@pytest.fixture(scope="module")
def short_shop() -> pd.DataFrame:
    """Four months of orders only: no 90-day label can train a model before the holdout."""
    return simulate_orders(customers=600, seed=5, history_days=120)


@pytest.mark.parametrize("spec_name", ["customer_churn", "customer_clv"])
def test_without_matured_labels_btyd_is_trained_registered_and_champion(
    warehouse_settings: Settings, short_shop: pd.DataFrame, spec_name: str
) -> None:
    spec = MODEL_SPECS[spec_name]
    sections = order_cross_sections(short_shop, periods=10)
    sections = sections.drop(columns=["first_order_date", "last_order_date"])
    _write_table(warehouse_settings, "features.customer_order_features", sections)
    registry = ModelRegistry(warehouse_settings)

    outcome = train_and_register(
        warehouse_settings,
        spec,
        None,
        registry,
        as_of=DATA_END,
        missing_labels="customer_churn_labels has no matured label rows",
    )

    assert outcome.trained, outcome.reason
    assert outcome.chosen in ("bgnbd_gamma_gamma", "mbgnbd_gamma_gamma")
    assert outcome.evaluation == "in_data_backtest"
    assert "lightgbm" in outcome.not_trained
    assert set(outcome.candidates) == {"bgnbd_gamma_gamma", "mbgnbd_gamma_gamma"}
    champion = registry.champion(spec.name)
    assert champion is not None and champion.version == outcome.version
    assert champion.params["evaluation_horizon_days"] <= 90
    assert champion.primary_metric_value is not None and np.isfinite(champion.primary_metric_value)
    assert len(registry.versions(spec.name)) == 2
    record = read_last_training(registry.root, spec.name)
    assert record is not None and record["trained"] and record["chosen"] == outcome.chosen
    latest = sections[sections["as_of_date"] == DATA_END]
    model = registry.load_model(champion)
    scores = model.predict(latest)
    assert np.isfinite(scores).all() and len(scores) == latest["customer_id"].nunique()


def test_with_matured_labels_every_candidate_is_judged_on_the_label_holdout(
    duckdb_settings: Settings, shop_orders: pd.DataFrame, churn_frame: pd.DataFrame
) -> None:
    sections = order_cross_sections(shop_orders, periods=2)
    _write_table(
        duckdb_settings,
        "features.customer_order_features",
        sections.drop(columns=["first_order_date", "last_order_date"]),
    )
    registry = ModelRegistry(duckdb_settings)

    outcome = train_and_register(
        duckdb_settings, CHURN, churn_frame, registry, as_of=DATA_END, seed=3
    )

    assert outcome.trained and outcome.evaluation == "label_holdout"
    assert set(outcome.candidates) == {"lightgbm", "bgnbd_gamma_gamma", "mbgnbd_gamma_gamma"}
    versions = {v.params.get("champion"): v for v in registry.versions(CHURN.name)}
    windows = {v.holdout_window for v in versions.values()}
    assert len(windows) == 1  # the same holdout for every candidate
    champion = registry.champion(CHURN.name)
    assert champion is not None and champion.params.get("champion") == outcome.chosen
    # The BG/NBD candidate is the baseline itself on these rows.
    bgnbd = versions["bgnbd_gamma_gamma"]
    assert bgnbd.primary_metric_value == pytest.approx(bgnbd.baseline_metric_value)


def test_no_order_features_means_not_trained_with_every_reason(
    duckdb_settings: Settings,
) -> None:
    empty = pd.DataFrame(
        {"customer_id": pd.Series([], dtype="int64"), "as_of_date": pd.Series([], dtype="object")}
    )
    _write_table(duckdb_settings, "features.customer_order_features", empty)
    registry = ModelRegistry(duckdb_settings)

    outcome = train_and_register(
        duckdb_settings, CHURN, None, registry, as_of=DATA_END, missing_labels="no labels"
    )

    assert not outcome.trained
    assert "lightgbm: no labels" in outcome.reason and "btyd" in outcome.reason
    record = read_last_training(registry.root, CHURN.name)
    assert record is not None and not record["trained"] and "no labels" in record["reason"]
