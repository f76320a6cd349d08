"""What a model version is: the candidate handed in, the version listed, and its identity.

A version id is deterministic (same data, parameters, seed and features, same id); the data
fingerprint ignores row and column order. Everything here is pure.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ml.contracts import MODEL_SPECS, ModelSpec

_PLOT_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


class RegistryError(ValueError):
    """A registry request that cannot be met; the message is one line meant for the user."""


@dataclass(frozen=True)
class Candidate:
    """A freshly trained model with everything the registry stores beside it."""

    model_name: str
    model: Any
    features: list[str]
    params: dict[str, Any]
    seed: int
    metrics: dict[str, float]
    baseline_metrics: dict[str, float]
    baseline_name: str
    training_window: tuple[date, date]
    holdout_window: tuple[date, date]
    data_fingerprint: str
    plots: dict[str, bytes]
    reference: pd.DataFrame
    train_rows: int = 0
    holdout_rows: int = 0


@dataclass(frozen=True)
class ModelVersion:
    """One registered version as the warehouse lists it (no payload: see ``load_model``)."""

    model_name: str
    version: str
    status: str
    created_at: datetime
    promoted_at: datetime | None
    training_window: tuple[date, date]
    holdout_window: tuple[date, date]
    data_fingerprint: str
    features: list[str]
    params: dict[str, Any]
    seed: int
    metrics: dict[str, float]
    baseline_metrics: dict[str, float]
    baseline_name: str
    primary_metric: str
    primary_metric_value: float | None
    baseline_metric_value: float | None
    train_rows: int
    holdout_rows: int
    artifact_dir: Path
    #: Why the version was not crowned when it was registered (e.g. it did not beat its rule).
    note: str = ""


def data_fingerprint(frame: pd.DataFrame) -> str:
    """A content hash of a frame that ignores row and column order.

    Rows are hashed one by one and the sorted row hashes are hashed together with the column
    names, so the same training data read in another order gives the same fingerprint.
    """
    ordered = frame.reindex(columns=sorted(map(str, frame.columns)))
    ordered.columns = [str(column) for column in ordered.columns]
    try:
        row_hashes = pd.util.hash_pandas_object(ordered, index=False).to_numpy()
    except TypeError:  # unhashable cells (lists, dicts): hash their text instead
        row_hashes = pd.util.hash_pandas_object(ordered.astype(str), index=False).to_numpy()
    digest = hashlib.sha256()
    digest.update(json.dumps(list(ordered.columns)).encode())
    digest.update(np.sort(row_hashes.astype(np.uint64)).tobytes())
    return digest.hexdigest()


def version_id(
    model_name: str, fingerprint: str, params: dict[str, Any], seed: int, features: Sequence[str]
) -> str:
    """The deterministic version of a candidate: same data, parameters, seed and features."""
    identity = json.dumps(
        {
            "model_name": model_name,
            "data_fingerprint": fingerprint,
            "params": params,
            "seed": seed,
            "features": list(features),
        },
        sort_keys=True,
        default=json_default,
    )
    return hashlib.sha256(identity.encode()).hexdigest()[:12]


def spec_of(model_name: str) -> ModelSpec:
    """The model's spec, or a RegistryError naming the models there are."""
    spec = MODEL_SPECS.get(model_name)
    if spec is None:
        raise RegistryError(
            f"unknown model {model_name!r}; choose one of: {', '.join(sorted(MODEL_SPECS))}"
        )
    return spec


def validate(candidate: Candidate, spec: ModelSpec) -> None:
    """Refuse a candidate the registry could not list or reload, with one line saying why."""
    window(candidate.training_window, "training_window")
    window(candidate.holdout_window, "holdout_window")
    if not candidate.features:
        raise RegistryError(f"{spec.name}: the candidate has no features")
    if spec.primary_metric not in candidate.metrics:
        raise RegistryError(
            f"{spec.name}: the candidate's metrics lack the primary metric {spec.primary_metric!r}"
        )
    for name in candidate.plots:
        if not _PLOT_NAME.match(name):
            raise RegistryError(f"{spec.name}: plot name {name!r} is not a safe file name")


def json_default(value: Any) -> Any:
    """JSON for the values parameters and metadata hold (numpy scalars, dates, paths, sets)."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (date, datetime, Path)):
        return str(value)
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    return repr(value)


def clean_metrics(metrics: dict[str, Any]) -> dict[str, float | None]:
    """Metrics as plain floats, NaN as None (JSON has no NaN)."""
    cleaned: dict[str, float | None] = {}
    for name, value in metrics.items():
        number = None if value is None else float(value)
        cleaned[str(name)] = None if number is None or math.isnan(number) else number
    return cleaned


def as_date(value: date | datetime | pd.Timestamp, what: str) -> date:
    if isinstance(value, pd.Timestamp | datetime):
        return value.date()
    if isinstance(value, date):
        return value
    raise RegistryError(f"{what} must be dates, got {type(value).__name__}")


def window(value: tuple[date, date], what: str) -> tuple[date, date]:
    """A (start, end) pair of dates, start not after end."""
    if len(value) != 2:
        raise RegistryError(f"{what} must be a (start, end) pair, got {value!r}")
    start, end = as_date(value[0], what), as_date(value[1], what)
    if start > end:
        raise RegistryError(f"{what} starts after it ends: {start} > {end}")
    return start, end


def number(value: float | None) -> str:
    """A metric as people read it in reasons and notes."""
    return "n/a" if value is None or math.isnan(value) else f"{value:.4g}"
