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
from warehouse.settings import Settings, env_whole_number


class FeatureFrames(Protocol):
    """What a training set needs from the feature store: Feast's gateway
    (``feature_repo.store.FeatureStoreGateway``) or Spark's (``feature_repo.spark_features``)."""

    def training_frame(self, spec: ModelSpec, entity_rows: pd.DataFrame) -> pd.DataFrame: ...


#: As-of dates an unsupervised model (segmentation) trains and checks on.
UNSUPERVISED_DATES = 4

#: Most (entity, as-of date) rows a training set reads through the feature store unless
#: ``CIW_TRAINING_MAX_ROWS`` says otherwise. At 100,000 customers the customer models' label
#: spines hold about 3M rows; at 1M ten times that, whose feature frame alone (about 60 float
#: columns) would not fit the memory the warehouse leaves. Above the cap a seeded sample of
#: whole entities is kept (every as-of date of a kept customer), so the time-based split, the
#: label rate and each date's share stay those of the full spine.
DEFAULT_TRAINING_MAX_ROWS = 3_000_000

#: Buckets of the entity hash the sample is drawn in (the kept share's resolution).
_SAMPLE_BUCKETS = 1_000_000


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
            entities = recent_entity_rows(settings, spec, as_of)
        else:
            labels = load_labels(settings, spec)
            if labels.empty:
                raise NotEnoughData(
                    f"{spec.label_model} has no matured label rows (the history before {as_of}"
                    " is shorter than the label horizon plus one spine step)"
                )
            entities = labels
        spine_rows = len(entities)
        entities = sample_entities(entities, spec.entity_column, training_max_rows())
        frame = gateway.training_frame(spec, entities)
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
    frame.attrs["spine_rows"] = spine_rows
    return frame


def training_max_rows() -> int:
    """The row cap of a training set: ``CIW_TRAINING_MAX_ROWS`` or the default."""
    return env_whole_number(
        "CIW_TRAINING_MAX_ROWS", DEFAULT_TRAINING_MAX_ROWS, what="a positive number of rows"
    )


def sample_entities(
    rows: pd.DataFrame, entity_column: str, max_rows: int, *, seed: int = 42
) -> pd.DataFrame:
    """``rows`` when it has at most ``max_rows`` rows, else the rows of a seeded sample of its
    entities holding about ``max_rows`` of them (every row of a kept entity; the same entities
    for the same ids and seed, whatever the row order or the warehouse)."""
    if len(rows) <= max_rows:
        return rows
    ids = rows[entity_column].astype("string").fillna("")
    hashed = pd.util.hash_pandas_object(ids, index=False, hash_key=f"ciw{seed:013d}")
    buckets = hashed.to_numpy() % _SAMPLE_BUCKETS
    keep = buckets < int(_SAMPLE_BUCKETS * max_rows / len(rows))
    return rows.loc[keep].reset_index(drop=True)


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
