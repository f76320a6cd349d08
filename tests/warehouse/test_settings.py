from pathlib import Path

import pytest

from warehouse.settings import (
    TARGETS,
    Settings,
    SettingsError,
    dbt_vars_from_env,
    env_number,
    env_whole_number,
)


def test_default_target_is_embedded_duckdb(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CIW_TARGET", raising=False)
    settings = Settings.from_env()
    assert settings.target == "duckdb"
    assert settings.duckdb_path.name == "warehouse.duckdb"
    assert settings.is_embedded


def test_only_the_duckdb_file_is_embedded() -> None:
    """Readers of a server warehouse go to it directly; only the one-writer file is read
    through published copies."""
    assert [Settings(target=target).is_embedded for target in TARGETS] == [
        True,
        False,
        False,
    ]


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


def test_env_number_reads_a_positive_number_or_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CIW_TEST_NUMBER", raising=False)
    assert env_number("CIW_TEST_NUMBER", 2.5) == 2.5
    monkeypatch.setenv("CIW_TEST_NUMBER", " ")
    assert env_number("CIW_TEST_NUMBER", 2.5) == 2.5
    monkeypatch.setenv("CIW_TEST_NUMBER", " 0.25 ")
    assert env_number("CIW_TEST_NUMBER", 2.5) == 0.25


def test_env_number_names_the_variable_and_the_rule(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CIW_TEST_NUMBER", "soon")
    with pytest.raises(SettingsError, match="CIW_TEST_NUMBER must be seconds, got 'soon'"):
        env_number("CIW_TEST_NUMBER", 1.0, what="seconds")
    monkeypatch.setenv("CIW_TEST_NUMBER", "0")
    with pytest.raises(SettingsError, match="CIW_TEST_NUMBER must be positive, got '0'"):
        env_number("CIW_TEST_NUMBER", 1.0)
    assert env_number("CIW_TEST_NUMBER", 1.0, zero=True) == 0.0
    monkeypatch.setenv("CIW_TEST_NUMBER", "-1")
    with pytest.raises(SettingsError, match="CIW_TEST_NUMBER must not be negative, got '-1'"):
        env_number("CIW_TEST_NUMBER", 1.0, zero=True)


def test_env_whole_number_takes_one_or_more(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CIW_TEST_COUNT", raising=False)
    assert env_whole_number("CIW_TEST_COUNT", 30) == 30
    monkeypatch.setenv("CIW_TEST_COUNT", "7")
    assert env_whole_number("CIW_TEST_COUNT", 30) == 7
    for bad in ("0", "1.5", "-3", "soon"):
        monkeypatch.setenv("CIW_TEST_COUNT", bad)
        with pytest.raises(SettingsError, match=f"CIW_TEST_COUNT must be a count, got '{bad}'"):
            env_whole_number("CIW_TEST_COUNT", 30, what="a count")


def test_dbt_vars_from_env_holds_only_the_variables_set(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("CIW_CHURN_HORIZON_DAYS", "CIW_CLV_HORIZON_DAYS", "CIW_FEATURE_SPINE_PERIODS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CIW_CHURN_HORIZON_DAYS", "60")
    found = dbt_vars_from_env()
    assert found["churn_horizon_days"] == 60
    assert "clv_horizon_days" not in found and "feature_spine_periods" not in found
    monkeypatch.setenv("CIW_CLV_HORIZON_DAYS", "0")
    with pytest.raises(SettingsError, match="CIW_CLV_HORIZON_DAYS must be a positive whole number"):
        dbt_vars_from_env()
