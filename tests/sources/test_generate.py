"""Unit tests for the deterministic source generator (small scale, temp dirs)."""

from __future__ import annotations

import datetime
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from sources.contract import raw_tables
from sources.generate import GeneratorConfig, generate

END = datetime.date(2025, 6, 30)
END_TS = pd.Timestamp(END) + pd.Timedelta(days=1)


def _config(**overrides: object) -> GeneratorConfig:
    values: dict[str, object] = {"customers": 400, "end_date": END, "dirty_share": 0.0}
    values.update(overrides)
    return GeneratorConfig(**values)  # type: ignore[arg-type]


def _files(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def _read(root: Path, key: str) -> pd.DataFrame:
    source, name = key.split(".")
    parquet = root / source / f"{name}.parquet"
    if parquet.exists():
        return pq.read_table(parquet).to_pandas()
    options = pacsv.ConvertOptions(strings_can_be_null=True)
    return pacsv.read_csv(root / source / f"{name}.csv", convert_options=options).to_pandas()


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("clean")
    generate(out, _config(customers=800, file_format="parquet"))
    return out


@pytest.fixture(scope="module")
def dirty(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dirty")
    generate(out, _config(dirty_share=0.05))
    return out


def test_same_seed_gives_identical_bytes_and_other_seed_differs(tmp_path: Path) -> None:
    counts = generate(tmp_path / "a", _config(customers=300, dirty_share=0.02))
    generate(tmp_path / "b", _config(customers=300, dirty_share=0.02))
    generate(tmp_path / "c", _config(customers=300, dirty_share=0.02, seed=7))
    a, b, c = (_files(tmp_path / d) for d in "abc")
    assert len(a) == len(raw_tables()) == len(counts)
    assert a == b
    differing = [name for name in a if a[name] != c[name]]
    assert len(differing) >= len(a) - 1


@pytest.mark.parametrize("file_format", ["csv", "parquet"])
def test_columns_equal_the_contract_in_order(tmp_path: Path, file_format: str) -> None:
    generate(tmp_path, _config(customers=300, dirty_share=0.02, file_format=file_format))
    for key, table in raw_tables().items():
        path = tmp_path / table.source / f"{table.name}.{file_format}"
        if file_format == "csv":
            header = path.read_text(encoding="utf-8").splitlines()[0]
            names = [name.strip('"') for name in header.split(",")]
        else:
            names = pq.read_schema(path).names
        assert names == table.column_names, key


def test_mixed_format_splits_by_source(dirty: Path) -> None:
    assert (dirty / "crm" / "accounts.csv").exists()
    assert (dirty / "billing" / "invoices.csv").exists()
    assert (dirty / "commerce" / "orders.parquet").exists()
    assert (dirty / "product" / "usage_events.parquet").exists()


def test_counts_scale_with_customers(tmp_path: Path) -> None:
    small = generate(tmp_path / "s", _config(customers=400, file_format="parquet"))
    # Above the floor of 100 B2B accounts (4,000 / 20 = 200), so accounts scale too.
    large = generate(tmp_path / "l", _config(customers=4_000, file_format="parquet"))
    for key in (
        "commerce.customers",
        "commerce.orders",
        "commerce.web_sessions",
        "commerce.cart_events",
    ):
        assert large[key] > 3 * small[key], key
    for key in ("crm.accounts", "billing.invoices", "product.usage_events", "support.tickets"):
        assert large[key] > 1.3 * small[key], key


def test_clean_output_has_no_dirty_rows(clean: Path) -> None:
    for key, table in raw_tables().items():
        frame = _read(clean, key)
        assert frame[table.primary_key].is_unique, key
        for column in table.columns:
            values = frame[column.name]
            if column.required:
                assert values.notna().all(), f"{key}.{column.name}"
            if column.data_type.startswith("numeric"):
                assert (values.dropna().astype(float) >= 0).all(), f"{key}.{column.name}"
            if column.data_type == "timestamp" and column.name not in (
                "due_at",
                "scheduled_at",
            ):  # due dates and booked training sessions may lie ahead
                assert (values.dropna() < END_TS).all(), f"{key}.{column.name}"
    assert not frame.duplicated().any()


def test_dirty_rows_present_when_enabled(dirty: Path) -> None:
    orders = _read(dirty, "commerce.orders")  # parquet: typed dirt only
    assert orders["order_id"].duplicated().any()
    assert orders.duplicated().any()
    assert (orders["order_total"].dropna().astype(float) < 0).any()
    assert (orders[["order_id", "customer_id", "ordered_at", "order_total"]].isna()).any().any()
    assert (orders["ordered_at"].dropna() >= END_TS).any()
    text = (dirty / "billing" / "invoices.csv").read_text(encoding="utf-8")
    assert '"n/a"' in text or '"12,5x"' in text or '"31/02/2025"' in text
    csv_text = "".join(p.read_text(encoding="utf-8") for p in sorted(dirty.rglob("*.csv")))
    for junk in ('"n/a"', '"12,5x"', '"31/02/2025"'):
        assert junk in csv_text


def test_cancelled_accounts_use_less_before_cancelling(clean: Path) -> None:
    subs = _read(clean, "billing.subscriptions")
    events = _read(clean, "product.usage_events")
    start = END_TS - pd.Timedelta(days=730)
    cancelled = subs.dropna(subset=["canceled_at"])
    ratios = []
    for row in cancelled.itertuples():
        begin = max(row.started_at, start)
        late_from = row.canceled_at - pd.Timedelta(days=60)
        early_days = (late_from - begin).days - 30
        if early_days < 60:
            continue
        times = events.loc[events["account_id"] == row.account_id, "occurred_at"]
        early = ((times >= begin) & (times < late_from - pd.Timedelta(days=30))).sum() / early_days
        late = ((times >= late_from) & (times < row.canceled_at)).sum() / 60
        ratios.append(late / max(early, 1e-9))
    assert len(ratios) >= 5
    assert np.median(ratios) < 0.6
    assert np.mean(np.asarray(ratios) < 1.0) >= 0.8


def test_stalled_deals_win_less(clean: Path) -> None:
    history = _read(clean, "crm.opportunity_stage_history").sort_values(
        ["opportunity_id", "changed_at"]
    )
    gaps = history.groupby("opportunity_id")["changed_at"].diff().dt.total_seconds()
    history["gap_days"] = gaps / 86_400
    closed = history[history["stage"].isin(["closed_won", "closed_lost"])]
    longest = history.groupby("opportunity_id")["gap_days"].max()
    deals = closed.set_index("opportunity_id")[["stage"]].join(longest)
    slow = deals["gap_days"] > deals["gap_days"].median()
    win_slow = (deals.loc[slow, "stage"] == "closed_won").mean()
    win_fast = (deals.loc[~slow, "stage"] == "closed_won").mean()
    assert len(deals) >= 60
    assert win_fast - win_slow > 0.1


def _digits(values: pd.Series) -> pd.Series:
    return values.str.replace(r"\D", "", regex=True).str[-10:]


def test_identity_chains_across_records_and_systems(clean: Path) -> None:
    customers = _read(clean, "commerce.customers")
    customers["email_n"] = customers["email"].str.strip().str.lower()
    customers["phone_n"] = _digits(customers["phone"])
    # A shares an email with B; B shares a phone with C; A and C share nothing directly
    by_email = customers.dropna(subset=["email_n"]).merge(
        customers.dropna(subset=["email_n"]), on="email_n", suffixes=("_a", "_b")
    )
    by_email = by_email[by_email["customer_id_a"] != by_email["customer_id_b"]]
    b_phone = customers.set_index("customer_id")["phone_n"]
    by_email["phone_b"] = by_email["customer_id_b"].map(b_phone)
    third = customers[["customer_id", "phone_n", "email_n"]].rename(
        columns={"customer_id": "customer_id_c", "phone_n": "phone_b", "email_n": "email_c"}
    )
    chains = by_email.dropna(subset=["phone_b"]).merge(third, on="phone_b")
    chains = chains[
        (chains["customer_id_c"] != chains["customer_id_b"])
        & (chains["customer_id_c"] != chains["customer_id_a"])
        & (chains["email_c"] != chains["email_n"])
    ]
    assert len(chains) > 0
    # same person spelled differently: raw phones differ, digits agree
    phones = customers.dropna(subset=["phone"])
    spellings = phones.groupby("phone_n")["phone"].nunique()
    assert (spellings > 1).any()
    # a shared loyalty card forms a cluster of more than three records
    assert customers["loyalty_id"].value_counts().max() > 3
    # shoppers also appear as CRM contacts and support requesters
    contacts = _read(clean, "crm.contacts")
    tickets = _read(clean, "support.tickets")
    shop_emails = set(customers["email_n"].dropna())
    assert contacts["email"].str.strip().str.lower().isin(shop_emails).any()
    assert tickets["requester_email"].str.strip().str.lower().isin(shop_emails).any()
    sessions = _read(clean, "commerce.web_sessions")
    assert sessions["email"].str.lower().isin(shop_emails).any()


def test_abandoned_carts_and_purchases_link_to_orders(clean: Path) -> None:
    events = _read(clean, "commerce.cart_events")
    orders = _read(clean, "commerce.orders")
    purchases = events[events["event_type"] == "purchase"]
    assert purchases["order_id"].notna().all()
    assert purchases["order_id"].isin(orders["order_id"]).all()
    adds = events[events["event_type"] == "cart_add"].groupby("session_id")["occurred_at"].min()
    bought = purchases.groupby("session_id")["occurred_at"].min()
    joined = adds.to_frame("added").join(bought.rename("bought"))
    abandoned = joined["bought"].isna() | (
        joined["bought"] - joined["added"] > pd.Timedelta(hours=2)
    )
    assert 0.05 < abandoned.mean() < 0.8


def test_commerce_peaks_in_november_and_december(clean: Path) -> None:
    orders = _read(clean, "commerce.orders")
    month = orders["ordered_at"].dt.month
    per_month = (
        orders.groupby(month).size()
        / orders["ordered_at"].dt.to_period("M").groupby(month).nunique()
    )
    assert per_month.loc[[11, 12]].mean() > 1.2 * per_month.loc[[1, 2, 3]].mean()


def test_slack_ids_and_manager_hierarchy(clean: Path) -> None:
    users = _read(clean, "crm.users")
    assert users["slack_user_id"].map(lambda s: bool(re.fullmatch(r"U[0-9A-Z]{8}", s))).all()
    managers = set(users.loc[users["role"] == "manager", "user_id"])
    assert users.loc[users["role"] != "manager", "manager_id"].isin(managers).all()
    assert {"rep", "csm", "manager"} == set(users["role"])


def test_ids_are_padded_the_same_across_slices(monkeypatch: pytest.MonkeyPatch) -> None:
    """Ids are built per slice (Arrow's padding reserves 4 bytes a character and overflowed a
    32-bit string array at a 1M-customer export's 50M web events); the slices join seamlessly."""
    import sources.generate.common as common

    numbers = np.array([1, 22, 333, 4_444, 55_555, 666_666, 7_777_777], dtype=np.int64)
    whole = common.ids("ws", numbers, 9).to_pylist()
    monkeypatch.setattr(common, "_ID_SLICE", 2)
    sliced = common.ids("ws", numbers, 9)
    assert sliced.to_pylist() == whole == [f"ws{n:09d}" for n in numbers]
    assert sliced.type == pa.string()
    assert common.ids("ACC", np.array([], dtype=np.int64)).to_pylist() == []


@pytest.mark.parametrize("suffix", ["csv", "parquet"])
def test_writer_takes_rows_a_group_at_a_time(
    tmp_path: Path, suffix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The writer applies the dirty-row order slice by slice (no reordered copy of a whole
    table): the file equals the table taken in that order, in groups of ``ROW_GROUP``."""
    import sources.generate.writer as writer

    monkeypatch.setattr(writer, "ROW_GROUP", 3)
    table = pa.table({"n": pa.array(range(10), pa.int64()), "s": [f"r{i}" for i in range(10)]})
    rows = np.array([0, 1, 1, 2, 3, 4, 5, 5, 6, 7, 8, 9, 9])
    path = tmp_path / f"t.{suffix}"
    writer.write_table(table, path, rows)
    written = pq.read_table(path) if suffix == "parquet" else pacsv.read_csv(path)
    assert written.to_pylist() == table.take(pa.array(rows)).to_pylist()
    if suffix == "parquet":
        groups = pq.ParquetFile(path).metadata
        assert [groups.row_group(i).num_rows for i in range(groups.num_row_groups)] == [
            3,
            3,
            3,
            3,
            1,
        ]
    writer.write_table(table, path)
    again = pq.read_table(path) if suffix == "parquet" else pacsv.read_csv(path)
    assert again.to_pylist() == table.to_pylist()


def test_tables_are_built_and_written_one_at_a_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each table is written before the next is built (the generator's peak memory is one
    table's, not the sum), every contract table exactly once; counts include the duplicates."""
    import sources.generate as generator

    events: list[tuple[str, str]] = []
    build = generator._build_tables

    def traced(ctx: object) -> object:
        for key, columns in build(ctx):  # type: ignore[arg-type]
            events.append(("built", key))
            yield key, columns

    real_write = generator.write_table

    def write(table: pa.Table, path: Path, rows: np.ndarray | None = None) -> None:
        events.append(("written", f"{path.parent.name}.{path.stem}"))
        real_write(table, path, rows)

    monkeypatch.setattr(generator, "_build_tables", traced)
    monkeypatch.setattr(generator, "write_table", write)
    counts = generate(tmp_path, _config(customers=60, dirty_share=0.05))
    keys = [key for _, key in events[::2]]
    assert events == [event for key in keys for event in (("built", key), ("written", key))]
    assert sorted(keys) == sorted(raw_tables())
    web_events = pq.read_table(tmp_path / "commerce" / "web_events.parquet")
    assert counts["commerce.web_events"] == web_events.num_rows
    ids = web_events.column("web_event_id").to_pylist()
    assert len(ids) > len(set(ids))  # exact duplicates were written right after their rows
