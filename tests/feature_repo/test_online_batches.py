"""Scores reach the online store in bounded batches, every row of every batch."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

import feature_repo.store
from feature_repo.config import FeastOptions, repo_config
from feature_repo.store import FeatureStoreGateway
from tests.feature_repo.test_online import scores
from warehouse.settings import Settings


def test_scores_are_written_in_batches_and_all_arrive(
    toy_gateway: FeatureStoreGateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(feature_repo.store, "ONLINE_WRITE_BATCH_ROWS", 2)
    writes: list[int] = []
    write = toy_gateway.store.write_to_online_store

    def counted(view: str, frame: object) -> None:
        writes.append(len(frame))  # type: ignore[arg-type]
        write(view, frame)  # the real write

    monkeypatch.setattr(toy_gateway.store, "write_to_online_store", counted)
    toy_gateway.materialize(datetime(2026, 2, 10, tzinfo=UTC))
    toy_gateway.push_scores(
        scores(*[(customer, customer / 10, "2026-02-10 06:00") for customer in range(1, 6)])
    )
    assert writes == [2, 2, 1]
    for customer in range(1, 6):
        profile = toy_gateway.customer_profile(customer)
        assert profile["churn_probability"] == pytest.approx(customer / 10)


@pytest.mark.parametrize(
    ("target", "online_store"),
    [("duckdb", "default"), ("postgres", "default"), ("postgres", "redis")],
)
def test_every_environment_materializes_in_the_same_bounded_batches(
    target: str, online_store: str, tmp_path: Path
) -> None:
    """Feast converts a whole view to protobuf rows before writing unless the environment
    sets a batch size: one batch held 12 GiB at 1M customers."""
    settings = Settings(target=target, duckdb_path=tmp_path / "w.duckdb")  # type: ignore[arg-type]
    config = repo_config(settings, FeastOptions(online_store=online_store))  # type: ignore[arg-type]
    batch = config.materialization_config.online_write_batch_size
    assert batch == feature_repo.store.ONLINE_WRITE_BATCH_ROWS
