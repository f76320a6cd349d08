"""Resources: the warehouse from ``Settings`` and a dbt CLI pointed at the same warehouse."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import dagster as dg
from dagster_dbt import DbtCliInvocation, DbtCliResource, DbtProject

from orchestration.memory import release_memory_hook
from warehouse.dbt import pipeline_target_path
from warehouse.paths import DATA_DIR, DBT_PROJECT_DIR
from warehouse.settings import TARGETS, Settings, Target

if TYPE_CHECKING:
    from packaging.version import Version

#: Jobs that write the warehouse carry this tag; dagster.yaml lets one such run go at a time
#: (``ciw run`` and ``ciw load`` take the warehouse's run lock themselves: warehouse/locks.py).
WAREHOUSE_WRITER_TAGS = {"ciw/warehouse": "writer"}


def warehouse_writer_job(
    name: str, selection: dg.AssetSelection, description: str
) -> dg.UnresolvedAssetJobDefinition:
    """An asset job that writes the warehouse: the writer tag (one such run at a time) and the
    hook that hands each step's freed memory back before the next (orchestration/memory.py)."""
    return dg.define_asset_job(
        name,
        selection=selection,
        description=description,
        tags=WAREHOUSE_WRITER_TAGS,
        hooks={release_memory_hook},
    )


class WarehouseResource(dg.ConfigurableResource):  # type: ignore[misc]
    """The one warehouse every step uses. The password is read from ``CIW_PG_PASSWORD``
    through ``dg.EnvVar`` when it came from there, so the UI never shows it."""

    target: str = "duckdb"
    duckdb_path: str = str(DBT_PROJECT_DIR.parent / "data" / "warehouse.duckdb")
    pg_host: str = "127.0.0.1"
    pg_port: int = 5432
    pg_user: str = "postgres"
    pg_password: str = ""
    pg_database: str = "ciw"
    spark_master: str = "local[2]"
    spark_warehouse_dir: str = ""
    #: A shared metastore's JDBC URL; empty: embedded Derby beside the warehouse folder.
    spark_metastore_url: str = ""
    #: A Spark Connect server's URL (``CIW_SPARK_REMOTE``); empty: a session in each process.
    spark_remote: str = ""
    #: Empty: the default beside the warehouse (see ``Settings.artifacts_dir``).
    artifacts_root: str = ""

    @classmethod
    def from_settings(cls, settings: Settings) -> WarehouseResource:
        password: Any = settings.pg_password
        if password and os.environ.get("CIW_PG_PASSWORD") == password:
            password = dg.EnvVar("CIW_PG_PASSWORD")
        return cls(
            target=settings.target,
            duckdb_path=str(settings.duckdb_path),
            pg_host=settings.pg_host,
            pg_port=settings.pg_port,
            pg_user=settings.pg_user,
            pg_password=password,
            pg_database=settings.pg_database,
            spark_master=settings.spark_master,
            spark_warehouse_dir=str(settings.spark_warehouse_dir),
            spark_metastore_url=settings.spark_metastore_url,
            spark_remote=settings.spark_remote,
            artifacts_root=str(settings.artifacts_root or ""),
        )

    def settings(self) -> Settings:
        target = cast(Target, self.target) if self.target in TARGETS else "duckdb"
        spark_dir = self.spark_warehouse_dir or str(DATA_DIR / "spark" / "warehouse")
        return Settings(
            target=target,
            duckdb_path=Path(self.duckdb_path),
            pg_host=self.pg_host,
            pg_port=self.pg_port,
            pg_user=self.pg_user,
            pg_password=self.pg_password,
            pg_database=self.pg_database,
            spark_master=self.spark_master,
            spark_metastore_url=self.spark_metastore_url,
            spark_remote=self.spark_remote,
            artifacts_root=Path(self.artifacts_root) if self.artifacts_root else None,
            spark_warehouse_dir=Path(spark_dir),
        )


#: dbt artifact folders of past runs kept for debugging; older ones are removed.
KEPT_DBT_RUN_FOLDERS = 10


def prune_dbt_run_folders(root: Path, keep: int = KEPT_DBT_RUN_FOLDERS) -> list[Path]:
    """Remove all but the ``keep`` newest per-invocation folders (``<op>-<run>-<id>``)."""
    import shutil

    if not root.is_dir():
        return []
    folders = sorted(
        (path for path in root.iterdir() if path.is_dir() and path.name.count("-") >= 2),
        key=lambda path: path.stat().st_mtime,
        reverse=True,
    )
    removed = folders[keep:]
    for folder in removed:
        shutil.rmtree(folder, ignore_errors=True)
    return removed


@contextmanager
def temporary_environment(overrides: Mapping[str, str | None]) -> Iterator[None]:
    """Set (None: remove) environment variables for the block; restore them afterwards."""
    saved = {key: os.environ.get(key) for key in overrides}
    try:
        _apply_environment(overrides)
        yield
    finally:
        _apply_environment(saved)


def _apply_environment(values: Mapping[str, str | None]) -> None:
    for key, value in values.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


class WarehouseDbtCliResource(DbtCliResource):
    """``DbtCliResource`` whose dbt process sees ``settings.dbt_env()`` of its warehouse.

    dagster-dbt builds the child environment from ``os.environ`` while ``cli`` runs (and opens
    its adapter handle there), so the warehouse variables are set for exactly that call.
    """

    warehouse: WarehouseResource

    @cached_property
    def _cli_version(self) -> Version:
        """The version of the dbt that ``cli`` runs (this environment's ``dbt``), from dbt-core's
        package metadata: dagster-dbt would otherwise start ``dbt --version``, a Python process
        importing dbt (about 1.3 s), in every dbt step."""
        from importlib.metadata import version

        from packaging.version import parse

        return parse(version("dbt-core"))

    def cli(self, args: Sequence[str], **kwargs: Any) -> DbtCliInvocation:
        settings = self.warehouse.settings()
        from warehouse import adapter_for

        adapter_for(settings).ensure_database()
        runs_root = pipeline_target_path()
        runs_root.mkdir(parents=True, exist_ok=True)
        prune_dbt_run_folders(runs_root)
        overrides = {
            **settings.dbt_env(),
            "DBT_TARGET_PATH": str(runs_root),
            "DBT_VERSION_CHECK": "false",
        }
        if settings.target == "spark":
            from warehouse.spark import stop_spark_session
            from warehouse.spark_connect import connect_url

            if not (settings.spark_metastore_url or connect_url(settings)):
                # dbt-spark opens a session of its own: embedded Derby admits one JVM, so
                # this process's session (the loads', training's, scoring's) ends first.
                stop_spark_session()
        with temporary_environment(overrides):
            return super().cli(args, **kwargs)


def build_resources(settings: Settings, project: DbtProject) -> dict[str, Any]:
    warehouse = WarehouseResource.from_settings(settings)
    return {
        "warehouse": warehouse,
        "dbt": WarehouseDbtCliResource(
            project_dir=project,  # type: ignore[arg-type]  # DbtCliResource.__init__ takes it
            warehouse=warehouse,
            dbt_executable=str(Path(sys.executable).with_name("dbt")),
        ),
    }
