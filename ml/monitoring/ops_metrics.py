"""Reading what the ops thresholds judge, and reporting each breach once to the ops channel.

Sources (each optional: a missing table means no verdict on it, never an error):

* ``ml.model_performance`` and ``ml.drift_results`` (the monitoring checks' results);
* ``ops.api_requests``: one row per HTTP request, appended by the HTTP service
  (:func:`record_api_requests`; the interface is in docs/monitoring.md);
* ``marts.data_quality_metrics`` (the loader's audit and quarantine, per table and load day);
* pipeline runs, handed in by the caller (the Dagster sensor reads them from its instance).

``ops.ops_alerts`` logs every breach reported, by key: the same evidence (a drift check's run,
a load day of a table, an hour of latency, a day's late run) is reported once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pandas as pd

from ml.contracts import DRIFT_TABLE, ML_SCHEMA, PERFORMANCE_TABLE
from ml.monitoring.ops_thresholds import (
    Breach,
    OpsThresholds,
    RunSummary,
    data_quality_breaches,
    latency_breaches,
    model_breaches,
    naive_utc,
    pipeline_breaches,
)
from warehouse.adapters import float_type
from warehouse.settings import Settings, Target

API_REQUESTS_TABLE = "ops.api_requests"
OPS_ALERTS_TABLE = "ops.ops_alerts"
DATA_QUALITY_TABLE = "marts.data_quality_metrics"
API_REQUEST_COLUMNS = ("requested_at", "method", "route", "status_code", "duration_ms")

#: Sends one ops message and says where it went (``notifier.ops.send_ops_message``).
Sender = Callable[[Settings, str, str], str]


def api_requests_ddl(target: Target) -> str:
    return f"""
create table if not exists {API_REQUESTS_TABLE} (
    requested_at timestamp not null,
    method varchar not null,
    route varchar not null,
    status_code integer not null,
    duration_ms {float_type(target)} not null
)"""


def ops_alerts_ddl(target: Target) -> str:
    return f"""
create table if not exists {OPS_ALERTS_TABLE} (
    alert_key varchar not null,
    metric varchar not null,
    subject varchar not null,
    metric_value {float_type(target)},
    threshold {float_type(target)},
    message varchar not null,
    delivered_to varchar not null,
    sent_at timestamp not null
)"""


def record_api_requests(settings: Settings, requests: pd.DataFrame) -> int:
    """Append request timings (columns :data:`API_REQUEST_COLUMNS`, UTC naive timestamps)."""
    from warehouse import append_frame

    missing = [column for column in API_REQUEST_COLUMNS if column not in requests.columns]
    if missing:
        raise ValueError(f"{API_REQUESTS_TABLE}: missing columns {missing}")
    frame = requests.loc[:, list(API_REQUEST_COLUMNS)]
    if (frame["duration_ms"].astype(float) < 0).any():
        raise ValueError(f"{API_REQUESTS_TABLE}: duration_ms must not be negative")
    return append_frame(
        settings, API_REQUESTS_TABLE, frame, ddl=[api_requests_ddl(settings.target)]
    )


def _read(settings: Settings, table: str, sql: str, columns: Sequence[str]) -> pd.DataFrame:
    from warehouse import read_frame, table_exists

    if not table_exists(settings, table):
        return pd.DataFrame(columns=list(columns))
    return read_frame(settings, sql)


@dataclass(frozen=True)
class OpsMetrics:
    """Everything the thresholds judge, read once."""

    performance: pd.DataFrame
    drift: pd.DataFrame
    api_requests: pd.DataFrame
    data_quality: pd.DataFrame


def read_ops_metrics(settings: Settings, now: datetime, thresholds: OpsThresholds) -> OpsMetrics:
    performance_columns = (
        "run_id",
        "model_name",
        "model_version",
        "checked_at",
        "metric_name",
        "current_value",
        "matured_rows",
    )
    drift_columns = (
        "run_id",
        "model_name",
        "model_version",
        "checked_at",
        "column_name",
        "column_role",
        "is_drifted",
    )
    since = naive_utc(now) - timedelta(minutes=thresholds.api_window_minutes)
    quality_columns = ("table_key", "load_date", "completeness_pct", "validity_pct")
    return OpsMetrics(
        performance=_read(
            settings,
            f"{ML_SCHEMA}.{PERFORMANCE_TABLE}",
            f"select {', '.join(performance_columns)} from {ML_SCHEMA}.{PERFORMANCE_TABLE}",
            performance_columns,
        ),
        drift=_read(
            settings,
            f"{ML_SCHEMA}.{DRIFT_TABLE}",
            f"select {', '.join(drift_columns)} from {ML_SCHEMA}.{DRIFT_TABLE}",
            drift_columns,
        ),
        api_requests=_read(
            settings,
            API_REQUESTS_TABLE,
            f"select {', '.join(API_REQUEST_COLUMNS)} from {API_REQUESTS_TABLE} "
            f"where requested_at >= cast('{since:%Y-%m-%d %H:%M:%S}' as timestamp)",
            API_REQUEST_COLUMNS,
        ),
        data_quality=_read(
            settings,
            DATA_QUALITY_TABLE,
            f"select {', '.join(quality_columns)} from {DATA_QUALITY_TABLE}",
            quality_columns,
        ),
    )


def find_breaches(
    metrics: OpsMetrics,
    runs: Sequence[RunSummary] | None,
    now: datetime,
    thresholds: OpsThresholds,
) -> list[Breach]:
    """Every breach; pipeline thresholds only when runs are given (None: not known here)."""
    found = [] if runs is None else pipeline_breaches(runs, now, thresholds)
    found += model_breaches(metrics.performance, metrics.drift, thresholds)
    found += latency_breaches(metrics.api_requests, now, thresholds)
    found += data_quality_breaches(metrics.data_quality, thresholds)
    return found


def reported_keys(settings: Settings) -> set[str]:
    sql = f"select distinct alert_key from {OPS_ALERTS_TABLE}"
    return set(_read(settings, OPS_ALERTS_TABLE, sql, ("alert_key",))["alert_key"])


def report_breaches(
    settings: Settings, breaches: Sequence[Breach], send: Sender | None = None
) -> list[tuple[Breach, str]]:
    """Send each breach not reported before to the ops channel and log it; returns what was
    sent and where. A breach whose sending fails is not logged, so the next check retries it."""
    from warehouse import append_frame

    if send is None:
        from notifier.ops import send_ops_message

        def send(settings: Settings, text: str, key: str) -> str:
            return send_ops_message(settings, text, key=key)

    done = reported_keys(settings)
    sent: list[tuple[Breach, str]] = []
    for breach in breaches:
        if breach.key in done:
            continue
        where = send(settings, breach.text, breach.key)
        done.add(breach.key)
        sent.append((breach, where))
        row = {
            "alert_key": breach.key,
            "metric": breach.metric,
            "subject": breach.subject,
            "metric_value": breach.value,
            "threshold": breach.threshold,
            "message": breach.text,
            "delivered_to": where,
            "sent_at": datetime.now(UTC).replace(tzinfo=None),
        }
        append_frame(
            settings,
            OPS_ALERTS_TABLE,
            pd.DataFrame([row]),
            ddl=[ops_alerts_ddl(settings.target)],
        )
    return sent


def check_and_report(
    settings: Settings,
    runs: Sequence[RunSummary] | None,
    *,
    now: datetime | None = None,
    thresholds: OpsThresholds | None = None,
    send: Sender | None = None,
    dry_run: bool = False,
) -> tuple[list[Breach], list[tuple[Breach, str]]]:
    """Read, judge, report: (every breach found, the ones sent now)."""
    now = now or datetime.now(UTC)
    thresholds = thresholds or OpsThresholds.from_env()
    breaches = find_breaches(read_ops_metrics(settings, now, thresholds), runs, now, thresholds)
    if dry_run:
        return breaches, []
    return breaches, report_breaches(settings, breaches, send)
