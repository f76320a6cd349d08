"""The read-only BI role on PostgreSQL: it reads marts and is refused on raw and staging.

Reads the session's built PostgreSQL warehouse (tests/built.py) and takes on the role with
``set role`` (it is NOLOGIN: a BI login user is granted it) to try each layer.
"""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest
from psycopg import errors

from tests.built import BuiltWarehouse
from warehouse.dbt import run_dbt
from warehouse.settings import Settings

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

BI_ROLE = "ciw_bi_reader"


def _as_bi_reader(settings: Settings, sql: str) -> list[tuple]:
    with psycopg.connect(settings.pg_conninfo(), autocommit=True) as connection:
        connection.execute(f"set role {BI_ROLE}")
        return connection.execute(sql).fetchall()


def test_bi_reader_reads_marts_and_nothing_below(built_postgres: BuiltWarehouse) -> None:
    settings = built_postgres.settings
    # Marts: readable, and not empty, so the grant is exercised on real rows.
    assert _as_bi_reader(settings, "select count(*) from marts.account_health")[0][0] > 0
    assert _as_bi_reader(settings, "select count(*) from marts.pipeline_health")[0][0] > 0

    refused = [
        "select count(*) from raw_crm.accounts",
        "select count(*) from raw_billing.subscriptions",
        "select count(*) from staging.stg_crm__accounts",
        "select count(*) from intermediate.int_opportunities_enriched",
        "select count(*) from features.account_usage_features",
    ]
    for sql in refused:
        with pytest.raises(errors.InsufficientPrivilege):
            _as_bi_reader(settings, sql)

    # Read-only even on marts.
    with pytest.raises(errors.InsufficientPrivilege):
        _as_bi_reader(settings, "delete from marts.account_health")
    with pytest.raises(errors.InsufficientPrivilege):
        _as_bi_reader(settings, "create table marts.bi_scratch (id integer)")


def test_bi_reader_role_is_created_idempotently(
    built_postgres: BuiltWarehouse, tmp_path: Path
) -> None:
    """A second run (the role and its schema grant already exist) succeeds and keeps access.

    On PostgreSQL, replacing a table drops the views over it (``drop ... cascade``): the views
    downstream of ``account_health`` are rebuilt with it, so the session's shared warehouse
    keeps every relation the other tests read (the alert candidates, for dbt's unit tests).
    """
    settings = built_postgres.settings
    run_dbt(
        ["run", "--select", "account_health", "account_health+,config.materialized:view"],
        settings,
        target_path=tmp_path / "t2",
        echo=False,
    )
    assert _as_bi_reader(settings, "select count(*) from marts.account_health")[0][0] > 0
