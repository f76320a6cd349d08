"""The Feast paths against hand-written SQL on the same rows.

Training set: ``FeatureStoreGateway.training_frame`` (the project's join and, for comparison,
Feast's stock join) against one hand-written statement with the same semantics: DuckDB
``ASOF LEFT JOIN`` over the offline Parquet, or on Postgres a ``DISTINCT ON`` join per feature
model after uploading the entity rows (timed). Both honour the TTL. Online: ``customer_profile``
latency per call, in process.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pandas as pd

from feature_repo.config import FeastOptions, OfflineJoin
from feature_repo.data_sources import FEATURES_SCHEMA, offline_parquet_path, quote
from feature_repo.dbt_features import FEATURES_DIR, FeatureModel
from feature_repo.store import AS_OF, FeatureStoreGateway
from ml.contracts import MODEL_SPECS, ModelSpec
from warehouse.settings import Settings, Target


def _best_of(
    runs: int, build: Callable[[pd.DataFrame], pd.DataFrame], rows: pd.DataFrame
) -> tuple[float, pd.DataFrame]:
    """The fastest of ``runs`` timed calls, with its result."""
    best: tuple[float, pd.DataFrame] | None = None
    for _ in range(runs):
        started = time.perf_counter()
        frame = build(rows)
        seconds = time.perf_counter() - started
        if best is None or seconds < best[0]:
            best = (seconds, frame)
    assert best is not None
    return best


def duckdb_asof_sql(models: Sequence[FeatureModel], settings: Settings, ttl: timedelta) -> str:
    """The hand-written training-set join over ``entity_rows`` (DuckDB)."""
    selected = ["entity_rows.*"]
    joins = []
    for index, model in enumerate(models):
        alias = f"f{index}"
        path = str(offline_parquet_path(settings, model.name)).replace("'", "''")
        key = quote(model.entity_column)
        joins.append(
            f"asof left join read_parquet('{path}') as {alias} on entity_rows.{key} = "
            f"{alias}.{key} and entity_rows.feature_ts >= {alias}.{quote(model.timestamp_column)}"
        )
        fresh = (
            f"{alias}.{quote(model.timestamp_column)} >= entity_rows.feature_ts "
            f"- to_seconds({int(ttl.total_seconds())})"
        )
        selected += [
            f"case when {fresh} then {alias}.{quote(name)} end as {quote(name)}"
            for name in model.feature_names
        ]
    return f"select {', '.join(selected)} from entity_rows {' '.join(joins)}"


def postgres_distinct_on_sql(models: Sequence[FeatureModel], ttl: timedelta) -> str:
    """The hand-written training-set join over the temp table ``entity_rows`` (Postgres).

    Per feature model, ``DISTINCT ON`` keeps each entity row's latest feature row within the
    TTL. A ``LATERAL ... limit 1`` reads better but needs an index on (entity, as_of_date)
    that the dbt feature tables do not have; without it each entity row scans the table.
    """
    selected = ["entity_rows.*"]
    joins = []
    for index, model in enumerate(models):
        alias = f"f{index}"
        key = quote(model.entity_column)
        stamp = quote(model.timestamp_column)
        columns = ", ".join(f"feature_rows.{quote(name)}" for name in model.feature_names)
        joins.append(
            f"left join (select distinct on (candidates.row_id) candidates.row_id, {columns} "
            f"from entity_rows as candidates join {quote(FEATURES_SCHEMA)}.{quote(model.name)} "
            f"as feature_rows on feature_rows.{key} = candidates.{key} "
            f"and feature_rows.{stamp} <= candidates.{quote(AS_OF)} "
            f"and feature_rows.{stamp} >= candidates.{quote(AS_OF)} - {ttl.days} "
            f"order by candidates.row_id, feature_rows.{stamp} desc) as {alias} "
            f"on {alias}.row_id = entity_rows.row_id"
        )
        selected += [f"{alias}.{quote(name)}" for name in model.feature_names]
    return f"select {', '.join(selected)} from entity_rows {' '.join(joins)}"


def _asof_over_parquet(
    gateway: FeatureStoreGateway, models: list[FeatureModel], entity_rows: pd.DataFrame
) -> pd.DataFrame:
    """DuckDB: the offline store is the Parquet the feature models were exported to."""
    import duckdb

    rows = entity_rows.assign(feature_ts=pd.to_datetime(entity_rows[AS_OF]))
    with duckdb.connect() as duck:
        duck.register("entity_rows", rows)
        return duck.execute(duckdb_asof_sql(models, gateway.settings, gateway.options.ttl)).df()


def _distinct_on_in_warehouse(
    gateway: FeatureStoreGateway, models: list[FeatureModel], entity_rows: pd.DataFrame
) -> pd.DataFrame:
    """PostgreSQL: the offline store is the warehouse; the entity rows go up as a temp table."""
    from warehouse import adapter_for

    key = models[0].entity_column
    key_type = "bigint" if models[0].entity_type == "Int64" else "text"
    with adapter_for(gateway.settings).session() as session:
        session.execute(
            f"create temp table entity_rows (row_id serial, {quote(key)} {key_type}, "
            "as_of_date date)"
        )
        session.append_frame("entity_rows", entity_rows[[key, AS_OF]])
        session.execute("analyze entity_rows")
        return session.frame(postgres_distinct_on_sql(models, gateway.options.ttl))


#: The hand-written join per warehouse, over the offline data Feast reads there.
_HAND_WRITTEN: dict[Target, Callable[..., pd.DataFrame]] = {
    "duckdb": _asof_over_parquet,
    "postgres": _distinct_on_in_warehouse,
}


def hand_written_training_set(
    gateway: FeatureStoreGateway, spec: ModelSpec, entity_rows: pd.DataFrame
) -> pd.DataFrame:
    """The training set by one hand-written statement with Feast's semantics (TTL included)."""
    models = [gateway.models[name] for name in spec.feature_models]
    return _HAND_WRITTEN[gateway.settings.target](gateway, models, entity_rows)


def bench_training_set(
    settings: Settings,
    spec: ModelSpec,
    entity_rows: pd.DataFrame,
    *,
    options: FeastOptions | None = None,
    features_dir: Path = FEATURES_DIR,
    specs: Mapping[str, ModelSpec] = MODEL_SPECS,
) -> dict[str, float]:
    """Seconds for the training set through Feast (project join and stock join) and by hand.

    Each path runs once to warm up (imports, registry, file cache) on a slice of the rows, then
    twice on all of them; the faster run counts, because the machine is shared and noisy.
    ``rows_*`` are the result sizes, which must agree.
    """
    keys = entity_rows[[spec.entity_column, AS_OF]]
    base = options or FeastOptions.from_env()
    joins: tuple[OfflineJoin, OfflineJoin] = ("fast", "stock")
    fast, stock = (
        FeatureStoreGateway(settings, replace(base, offline_join=join), features_dir, specs)
        for join in joins
    )
    fast.sync()
    figures: dict[str, float] = {"entity_rows": float(len(keys))}
    paths: dict[str, Callable[[pd.DataFrame], pd.DataFrame]] = {
        "hand_written": lambda rows: hand_written_training_set(fast, spec, rows),
        "feast": lambda rows: fast.training_frame(spec, rows),
        "feast_stock": lambda rows: stock.training_frame(spec, rows),
    }
    for name, build in paths.items():
        build(keys.head(50))
        seconds, frame = _best_of(2, build, keys)
        figures[f"{name}_seconds"] = round(seconds, 3)
        figures[f"rows_{name}"] = float(len(frame))
    figures["feast_vs_hand_written"] = round(
        figures["feast_seconds"] / figures["hand_written_seconds"], 2
    )
    figures["feast_stock_vs_hand_written"] = round(
        figures["feast_stock_seconds"] / figures["hand_written_seconds"], 2
    )
    return figures


def bench_online_profile(
    settings: Settings, customer_ids: Sequence[int], repeats: int = 3, *, via_service: bool = False
) -> dict[str, float]:
    """Milliseconds per ``customer_profile`` call: wall-clock and CPU p50/p99 (one warm-up).

    CPU time is reported beside wall time because this machine is shared: when the load is
    above the core count, the wall-clock tail measures the scheduler, not the lookup.
    """
    import os

    if not customer_ids:
        raise ValueError("bench_online_profile needs at least one customer id")
    gateway = FeatureStoreGateway(settings)
    gateway.customer_profile(int(customer_ids[0]), via_service=via_service)
    wall: list[float] = []
    cpu: list[float] = []
    for _ in range(repeats):
        for customer_id in customer_ids:
            wall_start, cpu_start = time.perf_counter(), time.process_time()
            gateway.customer_profile(int(customer_id), via_service=via_service)
            wall.append((time.perf_counter() - wall_start) * 1000)
            cpu.append((time.process_time() - cpu_start) * 1000)
    return {
        "calls": float(len(wall)),
        "p50_ms": _percentile(wall, 0.50),
        "p99_ms": _percentile(wall, 0.99),
        "max_ms": round(max(wall), 3),
        "cpu_p50_ms": _percentile(cpu, 0.50),
        "cpu_p99_ms": _percentile(cpu, 0.99),
        "load_average_1m": round(os.getloadavg()[0], 2),
    }


def _percentile(values: Sequence[float], share: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(share * len(ordered)))], 3)
