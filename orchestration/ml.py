"""Feast, training sets, models and scoring as assets between the two dbt steps.

dbt features -> feast/feature_store (export + apply) -> ml/<model>/training_set -> ml/<model>/model
(train, evaluate against the baseline, register) -> ml/predictions (every champion scores every
current entity) -> the dbt marts that read scores -> feast/online_scores. The logic lives in
``ml.training_sets``, ``ml.selection``, ``ml.scoring`` and ``feature_repo``; this module only
wires it.
"""

import uuid
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

import dagster as dg
import pandas as pd

from ml.contracts import ML_SCHEMA, MODEL_SPECS, PREDICTIONS_TABLE, ModelSpec
from orchestration.dbt import model_key
from orchestration.resources import WarehouseResource, warehouse_writer_job
from warehouse.settings import Settings

if TYPE_CHECKING:
    from ml.registry import ModelRegistry
    from ml.training_sets import FeatureFrames

FEAST_GROUP = "feature_store"
ML_GROUP = "ml"

FEATURE_STORE_KEY = dg.AssetKey(["feast", "feature_store"])
ONLINE_FEATURES_KEY = dg.AssetKey(["feast", "online_features"])
ONLINE_SCORES_KEY = dg.AssetKey(["feast", "online_scores"])
PREDICTIONS_KEY = dg.AssetKey([ML_SCHEMA, PREDICTIONS_TABLE])
#: The job the schedule and the retraining sensor start.
RETRAINING_JOB = "model_retraining"

#: The warehouse (and the Feast stores on it) can be briefly out of reach: retry with backoff.
#: Too little data is not an error (the asset reports why it skipped), so retries stay rare.
ML_RETRY = dg.RetryPolicy(max_retries=2, delay=10, backoff=dg.Backoff.EXPONENTIAL)


def training_set_key(model_name: str) -> dg.AssetKey:
    return dg.AssetKey([ML_SCHEMA, model_name, "training_set"])


def model_asset_key(model_name: str) -> dg.AssetKey:
    return dg.AssetKey([ML_SCHEMA, model_name, "model"])


def _feature_and_label_models() -> list[str]:
    names: set[str] = set()
    for spec in MODEL_SPECS.values():
        names.update(spec.feature_models)
        if spec.label_model:
            names.add(spec.label_model)
    return sorted(names)


@dg.asset(
    retry_policy=ML_RETRY,
    key=FEATURE_STORE_KEY,
    group_name=FEAST_GROUP,
    deps=[model_key(name) for name in _feature_and_label_models()],
    description="Feast definitions derived from the dbt feature YAML, applied; offline data "
    "exported from the feature models (Parquet on DuckDB, read in place on Postgres).",
)
def feature_store(warehouse: WarehouseResource) -> dg.Output[None]:
    from feature_repo.store import FeatureStoreGateway

    result = FeatureStoreGateway(warehouse.settings()).sync()
    return dg.Output(None, metadata=_as_metadata(result))


@dg.asset(
    retry_policy=ML_RETRY,
    key=ONLINE_FEATURES_KEY,
    group_name=FEAST_GROUP,
    deps=[FEATURE_STORE_KEY],
    description="The latest feature values materialized to the online store (SQLite / Postgres).",
)
def online_features(warehouse: WarehouseResource) -> dg.Output[None]:
    from feature_repo.store import FeatureStoreGateway

    materialized = FeatureStoreGateway(warehouse.settings()).materialize(datetime.now(UTC))
    return dg.Output(None, metadata={"materialized": materialized})


def offline_features(settings: Settings) -> "FeatureFrames":
    """Where training sets read their point-in-time features: Feast, or on Spark Spark's own
    join over the same feature tables (the same rows; ``feature_repo.spark_features``)."""
    if settings.target == "spark":
        from feature_repo.spark_features import SparkFeatures

        return SparkFeatures(settings)
    from feature_repo.store import FeatureStoreGateway

    return FeatureStoreGateway(settings)


def _training_set_asset(spec: ModelSpec) -> dg.AssetsDefinition:
    deps = [FEATURE_STORE_KEY]
    if spec.label_model:
        deps.append(model_key(spec.label_model))

    @dg.asset(
        retry_policy=ML_RETRY,
        key=training_set_key(spec.name),
        group_name=ML_GROUP,
        deps=deps,
        description=f"Point-in-time training set of {spec.name} (Feast get_historical_features "
        "over the label spine), saved as Parquet.",
    )
    def _training_set(warehouse: WarehouseResource) -> dg.MaterializeResult:
        from ml.training_sets import NotEnoughData, build_training_set, run_as_of_date

        settings = warehouse.settings()
        try:
            frame = build_training_set(
                settings, spec, offline_features(settings), run_as_of_date(settings)
            )
        except NotEnoughData as reason:
            return dg.MaterializeResult(metadata={"rows": 0, "skipped": str(reason)})
        return dg.MaterializeResult(
            metadata={
                "rows": len(frame),
                "spine_rows": int(frame.attrs.get("spine_rows", len(frame))),
                "columns": len(frame.columns),
                "as_of_dates": int(frame["as_of_date"].nunique()),
            }
        )

    return _training_set


def _model_asset(spec: ModelSpec) -> dg.AssetsDefinition:
    @dg.asset(
        retry_policy=ML_RETRY,
        key=model_asset_key(spec.name),
        group_name=ML_GROUP,
        deps=[training_set_key(spec.name)],
        description=f"{spec.description} Trained on a time-based split, evaluated beside its "
        "baseline and registered; a challenger replaces the champion only when better on "
        "the holdout, and never when it does not beat its rule baseline (rule:<name>).",
    )
    def _model(warehouse: WarehouseResource) -> dg.MaterializeResult:
        from ml.registry import ModelRegistry
        from ml.selection import train_and_register
        from ml.training_sets import skipped_reason_path, training_set_path

        settings = warehouse.settings()
        path = training_set_path(settings, spec.name)
        frame = pd.read_parquet(path) if path.exists() else None
        skipped = skipped_reason_path(settings, spec.name)
        missing = skipped.read_text() if skipped.exists() else "no training set"
        outcome = train_and_register(
            settings, spec, frame, ModelRegistry(settings), missing_labels=missing
        )
        metadata: dict[str, Any] = {"trained": outcome.trained}
        metadata |= {f"not_trained/{name}": text for name, text in outcome.not_trained.items()}
        if not outcome.trained:
            metadata["skipped"] = outcome.reason
            return dg.MaterializeResult(metadata=metadata)
        metadata |= {
            "version": outcome.version,
            "chosen": outcome.chosen,
            "chosen_because": outcome.chosen_because,
            "evaluation": outcome.evaluation,
            "candidates": ", ".join(f"{k}={v}" for k, v in sorted(outcome.candidates.items())),
            "became_champion": outcome.became_champion,
            "champion": outcome.champion_version,
            "baseline": outcome.baseline_name,
            "train_rows": outcome.train_rows,
            "holdout_rows": outcome.holdout_rows,
            **{f"holdout/{k}": float(v) for k, v in outcome.metrics.items()},
            **{f"baseline/{k}": float(v) for k, v in outcome.baseline_metrics.items()},
        }
        if outcome.reason:  # trained, but kept from the champion (lost to its rule)
            metadata["note"] = outcome.reason
        if outcome.artifact_dir is not None:
            metadata["artifacts"] = dg.MetadataValue.path(str(outcome.artifact_dir))
        return dg.MaterializeResult(metadata=metadata)

    return _model


@dg.asset(
    retry_policy=ML_RETRY,
    key=PREDICTIONS_KEY,
    group_name=ML_GROUP,
    # The feature store directly, not only through the models: the daily job leaves training
    # (and so the models) out, and without this edge it scored before Feast had the new day.
    deps=[FEATURE_STORE_KEY, *(model_asset_key(name) for name in MODEL_SPECS)],
    description="Every champion scores every current entity; rows appended to ml.predictions "
    "with the model version, the scoring time and the top three factors. A model without a "
    "champion (or whose champion fails to score) is served by its rule, as rule:<name>.",
)
def predictions(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.Output[None]:
    from feature_repo.store import FeatureStoreGateway
    from ml.registry import ModelRegistry
    from ml.scoring import ScoringFrames, score_model, write_predictions
    from ml.training_sets import NotEnoughData, run_as_of_date

    settings = warehouse.settings()
    registry = ModelRegistry(settings)
    as_of = run_as_of_date(settings)
    run_id = context.run.run_id or uuid.uuid4().hex
    scored_at = datetime.now(UTC)
    if settings.target == "spark":  # scored in the executors, written through Spark
        on_spark = spark_predictions(settings, registry, as_of, run_id, scored_at)
        return dg.Output(None, metadata={"as_of_date": as_of.isoformat(), **on_spark})
    gateway = FeatureStoreGateway(settings)
    counts: dict[str, Any] = {}
    frames: ScoringFrames = {}  # churn and CLV read the same point-in-time features once
    for spec in MODEL_SPECS.values():
        try:
            rows = score_model(
                settings,
                spec,
                gateway,
                registry,
                as_of=as_of,
                run_id=run_id,
                scored_at=scored_at,
                skip_scored=True,
                frames=frames,
            )
        except NotEnoughData as reason:
            counts[f"{spec.name}/skipped"] = str(reason)
            continue
        if rows.empty:
            counts[f"{spec.name}/skipped"] = f"the champion already scored {as_of}"
            continue
        counts[spec.name] = write_predictions(settings, rows)
        if not rows.empty:  # the champion's version, or rule:<name> when the rule stood in
            counts[f"{spec.name}/model_version"] = str(rows["model_version"].iloc[0])
    return dg.Output(None, metadata={"as_of_date": as_of.isoformat(), **counts})


def spark_predictions(
    settings: Settings, registry: "ModelRegistry", as_of: date, run_id: str, scored_at: datetime
) -> dict[str, Any]:
    """The scoring step on Spark (``ml.spark_scoring``): what the loop above does, per model,
    the population scored where it lives; a champion that already scored ``as_of`` is skipped."""
    from feature_repo.spark_features import SparkFeatures
    from ml.scoring import already_scored
    from ml.spark_scoring import score_model_on_spark
    from ml.training_sets import NotEnoughData

    features = SparkFeatures(settings)
    counts: dict[str, Any] = {}
    for spec in MODEL_SPECS.values():
        champion = registry.champion(spec.name)
        if champion is not None and already_scored(settings, spec.name, champion.version, as_of):
            counts[f"{spec.name}/skipped"] = f"the champion already scored {as_of}"
            continue
        try:
            scored = score_model_on_spark(
                settings,
                spec,
                registry,
                features.models,
                as_of=as_of,
                run_id=run_id,
                ttl=features.options.ttl,
                scored_at=scored_at,
            )
        except NotEnoughData as reason:
            counts[f"{spec.name}/skipped"] = str(reason)
            continue
        counts[spec.name] = scored.rows
        counts[f"{spec.name}/model_version"] = scored.model_version
    return counts


@dg.asset(
    retry_policy=ML_RETRY,
    key=ONLINE_SCORES_KEY,
    group_name=FEAST_GROUP,
    deps=[model_key("customer_risk_scores"), ONLINE_FEATURES_KEY],
    description="Each customer's latest scores pushed to the online store for the profile API.",
)
def online_scores(warehouse: WarehouseResource) -> dg.Output[None]:
    from feature_repo.store import FeatureStoreGateway
    from warehouse import read_frame

    settings = warehouse.settings()
    scores = read_frame(
        settings,
        "select customer_id, churn_probability, churn_risk_band, predicted_revenue, "
        "clv_horizon_days, segment_name, scored_at from marts.customer_risk_scores",
    )
    if not scores.empty:
        FeatureStoreGateway(settings).push_scores(scores)
    return dg.Output(None, metadata={"customers": len(scores)})


def _as_metadata(result: Any) -> dict[str, Any]:
    if result is None:
        return {}
    if hasattr(result, "__dataclass_fields__"):
        return {
            name: value if isinstance(value, int | float | str | bool) else str(value)
            for name, value in vars(result).items()
        }
    return {"result": str(result)}


ML_ASSETS: list[dg.AssetsDefinition] = [
    feature_store,
    online_features,
    *[_training_set_asset(spec) for spec in MODEL_SPECS.values()],
    *[_model_asset(spec) for spec in MODEL_SPECS.values()],
    predictions,
    online_scores,
]

#: Training: every training set and model. The daily run leaves it out (it scores with the
#: champions); the first run, ``ciw train``, the monthly schedule and the sensor include it.
TRAINING_SELECTION = dg.AssetSelection.assets(
    *[training_set_key(name) for name in MODEL_SPECS]
) | dg.AssetSelection.assets(*[model_asset_key(name) for name in MODEL_SPECS])

#: Retraining rebuilds the training sets and models (and scores with the new champions).
RETRAINING_SELECTION = TRAINING_SELECTION | dg.AssetSelection.assets(PREDICTIONS_KEY)

model_retraining_job = warehouse_writer_job(
    RETRAINING_JOB,
    selection=RETRAINING_SELECTION,
    description="Rebuild every training set, retrain and register every model, score again.",
)


def build_ml_defs() -> dg.Definitions:
    return dg.Definitions(assets=ML_ASSETS, jobs=[model_retraining_job])
