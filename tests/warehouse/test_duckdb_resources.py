"""DuckDB's memory limit, threads and spill folder come from the settings, for every connection."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from warehouse.connections import connect_duckdb, scratch_duckdb
from warehouse.settings import (
    DUCKDB_MEMORY_SHARE,
    SCRATCH_MEMORY_SHARE,
    Settings,
    SettingsError,
    scratch_duckdb_config,
)


def test_defaults_are_a_share_of_the_ram_and_a_folder_beside_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("CIW_DUCKDB_MEMORY_LIMIT", "CIW_DUCKDB_THREADS", "CIW_DUCKDB_TEMP_DIR"):
        monkeypatch.delenv(name, raising=False)

    settings = Settings(duckdb_path=tmp_path / "w.duckdb")
    config = settings.duckdb_config()
    ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    assert config["memory_limit"] == f"{int(ram * DUCKDB_MEMORY_SHARE) >> 20}MiB"
    assert 0 < int(config["memory_limit"].removesuffix("MiB")) < ram >> 20
    assert config["threads"] == str(os.cpu_count() or 1)
    assert config["temp_directory"] == str((tmp_path / "w.duckdb").resolve()) + ".tmp"
    env = settings.dbt_env()
    assert env["CIW_DUCKDB_MEMORY_LIMIT"] == config["memory_limit"]
    assert env["CIW_DUCKDB_TEMP_DIR"] == config["temp_directory"]


def test_every_connection_uses_the_configured_limits(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CIW_DUCKDB_MEMORY_LIMIT", "512MiB")
    monkeypatch.setenv("CIW_DUCKDB_THREADS", "1")
    monkeypatch.setenv("CIW_DUCKDB_TEMP_DIR", str(tmp_path / "spill"))
    connection = connect_duckdb(Settings(duckdb_path=tmp_path / "w.duckdb"))
    try:
        settings = dict(
            connection.execute(
                "select name, value from duckdb_settings() "
                "where name in ('memory_limit', 'threads', 'temp_directory')"
            ).fetchall()
        )
    finally:
        connection.close()
    assert settings["memory_limit"] in ("512.0 MiB", "536.8 MB")
    assert settings["threads"] == "1"
    assert settings["temp_directory"] == str(tmp_path / "spill")


def test_a_bad_thread_count_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CIW_DUCKDB_THREADS", "many")
    with pytest.raises(SettingsError, match="CIW_DUCKDB_THREADS"):
        Settings().duckdb_config()


def _limits(connection: object) -> dict[str, str]:
    return dict(
        connection.execute(  # type: ignore[attr-defined]
            "select name, value from duckdb_settings() "
            "where name in ('memory_limit', 'threads', 'temp_directory')"
        ).fetchall()
    )


def test_scratch_connections_have_a_smaller_budget_and_spill(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In-memory DuckDBs beside the warehouse (Feast's point-in-time join, the loader's
    validation) share their process with its frames: with DuckDB's default of 80 % of the RAM the
    1M-customer churn training set took the process to 22.4 GiB."""
    for name in ("CIW_DUCKDB_SCRATCH_MEMORY_LIMIT", "CIW_DUCKDB_THREADS"):
        monkeypatch.delenv(name, raising=False)
    ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    config = scratch_duckdb_config(str(tmp_path))
    assert config["memory_limit"] == f"{int(ram * SCRATCH_MEMORY_SHARE) >> 20}MiB"
    assert SCRATCH_MEMORY_SHARE < DUCKDB_MEMORY_SHARE

    monkeypatch.setenv("CIW_DUCKDB_SCRATCH_MEMORY_LIMIT", "256MiB")
    monkeypatch.setenv("CIW_DUCKDB_THREADS", "1")
    with scratch_duckdb(tmp_path / "spill") as connection:
        limits = _limits(connection)
        # a sort larger than the budget completes by spilling into the folder
        total = connection.execute(
            "select count(*) from (select i, md5(i::varchar) as h from range(4000000) t(i) "
            "order by h)"
        ).fetchone()
    assert limits["memory_limit"] in ("256.0 MiB", "268.4 MB")
    assert limits["threads"] == "1"
    assert limits["temp_directory"] == str(tmp_path / "spill")
    assert total == (4_000_000,)
    with scratch_duckdb() as connection:
        assert _limits(connection)["temp_directory"].endswith(f"ciw-duckdb-{os.getpid()}")


def test_the_loader_and_feasts_join_use_scratch_connections() -> None:
    import inspect

    import feature_repo.offline_stores.duckdb_asof as asof
    import feature_repo.store as store
    import sources.load.scratch as loader

    for module in (asof, store, loader):
        source = inspect.getsource(module)
        assert "scratch_duckdb(" in source and "duckdb.connect(" not in source, module.__name__
