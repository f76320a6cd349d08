"""Point-in-time feature frames on Spark, for populations that do not fit on the driver.

The same rows as Feast's point-in-time join over the same feature models (the DuckDB ASOF
join, the PostgreSQL ``DISTINCT ON``): for each entity row and each feature model, the model's
latest row dated on or before the entity row's date and no older than the TTL, else missing
values. Each model is projected as Feast reads it (``data_sources.select_sql``): only the
documented feature columns, each cast to its Feast type, the date as a timestamp. The result
is a lazy Spark ``DataFrame``: nothing is collected, so a caller can score it in the executors
(``ml.spark_scoring``) or write it out.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from feature_repo.config import FeastOptions, feast_dir
from feature_repo.data_sources import FEATURES_SCHEMA, SQL_TYPES, quote
from feature_repo.dbt_features import FEATURES_DIR, FeastType, FeatureModel, load_feature_models
from ml.contracts import ModelSpec
from warehouse.settings import Settings
from warehouse.spark import quote_spark, to_pandas

if TYPE_CHECKING:
    import duckdb
    from pyspark.sql import Column, DataFrame, SparkSession

#: The entity rows' date column (``feature_repo.store.AS_OF``).
AS_OF = "as_of_date"


def _typed(name: str, feast_type: FeastType) -> Column:
    from pyspark.sql import functions

    return functions.col(quote_spark(name)).cast(SQL_TYPES["spark"][feast_type]).alias(name)


@contextmanager
def feature_tables_in_duckdb(
    settings: Settings, models: Mapping[str, FeatureModel]
) -> Iterator[duckdb.DuckDBPyConnection]:
    """An in-memory DuckDB whose ``features.<model>`` views read a Parquet copy that Spark
    writes of each feature table, so that Feast's export (``feature_repo.export``) reads them as
    it reads the embedded warehouse. The executors write the copies (nothing is collected) to a
    scratch folder beside Feast's, removed afterwards; a model Spark lacks gets no view (the
    export then writes it empty, as on the other warehouses)."""
    import duckdb

    from warehouse.spark import spark_session

    spark = spark_session(settings)
    scratch = feast_dir(settings) / "spark_copies"
    shutil.rmtree(scratch, ignore_errors=True)
    duck = duckdb.connect()
    try:
        duck.execute(f"create schema {quote(FEATURES_SCHEMA)}")
        for name in models:
            table = f"{FEATURES_SCHEMA}.{name}"
            if not spark.catalog.tableExists(table):
                continue
            folder = scratch / name
            spark.table(table).write.mode("overwrite").parquet(str(folder))
            files = str(folder / "*.parquet").replace("'", "''")
            duck.execute(
                f"create view {quote(FEATURES_SCHEMA)}.{quote(name)} as "
                f"select * from read_parquet('{files}')"
            )
        yield duck
    finally:
        duck.close()
        shutil.rmtree(scratch, ignore_errors=True)


def feature_table(spark: SparkSession, model: FeatureModel) -> DataFrame:
    """A feature model as Feast reads it: key, timestamp and the documented features, typed."""
    from pyspark.sql import functions

    return spark.table(f"{FEATURES_SCHEMA}.{model.name}").select(
        _typed(model.entity_column, model.entity_type),
        functions.col(quote_spark(model.timestamp_column)).cast("timestamp").alias("_feature_ts"),
        *(_typed(column.name, column.feast_type) for column in model.columns),
    )


def latest_date(spark: SparkSession, model: FeatureModel, as_of: date) -> date | None:
    """The model's latest date on or before ``as_of`` (None when it has none)."""
    from pyspark.sql import functions

    stamp = functions.col(quote_spark(model.timestamp_column)).cast("date")
    found = (
        spark.table(f"{FEATURES_SCHEMA}.{model.name}")
        .where(stamp <= functions.lit(as_of))
        .agg(functions.max(stamp).alias("latest"))
        .first()
    )
    return None if found is None else found["latest"]


def current_entities(spark: SparkSession, model: FeatureModel, as_of: date) -> DataFrame:
    """Every entity of ``model`` at its latest date on or before ``as_of``: the rows that a
    scoring run scores (``FeatureStoreGateway.scoring_frame`` on the other warehouses)."""
    from pyspark.sql import functions

    latest = latest_date(spark, model, as_of)
    stamp = functions.col(quote_spark(model.timestamp_column)).cast("date")
    table = spark.table(f"{FEATURES_SCHEMA}.{model.name}")
    table = table.limit(0) if latest is None else table.where(stamp == functions.lit(latest))
    return table.select(_typed(model.entity_column, model.entity_type), stamp.alias(AS_OF))


def point_in_time_frame(
    spark: SparkSession,
    entities: DataFrame,
    models: Sequence[FeatureModel],
    ttl: timedelta | None,
) -> DataFrame:
    """``entities`` (the entity column and ``as_of_date``) with every feature of ``models``
    joined point in time, in model order and YAML column order.

    Each model is joined on its key with the feature rows dated within ``(as_of - ttl,
    as_of]``, and the latest of them is kept per entity row (a window over the key and date):
    the rows Feast's join gives, computed where the data is.
    """
    from pyspark.sql import Window, functions

    if not models:
        raise ValueError("point_in_time_frame needs at least one feature model")
    key = models[0].entity_column
    frame = entities.select(
        functions.col(quote_spark(key)),
        functions.col(AS_OF).cast("date").alias(AS_OF),
    ).withColumn("_entity_ts", functions.col(AS_OF).cast("timestamp"))
    for model in models:
        if model.entity_column != key:
            raise ValueError(f"{model.name} is keyed by {model.entity_column}, not {key}")
        features = feature_table(spark, model).withColumnRenamed(key, "_feature_key")
        condition = (frame[quote_spark(key)] == features["_feature_key"]) & (
            features["_feature_ts"] <= frame["_entity_ts"]
        )
        if ttl:
            seconds = int(ttl.total_seconds())
            condition &= features["_feature_ts"] >= frame["_entity_ts"] - functions.expr(
                f"make_dt_interval(0, 0, 0, {seconds})"
            )
        joined = frame.join(features, condition, "left")
        latest_first = Window.partitionBy(quote_spark(key), "_entity_ts").orderBy(
            functions.col("_feature_ts").desc_nulls_last()
        )
        frame = (
            joined.withColumn("_rank", functions.row_number().over(latest_first))
            .where(functions.col("_rank") == 1)
            .drop("_rank", "_feature_key", "_feature_ts")
        )
    return frame.drop("_entity_ts")


def scoring_frame(
    spark: SparkSession,
    models: Sequence[FeatureModel],
    as_of: date,
    ttl: timedelta | None,
) -> DataFrame:
    """Every current entity of the first model at ``as_of`` with the features of ``models``."""
    return point_in_time_frame(spark, current_entities(spark, models[0], as_of), models, ttl)


class SparkFeatures:
    """The offline side of ``FeatureStoreGateway`` on Spark: training and scoring frames with
    its signatures and its rows (``ml.training_sets.build_training_set`` takes either), the
    point-in-time join done by Spark. Training frames come to the driver, as training needs
    them; ``ml.spark_scoring`` scores without collecting."""

    def __init__(
        self,
        settings: Settings,
        options: FeastOptions | None = None,
        features_dir: Path = FEATURES_DIR,
    ) -> None:
        self.settings = settings
        self.options = options or FeastOptions.from_env()
        self.models: dict[str, FeatureModel] = load_feature_models(features_dir)

    @property
    def spark(self) -> SparkSession:
        from warehouse.spark import spark_session

        return spark_session(self.settings)

    def feature_names(self, spec: ModelSpec) -> list[str]:
        from feature_repo.store import service_feature_names

        return service_feature_names(self.models, spec)

    def _feature_models(self, spec: ModelSpec) -> list[FeatureModel]:
        return [self.models[name] for name in spec.feature_models]

    def training_frame(self, spec: ModelSpec, entity_rows: pd.DataFrame) -> pd.DataFrame:
        """``entity_rows`` with every feature of ``spec`` joined point in time (as
        ``FeatureStoreGateway.training_frame``: the caller's rows, in order, features after)."""
        from feature_repo.store import normalized_entity_rows

        key = spec.entity_column
        rows = normalized_entity_rows(self.models[spec.feature_models[0]], spec, entity_rows)
        overlap = sorted(set(self.feature_names(spec)) & set(rows.columns) - {key, AS_OF})
        if overlap:
            raise ValueError(f"entity_rows for {spec.name} already hold features: {overlap}")
        distinct = rows[[key, AS_OF]].drop_duplicates()
        if distinct.empty:
            return rows.assign(
                **{name: pd.Series(dtype="float64") for name in self.feature_names(spec)}
            )
        joined = point_in_time_frame(
            self.spark,
            self.spark.createDataFrame(distinct),
            self._feature_models(spec),
            self.options.ttl,
        )
        features = to_pandas(joined)
        return rows.merge(features, on=[key, AS_OF], how="left", validate="many_to_one")

    def scoring_frame(self, spec: ModelSpec, as_of_date: date) -> pd.DataFrame:
        """Every current entity with its features, collected: for small populations and tests;
        large ones are scored where they are (``ml.spark_scoring``)."""
        frame = scoring_frame(self.spark, self._feature_models(spec), as_of_date, self.options.ttl)
        return to_pandas(frame)
