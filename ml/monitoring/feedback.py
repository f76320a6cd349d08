"""CSM feedback on alerts, as a quality signal per alert type and a retraining trigger.

CSMs mark alerts accurate / inaccurate (``ops.alert_feedback``, written by the notifier); the
share of 'inaccurate' per alert type is a quality signal, and enough new rows on the alerts a
model raised (``marts.alerts.model_name``, from the dbt seed alert_types) since its last
retraining is a retraining trigger (``ml.monitoring.retraining``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

import pandas as pd

from ml.monitoring.ops_thresholds import naive_utc

if TYPE_CHECKING:
    from warehouse.settings import Settings

#: Where CSM feedback and the alerts it refers to live (written by the notifier and dbt).
FEEDBACK_TABLE = "ops.alert_feedback"
ALERTS_TABLE = "marts.alerts"


def inaccurate_share(feedback: pd.DataFrame) -> pd.DataFrame:
    """Per alert type: feedback rows, 'inaccurate' rows and their share (highest share first)."""
    if feedback.empty:
        return pd.DataFrame(columns=["alert_type", "feedback_rows", "inaccurate_rows", "share"])
    marked = feedback.assign(inaccurate=feedback["alert_accuracy"].eq("inaccurate"))
    grouped = marked.groupby("alert_type", dropna=False).agg(
        feedback_rows=("inaccurate", "size"), inaccurate_rows=("inaccurate", "sum")
    )
    grouped["share"] = grouped["inaccurate_rows"] / grouped["feedback_rows"]
    return grouped.reset_index().sort_values(["share", "alert_type"], ascending=[False, True])


def read_feedback(settings: Settings, since: datetime | None = None) -> pd.DataFrame:
    """Feedback rows with their alert type ('unknown' before the alerts mart exists) and the
    model the alert's feedback judges (``marts.alerts.model_name``; null for other alerts)."""
    from warehouse import read_frame, table_exists

    columns = ["feedback_id", "alert_id", "recorded_at", "alert_accuracy", "alert_type"]
    if not table_exists(settings, FEEDBACK_TABLE):
        return pd.DataFrame(columns=[*columns, "model_name"])
    where, params = ("where feedback.recorded_at > %s", (naive_utc(since),)) if since else ("", ())
    if table_exists(settings, ALERTS_TABLE):
        alert_type, model_name = "coalesce(alerts.alert_type, 'unknown')", "alerts.model_name"
        join = (
            f"left join (select distinct alert_id, alert_type, model_name from {ALERTS_TABLE})"
            " as alerts on feedback.alert_id = alerts.alert_id"
        )
    else:
        alert_type, model_name, join = "'unknown'", "cast(null as varchar)", ""
    return read_frame(
        settings,
        f"select feedback.feedback_id, feedback.alert_id, feedback.recorded_at, "
        f"feedback.alert_accuracy, {alert_type} as alert_type, {model_name} as model_name "
        f"from {FEEDBACK_TABLE} as feedback {join} {where}",
        params,
    )


def count_new_feedback(
    feedback: pd.DataFrame, since: datetime | None, alert_types: Sequence[str]
) -> int:
    """Rows of the given alert types recorded after ``since`` (all of them when None)."""
    rows = feedback[feedback["alert_type"].isin(list(alert_types))]
    if since is not None and not rows.empty:
        # Naive timestamps are UTC (both warehouses store them so); aware ones are converted.
        recorded = pd.to_datetime(rows["recorded_at"], utc=True).dt.tz_localize(None)
        rows = rows[(recorded > pd.Timestamp(naive_utc(since))).to_numpy()]
    return len(rows)
