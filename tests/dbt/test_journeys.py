"""Journeys, intent and predictions on DuckDB and PostgreSQL from a small generated export:
the JSON text columns parse, the timeline is the latest touchpoints in order, a stage history
gives previous stages, the top intent score equals the documented formula recomputed in
Python from the signals, and each prediction's first recommendation is the next best action."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

import pytest

from ciw.cli import main
from ml.scoring import predictions_statements
from sources.load import load_directory
from warehouse import adapter_for, read_frame
from warehouse.dbt import run_dbt
from warehouse.settings import Settings

pytestmark = pytest.mark.slow

AS_OF = date(2026, 12, 1)
SELECTION = "+customer_predictions +int_alert_candidates_product_intent"
WEIGHTS = {"product_view": 10, "cart_add": 30, "search": 15}
HALF_LIFE_DAYS = 7
LOOKBACK_DAYS = 30


def _build(settings: Settings, tmp_path: Path) -> None:
    exports = tmp_path / "exports"
    generate = ["generate", "--customers", "80", "--seed", "11", "--end-date", "2026-11-30"]
    assert main([*generate, "--dirty-share", "0", "--out", str(exports)]) == 0
    load_directory(exports, settings)
    with adapter_for(settings).session() as session:
        session.ensure_schema("ml")
        for statement in predictions_statements(settings):
            session.execute(statement)
    run_dbt(
        [
            "build",
            "--select",
            SELECTION,
            "--indirect-selection",
            "cautious",
            "--vars",
            f"{{as_of_date: '{AS_OF}'}}",
        ],
        settings,
        target_path=tmp_path / "target",
        echo=False,
    )


def _expected_intent(settings: Settings, customer_id: int, category: str) -> float:
    run_start = datetime.combine(AS_OF, datetime.min.time())
    signals = read_frame(
        settings,
        "select signal_type, occurred_at from intermediate.int_customer_intent_signals"
        f" where customer_id = {customer_id} and product_category = '{category}'",
    )
    bought = read_frame(
        settings,
        "select max(orders.ordered_at) as last_at from intermediate.int_commerce_orders as orders"
        " inner join staging.stg_commerce__order_items as items on items.order_id = orders.order_id"
        f" where orders.customer_id = {customer_id} and items.product_category = '{category}'"
        f" and orders.ordered_at < '{run_start}'",
    )["last_at"].iloc[0]
    total = 0.0
    for signal_type, occurred_at in signals.itertuples(index=False):
        at = occurred_at.to_pydatetime() if hasattr(occurred_at, "to_pydatetime") else occurred_at
        age_days = (run_start - at).total_seconds() / 86400
        if not 0 < age_days <= LOOKBACK_DAYS or (
            bought is not None and bought == bought and at <= bought
        ):
            continue
        total += WEIGHTS[signal_type] * 0.5 ** (age_days / HALF_LIFE_DAYS)
    return round(min(total, 100.0), 1)


def test_journey_intent_and_predictions(warehouse_settings: Settings, tmp_path: Path) -> None:
    settings = warehouse_settings
    _build(settings, tmp_path)

    journey = read_frame(
        settings,
        "select customer_id, journey_stage, previous_stage, next_best_action, touchpoint_count,"
        " touchpoints, category_affinity from marts.customer_journey",
    )
    assert len(journey) > 50
    assert journey["previous_stage"].notna().any()
    assert (journey["previous_stage"] != journey["journey_stage"]).all()
    for row in journey.itertuples():
        timeline = json.loads(row.touchpoints)
        assert len(timeline) == min(row.touchpoint_count, 20)
        assert [point["at"] for point in timeline] == sorted(point["at"] for point in timeline)
        assert all(point["at"] < str(AS_OF) for point in timeline)
        affinity = json.loads(row.category_affinity)
        if affinity:
            assert sum(item["share"] for item in affinity) == pytest.approx(1.0, abs=0.01)

    intent = read_frame(
        settings,
        "select customer_id, item_key, intent_score from marts.customer_product_intent"
        " where intent_level = 'category' order by intent_score desc, customer_id limit 3",
    )
    assert not intent.empty
    for row in intent.itertuples():
        expected = _expected_intent(settings, int(row.customer_id), row.item_key)
        assert float(row.intent_score) == pytest.approx(expected, abs=0.11)

    predictions = read_frame(
        settings,
        "select predictions.recommendations, journey.next_best_action"
        " from marts.customer_predictions as predictions"
        " inner join marts.customer_journey as journey"
        " on predictions.customer_id = journey.customer_id",
    )
    assert len(predictions) == len(journey)
    for row in predictions.itertuples():
        recommendations = json.loads(row.recommendations)
        assert recommendations[0]["action"] == row.next_best_action
        assert len({item["action"] for item in recommendations}) == len(recommendations)
