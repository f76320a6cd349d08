"""Drift checks run and stored: the latest scored frame against the champion's snapshot.

``run_drift_check`` compares the frame the scoring step left with the champion's training
snapshot (``ml.monitoring.drift.check_drift``), writes the Evidently HTML report under
``<artifacts>/drift/<model>/`` (the newest ``KEPT_REPORTS`` are kept) and appends one row per
tested column to ``ml.drift_results`` on DuckDB or PostgreSQL.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from ml.contracts import DRIFT_TABLE, ML_SCHEMA, MODEL_SPECS
from ml.monitoring.champion import ChampionSource, ChampionVersion, NothingToCheck
from ml.monitoring.drift import DriftResult, DriftThresholds, check_drift
from ml.scoring import scored_frame_path
from warehouse.adapters import float_type

if TYPE_CHECKING:
    from warehouse.settings import Settings, Target


def drift_report_path(settings: Settings, model_name: str, run_id: str) -> Path:
    """Where the HTML report of one check run lives: ``<artifacts>/drift/<model>/<run>.html``."""
    safe_run = re.sub(r"[^A-Za-z0-9_.-]", "_", run_id)
    return settings.artifacts_dir / "drift" / model_name / f"{safe_run}.html"


#: HTML reports kept per model (about 5 MB each: Evidently embeds its scripts); older go.
KEPT_REPORTS = 30


def prune_reports(folder: Path, keep: int = KEPT_REPORTS) -> list[Path]:
    """Remove all but the ``keep`` newest HTML reports in a model's report folder."""
    if not folder.is_dir():
        return []
    reports = sorted(folder.glob("*.html"), key=lambda path: path.stat().st_mtime, reverse=True)
    for report in reports[keep:]:
        report.unlink(missing_ok=True)
    return reports[keep:]


DRIFT_COLUMNS = (
    "run_id",
    "model_name",
    "model_version",
    "checked_at",
    "column_name",
    "column_role",
    "column_type",
    "stattest",
    "drift_score",
    "threshold",
    "is_drifted",
    "share_drifted",
    "dataset_drifted",
    "reference_rows",
    "current_rows",
    "report_path",
)


def drift_table_ddl(target: Target) -> str:
    """``create table if not exists`` for ``ml.drift_results`` (one row per column per run)."""
    double = float_type(target)
    return f"""
create table if not exists {ML_SCHEMA}.{DRIFT_TABLE} (
    run_id varchar not null,
    model_name varchar not null,
    model_version varchar not null,
    checked_at timestamp not null,
    column_name varchar not null,
    column_role varchar not null,
    column_type varchar not null,
    stattest varchar not null,
    drift_score {double},
    threshold {double} not null,
    is_drifted boolean not null,
    share_drifted {double} not null,
    dataset_drifted boolean not null,
    reference_rows integer not null,
    current_rows integer not null,
    report_path varchar
)"""


def drift_rows(result: DriftResult, run_id: str) -> pd.DataFrame:
    """The rows ``write_drift_results`` stores: the features first, the score last."""
    tested = [*result.columns, *([result.score] if result.score else [])]
    records = [
        {
            "run_id": run_id,
            "model_name": result.model_name,
            "model_version": result.model_version,
            "checked_at": result.checked_at,
            "column_name": row.column,
            "column_role": row.role,
            "column_type": row.column_type,
            "stattest": row.stattest,
            "drift_score": None if math.isnan(row.drift_score) else row.drift_score,
            "threshold": row.threshold,
            "is_drifted": row.is_drifted,
            "share_drifted": result.share_drifted,
            "dataset_drifted": result.is_drifted,
            "reference_rows": result.reference_rows,
            "current_rows": result.current_rows,
            "report_path": str(result.report_path) if result.report_path else None,
        }
        for row in tested
    ]
    return pd.DataFrame.from_records(records, columns=list(DRIFT_COLUMNS))


def write_drift_results(settings: Settings, result: DriftResult, run_id: str) -> int:
    """Append the result's rows to ``ml.drift_results``; returns how many were written."""
    from warehouse import append_frame

    return append_frame(
        settings,
        f"{ML_SCHEMA}.{DRIFT_TABLE}",
        drift_rows(result, run_id),
        ddl=[drift_table_ddl(settings.target)],
    )


def run_drift_check(
    settings: Settings,
    registry: ChampionSource,
    model_name: str,
    *,
    run_id: str,
    thresholds: DriftThresholds | None = None,
) -> DriftResult:
    """Compare the latest scored frame with the champion's training snapshot, write the HTML
    report and append the rows to ``ml.drift_results``."""
    spec = MODEL_SPECS[model_name]
    champion: ChampionVersion | None = registry.champion(model_name)
    if champion is None:
        raise NothingToCheck(f"{model_name} has no champion yet")
    path = scored_frame_path(settings, model_name)
    if not path.is_file():
        raise NothingToCheck(f"{model_name} has no scored frame at {path}")
    reference = registry.reference(champion)
    current = pd.read_parquet(path)
    columns = [column for column in champion.features if column != spec.entity_column]
    result = check_drift(
        reference,
        current,
        columns=columns,
        model_name=model_name,
        model_version=champion.version,
        thresholds=thresholds,
        report_path=drift_report_path(settings, model_name, run_id),
    )
    write_drift_results(settings, result, run_id)
    if result.report_path is not None:
        prune_reports(result.report_path.parent)
    return result
