"""Shared fixtures: warehouse settings for DuckDB (a temp file) and for a real PostgreSQL.

Postgres tests skip when no server answers, unless ``CIW_REQUIRE_POSTGRES=1`` (set by CI),
in which case they fail: CI always runs them.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from warehouse.settings import Settings
from warehouse.spark import QUICK_START_JAVA_OPTIONS

pytest_plugins = ["tests.built"]

# Every Spark driver of the suite (the builds' commands, the test processes' sessions) runs a
# few hundred small statements on tiny tables: the quick-start JVM (C1 only) is the faster one.
os.environ.setdefault("CIW_SPARK_JAVA_OPTIONS", QUICK_START_JAVA_OPTIONS)


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


@pytest.fixture
def cli_duckdb_settings(duckdb_settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """``duckdb_settings``, also in the environment the command line (``Settings.from_env``)
    reads."""
    monkeypatch.setenv("CIW_TARGET", "duckdb")
    monkeypatch.setenv("CIW_DUCKDB_PATH", str(duckdb_settings.duckdb_path))
    return duckdb_settings


@pytest.fixture
def memory_duckdb_settings(tmp_path: Path) -> Iterator[Settings]:
    """DuckDB in /dev/shm when there is one: every claim and confirmation is committed at once
    and a commit's flush to disk costs a tenth of a second here. A SIGKILL loses nothing the
    kernel holds, on tmpfs or on disk, so the crash test means the same."""
    shm = Path("/dev/shm")
    directory = Path(tempfile.mkdtemp(dir=shm)) if shm.is_dir() else tmp_path
    try:
        yield Settings(target="duckdb", duckdb_path=directory / "warehouse.duckdb")
    finally:
        if directory != tmp_path:
            shutil.rmtree(directory, ignore_errors=True)


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
    from warehouse.connections import drop_postgres_database, ensure_postgres_database

    settings = replace(
        require_postgres(),
        pg_database=f"ciw_test_{uuid.uuid4().hex[:10]}",
        artifacts_root=tmp_path / "artifacts",
    )
    ensure_postgres_database(settings)
    try:
        yield settings
    finally:
        drop_postgres_database(settings)


@pytest.fixture(params=["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def warehouse_settings(request: pytest.FixtureRequest) -> Settings:
    """Runs a test once per warehouse."""
    fixture_name = "duckdb_settings" if request.param == "duckdb" else "postgres_settings"
    settings: Settings = request.getfixturevalue(fixture_name)
    return settings


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests on a built warehouse share one worker per target, so each is built once.

    ``tryfirst``: pytest-xdist reads the marks in its own ``pytest_collection_modifyitems`` on
    each worker; a mark added after it is silently ignored.
    """
    from tests.built import xdist_group_of

    for item in items:
        callspec = getattr(item, "callspec", None)
        group = xdist_group_of(list(getattr(item, "fixturenames", ())), callspec and callspec.id)
        if group:
            item.add_marker(pytest.mark.xdist_group(group))
    items[:] = sorted(items, key=scheduling_rank)


#: Worker groups by how long they keep a worker, longest first (measured in CI): xdist hands
#: out work in collection order (``--no-loadscope-reorder``), and the Spark group (about 12
#: minutes on one worker) handed out after the built warehouses' groups ran at the end alone.
GROUPS_LONGEST_FIRST = ("spark", "built_duckdb", "built_postgres")


def scheduling_rank(item: pytest.Item) -> int:
    """Longest first: the worker groups in ``GROUPS_LONGEST_FIRST`` order, then the other
    groups and the slow single tests (a slow end-to-end test handed out last would leave the
    other worker idle for minutes), then the quick ones in collection order. The sort is
    stable, so a group's tests keep their order (a test that changes a built warehouse runs
    last in its module)."""
    group = item.get_closest_marker("xdist_group")
    if group is not None:
        name = group.args[0] if group.args else group.kwargs.get("name")
        if name in GROUPS_LONGEST_FIRST:
            return GROUPS_LONGEST_FIRST.index(name)
        return len(GROUPS_LONGEST_FIRST)
    if item.get_closest_marker("slow"):
        return len(GROUPS_LONGEST_FIRST)
    return len(GROUPS_LONGEST_FIRST) + 1


def pytest_runtest_setup(item: pytest.Item) -> None:
    """Fail a grouped test when ``--dist loadgroup`` did not apply its group.

    xdist applies a group by suffixing the node id with ``@group``; when it does not (a hook
    order or a pytest/pytest-xdist incompatibility), each worker builds every session warehouse
    itself and the suite takes twice as long without any test failing.
    """
    if not getattr(item.config.option, "loadgroup", False):
        return
    if "@" not in item.nodeid and item.get_closest_marker("xdist_group") is not None:
        pytest.fail(
            "--dist loadgroup ignored this test's xdist_group mark; check the pytest and "
            "pytest-xdist versions (pytest 9.2 with pytest-xdist 3.8 ignores every group)",
            pytrace=False,
        )
