"""DuckDB's memory limit, threads and spill folder come from the settings, for every connection."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from warehouse.connections import connect_duckdb
from warehouse.settings import DUCKDB_MEMORY_SHARE, Settings, SettingsError


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
