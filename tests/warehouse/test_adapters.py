"""The warehouse adapters behave the same on DuckDB and on a real PostgreSQL."""

from __future__ import annotations

import math
from datetime import datetime

import numpy as np
import pandas as pd
import pytest

from warehouse import adapter_for, append_frame, read_frame, table_exists
from warehouse.adapters import float_type, python_value
from warehouse.settings import TARGETS, Settings

DDL = (
    "create table if not exists scratch.points"
    " (name varchar not null, value {double}, seen_at timestamp)"
)


def _ddl(settings: Settings) -> list[str]:
    return [DDL.format(double=float_type(settings.target))]


def test_append_frame_creates_schema_and_table_and_keeps_nulls(
    warehouse_settings: Settings,
) -> None:
    frame = pd.DataFrame(
        {
            "name": ["a", "b", "c"],
            "value": [1.5, np.nan, 3.0],
            "seen_at": [pd.Timestamp("2026-01-02 03:04:05"), pd.NaT, pd.Timestamp("2026-02-01")],
        }
    )

    assert (
        append_frame(warehouse_settings, "scratch.points", frame, ddl=_ddl(warehouse_settings)) == 3
    )
    back = read_frame(warehouse_settings, "select * from scratch.points order by name")

    assert back["name"].tolist() == ["a", "b", "c"]
    assert back["value"].iloc[0] == 1.5 and pd.isna(back["value"].iloc[1])
    assert pd.isna(back["seen_at"].iloc[1])
    assert pd.Timestamp(back["seen_at"].iloc[0]) == pd.Timestamp("2026-01-02 03:04:05")


def test_append_frame_of_nothing_still_creates_the_table(warehouse_settings: Settings) -> None:
    assert (
        append_frame(
            warehouse_settings, "scratch.points", pd.DataFrame(), ddl=_ddl(warehouse_settings)
        )
        == 0
    )
    with adapter_for(warehouse_settings).session() as session:
        assert session.table_exists("scratch.points")
        assert not session.table_exists("scratch.absent")
    assert table_exists(warehouse_settings, "scratch.points")
    assert not table_exists(warehouse_settings, "scratch.absent")


def test_a_failed_transaction_leaves_nothing(warehouse_settings: Settings) -> None:
    adapter = adapter_for(warehouse_settings)
    append_frame(warehouse_settings, "scratch.points", pd.DataFrame(), ddl=_ddl(warehouse_settings))
    with pytest.raises(RuntimeError, match="boom"), adapter.session(transaction=True) as session:
        session.execute("insert into scratch.points (name) values (%s)", ("lost",))
        raise RuntimeError("boom")
    with adapter.session() as session:
        assert session.execute("select count(*) from scratch.points") == [(0,)]


def test_sessions_take_percent_s_placeholders_and_name_columns(
    warehouse_settings: Settings,
) -> None:
    with adapter_for(warehouse_settings).session() as session:
        rows = session.rows("select %s as word, %s as number", ("it's", 7))
        frame = session.frame("select %s as word", ("x",))
        assert session.execute("create schema if not exists scratch") == []
    assert rows == [{"word": "it's", "number": 7}]
    assert frame.columns.tolist() == ["word"]


def test_python_value_turns_numpy_and_missing_values_into_plain_ones() -> None:
    assert python_value(np.int64(3)) == 3 and type(python_value(np.int64(3))) is int
    assert python_value(np.float64("nan")) is None
    assert python_value(math.nan) is None
    assert python_value(pd.NaT) is None
    assert python_value(pd.Timestamp("2026-01-01")) == datetime(2026, 1, 1)
    assert python_value("text") == "text"


def test_float_type_names_each_engines_double() -> None:
    assert float_type("duckdb") == "double"
    assert float_type("postgres") == "double precision"


def test_ensure_database_prepares_the_warehouse_before_dbt_connects(
    warehouse_settings: Settings,
) -> None:
    from warehouse.connections import drop_warehouse

    fresh = warehouse_settings.elsewhere(
        duckdb_path=warehouse_settings.duckdb_path.parent / "nested" / "fresh.duckdb",
        pg_database=f"{warehouse_settings.pg_database}_fresh",
    )
    adapter = adapter_for(fresh)
    try:
        adapter.ensure_database()
        adapter.ensure_database()  # a second call finds it and changes nothing
        if adapter.single_writer:  # DuckDB: the folder exists; dbt creates the file
            assert fresh.duckdb_path.parent.is_dir() and not fresh.duckdb_path.exists()
        else:
            with adapter_for(warehouse_settings).session() as session:
                found = session.execute(
                    "select count(*) from pg_database where datname = %s", (fresh.pg_database,)
                )
            assert found == [(1,)]
    finally:
        drop_warehouse(fresh)


def test_embedded_warehouses_take_a_single_writer() -> None:
    single = {target: adapter_for(Settings(target=target)).single_writer for target in TARGETS}
    # A DuckDB file, and Spark on its embedded Derby metastore: one process at a time.
    assert single == {"duckdb": True, "postgres": False, "spark": True}


def test_a_literal_percent_needs_no_escaping_without_parameters(
    warehouse_settings: Settings,
) -> None:
    frame = read_frame(warehouse_settings, "select 'raw%s' like 'raw%' as matched")
    assert bool(frame["matched"].iloc[0])


def test_update_sets_values_on_the_matching_rows_only(warehouse_settings: Settings) -> None:
    frame = pd.DataFrame(
        {"name": ["a", "b", "a"], "value": [1.0, 2.0, 3.0], "seen_at": [None, None, None]}
    )
    append_frame(warehouse_settings, "scratch.points", frame, ddl=_ddl(warehouse_settings))
    stamp = datetime(2026, 12, 6, 8, 0)
    with adapter_for(warehouse_settings).session() as session:
        session.update("scratch.points", {"value": 9.0, "seen_at": stamp}, {"name": "a"})
    got = read_frame(warehouse_settings, "select name, value, seen_at from scratch.points")
    got = got.sort_values(["name", "value"]).reset_index(drop=True)
    assert got["value"].tolist() == [9.0, 9.0, 2.0]
    assert [None if pd.isna(value) else pd.Timestamp(value) for value in got["seen_at"]] == [
        pd.Timestamp(stamp),
        pd.Timestamp(stamp),
        None,
    ]


def test_create_table_sql_spells_each_targets_ddl() -> None:
    from warehouse.adapters import create_table_sql

    columns = {"id": "bigint not null", "name": "varchar", "score": "double precision"}
    assert create_table_sql("postgres", "ml.t", columns, ("id",)) == (
        "create table if not exists ml.t "
        "(id bigint not null, name varchar, score double precision, primary key (id))"
    )
    # Spark's Parquet tables take neither constraints nor keys.
    assert create_table_sql("spark", "ml.t", columns, ("id",)) == (
        "create table if not exists ml.t (id bigint, name string, score double) using parquet"
    )
