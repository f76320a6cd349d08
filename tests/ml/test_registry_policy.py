"""The registry's pure parts: fingerprints, version ids and the promotion policy."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from ml.contracts import MODEL_SPECS
from ml.registry import (
    ModelVersion,
    champion_stack,
    data_fingerprint,
    is_better,
    rule_gate,
    version_id,
)
from ml.registry.policy import crowning_reason
from tests.ml.registry_candidates import FEATURES, against_rule, make_candidate, training_frame


def test_fingerprint_ignores_row_and_column_order_but_sees_any_change() -> None:
    frame = training_frame()
    shuffled = frame.sample(frac=1.0, random_state=3)[list(reversed(frame.columns))]
    changed = frame.copy()
    changed.loc[5, "order_count"] += 1

    assert data_fingerprint(shuffled) == data_fingerprint(frame)
    assert data_fingerprint(changed) != data_fingerprint(frame)
    assert data_fingerprint(frame.iloc[:-1]) != data_fingerprint(frame)
    assert data_fingerprint(frame.rename(columns={"order_count": "orders"})) != data_fingerprint(
        frame
    )


def test_version_id_depends_on_each_input_and_nothing_else() -> None:
    base = version_id("customer_churn", "abc", {"C": 1.0, "depth": 3}, 42, FEATURES)
    assert base == version_id("customer_churn", "abc", {"depth": 3, "C": 1.0}, 42, FEATURES)
    others = {
        version_id("customer_clv", "abc", {"C": 1.0, "depth": 3}, 42, FEATURES),
        version_id("customer_churn", "abd", {"C": 1.0, "depth": 3}, 42, FEATURES),
        version_id("customer_churn", "abc", {"C": 2.0, "depth": 3}, 42, FEATURES),
        version_id("customer_churn", "abc", {"C": 1.0, "depth": 3}, 7, FEATURES),
        version_id("customer_churn", "abc", {"C": 1.0, "depth": 3}, 42, FEATURES[:1]),
    }
    assert base not in others and len(others) == 5


@pytest.mark.parametrize(
    ("candidate", "champion", "higher", "expected"),
    [
        (0.8, 0.7, True, True),
        (0.7, 0.7, True, False),
        (0.6, 0.7, True, False),
        (10.0, 12.0, False, True),
        (12.0, 10.0, False, False),
        (math.nan, 0.7, True, False),
        (None, 0.7, True, False),
        (0.5, None, True, True),
    ],
)
def test_is_better_follows_the_metric_direction(
    candidate: float | None, champion: float | None, higher: bool, expected: bool
) -> None:
    assert is_better(candidate, champion, higher_is_better=higher) is expected


def test_champion_stack_pops_on_rollback() -> None:
    events = [
        ("registered", "a"),
        ("promoted", "a"),
        ("promoted", "b"),
        ("promoted", "c"),
        ("rolled_back", "c"),
        ("retired", "b"),
    ]
    assert champion_stack(events) == ["a", "b"]


def test_rule_gate_only_stops_candidates_that_lose_to_a_rule(plot: bytes) -> None:
    spec = MODEL_SPECS["account_churn"]
    candidate = make_candidate(training_frame(), plot, model_name="account_churn", metric=0.7)
    assert rule_gate(candidate, spec) is None  # a BTYD or base-rate baseline never blocks
    assert rule_gate(against_rule(candidate, 0.65), spec) is None
    reason = rule_gate(against_rule(candidate, 0.7), spec)  # a tie does not beat the rule
    assert reason == "not champion: holdout roc_auc 0.7 does not beat rule:account_health 0.7"
    clv = MODEL_SPECS["customer_clv"]
    regressor = replace(
        candidate,
        model_name="customer_clv",
        metrics={"mae": 90.0},
        baseline_name="rule:trailing_revenue",
        baseline_metrics={"mae": 80.0},
    )
    assert rule_gate(regressor, clv) is not None  # lower MAE is better: 90 loses to 80
    assert rule_gate(replace(regressor, metrics={"mae": 70.0}), clv) is None


def _champion(value: float | None) -> ModelVersion:
    return ModelVersion(
        model_name="customer_churn",
        version="abc123def456",
        status="champion",
        created_at=datetime(2026, 6, 1, tzinfo=UTC),
        promoted_at=datetime(2026, 6, 1, tzinfo=UTC),
        training_window=(date(2025, 1, 1), date(2026, 3, 1)),
        holdout_window=(date(2026, 3, 15), date(2026, 6, 1)),
        data_fingerprint="f",
        features=list(FEATURES),
        params={},
        seed=42,
        metrics={"roc_auc": math.nan if value is None else value},
        baseline_metrics={},
        baseline_name="bgnbd_gamma_gamma",
        primary_metric="roc_auc",
        primary_metric_value=value,
        baseline_metric_value=None,
        train_rows=1,
        holdout_rows=1,
        artifact_dir=Path("nowhere"),
    )


def test_crowning_reason_names_why_a_version_becomes_champion_or_none() -> None:
    spec = MODEL_SPECS["customer_churn"]

    def reason(
        value: float,
        champion: ModelVersion | None,
        *,
        champion_metric: float | None = None,
        gate: str | None = None,
        may_crown: bool = True,
    ) -> str | None:
        return crowning_reason(
            spec,
            value,
            champion,
            champion_metric=champion_metric,
            gate=gate,
            may_crown=may_crown,
        )

    assert reason(0.6, None) == "first version"
    assert reason(0.8, _champion(0.7)) == "holdout roc_auc 0.8 beats 0.7 of abc123def456"
    assert reason(0.7, _champion(0.7)) is None  # a tie keeps the champion
    # Re-measured on the candidate's own holdout, the champion sets the bar instead.
    assert reason(0.72, _champion(0.7), champion_metric=0.75) is None
    assert reason(0.8, _champion(None)) == "holdout roc_auc 0.8 beats n/a of abc123def456"
    assert reason(0.9, None, gate="not champion: loses to its rule") is None
    assert reason(0.9, None, may_crown=False) is None
