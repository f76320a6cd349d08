"""The one object the pipeline uses to reach Feast for a warehouse.

``FeatureStoreGateway(settings)`` derives every Feast object from the dbt YAML, keeps this
warehouse's registry, online store and offline files under ``settings.artifacts_dir/feast``,
and offers the five things the pipeline needs: sync (export + apply), point-in-time training
frames, scoring frames, materialization, and the online profile with pushed scores.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from feature_repo.config import FeastOptions, feast_dir, reads_parquet_copies, repo_config
from feature_repo.data_sources import FEATURES_SCHEMA, offline_parquet_path, quote
from feature_repo.dbt_features import FEATURES_DIR, FeatureModel, load_feature_models
from feature_repo.feature_views import SCORE_COLUMNS, SCORES_TIMESTAMP, SCORES_VIEW
from feature_repo.online import OnlineReader
from feature_repo.repository import (
    FeastDefinitions,
    definitions_fingerprint,
    derive_definitions,
)
from ml.contracts import MODEL_SPECS, ModelSpec
from warehouse.settings import Settings

if TYPE_CHECKING:
    import duckdb
    from feast import FeatureStore, FeatureView

AS_OF = "as_of_date"
#: Entity-dataframe column that numbers the distinct (entity, date) pairs.
ROW_CODE = "ciw_row_code"


#: Rows per write to the online store: the scores of 1M customers go in bounded batches.
ONLINE_WRITE_BATCH_ROWS = 50_000


class FeatureStoreError(RuntimeError):
    """The feature store cannot do what was asked; the message says why in one line."""


class UnknownCustomer(LookupError):
    """The online store has neither features nor scores for this customer."""


@dataclass(frozen=True)
class SyncResult:
    applied: bool
    exported: int
    unchanged: int
    missing_models: str
    feature_views: int
    feature_services: int
    seconds: float


class FeatureStoreGateway:
    """Feast for one warehouse, derived from the dbt feature models' YAML."""

    def __init__(
        self,
        settings: Settings,
        options: FeastOptions | None = None,
        features_dir: Path = FEATURES_DIR,
        specs: Mapping[str, ModelSpec] = MODEL_SPECS,
    ) -> None:
        self.settings = settings
        self.options = options or FeastOptions.from_env()
        self.models: dict[str, FeatureModel] = load_feature_models(features_dir)
        self.specs = dict(specs)
        self.definitions: FeastDefinitions = derive_definitions(
            self.models, self.specs, settings, self.options
        )
        self._store: FeatureStore | None = None
        self._reader: OnlineReader | None = None

    # -- the Feast store -------------------------------------------------------------------

    @property
    def store(self) -> FeatureStore:
        if self._store is None:
            from feast import FeatureStore

            self._store = FeatureStore(config=repo_config(self.settings, self.options))
        return self._store

    @property
    def _state_path(self) -> Path:
        return feast_dir(self.settings) / "sync_state.json"

    def _read_state(self) -> dict[str, Any]:
        try:
            return dict(json.loads(self._state_path.read_text()))
        except (FileNotFoundError, json.JSONDecodeError):
            return {}

    def _feature_models(self) -> dict[str, FeatureModel]:
        return {name: model for name, model in self.models.items() if not model.is_label}

    # -- sync ----------------------------------------------------------------------------------

    def sync(self) -> SyncResult:
        """Export the offline Parquet (DuckDB, Spark) and apply the derived definitions.

        Idempotent: models whose rows did not change are not exported again, and the apply is
        skipped when the definitions fingerprint matches the last apply.
        """
        started = time.perf_counter()
        state = self._read_state()
        exported = unchanged = 0
        missing: tuple[str, ...] = ()
        if reads_parquet_copies(self.settings):
            from feature_repo.export import export_features

            with self._feature_tables() as duck:
                outcome = export_features(
                    duck, self.settings, self._feature_models(), state.get("exports", {})
                )
            state["exports"] = outcome.fingerprints
            exported, unchanged = len(outcome.exported), len(outcome.unchanged)
            missing = outcome.missing
        fingerprint = definitions_fingerprint(self.models, self.specs, self.settings, self.options)
        registry = Path(str(self.store.config.registry.path))
        applied = state.get("definitions") != fingerprint or not registry.exists()
        if applied:
            self.store.apply(self.definitions.objects(), partial=False)
            state["definitions"] = fingerprint
        self._state_path.write_text(json.dumps(state, indent=2, sort_keys=True))
        return SyncResult(
            applied=applied,
            exported=exported,
            unchanged=unchanged,
            missing_models=", ".join(missing),
            feature_views=len(self.definitions.feature_views),
            feature_services=len(self.definitions.services),
            seconds=round(time.perf_counter() - started, 3),
        )

    def _feature_tables(self) -> AbstractContextManager[duckdb.DuckDBPyConnection]:
        """DuckDB with the ``features`` tables the export reads: the warehouse file itself,
        or on Spark views over the Parquet that Spark writes of each feature table."""
        if self.settings.target == "spark":
            from feature_repo.spark_features import feature_tables_in_duckdb

            return feature_tables_in_duckdb(self.settings, self._feature_models())
        from warehouse.connections import connect_duckdb

        return connect_duckdb(self.settings)

    def _require_synced(self) -> None:
        if "definitions" not in self._read_state():
            raise FeatureStoreError(
                f"Feast is not synced for {self.settings.describe()}: call "
                "FeatureStoreGateway.sync() (the feast/feature_store asset) first"
            )

    # -- offline -------------------------------------------------------------------------------

    def training_frame(self, spec: ModelSpec, entity_rows: pd.DataFrame) -> pd.DataFrame:
        """``entity_rows`` with every feature of ``spec`` joined point-in-time by Feast.

        Only feature rows dated on or before a row's ``as_of_date`` and within the TTL reach
        it; rows without a feature value keep NaN. Feast sees each distinct (entity, date)
        once; labels and other columns stay here, in the caller's order.
        """
        keys = [spec.entity_column, AS_OF]
        rows = self._normalized_keys(spec, entity_rows)
        self._require_synced()
        service = self.definitions.services[spec.name]
        feature_names = self.feature_names(spec)
        overlap = sorted(set(feature_names) & set(rows.columns) - set(keys))
        if overlap:
            raise ValueError(f"entity_rows for {spec.name} already hold features: {overlap}")
        stamps = pd.to_datetime(rows[AS_OF])
        # One code per distinct (entity, date): Feast joins each once, the codes put the
        # features back on every caller row (duplicates included) without a merge.
        codes = rows.groupby([rows[spec.entity_column], stamps], sort=False).ngroup().to_numpy()
        first = ~pd.Series(codes).duplicated().to_numpy()
        if not first.any():
            return rows.assign(**{name: pd.Series(dtype="float64") for name in feature_names})
        entity_df = pd.DataFrame(
            {
                spec.entity_column: rows[spec.entity_column].to_numpy()[first],
                AS_OF: stamps.to_numpy()[first],
                ROW_CODE: codes[first],
            }
        )
        job = self.store.get_historical_features(entity_df=entity_df, features=service)
        features = job.to_df().set_index(ROW_CODE)[feature_names]
        values = features.reindex(codes).reset_index(drop=True)
        return pd.concat([rows, values], axis=1)

    def scoring_frame(self, spec: ModelSpec, as_of_date: date) -> pd.DataFrame:
        """Every entity of ``spec``'s first feature model at its latest date <= ``as_of_date``."""
        first = spec.feature_models[0]
        entities = self._latest_entities(self.models[first], as_of_date)
        return self.training_frame(spec, entities)

    def feature_names(self, spec: ModelSpec) -> list[str]:
        return service_feature_names(self.models, spec)

    def _normalized_keys(self, spec: ModelSpec, entity_rows: pd.DataFrame) -> pd.DataFrame:
        return normalized_entity_rows(self.models[spec.feature_models[0]], spec, entity_rows)

    def _latest_entities(self, model: FeatureModel, as_of_date: date) -> pd.DataFrame:
        entity = quote(model.entity_column)
        stamp = quote(model.timestamp_column)
        if reads_parquet_copies(self.settings):
            from warehouse.connections import scratch_duckdb

            self._require_synced()
            path = str(offline_parquet_path(self.settings, model.name)).replace("'", "''")
            relation = f"read_parquet('{path}')"
            with scratch_duckdb() as duck:
                frame = duck.execute(
                    f"select {entity} as entity, {stamp} as as_of from {relation} "
                    f"where {stamp} = (select max({stamp}) from {relation} where {stamp} < ?)",
                    [pd.Timestamp(as_of_date) + pd.Timedelta(days=1)],
                ).df()
        else:
            from warehouse import read_frame

            table = f"{quote(FEATURES_SCHEMA)}.{quote(model.name)}"
            frame = read_frame(
                self.settings,
                f"select {entity} as entity, {stamp} as as_of from {table} where {stamp} = "
                f"(select max({stamp}) from {table} where {stamp} <= '{as_of_date.isoformat()}')",
            )
        return pd.DataFrame(
            {
                model.entity_column: frame["entity"],
                AS_OF: pd.to_datetime(frame["as_of"]).dt.date,
            }
        )

    # -- online --------------------------------------------------------------------------------

    def materialize(self, end: datetime) -> int:
        """New feature values up to ``end`` into the online store, for the views it serves.

        Only the customer views the profile reads are served. The first call reaches back one
        TTL; each later one starts where the previous one ended (Feast keeps every view's last
        materialization end), so a daily run reads one day's rows, not the whole window.
        Returns how many feature views were materialized.
        """
        self._require_synced()
        end_utc = end if end.tzinfo else end.replace(tzinfo=UTC)
        views = [view.name for view in self._customer_views()]
        fresh: list[str] = []
        caught_up: list[str] = []
        for name in views:
            last = self.store.get_feature_view(name).most_recent_end_time
            last_utc = None if last is None else (last if last.tzinfo else last.replace(tzinfo=UTC))
            # Never materialized, or an earlier as-of date than the last run: one TTL's window.
            (fresh if last_utc is None or last_utc > end_utc else caught_up).append(name)
        if fresh:
            self.store.materialize(
                start_date=end_utc - self.options.ttl, end_date=end_utc, feature_views=fresh
            )
        if caught_up:
            self.store.materialize_incremental(end_date=end_utc, feature_views=caught_up)
        return len(views)

    def push_scores(self, scores: pd.DataFrame) -> None:
        """Each customer's latest scores into the online store (and the offline copy)."""
        if self.definitions.scores_view is None:
            raise FeatureStoreError("no dbt feature model has the customer entity")
        key = self.definitions.entities["customer"].join_key
        missing = [c for c in (key, *SCORE_COLUMNS) if c not in scores.columns]
        if missing:
            raise ValueError(f"scores lack column(s) {', '.join(missing)}")
        self._require_synced()
        frame = latest_scores(scores, key)
        if reads_parquet_copies(self.settings):
            path = offline_parquet_path(self.settings, SCORES_VIEW)
            path.parent.mkdir(parents=True, exist_ok=True)
            frame.to_parquet(path, index=False)
        for start in range(0, len(frame), ONLINE_WRITE_BATCH_ROWS):  # bounded memory at 1M
            self.store.write_to_online_store(
                SCORES_VIEW, frame.iloc[start : start + ONLINE_WRITE_BATCH_ROWS]
            )

    def customer_profile(self, customer_id: int, *, via_service: bool = False) -> dict[str, Any]:
        """One customer's online features and latest scores, by feature name.

        Reads the online store through Feast's ``OnlineStore`` object (``online.OnlineReader``);
        ``via_service=True`` takes ``FeatureStore.get_online_features`` with the profile
        service instead (same values, about twice the latency).
        """
        profile = self.definitions.profile_service
        if profile is None:
            raise FeatureStoreError("no dbt feature model has the customer entity")
        key = self.definitions.entities["customer"].join_key
        if via_service:
            response = self.store.get_online_features(
                features=profile, entity_rows=[{key: int(customer_id)}]
            ).to_dict()
            values = {name: column[0] for name, column in response.items()}
        else:
            try:
                values = self._online_reader().read(int(customer_id))
            except Exception as error:  # no online tables yet: nothing was materialized
                first = str(error).strip().splitlines()[0] if str(error).strip() else ""
                raise FeatureStoreError(
                    f"the online store has nothing to serve yet ({first}); run `ciw run`, "
                    "which materializes the features and scores"
                ) from None
        if all(value is None for name, value in values.items() if name != key):
            raise UnknownCustomer(f"customer {customer_id} has no online features or scores")
        return values

    def _online_reader(self) -> OnlineReader:
        if self._reader is None:
            views = [*self._customer_views(), self.definitions.scores_view]
            key = self.definitions.entities["customer"].join_key
            self._reader = OnlineReader(self.store.config, [v for v in views if v], key)
        return self._reader

    def _customer_views(self) -> list[FeatureView]:
        return [
            view
            for name, view in self.definitions.feature_views.items()
            if self.models[name].entity == "customer"
        ]


def service_feature_names(models: Mapping[str, FeatureModel], spec: ModelSpec) -> list[str]:
    """The features of ``spec`` in service order (views in spec order, YAML column order)."""
    return [name for model in spec.feature_models for name in models[model].feature_names]


def normalized_entity_rows(
    model: FeatureModel, spec: ModelSpec, entity_rows: pd.DataFrame
) -> pd.DataFrame:
    """``entity_rows`` with the key in the feature model's type and ``as_of_date`` as dates;
    a clear error when either cannot be."""
    keys = [spec.entity_column, AS_OF]
    missing = [column for column in keys if column not in entity_rows.columns]
    if missing:
        raise ValueError(f"entity_rows for {spec.name} lack column(s) {', '.join(missing)}")
    rows = entity_rows.reset_index(drop=True).copy()
    key = spec.entity_column
    try:
        rows[key] = rows[key].astype("int64" if model.entity_type == "Int64" else "str")
    except (TypeError, ValueError):
        raise ValueError(f"entity_rows.{key} must hold {model.entity_type} ids") from None
    if rows[AS_OF].isna().any():
        raise ValueError(f"entity_rows.{AS_OF} has empty values")
    if not _holds_dates(rows[AS_OF]):
        rows[AS_OF] = pd.to_datetime(rows[AS_OF]).dt.date
    return rows


def _holds_dates(column: pd.Series) -> bool:
    """True when every value is already a ``datetime.date`` (not a datetime): no conversion."""
    return bool(column.dtype == object and column.map(type).eq(date).all())


def latest_scores(scores: pd.DataFrame, key: str) -> pd.DataFrame:
    """One row per customer (the latest ``scored_at``), typed for the scores view."""
    frame = scores[[key, *SCORE_COLUMNS]].copy()
    frame[key] = frame[key].astype("int64")
    frame["scored_at"] = pd.to_datetime(frame["scored_at"], utc=True)
    for column, kind in SCORE_COLUMNS.items():
        if kind == "Float64":
            frame[column] = pd.to_numeric(frame[column]).astype("float64")
        elif kind == "Int64":
            frame[column] = pd.to_numeric(frame[column]).astype("Int64")
        elif kind == "String":
            frame[column] = frame[column].astype("string").astype(object)
    frame = frame.sort_values("scored_at").drop_duplicates(key, keep="last")
    return frame.assign(**{SCORES_TIMESTAMP: frame["scored_at"]}).reset_index(drop=True)
