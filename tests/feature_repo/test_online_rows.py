"""The embedded online store: one SQLite row per entity and view, Feast's values unchanged."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest
from feast.protos.feast.types.EntityKey_pb2 import EntityKey
from feast.protos.feast.types.Value_pb2 import Value

from feature_repo.online_stores.sqlite_rows import (
    EntityRowSqliteOnlineStore,
    Row,
    pack_values,
    unpack_values,
)
from feature_repo.store import FeatureStoreGateway


def _key(customer: int) -> EntityKey:
    return EntityKey(join_keys=["customer_id"], entity_values=[Value(int64_val=customer)])


def test_values_pack_and_unpack_every_type_and_only_what_is_asked() -> None:
    values = {
        "orders_30d": Value(int64_val=7),
        "revenue_30d": Value(double_val=12.5),
        "top_category": Value(string_val="héllo"),
        "is_new": Value(bool_val=True),
        "missing": Value(),
    }
    assert unpack_values(pack_values(values)) == values
    assert unpack_values(pack_values(values), {"revenue_30d"}) == {
        "revenue_30d": Value(double_val=12.5)
    }
    assert unpack_values(b"") == {}


def _online_db(gateway: FeatureStoreGateway) -> Path:
    return Path(str(gateway.store.config.online_store.path))


def test_materialization_writes_one_row_per_entity_in_without_rowid_tables(
    toy_gateway: FeatureStoreGateway,
) -> None:
    assert isinstance(
        toy_gateway.store._get_provider().online_store,
        EntityRowSqliteOnlineStore,
    )
    toy_gateway.materialize(datetime(2026, 2, 10, tzinfo=UTC))
    with sqlite3.connect(_online_db(toy_gateway)) as connection:
        tables = dict(connection.execute("select name, sql from sqlite_master where type='table'"))
        assert tables and all(name.endswith("_rows") for name in tables)
        assert all("WITHOUT ROWID" in sql for sql in tables.values())
        assert connection.execute("pragma journal_mode").fetchone() == ("wal",)
        orders = next(name for name in tables if "order" in name)
        keys = [row[0] for row in connection.execute(f'select entity_key from "{orders}"')]
    assert len(keys) == len(set(keys)) >= 1  # one row per customer, not one per feature
    assert toy_gateway.customer_profile(1)["orders_30d"] == 99


def test_a_partial_write_keeps_the_other_features_and_unknown_keys_read_as_none(
    toy_gateway: FeatureStoreGateway,
) -> None:
    """Feast's own store upserts feature by feature, so a write of some features keeps the
    others; one row per entity must behave the same."""
    toy_gateway.materialize(datetime(2026, 2, 10, tzinfo=UTC))
    store = toy_gateway.store
    online = store._get_provider().online_store
    view = next(v for v in store.list_feature_views() if "order" in v.name)
    before = online.online_read(store.config, view, [_key(1)])[0][1]
    assert before is not None and len(before) > 1
    changed = next(iter(before))
    stamp = datetime(2026, 2, 11, tzinfo=UTC)
    online.online_write_batch(
        store.config, view, [(_key(1), {changed: Value(int64_val=-5)}, stamp, None)], None
    )
    read_at, after = online.online_read(store.config, view, [_key(1), _key(404)])[0]
    assert after == {**before, changed: Value(int64_val=-5)}
    assert read_at == stamp
    assert online.online_read(store.config, view, [_key(404)]) == [(None, None)]
    only = online.online_read(store.config, view, [_key(1)], [changed])[0][1]
    assert only == {changed: Value(int64_val=-5)}


@pytest.mark.parametrize("customers", [1, 1_200])
def test_batches_in_any_key_order_read_back_in_the_asked_order(
    toy_gateway: FeatureStoreGateway, customers: int
) -> None:
    """Writes are sorted by key; reads come back in the caller's order, beyond SQLite's
    bound-parameter limit."""
    store = toy_gateway.store
    online = store._get_provider().online_store
    view = next(v for v in store.list_feature_views() if "order" in v.name)
    names = [field.name for field in view.features]
    stamp = datetime(2026, 2, 11, tzinfo=UTC)
    ids = list(range(customers, 0, -1))
    rows: list[Row] = [
        (_key(i), {name: Value(int64_val=i) for name in names}, stamp, stamp) for i in ids
    ]
    online.online_write_batch(store.config, view, rows, None)
    asked = [*ids[::2], *ids[1::2]]
    read = online.online_read(store.config, view, [_key(i) for i in asked])
    assert [values[names[0]].int64_val for _, values in read] == asked  # type: ignore[index]
