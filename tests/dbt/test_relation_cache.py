"""dbt's relation cache holds every raw table before a model compiles (macro
cache_source_schemas): a staging model never reads an existing raw table as missing.

Without it, the first model to ask about a source schema listed it from a worker thread, and
dbt marked the schema cached before adding its tables one by one, so a model compiling in the
other thread could find its raw table "missing" and `source_or_empty` staged it as empty (a
silently empty stg_crm__contacts, seen under load). The race needs two threads at the same
instant; what the hook guarantees - no worker thread ever lists a source schema - is what
these tests check, in the logs of the built warehouses' own pipeline runs; and
`source_or_empty` itself asks the warehouse before it believes a cached "missing"."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.built import BuiltWarehouse
from tests.dbt.dbt_logs import cache_misses_on_nodes, dbt_events, sources_read_as_missing


def test_no_model_looks_up_a_source_schema_from_a_worker_thread(
    built_warehouse: BuiltWarehouse,
) -> None:
    target = Path(built_warehouse.env["CIW_DBT_TARGET_PATH"])
    events = [event for event in dbt_events(target) if event["info"]["name"] == "CacheMiss"]
    # the hook's own lookups, one per source schema, on the master connection
    hook_schemas = {event["data"]["schema"] for event in events}
    assert {"raw_commerce", "raw_crm", "raw_billing", "ops", "ml"} <= hook_schemas
    assert cache_misses_on_nodes(target) == []


def test_every_loaded_raw_table_is_staged_from_the_table(built_warehouse: BuiltWarehouse) -> None:
    target = Path(built_warehouse.env["CIW_DBT_TARGET_PATH"])
    raw_tables = {
        f"{schema}.{table}"
        for schema, table in built_warehouse.query(
            "select table_schema, table_name from information_schema.tables"
        )
        if schema.startswith("raw_")
    }
    assert "raw_crm.contacts" in raw_tables
    assert sources_read_as_missing(target) & raw_tables == set()
    staged = set(built_warehouse.query("select contact_id from staging.stg_crm__contacts"))
    loaded = set(
        built_warehouse.query(
            "select distinct nullif(trim(contact_id), '') from raw_crm.contacts"
            " where nullif(trim(contact_id), '') is not null"
        )
    )
    assert staged == loaded
    assert staged


#: A model compiling while another thread fills the cache for raw_crm: the cache knows the
#: schema and some other table in it, not yet contacts.
HALF_FILLED_CACHE = """
{%- do adapter.cache_added(api.Relation.create(
    database=target.database, schema='raw_crm', identifier='not_contacts', type='table'
)) -%}
select count(*) as staged_rows from {{ source_or_empty('crm', 'contacts') }}
"""


def test_a_half_filled_cache_does_not_make_an_existing_raw_table_empty(
    built_warehouse: BuiltWarehouse, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    """`source_or_empty` reads the table itself before calling it missing, so dbt commands
    without the hook (compile, docs, show) cannot stage an existing table as empty either."""
    from warehouse.dbt import run_dbt

    run_dbt(
        ["show", "--inline", HALF_FILLED_CACHE],
        built_warehouse.settings,
        target_path=tmp_path / "dbt",
    )
    previewed = re.findall(r"^\|\s+(\d+)\s+\|$", capfd.readouterr().out, flags=re.MULTILINE)
    loaded = built_warehouse.scalar("select count(*) from raw_crm.contacts")
    assert loaded > 0
    assert previewed == [str(loaded)]
