"""Point-in-time training sets: label rows joined with the spec's features through Feast.

``build_training_set`` saves each model's set as Parquet for the training step, or writes why it
could not be built; ``run_as_of_date`` is the as-of date of the last dbt build, which training
and scoring both work at. Plain functions over the warehouse and the feature store gateway.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Protocol

import pandas as pd

from ml.contracts import ModelSpec
from warehouse import read_frame
from warehouse.settings import Settings


class FeatureFrames(Protocol):
    """What a training set needs from the feature store: Feast's gateway
    (``feature_repo.store.FeatureStoreGateway``) or Spark's (``feature_repo.spark_features``)."""

    def training_frame(self, spec: ModelSpec, entity_rows: pd.DataFrame) -> pd.DataFrame: ...


#: As-of dates an unsupervised model (segmentation) trains and checks on.
UNSUPERVISED_DATES = 4


class NotEnoughData(ValueError):
    """A model cannot be trained or scored on this warehouse (e.g. no B2B sources loaded)."""


def training_set_path(settings: Settings, model_name: str) -> Path:
    return settings.artifacts_dir / "training_sets" / f"{model_name}.parquet"


def run_as_of_date(settings: Settings) -> date:
    """The as-of date the last dbt build used: the latest date of the feature spine."""
    frame = read_frame(
        settings, "select max(as_of_date) as as_of_date from intermediate.int_as_of_dates"
    )
    value = frame["as_of_date"].iloc[0] if len(frame) else None
    if value is None or pd.isna(value):
        raise NotEnoughData("the feature spine is empty: run dbt (ciw run) first")
    return pd.Timestamp(value).date()


def load_labels(settings: Settings, spec: ModelSpec) -> pd.DataFrame:
    """The label model's rows: entity, as_of_date, the target (and its horizon when it has one)."""
    if spec.label_model is None or spec.label_column is None:
        raise ValueError(f"{spec.name} has no label model")
    horizon = ", horizon_days" if spec.horizon_var else ""
    frame = read_frame(
        settings,
        f"select {spec.entity_column}, as_of_date, {spec.label_column}{horizon} "
        f"from features.{spec.label_model}",
    )
    frame["as_of_date"] = pd.to_datetime(frame["as_of_date"]).dt.date
    return frame


def build_training_set(
    settings: Settings, spec: ModelSpec, gateway: FeatureFrames, as_of: date
) -> pd.DataFrame:
    """Label rows joined point-in-time with the spec's features (through Feast), saved as Parquet.

    Segmentation has no labels: its training set is every entity's feature rows on the last
    ``UNSUPERVISED_DATES`` as-of dates (the latest one is its holdout).
    """
    path = training_set_path(settings, spec.name)
    skipped = skipped_reason_path(settings, spec.name)
    path.unlink(missing_ok=True)  # a stale set from an earlier run must not train this one
    skipped.unlink(missing_ok=True)
    try:
        if spec.label_model is None:
            frame = gateway.training_frame(spec, recent_entity_rows(settings, spec, as_of))
        else:
            labels = load_labels(settings, spec)
            if labels.empty:
                raise NotEnoughData(
                    f"{spec.label_model} has no matured label rows (the history before {as_of}"
                    " is shorter than the label horizon plus one spine step)"
                )
            frame = gateway.training_frame(spec, labels)
        if frame.empty:
            raise NotEnoughData(f"the training set of {spec.name} is empty")
    except NotEnoughData as reason:
        skipped.parent.mkdir(parents=True, exist_ok=True)
        skipped.write_text(str(reason))
        raise
    # Row order is not part of the data: the same rows give the same model on either warehouse.
    frame = frame.sort_values(["as_of_date", spec.entity_column], kind="stable")
    frame = frame.reset_index(drop=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_parquet(path, index=False)
    return frame


def skipped_reason_path(settings: Settings, model_name: str) -> Path:
    """Why the last training set of a model could not be built (absent when it was)."""
    return settings.artifacts_dir / "training_sets" / f"{model_name}.skipped.txt"


def recent_entity_rows(settings: Settings, spec: ModelSpec, as_of: date) -> pd.DataFrame:
    """(entity, as_of_date) of the spec's first feature model on its latest as-of dates."""
    table = f"features.{spec.feature_models[0]}"
    frame = read_frame(
        settings,
        f"select {spec.entity_column}, as_of_date from {table} where as_of_date in ("
        f"select distinct as_of_date from {table} where as_of_date <= '{as_of.isoformat()}' "
        f"order by as_of_date desc limit {UNSUPERVISED_DATES})",
    )
    frame["as_of_date"] = pd.to_datetime(frame["as_of_date"]).dt.date
    return frame


def label_horizon(frame: pd.DataFrame) -> int | None:
    if "horizon_days" not in frame.columns or frame["horizon_days"].isna().all():
        return None
    return int(frame["horizon_days"].max())
