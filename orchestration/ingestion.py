"""Raw loads: one multi-asset per source system, one asset per raw table.

Asset keys are ``raw/<source>/<table>``, the keys the dbt translator gives the dbt sources, so
the lineage runs from each raw table into its staging model. A source whose export folder is
absent is skipped, not failed: every source is optional.
"""

import os
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import dagster as dg

from orchestration.resources import WarehouseResource
from sources.contract import RawTable, raw_tables
from warehouse.paths import PROJECT_ROOT

SOURCES = (
    "crm",
    "support",
    "product",
    "billing",
    "commerce",
    "marketing",
    "training",
    "community",
    "surveys",
)
RAW_GROUP = "raw"

#: Loads touch files and the warehouse: retry briefly, backing off, before failing the run.
LOAD_RETRY = dg.RetryPolicy(max_retries=3, delay=5, backoff=dg.Backoff.EXPONENTIAL)

#: The dbt sources' freshness (warn after 36 h, error after 96 h): a missed daily load shows.
RAW_FRESHNESS = dg.FreshnessPolicy.time_window(
    fail_window=timedelta(hours=96), warn_window=timedelta(hours=36)
)


class ExportsConfig(dg.Config):  # type: ignore[misc]
    """Where the day's export files land: ``<exports_dir>/<source>/<table>*.csv|parquet``.

    Empty (the default, unless ``CIW_EXPORTS_DIR`` is set) means no landing folder: every load
    is skipped and dbt builds over the raw layer as ``ciw load`` left it.
    """

    exports_dir: str = os.environ.get("CIW_EXPORTS_DIR", "")

    def directory(self) -> Path | None:
        if not self.exports_dir:
            return None
        path = Path(self.exports_dir)
        return path if path.is_absolute() else PROJECT_ROOT / path


def raw_asset_key(source: str, table: str) -> dg.AssetKey:
    return dg.AssetKey(["raw", source, table])


def _tables_by_source() -> dict[str, list[RawTable]]:
    grouped: dict[str, list[RawTable]] = {}
    for table in raw_tables().values():
        grouped.setdefault(table.source, []).append(table)
    return grouped


def _spec(table: RawTable) -> dg.AssetSpec:
    return dg.AssetSpec(
        key=raw_asset_key(table.source, table.name),
        description=table.description or f"Raw {table.key} as loaded from the exports.",
        group_name=RAW_GROUP,
        kinds={"python"},
        skippable=True,
        freshness_policy=RAW_FRESHNESS,
        metadata={
            "dagster/table_name": table.relation,
            "primary_key": table.primary_key,
            "dagster/column_schema": dg.TableSchema(
                columns=[
                    dg.TableColumn(column.name, column.data_type, description=column.description)
                    for column in table.columns
                ]
            ),
        },
    )


def _build_source_assets(source: str, tables: list[RawTable]) -> dg.AssetsDefinition:
    specs = [_spec(table) for table in tables]

    @dg.multi_asset(
        name=f"load_{source}",
        specs=specs,
        can_subset=True,
        retry_policy=LOAD_RETRY,
        description=f"Validate and load the {source} exports into raw_{source}.",
    )
    def load_source(
        context: dg.AssetExecutionContext, config: ExportsConfig, warehouse: WarehouseResource
    ) -> Iterator[dg.MaterializeResult]:
        from sources.load import LoadError, ensure_raw_tables, load_directory

        settings = warehouse.settings()
        ensure_raw_tables(settings)
        exports = config.directory()
        source_dir = exports / source if exports else None
        per_table: dict[str, list[int]] = {}
        if exports and source_dir and source_dir.is_dir() and any(source_dir.iterdir()):
            try:
                report = load_directory(exports, settings, sources=[source])
            except LoadError as error:  # bad files do not get better by retrying
                raise dg.Failure(description=str(error), allow_retries=False) from error
            for file_load in report.files:
                totals = per_table.setdefault(file_load.table_key, [0, 0, 0])
                totals[0] += 1
                totals[1] += file_load.rows_loaded
                totals[2] += file_load.rows_quarantined
        elif source_dir is None:
            context.log.info(f"no exports folder configured; {source} load skipped")
        else:
            context.log.info(f"no {source} exports in {source_dir}; source skipped")
        for key in sorted(context.selected_asset_keys, key=lambda k: k.to_user_string()):
            table = f"{source}.{key.path[-1]}"
            files, loaded, quarantined = per_table.get(table, [0, 0, 0])
            # Absent files still yield a result (status "skipped") so dbt builds over the
            # tables as they stand instead of Dagster skipping every downstream model.
            yield dg.MaterializeResult(
                asset_key=key,
                metadata={
                    "status": "loaded" if files else "skipped: no export files",
                    "files": files,
                    "rows_loaded": loaded,
                    "rows_quarantined": quarantined,
                    "exports_dir": str(source_dir or ""),
                },
            )

    return load_source


def build_ingestion_assets() -> list[dg.AssetsDefinition]:
    grouped = _tables_by_source()
    return [
        _build_source_assets(source, grouped[source]) for source in SOURCES if source in grouped
    ]


def build_ingestion_defs() -> dg.Definitions:
    return dg.Definitions(assets=build_ingestion_assets())
