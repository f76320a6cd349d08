"""The model registry on real DuckDB and PostgreSQL with small real scikit-learn models."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ml.registry import ModelRegistry, RegistryError
from tests.ml.registry_candidates import (
    FEATURES,
    against_rule,
    make_candidate,
    training_frame,
)
from warehouse import read_frame
from warehouse.settings import Settings


def registry_for(settings: Settings, tmp_path: Path) -> ModelRegistry:
    return ModelRegistry(replace(settings, artifacts_root=tmp_path / "artifacts"))


def test_first_version_is_champion_with_its_artifacts_and_row(
    warehouse_settings: Settings, tmp_path: Path, plot: bytes
) -> None:
    registry = registry_for(warehouse_settings, tmp_path)
    frame = training_frame()
    candidate = make_candidate(frame, plot)

    version, became_champion = registry.register(candidate)

    assert became_champion and version.status == "champion" and version.promoted_at is not None
    assert version.artifact_dir == tmp_path / "artifacts" / "registry" / "customer_churn" / (
        version.version
    )
    files = {
        path.relative_to(version.artifact_dir).as_posix()
        for path in version.artifact_dir.rglob("*")
    }
    assert {"model.pkl", "metrics.json", "metadata.json", "reference.parquet"} <= files
    assert (version.artifact_dir / "plots" / "roc.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    loaded = registry.load_model(version)
    np.testing.assert_allclose(
        loaded.predict_proba(frame[FEATURES]), candidate.model.predict_proba(frame[FEATURES])
    )
    pd.testing.assert_frame_equal(registry.reference(version), candidate.reference)
    assert version.training_window == candidate.training_window
    assert version.features == FEATURES and version.params == candidate.params
    assert version.primary_metric == "roc_auc" and version.primary_metric_value == 0.75
    assert version.baseline_metric_value == 0.6

    listed = read_frame(
        registry.settings,
        "select model_name, version, status, data_fingerprint, primary_metric_value, "
        "baseline_metric_value, training_start, artifact_dir from ml.model_registry",
    )
    listed["training_start"] = pd.to_datetime(listed["training_start"]).dt.date
    assert listed.to_dict("records") == [
        {
            "model_name": "customer_churn",
            "version": version.version,
            "status": "champion",
            "data_fingerprint": candidate.data_fingerprint,
            "primary_metric_value": 0.75,
            "baseline_metric_value": 0.6,
            "training_start": date(2025, 1, 1),
            "artifact_dir": str(version.artifact_dir.resolve()),
        }
    ]


def test_same_data_and_seed_give_the_same_version_once(
    warehouse_settings: Settings, tmp_path: Path, plot: bytes
) -> None:
    registry = registry_for(warehouse_settings, tmp_path)
    frame = training_frame()
    first, _ = registry.register(make_candidate(frame, plot))
    reordered = frame.sample(frac=1.0, random_state=1).reset_index(drop=True)

    again, became_champion = registry.register(make_candidate(reordered, plot, metric=0.9))
    other_seed, _ = registry.register(make_candidate(frame, plot, seed=7))

    assert again.version == first.version and not became_champion
    assert again.primary_metric_value == 0.75  # the stored version, not the new metrics
    assert other_seed.version != first.version
    assert sorted(v.version for v in registry.versions("customer_churn")) == sorted(
        [first.version, other_seed.version]
    )


@pytest.mark.parametrize(
    ("model_name", "champion_metric", "worse", "better"),
    [("customer_churn", 0.75, 0.70, 0.80), ("customer_clv", 50.0, 55.0, 45.0)],
)
def test_challenger_replaces_champion_only_when_better_on_holdout(
    warehouse_settings: Settings,
    tmp_path: Path,
    plot: bytes,
    model_name: str,
    champion_metric: float,
    worse: float,
    better: float,
) -> None:
    registry = registry_for(warehouse_settings, tmp_path)
    frame = training_frame()
    first, _ = registry.register(
        make_candidate(frame, plot, model_name=model_name, metric=champion_metric)
    )

    loser, loser_won = registry.register(
        make_candidate(frame, plot, model_name=model_name, metric=worse, c=0.5)
    )
    winner, winner_won = registry.register(
        make_candidate(frame, plot, model_name=model_name, metric=better, c=0.1)
    )

    assert not loser_won and loser.status == "challenger"
    assert winner_won and winner.status == "champion"
    statuses = {v.version: v.status for v in registry.versions(model_name)}
    assert statuses == {
        first.version: "retired",
        loser.version: "challenger",
        winner.version: "champion",
    }
    champion = registry.champion(model_name)
    assert champion is not None and champion.version == winner.version


def test_a_candidate_that_loses_to_its_rule_is_kept_from_the_champion(
    warehouse_settings: Settings, tmp_path: Path, plot: bytes
) -> None:
    registry = registry_for(warehouse_settings, tmp_path)
    frame = training_frame()
    loser = against_rule(
        make_candidate(frame, plot, model_name="account_churn", metric=0.7), rule_metric=0.72
    )

    version, crowned = registry.register(loser)

    assert not crowned and version.status == "challenger" and version.note
    assert registry.champion("account_churn") is None  # scoring serves the rule instead
    [listed] = registry.versions("account_churn")
    assert listed.note.startswith("not champion: holdout roc_auc 0.7 does not beat")
    metadata = json.loads((version.artifact_dir / "metadata.json").read_text())
    assert metadata["not_champion_reason"] == listed.note
    events = registry.history("account_churn")
    assert [(event["event"], event["reason"]) for event in events] == [("registered", listed.note)]

    winner = against_rule(
        make_candidate(frame, plot, model_name="account_churn", metric=0.8, c=0.5),
        rule_metric=0.72,
    )
    version, crowned = registry.register(winner)
    assert crowned and version.status == "champion" and version.note == ""


def test_promote_and_rollback_walk_the_champion_history(
    warehouse_settings: Settings, tmp_path: Path, plot: bytes
) -> None:
    registry = registry_for(warehouse_settings, tmp_path)
    frame = training_frame()
    a, _ = registry.register(make_candidate(frame, plot, metric=0.70, c=1.0))
    b, _ = registry.register(make_candidate(frame, plot, metric=0.80, c=0.5))
    c, _ = registry.register(make_candidate(frame, plot, metric=0.60, c=0.1))

    promoted = registry.promote("customer_churn", c.version[:6])
    assert promoted.version == c.version and promoted.status == "champion"
    assert registry.promote("customer_churn", c.version).version == c.version  # no-op

    assert registry.rollback("customer_churn").version == b.version
    assert registry.rollback("customer_churn").version == a.version
    with pytest.raises(RegistryError, match="no previous champion"):
        registry.rollback("customer_churn")

    statuses = {v.version: v.status for v in registry.versions("customer_churn")}
    assert statuses == {a.version: "champion", b.version: "retired", c.version: "retired"}
    events = [(row["event"], row["version"]) for row in registry.history("customer_churn")]
    assert events.count(("rolled_back", c.version)) == 1
    assert events.count(("restored", a.version)) == 1


def test_clear_errors_for_impossible_requests(
    duckdb_settings: Settings, tmp_path: Path, plot: bytes
) -> None:
    registry = registry_for(duckdb_settings, tmp_path)
    with pytest.raises(RegistryError, match="has no champion to roll back"):
        registry.rollback("deal_risk")
    with pytest.raises(RegistryError, match="unknown model 'churn'"):
        registry.versions("churn")
    frame = training_frame()
    with pytest.raises(RegistryError, match="lack the primary metric 'roc_auc'"):
        registry.register(replace(make_candidate(frame, plot), metrics={"brier": 0.2}))
    with pytest.raises(RegistryError, match="starts after it ends"):
        registry.register(
            replace(
                make_candidate(frame, plot), training_window=(date(2026, 2, 1), date(2026, 1, 1))
            )
        )
    version, _ = registry.register(make_candidate(frame, plot))
    with pytest.raises(RegistryError, match="has no version 'zzz'"):
        registry.promote("customer_churn", "zzz")
    (version.artifact_dir / "model.pkl").write_bytes(b"tampered")
    with pytest.raises(RegistryError, match="does not match its registered checksum"):
        registry.load_model(version)


def test_champion_remeasured_on_the_new_holdout_is_the_bar(
    duckdb_settings: Settings, tmp_path: Path, plot: bytes
) -> None:
    registry = registry_for(duckdb_settings, tmp_path)
    frame = training_frame()
    first, _ = registry.register(make_candidate(frame, plot, metric=0.70))

    # Beats the champion's recorded 0.70, but not the champion re-scored on these rows (0.85).
    held, held_won = registry.register(
        make_candidate(frame, plot, metric=0.80, c=0.5), champion_metric=0.85
    )
    # Below the recorded 0.70, yet above the champion re-scored on its holdout (0.65).
    crowned, crowned_won = registry.register(
        make_candidate(frame, plot, metric=0.68, c=0.1), champion_metric=0.65
    )

    assert not held_won and held.status == "challenger"
    assert crowned_won and crowned.status == "champion"
    reasons = [row["reason"] for row in registry.history("customer_churn")]
    assert f"holdout roc_auc 0.68 beats 0.65 of {first.version}" in reasons


def test_a_version_without_its_artifacts_cannot_become_champion(
    duckdb_settings: Settings, tmp_path: Path, plot: bytes
) -> None:
    import shutil

    registry = registry_for(duckdb_settings, tmp_path)
    frame = training_frame()
    first, _ = registry.register(make_candidate(frame, plot, metric=0.80))
    second, _ = registry.register(make_candidate(frame, plot, metric=0.70, c=0.5))
    shutil.rmtree(second.artifact_dir)

    with pytest.raises(RegistryError, match="are missing at"):
        registry.promote("customer_churn", second.version)
    champion = registry.champion("customer_churn")
    assert champion is not None and champion.version == first.version


def test_an_unpicklable_model_is_refused_before_anything_is_listed(
    duckdb_settings: Settings, tmp_path: Path, plot: bytes
) -> None:
    registry = registry_for(duckdb_settings, tmp_path)
    candidate = replace(make_candidate(training_frame(), plot), model=lambda frame: frame)

    with pytest.raises(RegistryError, match="cannot be pickled"):
        registry.register(candidate)
    assert registry.versions() == []
    assert not any((tmp_path / "artifacts" / "registry" / "customer_churn").glob("*/model.pkl"))


@pytest.mark.postgres
def test_concurrent_registrations_crown_exactly_the_best(
    postgres_settings: Settings, tmp_path: Path, plot: bytes
) -> None:
    """Several writers on a fresh database: the tables are created once, writers take turns.

    Whatever order they run in, the best candidate ends up the one champion. (Without the
    advisory lock the concurrent ``create schema`` fails here every time.)
    """
    from concurrent.futures import ThreadPoolExecutor

    frame = training_frame()
    metrics = [0.71, 0.83, 0.64, 0.77]
    candidates = [
        make_candidate(frame, plot, metric=metric, c=1.0 / (i + 1))
        for i, metric in enumerate(metrics)
    ]
    registry = registry_for(postgres_settings, tmp_path)

    with ThreadPoolExecutor(max_workers=len(candidates)) as pool:
        registered = list(pool.map(lambda candidate: registry.register(candidate)[0], candidates))

    statuses = [v.status for v in registry.versions("customer_churn")]
    champion = registry.champion("customer_churn")
    assert statuses.count("champion") == 1 and len(statuses) == len(metrics)
    assert champion is not None and champion.version == registered[1].version
