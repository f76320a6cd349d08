"""The copilot design's alerting thresholds, in one place, and the checks that apply them.

Each check takes plain rows (what the readers in :mod:`ml.monitoring.ops_metrics` return) and
gives the breaches: one per thing over its threshold, with a stable ``key`` so that the same
evidence is reported to the ops channel once (the alert log remembers sent keys).

| threshold | breached when |
|---|---|
| pipeline failure rate | failed / finished pipeline runs in the window > 5 % |
| pipeline delay | the daily run due at 06:00 UTC has not succeeded 2 h later |
| model accuracy | a classifier's newest matured-label ROC-AUC < 0.80 |
| model drift | the newest drift check's share of drifted features > 10 % |
| API latency | p95 request time over the window > 500 ms |
| data quality | completeness or validity (accuracy) of a raw table's newest load < 95 % |
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pandas as pd

from ml.monitoring.settings import numbers_from_env

#: Pipeline jobs whose runs count for the failure rate and the delay.
PIPELINE_JOBS = ("daily_pipeline", "full_pipeline")


@dataclass(frozen=True)
class OpsThresholds:
    """Every ops threshold; each settable as ``CIW_OPS_<NAME>`` (``from_env``)."""

    pipeline_failure_rate: float = 0.05
    pipeline_delay_hours: float = 2.0
    #: The daily run is due at this hour (UTC), as ``DAILY_PIPELINE_CRON`` schedules it.
    pipeline_due_hour_utc: int = 6
    pipeline_window_days: int = 7
    model_accuracy_min: float = 0.80
    drift_share_max: float = 0.10
    api_latency_ms: float = 500.0
    api_window_minutes: int = 60
    #: Fewer requests than this in the window: no latency verdict (one slow call is noise).
    api_min_requests: int = 20
    data_quality_min_pct: float = 95.0

    @classmethod
    def from_env(cls) -> OpsThresholds:
        return cls(**numbers_from_env(cls, "CIW_OPS_"))  # type: ignore[arg-type]


@dataclass(frozen=True)
class Breach:
    """One threshold crossed: what, about which subject, how far, and the evidence key."""

    metric: str
    subject: str
    value: float
    threshold: float
    key: str
    detail: str

    @property
    def text(self) -> str:
        return f":warning: *{self.metric.replace('_', ' ')}* — {self.subject}: {self.detail}"


@dataclass(frozen=True)
class RunSummary:
    """A pipeline run as the ops check needs it (from the Dagster instance)."""

    run_id: str
    job_name: str
    status: str  # success, failure, canceled, started, queued, ...
    started_at: datetime | None
    ended_at: datetime | None


def naive_utc(moment: datetime) -> datetime:
    """A moment as naive UTC, the warehouse's timestamps' form."""
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


def pipeline_breaches(
    runs: Sequence[RunSummary], now: datetime, thresholds: OpsThresholds
) -> list[Breach]:
    """Failure rate over the window and the delay of today's (or yesterday's) daily run.

    Every moment is compared as naive UTC (aware ones are converted)."""
    breaches: list[Breach] = []
    now = naive_utc(now)
    runs = [
        RunSummary(
            run.run_id,
            run.job_name,
            run.status,
            naive_utc(run.started_at) if run.started_at else None,
            naive_utc(run.ended_at) if run.ended_at else None,
        )
        for run in runs
    ]
    window_start = now - timedelta(days=thresholds.pipeline_window_days)
    finished = [
        run
        for run in runs
        if run.job_name in PIPELINE_JOBS
        and run.status in ("success", "failure")
        and run.ended_at is not None
        and run.ended_at >= window_start
    ]
    failed = [run for run in finished if run.status == "failure"]
    if finished:
        rate = len(failed) / len(finished)
        if rate > thresholds.pipeline_failure_rate:
            newest = max(failed, key=lambda run: run.ended_at or now)
            breaches.append(
                Breach(
                    metric="pipeline_failure_rate",
                    subject="pipeline runs",
                    value=rate,
                    threshold=thresholds.pipeline_failure_rate,
                    key=f"pipeline_failure_rate:{newest.run_id}",
                    detail=f"{len(failed)} of {len(finished)} runs failed in the last "
                    f"{thresholds.pipeline_window_days} days ({rate:.0%} > "
                    f"{thresholds.pipeline_failure_rate:.0%}); newest failed run {newest.run_id}",
                )
            )
    due = now.replace(hour=thresholds.pipeline_due_hour_utc, minute=0, second=0, microsecond=0)
    if due > now:
        due -= timedelta(days=1)
    late_by = (now - due).total_seconds() / 3600
    done = any(
        run.status == "success" and run.ended_at is not None and run.ended_at >= due
        for run in runs
        if run.job_name in PIPELINE_JOBS
    )
    if not done and late_by > thresholds.pipeline_delay_hours:
        breaches.append(
            Breach(
                metric="pipeline_delay",
                subject=f"daily run due {due:%Y-%m-%d %H:%M} UTC",
                value=late_by,
                threshold=thresholds.pipeline_delay_hours,
                key=f"pipeline_delay:{due:%Y-%m-%d}",
                detail=f"no successful pipeline run {late_by:.1f} h after it was due "
                f"(> {thresholds.pipeline_delay_hours:g} h)",
            )
        )
    return breaches


def model_breaches(
    performance: pd.DataFrame, drift: pd.DataFrame, thresholds: OpsThresholds
) -> list[Breach]:
    """Newest check per model: ROC-AUC under the accuracy floor, drifted share over the cap.

    The key names the champion version, not the check: a daily check finding the same
    champion drifted reports once; a new champion that drifts reports again.

    ``performance``: rows of ``ml.model_performance``; ``drift``: rows of ``ml.drift_results``.
    """
    breaches: list[Breach] = []
    judged = performance[performance["metric_name"] == "roc_auc"].dropna(subset=["current_value"])
    for row in _newest_per_model(judged):
        if row["current_value"] < thresholds.model_accuracy_min:
            breaches.append(
                Breach(
                    metric="model_accuracy",
                    subject=f"{row['model_name']} {row['model_version']}",
                    value=float(row["current_value"]),
                    threshold=thresholds.model_accuracy_min,
                    key=f"model_accuracy:{row['model_name']}:{row['model_version']}",
                    detail=f"ROC-AUC {row['current_value']:.3f} on {row['matured_rows']} matured "
                    f"labels is under {thresholds.model_accuracy_min:.2f}",
                )
            )
    features = drift[drift["column_role"] == "feature"]
    for row in _newest_per_model(features):
        run = features[
            (features["run_id"] == row["run_id"]) & (features["model_name"] == row["model_name"])
        ]
        share = float(run["is_drifted"].astype(bool).mean())
        if share > thresholds.drift_share_max:
            drifted = sorted(run.loc[run["is_drifted"].astype(bool), "column_name"])
            breaches.append(
                Breach(
                    metric="model_drift",
                    subject=f"{row['model_name']} {row['model_version']}",
                    value=share,
                    threshold=thresholds.drift_share_max,
                    key=f"model_drift:{row['model_name']}:{row['model_version']}",
                    detail=f"{len(drifted)} of {len(run)} features drifted ({share:.0%} > "
                    f"{thresholds.drift_share_max:.0%}): {', '.join(drifted[:5])}"
                    + (" ..." if len(drifted) > 5 else ""),
                )
            )
    return breaches


def latency_breaches(
    requests: pd.DataFrame, now: datetime, thresholds: OpsThresholds
) -> list[Breach]:
    """p95 request time of the window (rows of ``ops.api_requests``) over the limit."""
    now = naive_utc(now)
    start = now - timedelta(minutes=thresholds.api_window_minutes)
    recent = requests[pd.to_datetime(requests["requested_at"]) >= start]
    if len(recent) < thresholds.api_min_requests:
        return []
    p95 = float(recent["duration_ms"].astype(float).quantile(0.95))
    if p95 <= thresholds.api_latency_ms:
        return []
    by_route = recent.groupby("route")["duration_ms"].quantile(0.95).sort_values(ascending=False)
    slowest = ", ".join(f"{route} {ms:.0f} ms" for route, ms in by_route.head(3).items())
    bucket = now.replace(minute=0, second=0, microsecond=0)
    return [
        Breach(
            metric="api_latency",
            subject="HTTP service",
            value=p95,
            threshold=thresholds.api_latency_ms,
            key=f"api_latency:{bucket:%Y-%m-%dT%H}",
            detail=f"p95 {p95:.0f} ms over {len(recent)} requests in the last "
            f"{thresholds.api_window_minutes} min (> {thresholds.api_latency_ms:.0f} ms); "
            f"slowest routes: {slowest}",
        )
    ]


def data_quality_breaches(metrics: pd.DataFrame, thresholds: OpsThresholds) -> list[Breach]:
    """Per raw table, its newest load day with completeness or validity under the floor."""
    breaches: list[Breach] = []
    if metrics.empty:
        return breaches
    newest = metrics.sort_values("load_date").groupby("table_key", as_index=False).tail(1)
    for row in newest.sort_values("table_key").to_dict("records"):
        low = {
            name: float(row[f"{name}_pct"])
            for name in ("completeness", "validity")
            if pd.notna(row[f"{name}_pct"])
            and float(row[f"{name}_pct"]) < thresholds.data_quality_min_pct
        }
        if not low:
            continue
        breaches.append(
            Breach(
                metric="data_quality",
                subject=f"{row['table_key']} load of {pd.Timestamp(row['load_date']):%Y-%m-%d}",
                value=min(low.values()),
                threshold=thresholds.data_quality_min_pct,
                key=f"data_quality:{row['table_key']}:{pd.Timestamp(row['load_date']):%Y-%m-%d}",
                detail=", ".join(f"{name} {pct:.1f}%" for name, pct in low.items())
                + f" (< {thresholds.data_quality_min_pct:g}%)",
            )
        )
    return breaches


def _newest_per_model(rows: pd.DataFrame) -> Iterable[dict[str, Any]]:
    if rows.empty:
        return []
    ordered = rows.sort_values(["model_name", "checked_at", "run_id"])
    return ordered.groupby("model_name", as_index=False).tail(1).to_dict("records")
