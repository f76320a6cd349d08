"""From a point-in-time training frame to a model matrix: which columns are features, and how.

The training frame carries ids, the as-of date, label-side columns and every column of the
feature models. Ids, dates, owner ids and label-side columns never become features; booleans
become 0/1; strings with few distinct values become categoricals (others are dropped); columns
that are entirely missing or constant at fit time are dropped (an orders-only export leaves the
engagement and category views empty), and the kept list is remembered so scoring builds the
same matrix.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ml.contracts import ModelSpec

#: Label-model columns that are known only after the as-of date (never features).
LABEL_SIDE_COLUMNS = frozenset(
    {
        "horizon_days",
        "horizon_end_date",
        "future_order_count",
        "future_revenue",
        "is_churned",
        "is_won",
        "is_converted",
        "days_to_close",
    }
)
#: Strings with more distinct values than this are identifiers, not categories.
MAX_CATEGORIES = 30


@dataclass(frozen=True)
class FeaturePlan:
    """The feature columns kept at fit time, and the categories of each categorical."""

    numeric: tuple[str, ...]
    categorical: dict[str, tuple[str, ...]]

    @property
    def columns(self) -> list[str]:
        return [*self.numeric, *self.categorical]


def _is_excluded(column: str, spec: ModelSpec) -> bool:
    return (
        column in {spec.entity_column, "as_of_date"}
        or column in LABEL_SIDE_COLUMNS
        or column == spec.label_column
        or column.endswith("_id")
        or column.endswith("_date")
        or column.endswith("_at")
    )


def as_numeric(series: pd.Series) -> pd.Series | None:
    """The column as float64 if it is numeric, boolean or numeric text (Decimal); else None."""
    if pd.api.types.is_bool_dtype(series) or pd.api.types.is_numeric_dtype(series):
        return series.astype("float64")
    if pd.api.types.is_datetime64_any_dtype(series):
        return None
    non_null = series.dropna()
    if non_null.empty:
        return pd.Series(np.nan, index=series.index, dtype="float64")
    if non_null.map(lambda value: isinstance(value, bool | np.bool_)).all():
        return series.map(lambda value: np.nan if pd.isna(value) else float(value)).astype(
            "float64"
        )
    converted = pd.to_numeric(series, errors="coerce")
    if converted.notna().sum() == non_null.size:
        return converted.astype("float64")
    return None


def plan_features(frame: pd.DataFrame, spec: ModelSpec) -> FeaturePlan:
    """Choose the feature columns of a training frame (see the module docstring)."""
    numeric: list[str] = []
    categorical: dict[str, tuple[str, ...]] = {}
    for column in frame.columns:
        if _is_excluded(str(column), spec):
            continue
        series = frame[column]
        values = as_numeric(series)
        if values is not None:
            if values.notna().any() and values.nunique(dropna=False) > 1:
                numeric.append(str(column))
            continue
        if pd.api.types.is_datetime64_any_dtype(series):
            continue
        text = series.dropna().astype(str)
        distinct = sorted(text.unique())
        if 1 < len(distinct) <= MAX_CATEGORIES or (len(distinct) == 1 and series.isna().any()):
            categorical[str(column)] = tuple(distinct)
    if not numeric and not categorical:
        raise ValueError(
            f"{spec.name}: no usable feature columns (all missing, constant, ids or dates)"
        )
    return FeaturePlan(tuple(numeric), categorical)


def build_matrix(frame: pd.DataFrame, plan: FeaturePlan) -> pd.DataFrame:
    """The model matrix in plan order: floats, plus pandas categoricals with fit-time categories.

    Columns missing from a scoring frame are all-NaN (a source that has gone away scores as
    unknown rather than failing); unseen categories become NaN.
    """
    data: dict[str, pd.Series] = {}
    for column in plan.numeric:
        if column in frame.columns:
            values = as_numeric(frame[column])
            if values is None:
                raise ValueError(f"feature column {column!r} is not numeric in the scoring frame")
            data[column] = values.reset_index(drop=True)
        else:
            data[column] = pd.Series(np.nan, index=range(len(frame)), dtype="float64")
    for column, categories in plan.categorical.items():
        raw = frame[column] if column in frame.columns else pd.Series([None] * len(frame))
        text = raw.reset_index(drop=True).map(lambda value: None if pd.isna(value) else str(value))
        data[column] = pd.Series(pd.Categorical(text, categories=list(categories)))
    return pd.DataFrame(data, index=range(len(frame)))
