"""Drift of a model's features and score against its champion's training snapshot (Evidently).

Why distance tests: p-value tests (KS, chi-square) answer "are these samples from exactly the
same distribution?", which at 100k rows is "no" for every column of real data, so they flag
everything. The normed Wasserstein distance (numeric columns, in units of the reference's
standard deviation) and PSI (categorical columns) measure *how far* a distribution moved, which
does not grow with the sample size. Their thresholds are per column type (``DriftThresholds``).

``check_drift`` is pure apart from writing the optional HTML report; ``ml.monitoring.drift_results``
runs it on the latest scored frame and stores the rows in ``ml.drift_results``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

import pandas as pd

ColumnType = Literal["numerical", "categorical"]

#: Evidently's name of each column type (its stat tests are chosen per type).
EVIDENTLY_TYPES: dict[ColumnType, str] = {"numerical": "num", "categorical": "cat"}

#: The HTML report shows the score and at most this many features, those furthest past their
#: threshold first: drawing a column's plots costs about four times computing its distance,
#: and the full list of distances is in ``ml.drift_results`` and the check's metadata.
REPORT_COLUMNS = 12

#: Columns never tested: keys and dates say which rows were scored, not how they look.
NOT_FEATURES = frozenset({"as_of_date", "scored_at", "run_id", "model_version", "model_name"})


class DriftInputError(ValueError):
    """The frames handed to ``check_drift`` cannot be compared; the message names why."""


@dataclass(frozen=True)
class DriftThresholds:
    """Which distance each column type uses and from which value it counts as drifted.

    Defaults: normed Wasserstein >= 0.1 (the mean moved by a tenth of a standard deviation, or
    the shape changed as much), PSI >= 0.2 (the usual "significant shift" band), the score like
    a numeric feature. The model counts as drifted when its score drifted or when at least
    ``drift_share`` of its features did.
    """

    numerical_method: str = "wasserstein"
    numerical_threshold: float = 0.1
    categorical_method: str = "psi"
    categorical_threshold: float = 0.2
    score_method: str = "wasserstein"
    score_threshold: float = 0.1
    drift_share: float = 0.3
    #: Frames above this many rows are sampled (seeded) before Evidently sees them.
    max_rows: int = 50_000
    seed: int = 42


@dataclass(frozen=True)
class ColumnDrift:
    """One tested column: the distance, its threshold and the verdict."""

    column: str
    role: Literal["feature", "score"]
    column_type: ColumnType
    stattest: str
    drift_score: float
    threshold: float
    is_drifted: bool


@dataclass(frozen=True)
class DriftResult:
    """Everything one drift check found, ready to store and to show."""

    model_name: str
    model_version: str
    checked_at: datetime
    columns: list[ColumnDrift]
    score: ColumnDrift | None
    share_drifted: float
    is_drifted: bool
    reference_rows: int
    current_rows: int
    drift_share_threshold: float
    skipped_columns: dict[str, str] = field(default_factory=dict)
    report_path: Path | None = None

    @property
    def drifted_columns(self) -> list[str]:
        return [row.column for row in self.columns if row.is_drifted]

    def summary(self) -> str:
        """One line for logs and check descriptions."""
        score = "score drifted" if self.score and self.score.is_drifted else "score stable"
        drifted = ", ".join(self.drifted_columns) or "none"
        return (
            f"{self.model_name} {self.model_version}: {len(self.drifted_columns)}/"
            f"{len(self.columns)} features drifted ({drifted}); {score}"
        )


def column_type(series: pd.Series) -> ColumnType | None:
    """Numeric (not boolean) columns are numerical; text, booleans and categories categorical;
    dates and timestamps are not tested (they move with time by design)."""
    if pd.api.types.is_bool_dtype(series):
        return "categorical"
    if pd.api.types.is_numeric_dtype(series):
        return "numerical"
    if pd.api.types.is_datetime64_any_dtype(series):
        return None
    non_null = series.dropna()
    if not non_null.empty and all(isinstance(value, bool) for value in non_null.head(100)):
        return "categorical"
    if not non_null.empty and hasattr(non_null.iloc[0], "isoformat"):
        return None
    return "categorical"


def sample_rows(frame: pd.DataFrame, max_rows: int, seed: int) -> pd.DataFrame:
    """The same rows every time for the same frame: a seeded sample above ``max_rows``."""
    if len(frame) <= max_rows:
        return frame
    return frame.sample(n=max_rows, random_state=seed)


def _prepare(
    reference: pd.DataFrame,
    current: pd.DataFrame,
    columns: list[str],
    score_column: str,
) -> tuple[dict[str, ColumnType], dict[str, str]]:
    """Decide each column's type, or why it is skipped."""
    if reference.empty:
        raise DriftInputError("drift check: the reference frame has no rows")
    if current.empty:
        raise DriftInputError("drift check: the current frame has no rows")
    for name, frame in (("reference", reference), ("current", current)):
        if score_column not in frame.columns:
            raise DriftInputError(f"drift check: the {name} frame has no {score_column!r} column")
    types: dict[str, ColumnType] = {}
    skipped: dict[str, str] = {}
    for column in columns:
        if column == score_column:
            continue
        if column in NOT_FEATURES:
            skipped[column] = "key or date column"
        elif column not in reference.columns or column not in current.columns:
            side = "reference" if column not in reference.columns else "current"
            skipped[column] = f"missing from the {side} frame"
        elif reference[column].isna().all() or current[column].isna().all():
            skipped[column] = "no values in the reference or current frame"
        elif (kind := column_type(reference[column])) is None:
            skipped[column] = "date column"
        else:
            types[column] = kind
    if not pd.api.types.is_numeric_dtype(reference[score_column]):
        raise DriftInputError(f"drift check: the {score_column!r} column is not numeric")
    types[score_column] = "numerical"
    return types, skipped


def _as_categorical(series: pd.Series) -> pd.Series:
    """Categories as text, so True/'True'/1 mixes from different loaders compare equal."""
    text = series.astype(str).astype(object)
    return text.where(series.notna(), None)


def _evidently_frames(frame: pd.DataFrame, types: dict[str, ColumnType]) -> pd.DataFrame:
    out = pd.DataFrame(index=frame.index)
    for column, kind in types.items():
        series = frame[column]
        out[column] = (
            _as_categorical(series)
            if kind == "categorical"
            else pd.to_numeric(series).astype(float)
        )
    return out.reset_index(drop=True)


def _methods(
    types: dict[str, ColumnType], score_column: str, thresholds: DriftThresholds
) -> dict[str, tuple[str, float]]:
    methods: dict[str, tuple[str, float]] = {}
    for column, kind in types.items():
        if column == score_column:
            methods[column] = (thresholds.score_method, thresholds.score_threshold)
        elif kind == "numerical":
            methods[column] = (thresholds.numerical_method, thresholds.numerical_threshold)
        else:
            methods[column] = (thresholds.categorical_method, thresholds.categorical_threshold)
    return methods


def check_drift(
    reference: pd.DataFrame,
    current: pd.DataFrame,
    *,
    columns: list[str],
    score_column: str = "score",
    model_name: str,
    model_version: str,
    thresholds: DriftThresholds | None = None,
    report_path: Path | None = None,
    checked_at: datetime | None = None,
) -> DriftResult:
    """Compare ``current`` to ``reference`` column by column and on the score.

    ``columns`` are the features to test (the score is always tested). Columns absent from a
    frame, empty on a side, or holding dates are skipped and listed in ``skipped_columns``.
    With ``report_path`` the Evidently HTML report is written there.
    """
    limits = thresholds or DriftThresholds()
    types, skipped = _prepare(reference, current, columns, score_column)
    methods = _methods(types, score_column, limits)
    reference_sample = _evidently_frames(
        sample_rows(reference, limits.max_rows, limits.seed), types
    )
    current_sample = _evidently_frames(sample_rows(current, limits.max_rows, limits.seed), types)
    scores = _distances(reference_sample, current_sample, types, methods)
    rows = [
        _column_drift(column, types[column], methods[column], scores, score_column)
        for column in types
    ]
    features = [row for row in rows if row.role == "feature"]
    score = next((row for row in rows if row.role == "score"), None)
    share = sum(row.is_drifted for row in features) / len(features) if features else 0.0
    if report_path is not None:
        shown = report_columns(rows, REPORT_COLUMNS)
        _write_report(
            report_path,
            reference_sample[shown],
            current_sample[shown],
            {column: types[column] for column in shown},
            methods,
        )
    return DriftResult(
        model_name=model_name,
        model_version=model_version,
        checked_at=checked_at or datetime.now(UTC).replace(tzinfo=None),
        columns=features,
        score=score,
        share_drifted=share,
        is_drifted=bool((score and score.is_drifted) or (features and share >= limits.drift_share)),
        reference_rows=len(reference),
        current_rows=len(current),
        drift_share_threshold=limits.drift_share,
        skipped_columns=skipped,
        report_path=report_path,
    )


def _distances(
    reference: pd.DataFrame,
    current: pd.DataFrame,
    types: dict[str, ColumnType],
    methods: dict[str, tuple[str, float]],
) -> dict[str, float]:
    """Column -> distance, from Evidently's own stat tests, cleaned as its ``ValueDrift`` cleans
    a column (infinities and nulls dropped): the same numbers, without drawing a plot per
    column (which is most of a ``Report`` run: 24 of 31 s over six models at 100k rows)."""
    import numpy as np
    from evidently.legacy.calculations.stattests import get_stattest

    scores: dict[str, float] = {}
    for column, kind in types.items():
        method, threshold = methods[column]
        before, after = (
            frame[column].replace([-np.inf, np.inf], np.nan).dropna()
            for frame in (reference, current)
        )
        if before.empty or after.empty:
            scores[column] = math.nan
            continue
        feature_type = EVIDENTLY_TYPES[kind]
        test = get_stattest(before, after, feature_type, method)
        scores[column] = float(test(before, after, feature_type, threshold).drift_score)
    return scores


def report_columns(rows: list[ColumnDrift], limit: int) -> list[str]:
    """The columns the HTML report shows: the score, then the features furthest past (or
    nearest to) their threshold, at most ``limit`` of them."""

    def reach(row: ColumnDrift) -> float:
        return -math.inf if math.isnan(row.drift_score) else row.drift_score / row.threshold

    scores = [row.column for row in rows if row.role == "score"]
    features = sorted((row for row in rows if row.role == "feature"), key=reach, reverse=True)
    return scores + [row.column for row in features[:limit]]


def _write_report(
    path: Path,
    reference: pd.DataFrame,
    current: pd.DataFrame,
    types: dict[str, ColumnType],
    methods: dict[str, tuple[str, float]],
) -> None:
    """Evidently's HTML report (a ``ValueDrift`` with its plots per column) at ``path``."""
    from evidently import DataDefinition, Dataset, Report
    from evidently.metrics import ValueDrift

    definition = DataDefinition(
        numerical_columns=[column for column, kind in types.items() if kind == "numerical"],
        categorical_columns=[column for column, kind in types.items() if kind == "categorical"],
    )
    # One ValueDrift per column, not DataDriftPreset: the preset also runs two legacy metrics
    # that recompute every distance and redraw every plot.
    metrics = [
        ValueDrift(column=column, method=methods[column][0], threshold=methods[column][1])
        for column in types
    ]
    snapshot = Report(metrics).run(
        Dataset.from_pandas(current, data_definition=definition),
        Dataset.from_pandas(reference, data_definition=definition),
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    snapshot.save_html(str(path))


def _column_drift(
    column: str,
    kind: ColumnType,
    method: tuple[str, float],
    scores: dict[str, float],
    score_column: str,
) -> ColumnDrift:
    stattest, threshold = method
    if column not in scores:
        raise DriftInputError(f"drift check: Evidently returned no drift score for {column!r}")
    value = scores[column]
    return ColumnDrift(
        column=column,
        role="score" if column == score_column else "feature",
        column_type=kind,
        stattest=stattest,
        drift_score=value,
        threshold=threshold,
        # Distances grow with drift: at or above the threshold is drift (Evidently's rule).
        is_drifted=bool(not math.isnan(value) and value >= threshold),
    )
