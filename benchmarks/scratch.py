"""A warehouse of its own for one benchmark run, removed afterwards."""

from __future__ import annotations

import uuid
from dataclasses import replace
from pathlib import Path

from warehouse.connections import drop_postgres_database, ensure_postgres_database
from warehouse.settings import Settings


def scratch_warehouse(target: str, directory: Path, name: str) -> Settings:
    """A DuckDB file ``<name>.duckdb`` in ``directory``, or a new PostgreSQL database
    ``ciw_bench_<name>_<random>`` on the server the environment names; artifacts go to
    ``directory/artifacts``. :func:`drop_scratch_warehouse` removes the database."""
    artifacts = directory / "artifacts"
    if target == "duckdb":
        return Settings(
            target="duckdb", duckdb_path=directory / f"{name}.duckdb", artifacts_root=artifacts
        )
    settings = replace(
        Settings.from_env("postgres"),
        pg_database=f"ciw_bench_{name}_{uuid.uuid4().hex[:8]}",
        artifacts_root=artifacts,
    )
    ensure_postgres_database(settings)
    return settings


def drop_scratch_warehouse(settings: Settings) -> None:
    """Drop a PostgreSQL scratch database (its connections are ended); a DuckDB file goes with
    its directory."""
    if settings.target == "postgres":
        drop_postgres_database(settings)
