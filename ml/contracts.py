"""What the ML side shares with the warehouse, Feast, Dagster and the notifier.

One place names the models, their entities, label models and feature models, and the warehouse
tables the ML code writes (predictions, registry, drift, performance). Everything else imports
these names instead of repeating them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from warehouse.adapters import float_type
from warehouse.settings import Target

ModelKind = Literal["classifier", "regressor", "clustering", "scorecard"]

#: Warehouse schema of every table the ML code writes (outside dbt; dbt reads them as sources).
ML_SCHEMA = "ml"
#: Append-only scores, one row per model version x entity x scoring run.
PREDICTIONS_TABLE = "predictions"
#: One row per registered model version (the registry's listing).
REGISTRY_TABLE = "model_registry"
#: One row per drift check x column (and one for the score) per run.
DRIFT_TABLE = "drift_results"
#: One row per performance check (matured labels vs the value at training) per run.
PERFORMANCE_TABLE = "model_performance"

#: How many top factors each prediction row carries.
TOP_FACTORS = 3


@dataclass(frozen=True)
class ModelSpec:
    """A model the pipeline trains, registers and scores."""

    name: str
    entity: str
    entity_column: str
    kind: ModelKind
    #: dbt feature models (tag ``feature``) whose columns are the candidate features.
    feature_models: tuple[str, ...]
    #: dbt label model and its target column; None for unsupervised models.
    label_model: str | None = None
    label_column: str | None = None
    #: The target is ``not label_column`` (deal risk = probability the deal is lost).
    invert_label: bool = False
    #: Holdout metric that decides champion vs challenger, and whether higher is better.
    primary_metric: str = "roc_auc"
    higher_is_better: bool = True
    #: dbt var holding the label horizon in days (None: no horizon).
    horizon_var: str | None = None
    #: The learners ``ml.training.fit_and_evaluate`` fits and compares on the holdout, in order
    #: (the first wins a tie). Customer churn and CLV are also judged beside the BTYD models of
    #: ``ml.candidates``, which need no learner here.
    candidates: tuple[str, ...] = ()
    description: str = ""


#: Customer features that an orders-only export fills completely.
CUSTOMER_ORDER_FEATURES = ("customer_order_features",)
CUSTOMER_FEATURES = (
    "customer_order_features",
    "customer_engagement_features",
    "customer_category_features",
    "customer_identity_features",
)
ACCOUNT_FEATURES = (
    "account_usage_features",
    "account_support_features",
    "account_billing_features",
    "account_engagement_features",
    "account_adoption_features",
)

MODEL_SPECS: dict[str, ModelSpec] = {
    spec.name: spec
    for spec in (
        ModelSpec(
            name="customer_churn",
            entity="customer",
            entity_column="customer_id",
            kind="classifier",
            feature_models=CUSTOMER_FEATURES,
            label_model="customer_churn_labels",
            label_column="is_churned",
            primary_metric="roc_auc",
            horizon_var="churn_horizon_days",
            candidates=("lightgbm",),
            description="Commerce churn: no purchase in the next N days (LightGBM, calibrated).",
        ),
        ModelSpec(
            name="customer_clv",
            entity="customer",
            entity_column="customer_id",
            kind="regressor",
            feature_models=CUSTOMER_FEATURES,
            label_model="customer_revenue_labels",
            label_column="future_revenue",
            primary_metric="mae",
            higher_is_better=False,
            horizon_var="clv_horizon_days",
            candidates=("lightgbm",),
            description="Customer lifetime value: revenue in the next N days (LightGBM regressor).",
        ),
        ModelSpec(
            name="customer_segments",
            entity="customer",
            entity_column="customer_id",
            kind="clustering",
            feature_models=CUSTOMER_ORDER_FEATURES,
            primary_metric="silhouette",
            candidates=("kmeans",),
            description="RFM segments (KMeans on recency, frequency, monetary), named.",
        ),
        ModelSpec(
            name="account_churn",
            entity="account",
            entity_column="account_id",
            kind="classifier",
            feature_models=ACCOUNT_FEATURES,
            label_model="account_churn_labels",
            label_column="is_churned",
            primary_metric="roc_auc",
            horizon_var="account_churn_horizon_days",
            candidates=("lightgbm",),
            description="Account churn: subscription cancelled in the next N days (LightGBM).",
        ),
        ModelSpec(
            name="deal_risk",
            entity="opportunity",
            entity_column="opportunity_id",
            kind="classifier",
            feature_models=("opportunity_features",),
            label_model="opportunity_outcome_labels",
            label_column="is_won",
            invert_label=True,
            primary_metric="roc_auc",
            candidates=("logistic", "lightgbm"),
            description="Deal risk: lost vs won (logistic regression, LightGBM challenger).",
        ),
        ModelSpec(
            name="lead_score",
            entity="lead",
            entity_column="lead_id",
            kind="classifier",
            feature_models=("lead_features",),
            label_model="lead_conversion_labels",
            label_column="is_converted",
            primary_metric="roc_auc",
            horizon_var="lead_conversion_horizon_days",
            candidates=("logistic",),
            description="Lead score: converted within N days (logistic regression).",
        ),
    )
}


def predictions_ddl(target: Target) -> str:
    """``create table if not exists`` for the append-only predictions table."""
    double = float_type(target)
    factors = ",\n".join(
        f"    factor_{i}_name varchar,\n    factor_{i}_contribution {double}"
        for i in range(1, TOP_FACTORS + 1)
    )
    return f"""
create table if not exists {ML_SCHEMA}.{PREDICTIONS_TABLE} (
    model_name varchar not null,
    model_version varchar not null,
    entity varchar not null,
    entity_id varchar not null,
    as_of_date date not null,
    score {double} not null,
    score_lower {double},
    score_upper {double},
    score_label varchar,
    horizon_days integer,
{factors},
    scored_at timestamp not null,
    run_id varchar not null
)"""
