"""The read-only BI role on PostgreSQL: it reads marts and is refused on raw and staging.

Builds a small generated dataset into a throwaway database, then takes on the role with
``set role`` (it is NOLOGIN: a BI login user is granted it) and tries each layer.
"""

from __future__ import annotations

import datetime
from pathlib import Path

import psycopg
import pytest
from psycopg import errors

from sources.generate import generate
from sources.generate.config import GeneratorConfig
from sources.load.loader import load_directory
from warehouse.dbt import run_dbt
from warehouse.settings import Settings

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

BI_ROLE = "ciw_bi_reader"


@pytest.fixture
def built_warehouse(postgres_settings: Settings, tmp_path: Path) -> Settings:
    exports = tmp_path / "exports"
    config = GeneratorConfig(customers=300, seed=3, end_date=datetime.date(2026, 10, 31))
    generate(exports, config)
    load_directory(exports, postgres_settings)
    # Cautious: tests whose other parent lies outside the selection stay out of this build.
    run_dbt(
        [
            "build",
            "--select",
            "+account_health",
            "+pipeline_health",
            "--indirect-selection",
            "cautious",
            "--vars",
            "{as_of_date: 2026-10-31}",
        ],
        postgres_settings,
        target_path=tmp_path / "t",
        echo=False,
    )
    return postgres_settings


def _as_bi_reader(settings: Settings, sql: str) -> list[tuple]:
    with psycopg.connect(settings.pg_conninfo(), autocommit=True) as connection:
        connection.execute(f"set role {BI_ROLE}")
        return connection.execute(sql).fetchall()


def test_bi_reader_reads_marts_and_nothing_below(built_warehouse: Settings) -> None:
    settings = built_warehouse
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


def test_bi_reader_role_is_created_idempotently(built_warehouse: Settings, tmp_path: Path) -> None:
    """A second run (the role and its schema grant already exist) succeeds and keeps access."""
    run_dbt(
        ["run", "--select", "account_health", "--vars", "{as_of_date: 2026-10-31}"],
        built_warehouse,
        target_path=tmp_path / "t2",
        echo=False,
    )
    assert _as_bi_reader(built_warehouse, "select count(*) from marts.account_health")[0][0] > 0
