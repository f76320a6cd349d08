"""Fixtures of the dbt tests."""

from __future__ import annotations

import datetime

import pytest

from sources.generate.config import GeneratorConfig
from tests.dbt.late_events import TOTALS_AT_L
from tests.dbt.point_in_time import (
    ACCOUNT_KEYS,
    B2B_AND_SUCCESS,
    CUSTOMER_KEYS,
    CUSTOMERS,
    LateEventsBuild,
    build_with_late_events,
)
from warehouse.settings import Settings

#: The point-in-time tests' shops end on the run's as-of date.
END = datetime.date(2026, 10, 31)


@pytest.fixture(scope="session")
def account_late_events(tmp_path_factory: pytest.TempPathFactory) -> LateEventsBuild:
    """The B2B and customer-success features around their late events (the modules that read
    it share the xdist group ``point_in_time``, so one worker builds it once)."""
    root = tmp_path_factory.mktemp("account_late_events")
    settings = Settings(target="duckdb", duckdb_path=root / "warehouse.duckdb")
    config = GeneratorConfig(customers=600, seed=5, end_date=END)
    return build_with_late_events(
        settings, root, config, ACCOUNT_KEYS, B2B_AND_SUCCESS, totals_sql=TOTALS_AT_L
    )


@pytest.fixture(scope="session")
def customer_late_events(tmp_path_factory: pytest.TempPathFactory) -> LateEventsBuild:
    """The customer features around late orders and web sessions."""
    root = tmp_path_factory.mktemp("customer_late_events")
    settings = Settings(target="duckdb", duckdb_path=root / "warehouse.duckdb")
    config = GeneratorConfig(customers=300, seed=11, end_date=END)
    return build_with_late_events(
        settings, root, config, CUSTOMER_KEYS, CUSTOMERS, max_bad_share=0.5
    )
