"""Shared fixtures: warehouse settings for DuckDB (a temp file) and for a real PostgreSQL.

Postgres tests skip when no server answers, unless ``CIW_REQUIRE_POSTGRES=1`` (set by CI),
in which case they fail: CI always runs them.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from warehouse.settings import Settings

pytest_plugins = ["tests.built"]


def _postgres_base() -> Settings:
    return replace(Settings.from_env("postgres"), pg_database="postgres")


def _postgres_reachable(settings: Settings) -> str | None:
    import psycopg

    try:
        with psycopg.connect(settings.pg_conninfo(), connect_timeout=3):
            return None
    except psycopg.OperationalError as error:
        return str(error).strip().splitlines()[0]


@pytest.fixture
def duckdb_settings(tmp_path: Path) -> Settings:
    return Settings(target="duckdb", duckdb_path=tmp_path / "warehouse.duckdb")


def require_postgres() -> Settings:
    """The server's settings (database ``postgres``); skip, or fail in CI, when unreachable."""
    base = _postgres_base()
    problem = _postgres_reachable(base)
    if problem:
        if os.environ.get("CIW_REQUIRE_POSTGRES") == "1":
            pytest.fail(
                f"PostgreSQL is required (CIW_REQUIRE_POSTGRES=1) but unreachable: {problem}"
            )
        pytest.skip(f"PostgreSQL unreachable: {problem}")
    return base


@pytest.fixture
def postgres_settings(tmp_path: Path) -> Iterator[Settings]:
    """A fresh, uniquely named database on the real server, dropped afterwards."""
    import psycopg
    from psycopg import sql

    base = require_postgres()
    name = f"ciw_test_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(base.pg_conninfo(), autocommit=True) as admin:
        admin.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
    try:
        yield replace(base, pg_database=name, artifacts_root=tmp_path / "artifacts")
    finally:
        with psycopg.connect(base.pg_conninfo(), autocommit=True) as admin:
            admin.execute(
                sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name))
            )


@pytest.fixture(params=["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def warehouse_settings(request: pytest.FixtureRequest) -> Settings:
    """Runs a test once per warehouse."""
    fixture_name = "duckdb_settings" if request.param == "duckdb" else "postgres_settings"
    settings: Settings = request.getfixturevalue(fixture_name)
    return settings


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests on a built warehouse share one worker per target, so each is built once."""
    from tests.built import xdist_group_of

    for item in items:
        callspec = getattr(item, "callspec", None)
        group = xdist_group_of(list(getattr(item, "fixturenames", ())), callspec and callspec.id)
        if group:
            item.add_marker(pytest.mark.xdist_group(group))
