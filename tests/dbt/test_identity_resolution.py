"""Identity resolution end to end on a temp DuckDB with a handmade export of shop customers.

Customers 1-2-3 form a chain (1 and 2 share an email, 2 and 3 a phone): one cluster of three
profile records, merged automatically into customer 1. Customers 10-13 share a loyalty card: four
profile records, over the auto-merge limit, so they wait in ``identity_review_queue`` and stay
four customers. An approval row for that cluster's key in the seed table merges them.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from ciw.cli import main
from warehouse.dbt import run_dbt
from warehouse.settings import Settings

pytestmark = pytest.mark.slow

SELECTION = "+identity_review_queue +int_identity_profile_members"
# Tests that also read models outside the selection (B2B relationships) are left out.
CAUTIOUS = ["--indirect-selection", "cautious"]
CHAIN = (1, 2, 3)
HOUSEHOLD = (10, 11, 12, 13)


def _write_customers(exports: Path) -> None:
    rows = [
        (1, "ann@example.com", "5550000001", None),
        (2, "ann@example.com", "5550000002", None),
        (3, "ann.b@example.com", "5550000002", None),
        (10, "h10@example.com", "5550000010", "LOY-HOUSE"),
        (11, "h11@example.com", "5550000011", "LOY-HOUSE"),
        (12, "h12@example.com", "5550000012", "LOY-HOUSE"),
        (13, "h13@example.com", "5550000013", "LOY-HOUSE"),
        (20, "solo@example.com", "5550000020", None),
    ]
    (exports / "commerce").mkdir(parents=True)
    with duckdb.connect() as connection:
        connection.execute(
            "create table customers (customer_id bigint, email varchar, phone varchar, "
            "loyalty_id varchar, first_name varchar, last_name varchar, city varchar, "
            "country varchar, accepts_marketing boolean, created_at timestamp)"
        )
        for customer_id, email, phone, loyalty_id in rows:
            connection.execute(
                "insert into customers values (?, ?, ?, ?, 'A', 'B', 'Oslo', 'NO', true, ?)",
                [customer_id, email, phone, loyalty_id, datetime(2025, 1, 1)],
            )
        target = exports / "commerce" / "customers.parquet"
        connection.execute(f"copy customers to '{target}' (format parquet)")


def _customer_ids(warehouse: Path) -> dict[int, int]:
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        return dict(
            connection.execute(
                "select commerce_customer_id, customer_id "
                "from intermediate.int_identity_profile_members "
                "where commerce_customer_id is not null"
            ).fetchall()
        )


def test_chains_merge_and_large_clusters_wait_for_approval(
    cli_duckdb_settings: Settings, tmp_path: Path
) -> None:
    settings = cli_duckdb_settings
    warehouse = settings.duckdb_path
    target = tmp_path / "dbt_target"
    exports = tmp_path / "exports"
    _write_customers(exports)
    assert main(["load", str(exports)]) == 0

    run_dbt(["build", "--select", SELECTION, *CAUTIOUS], settings, target_path=target, echo=False)

    customer_ids = _customer_ids(warehouse)
    assert {customer_ids[record] for record in CHAIN} == {1}
    assert [customer_ids[record] for record in HOUSEHOLD] == list(HOUSEHOLD)
    assert customer_ids[20] == 20
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        queue = connection.execute(
            "select cluster_key, profile_record_count from marts.identity_review_queue"
        ).fetchall()
    assert len(queue) == 1
    cluster_key, profile_record_count = queue[0]
    assert profile_record_count == len(HOUSEHOLD)

    with duckdb.connect(str(warehouse)) as connection:
        connection.execute(
            "insert into seeds.identity_merge_approvals values (?, 'reviewer@example.com', ?)",
            [cluster_key, "2026-01-02 10:00:00"],
        )
    run_dbt(
        ["build", "--select", SELECTION, "--exclude", "identity_merge_approvals", *CAUTIOUS],
        settings,
        target_path=target,
        echo=False,
    )

    customer_ids = _customer_ids(warehouse)
    assert {customer_ids[record] for record in HOUSEHOLD} == {min(HOUSEHOLD)}
    assert {customer_ids[record] for record in CHAIN} == {1}
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        statuses = connection.execute(
            "select review_status from marts.identity_review_queue where cluster_key = ?",
            [cluster_key],
        ).fetchall()
    assert statuses in ([], [("approved",)])
