from pathlib import Path

import pytest

from warehouse.settings import Settings, SettingsError


def test_default_target_is_embedded_duckdb(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CIW_TARGET", raising=False)
    settings = Settings.from_env()
    assert settings.target == "duckdb"
    assert settings.duckdb_path.name == "warehouse.duckdb"


def test_flag_beats_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CIW_TARGET", "postgres")
    assert Settings.from_env().target == "postgres"
    assert Settings.from_env("duckdb").target == "duckdb"


def test_environment_configures_postgres(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CIW_PG_HOST", "db.internal")
    monkeypatch.setenv("CIW_PG_PORT", "6543")
    monkeypatch.setenv("CIW_PG_DATABASE", "warehouse")
    monkeypatch.setenv("CIW_DUCKDB_PATH", "/tmp/x.duckdb")
    settings = Settings.from_env("postgres")
    assert (settings.pg_host, settings.pg_port, settings.pg_database) == (
        "db.internal",
        6543,
        "warehouse",
    )
    assert settings.duckdb_path == Path("/tmp/x.duckdb")
    assert "dbname='warehouse'" in settings.pg_conninfo()


def test_unknown_target_and_bad_port_are_clear_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(SettingsError, match="unknown target 'oracle'"):
        Settings.from_env("oracle")
    monkeypatch.setenv("CIW_PG_PORT", "five")
    with pytest.raises(SettingsError, match="CIW_PG_PORT"):
        Settings.from_env("postgres")


def test_password_never_shows_in_repr_or_description(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CIW_PG_PASSWORD", "s3cret-pw")
    settings = Settings.from_env("postgres")
    assert "s3cret-pw" not in repr(settings)
    assert "s3cret-pw" not in settings.describe()
    assert "s3cret-pw" in settings.pg_conninfo()  # only the connection string carries it


def test_elsewhere_moves_only_the_place_of_the_same_kind_of_warehouse(tmp_path: Path) -> None:
    own = tmp_path / "own.duckdb"
    duck = Settings(target="duckdb", duckdb_path=tmp_path / "mine.duckdb", pg_database="mine")
    postgres = Settings(target="postgres", duckdb_path=tmp_path / "mine.duckdb", pg_database="mine")

    assert duck.elsewhere(duckdb_path=own, pg_database="ciw_own") == Settings(
        target="duckdb", duckdb_path=own, pg_database="mine"
    )
    moved = postgres.elsewhere(duckdb_path=own, pg_database="ciw_own")
    assert (moved.target, moved.pg_database, moved.duckdb_path) == (
        "postgres",
        "ciw_own",
        tmp_path / "mine.duckdb",
    )
