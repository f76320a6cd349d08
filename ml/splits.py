"""Time-based splits: fit, calibration and holdout slices with no label overlap.

A label row's outcome is known on its *label date*: as_of_date + horizon (churn, CLV, lead,
account churn) or as_of_date + days_to_close (deal outcome). A row may train a model evaluated
from date D only if its label date is on or before D, otherwise the training label would peek
into the evaluation period.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

#: The holdout takes the latest as-of dates until it has this share of rows (at least one date).
HOLDOUT_SHARE = 0.05
#: The calibration slice takes the latest training dates until it has this share of them.
CALIBRATION_SHARE = 0.2
MIN_HOLDOUT_ROWS = 50
MIN_FIT_ROWS = 100


@dataclass(frozen=True)
class TimeSplit:
    """Row positions (into the frame) of each slice."""

    fit: np.ndarray
    calibration: np.ndarray
    holdout: np.ndarray
    #: True when the fit slice had to overlap the calibration labels (short history).
    calibration_overlaps: bool


def as_of_dates(frame: pd.DataFrame) -> pd.Series:
    """The as_of_date column as datetime64 (a clear error when missing or unparsable)."""
    if "as_of_date" not in frame.columns:
        raise ValueError("training frame has no as_of_date column")
    try:
        return pd.to_datetime(frame["as_of_date"]).reset_index(drop=True)
    except (ValueError, TypeError) as error:
        raise ValueError(f"as_of_date is not a date column: {error}") from None


def label_dates(frame: pd.DataFrame, horizon_days: int | None) -> pd.Series:
    """The date each row's label became known (see the module docstring)."""
    dates = as_of_dates(frame)
    if horizon_days is not None:
        return dates + pd.to_timedelta(horizon_days, unit="D")
    if "days_to_close" in frame.columns:
        days = pd.to_numeric(frame["days_to_close"], errors="coerce").fillna(0).to_numpy()
        return dates + pd.to_timedelta(days, unit="D")
    return dates


def _latest_dates_with_share(dates: pd.Series, share: float, minimum: int) -> pd.Timestamp:
    """The earliest of the latest as-of dates that together hold share of rows (>= minimum)."""
    counts = dates.value_counts().sort_index(ascending=False)
    target = max(minimum, int(np.ceil(share * len(dates))))
    cumulative = counts.cumsum()
    enough = cumulative[cumulative >= target]
    return pd.Timestamp(enough.index[0] if not enough.empty else counts.index[-1])


def time_split(
    frame: pd.DataFrame, horizon_days: int | None, *, need_calibration: bool = True
) -> TimeSplit:
    """Holdout = the latest as-of dates; fit and calibration rows end before it, no overlap.

    Raises ValueError (one line) when the history is too short for a gap-free split.
    """
    dates = as_of_dates(frame)
    known = label_dates(frame, horizon_days)
    if dates.nunique() < 2:
        raise ValueError(
            f"time split needs label rows on at least 2 as-of dates, got {dates.nunique()}"
        )
    holdout_start = _latest_dates_with_share(dates, HOLDOUT_SHARE, MIN_HOLDOUT_ROWS)
    holdout = np.flatnonzero(dates >= holdout_start)
    training = np.flatnonzero((dates < holdout_start) & (known <= holdout_start))
    if len(training) < MIN_FIT_ROWS:
        span = (dates.max() - dates.min()).days
        raise ValueError(
            f"only {len(training)} training rows mature before the holdout {holdout_start.date()}"
            f" (label horizon {horizon_days} days, history {span} days of as-of dates): "
            f"need as-of dates spanning more than the horizon"
        )
    if not need_calibration:
        return TimeSplit(training, np.array([], dtype=int), holdout, False)
    training_dates = dates.iloc[training]
    calibration_start = _latest_dates_with_share(training_dates, CALIBRATION_SHARE, 1)
    calibration = training[training_dates.to_numpy() >= calibration_start]
    fit = training[(known.iloc[training] <= calibration_start).to_numpy()]
    overlaps = len(fit) < MIN_FIT_ROWS or len(calibration) == len(training)
    if overlaps:
        fit = training[(training_dates < calibration_start).to_numpy()]
    if len(fit) < MIN_FIT_ROWS:
        raise ValueError(
            f"only {len(fit)} rows to fit on before the calibration slice from "
            f"{calibration_start.date()}: need more as-of dates of history"
        )
    return TimeSplit(fit, calibration, holdout, overlaps)
