"""The registry's warehouse tables: ``ml.model_registry`` and ``ml.model_registry_events``.

``ml.model_registry`` lists every version with its status and is the source of truth for which
version is champion, so BI and on-call read the same answer as scoring does.
``ml.model_registry_events`` keeps every champion change, which is what rollback replays.

Each call opens the warehouse, writes in one transaction and closes it again: DuckDB allows a
single writer per file, and a registry that held its connection would block the pipeline.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from ml.contracts import ML_SCHEMA, REGISTRY_TABLE, ModelSpec
from ml.registry.versions import (
    Candidate,
    ModelVersion,
    as_date,
    clean_metrics,
    json_default,
    window,
)
from warehouse.adapters import Session, create_table_sql, float_type
from warehouse.settings import Settings, Target

EVENTS_TABLE = f"{REGISTRY_TABLE}_events"
STATUSES = ("champion", "challenger", "retired")
#: Event kinds in ``ml.model_registry_events``; only "promoted" and "rolled_back" move the
#: champion, the others are there for people reading the history.
EVENTS = ("registered", "promoted", "retired", "rolled_back", "restored")

#: Registry rows with the reason given when each version was registered (``note``).
SELECT_VERSIONS = (
    f"select r.*, e.reason as registered_reason from {ML_SCHEMA}.{REGISTRY_TABLE} as r "
    f"left join {ML_SCHEMA}.{EVENTS_TABLE} as e on e.model_name = r.model_name "
    "and e.version = r.version and e.event = 'registered'"
)


def _ddl(target: Target) -> list[str]:
    double = float_type(target)
    registry = {
        "model_name": "varchar not null",
        "version": "varchar not null",
        "status": "varchar not null",
        "created_at": "timestamp not null",
        "promoted_at": "timestamp",
        "training_start": "date not null",
        "training_end": "date not null",
        "holdout_start": "date not null",
        "holdout_end": "date not null",
        "data_fingerprint": "varchar not null",
        "primary_metric": "varchar not null",
        "primary_metric_value": double,
        "baseline_metric_value": double,
        "metrics_json": "varchar not null",
        "params_json": "varchar not null",
        "features_json": "varchar not null",
        "artifact_dir": "varchar not null",
        "baseline_name": "varchar",
        "baseline_metrics_json": "varchar",
        "seed": "bigint",
        "train_rows": "bigint",
        "holdout_rows": "bigint",
    }
    events = {
        "event_id": "bigint not null",
        "model_name": "varchar not null",
        "version": "varchar not null",
        "event": "varchar not null",
        "previous_champion": "varchar",
        "reason": "varchar",
        "event_at": "timestamp not null",
    }
    return [
        f"create schema if not exists {ML_SCHEMA}",
        create_table_sql(
            target, f"{ML_SCHEMA}.{REGISTRY_TABLE}", registry, ("model_name", "version")
        ),
        create_table_sql(target, f"{ML_SCHEMA}.{EVENTS_TABLE}", events, ("event_id",)),
    ]


@contextmanager
def registry_session(settings: Settings, *, lock: bool = False) -> Iterator[Session]:
    """Open, make the tables if missing, run one transaction, close.

    ``lock`` serializes writers so two trainings cannot both crown a champion (on DuckDB the
    file lock already allows one writing process only).
    """
    from warehouse import adapter_for

    events = f"{ML_SCHEMA}.{EVENTS_TABLE}"
    with adapter_for(settings).session(transaction=True) as session:
        if not session.table_exists(events):
            session.lock(events)  # concurrent "create ... if not exists" collide: one at a time
            for statement in _ddl(settings.target):
                session.execute(statement)
        if lock:
            session.lock(f"{ML_SCHEMA}.{REGISTRY_TABLE}")
        yield session


def utc_now() -> datetime:
    """Now in UTC without tzinfo: both warehouses store naive UTC timestamps."""
    return datetime.now(UTC).replace(tzinfo=None)


def registry_row(
    candidate: Candidate, spec: ModelSpec, version: str, folder: Path, now: datetime
) -> dict[str, Any]:
    """A new version's ``ml.model_registry`` row (status challenger until crowned)."""
    training = window(candidate.training_window, "training_window")
    holdout = window(candidate.holdout_window, "holdout_window")
    metrics = clean_metrics(candidate.metrics)
    baseline = clean_metrics(candidate.baseline_metrics)
    return {
        "model_name": spec.name,
        "version": version,
        "status": "challenger",
        "created_at": now,
        "promoted_at": None,
        "training_start": training[0],
        "training_end": training[1],
        "holdout_start": holdout[0],
        "holdout_end": holdout[1],
        "data_fingerprint": candidate.data_fingerprint,
        "primary_metric": spec.primary_metric,
        "primary_metric_value": metrics[spec.primary_metric],
        "baseline_metric_value": baseline.get(spec.primary_metric),
        "metrics_json": json.dumps(metrics, sort_keys=True),
        "params_json": json.dumps(candidate.params, sort_keys=True, default=json_default),
        "features_json": json.dumps(list(candidate.features)),
        "artifact_dir": str(folder.resolve()),
        "baseline_name": candidate.baseline_name,
        "baseline_metrics_json": json.dumps(baseline, sort_keys=True),
        "seed": int(candidate.seed),
        "train_rows": int(candidate.train_rows),
        "holdout_rows": int(candidate.holdout_rows),
    }


def insert_version(session: Session, row: dict[str, Any]) -> None:
    session.execute(
        f"insert into {ML_SCHEMA}.{REGISTRY_TABLE} ({', '.join(row)}) "
        f"values ({', '.join('%s' for _ in row)})",
        tuple(row.values()),
    )


def set_status(
    session: Session,
    model_name: str,
    version: str,
    status: str,
    promoted_at: datetime | None = None,
) -> None:
    """Change a version's status; a promotion also stamps ``promoted_at``."""
    values: dict[str, Any] = {"status": status}
    if promoted_at is not None:
        values["promoted_at"] = promoted_at
    session.update(
        f"{ML_SCHEMA}.{REGISTRY_TABLE}", values, {"model_name": model_name, "version": version}
    )


def add_event(
    session: Session,
    model_name: str,
    version: str,
    event: str,
    previous: ModelVersion | None,
    reason: str,
    now: datetime,
) -> None:
    (next_id,) = session.execute(
        f"select coalesce(max(event_id), 0) + 1 from {ML_SCHEMA}.{EVENTS_TABLE}"
    )[0]
    session.execute(
        f"insert into {ML_SCHEMA}.{EVENTS_TABLE} values (%s, %s, %s, %s, %s, %s, %s)",
        (
            int(next_id),
            model_name,
            version,
            event,
            previous.version if previous else None,
            reason,
            now,
        ),
    )


def champion_events(session: Session, model_name: str) -> list[tuple[str, str]]:
    """(event, version) of every registry event of a model, oldest first."""
    rows = session.execute(
        f"select event, version from {ML_SCHEMA}.{EVENTS_TABLE} "
        "where model_name = %s order by event_id",
        (model_name,),
    )
    return [(str(event), str(version)) for event, version in rows]


def event_rows(session: Session, model_name: str) -> list[dict[str, Any]]:
    return session.rows(
        f"select * from {ML_SCHEMA}.{EVENTS_TABLE} where model_name = %s order by event_id",
        (model_name,),
    )


def version_ids(session: Session, model_name: str) -> list[str]:
    rows = session.execute(
        f"select version from {ML_SCHEMA}.{REGISTRY_TABLE} where model_name = %s",
        (model_name,),
    )
    return [str(row[0]) for row in rows]


def _aware(value: Any) -> datetime | None:
    if value is None:
        return None
    stamp = pd.Timestamp(value).to_pydatetime()
    return stamp.replace(tzinfo=UTC) if stamp.tzinfo is None else stamp.astimezone(UTC)


def _optional_float(value: Any) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def _floats(values: dict[str, Any]) -> dict[str, float]:
    return {k: (math.nan if v is None else float(v)) for k, v in values.items()}


def version_from_row(row: dict[str, Any], artifact_dir: Path) -> ModelVersion:
    """A ``SELECT_VERSIONS`` row as a ModelVersion whose artifacts are at ``artifact_dir``."""
    return ModelVersion(
        model_name=str(row["model_name"]),
        version=str(row["version"]),
        status=str(row["status"]),
        created_at=_aware(row["created_at"]) or datetime.min.replace(tzinfo=UTC),
        promoted_at=_aware(row["promoted_at"]),
        training_window=(
            as_date(row["training_start"], "training_start"),
            as_date(row["training_end"], "training_end"),
        ),
        holdout_window=(
            as_date(row["holdout_start"], "holdout_start"),
            as_date(row["holdout_end"], "holdout_end"),
        ),
        data_fingerprint=str(row["data_fingerprint"]),
        features=list(json.loads(row["features_json"])),
        params=dict(json.loads(row["params_json"])),
        seed=int(row["seed"]) if row["seed"] is not None else 0,
        metrics=_floats(json.loads(row["metrics_json"])),
        baseline_metrics=_floats(json.loads(row["baseline_metrics_json"] or "{}")),
        baseline_name=str(row["baseline_name"] or ""),
        primary_metric=str(row["primary_metric"]),
        primary_metric_value=_optional_float(row["primary_metric_value"]),
        baseline_metric_value=_optional_float(row["baseline_metric_value"]),
        train_rows=int(row["train_rows"] or 0),
        holdout_rows=int(row["holdout_rows"] or 0),
        artifact_dir=artifact_dir,
        note=""
        if row.get("registered_reason") in (None, "trained")
        else str(row["registered_reason"]),
    )
