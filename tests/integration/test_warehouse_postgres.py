import uuid
from dataclasses import replace

import psycopg
import pytest

from warehouse import WarehouseUnavailable
from warehouse.connections import drop_postgres_database, ensure_postgres_database
from warehouse.settings import Settings

pytestmark = pytest.mark.postgres


def _exists(settings: Settings) -> bool:
    with psycopg.connect(settings.pg_conninfo("postgres")) as admin:
        found = admin.execute(
            "select 1 from pg_database where datname = %s", (settings.pg_database,)
        ).fetchone()
    return found is not None


def test_database_is_created_when_missing_and_dropped(postgres_settings: Settings) -> None:
    scratch = replace(postgres_settings, pg_database=f"ciw_scratch_{uuid.uuid4().hex[:8]}")
    ensure_postgres_database(scratch)
    assert _exists(scratch)
    drop_postgres_database(scratch)
    assert not _exists(scratch)
    drop_postgres_database(scratch)  # absent is fine


def test_unreachable_server_is_a_readable_error() -> None:
    nowhere = replace(Settings.from_env("postgres"), pg_port=1)
    with pytest.raises(
        WarehouseUnavailable, match=r"cannot reach PostgreSQL postgres@127\.0\.0\.1:1"
    ):
        drop_postgres_database(nowhere)


def test_a_session_on_a_missing_database_creates_it(postgres_settings: Settings) -> None:
    """Connections look the database up only when connecting fails: a fresh name still works."""
    from warehouse import read_frame

    scratch = replace(postgres_settings, pg_database=f"ciw_scratch_{uuid.uuid4().hex[:8]}")
    try:
        assert not _exists(scratch)
        assert read_frame(scratch, "select 1 as one")["one"].tolist() == [1]
        assert _exists(scratch)
    finally:
        drop_postgres_database(scratch)


def test_connecting_to_an_unreachable_server_is_a_readable_error() -> None:
    from warehouse.connections import connect_postgres

    nowhere = replace(Settings.from_env("postgres"), pg_port=1)
    with pytest.raises(
        WarehouseUnavailable, match=r"cannot reach PostgreSQL postgres@127\.0\.0\.1:1"
    ):
        connect_postgres(nowhere)
