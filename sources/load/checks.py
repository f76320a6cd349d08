"""Checks across rows and files, after each file's own validation, in DuckDB SQL.

* Duplicate keys within a file: the first row wins; later rows are quarantined, saying whether
  they repeat the first row exactly or conflict with it (a file cannot say which is right).
* A row already in the warehouse, or in an earlier file of this load, with the same key and the
  same values is *unchanged*: not loaded again, counted in the audit. A row with the same key
  and other values is an update (or a late-arriving correction): it loads, and staging keeps
  the latest.
* A child row whose parent key is in neither this load nor the warehouse is an orphan
  (:data:`sources.load.rules.FOREIGN_KEYS`), checked when the parent table is in this load.
  A parent row that is present but quarantined for its own fault still counts as present.
* Identical lines of a file with a derived key (``_repeat_of`` set by validation) are counted:
  kept as their own rows, or quarantined under ``duplicates: quarantine``.
* A file whose quarantined share is above the limit (and has at least
  :data:`MIN_BAD_ROWS_TO_FAIL` bad rows) fails the whole load.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from sources.contract import RawTable
from sources.load.ddl import quote
from sources.load.discover import Export
from sources.load.read import literal
from sources.load.report import LoadError
from sources.load.rules import FOREIGN_KEYS
from sources.load.validate import Validated

if TYPE_CHECKING:
    import duckdb

#: ``lookup(table, column, keys_sql, into)``: make the DuckDB temp table ``into`` hold the
#: warehouse rows of ``table`` (other batches than the current one) whose ``column`` is among
#: the values ``keys_sql`` selects (as ``k``) in the validating DuckDB.
Lookup = Callable[[RawTable, str, str, str], None]
EXISTING = "_ciw_existing"
#: A handful of bad rows in a tiny file is noise, not a broken export: the share limit applies
#: from this many quarantined rows on.
MIN_BAD_ROWS_TO_FAIL = 10


def _record(table: RawTable) -> str:
    fields = ", ".join(f"{literal(name)}: {quote(name)}" for name in table.column_names)
    return f"cast(to_json({{{fields}}}) as varchar)"


def _flag(
    connection: duckdb.DuckDBPyConnection,
    validated: Validated,
    table: RawTable,
    flagged_sql: str,
    column: str,
) -> None:
    """Quarantine the rows ``flagged_sql`` selects as ``(row_, reason_)``."""
    connection.execute(
        f"update {validated.relation} set "
        f"_reason = concat_ws('; ', _reason, flagged.reason_), "
        f"_columns = concat_ws(', ', _columns, {literal(column)}), "
        f"_raw_record = coalesce(_raw_record, {_record(table)}) "
        f"from ({flagged_sql}) as flagged where _source_row = flagged.row_"
    )


def flag_duplicate_keys(
    connection: duckdb.DuckDBPyConnection, validated: Validated, table: RawTable
) -> None:
    key = quote(table.primary_key)
    values = ", ".join(quote(name) for name in table.column_names)
    prefix = literal(f'column "{table.primary_key}": duplicate key ')
    flagged = (
        f"select _source_row as row_, {prefix} || cast({key} as varchar) || case when same "
        f"then ', same values as row ' else ', other values than row ' end "
        f"|| cast(first_row as varchar) || ' (the first row is kept)' as reason_ from ("
        f"select _source_row, {key}, row_number() over by_key as position, "
        f"first_value(_source_row) over by_key as first_row, "
        f"hash({values}) = first_value(hash({values})) over by_key as same "
        f"from {validated.relation} where _reason is null and {key} is not null "
        f"window by_key as (partition by {key} order by _source_row)) where position > 1"
    )
    _flag(connection, validated, table, flagged, table.primary_key)


def flag_orphans(
    connection: duckdb.DuckDBPyConnection,
    validated: Validated,
    table: RawTable,
    loaded: dict[str, list[Validated]],
    lookup: Lookup,
    tables: dict[str, RawTable],
) -> None:
    for (child, column), (parent, parent_column) in FOREIGN_KEYS.items():
        if child != table.key or parent not in loaded:
            continue
        fk, pk = quote(column), quote(parent_column)
        in_load = " union all ".join(
            # A parent row quarantined for its own fault still exists at the source: its
            # children are not orphans and load (no cascade of one bad row to all its children).
            f"select {pk} from {other.relation} where {pk} is not null"
            for other in loaded[parent]
        )
        candidates = (
            f"select distinct {fk} as k from {validated.relation} "
            f"where _reason is null and {fk} is not null and {fk} not in ({in_load})"
        )
        lookup(tables[parent], parent_column, candidates, EXISTING)
        prefix = literal(f'column "{column}": ')
        suffix = literal(f" has no row in {parent} (neither in this load nor loaded before)")
        flagged = (
            f"select _source_row as row_, {prefix} || cast({fk} as varchar) || {suffix} "
            f"as reason_ from {validated.relation} where {fk} in ({candidates}) "
            f"and {fk} not in (select {pk} from {EXISTING})"
        )
        _flag(connection, validated, table, flagged, column)


def mark_unchanged(
    connection: duckdb.DuckDBPyConnection,
    validated: Validated,
    table: RawTable,
    earlier: Sequence[Validated],
    lookup: Lookup,
) -> None:
    """Rows identical to a row already loaded (or in an earlier file of this load)."""
    key = quote(table.primary_key)
    columns = ", ".join(quote(name) for name in table.column_names)
    keys = f"select {key} as k from {validated.relation} where _reason is null"
    lookup(table, table.primary_key, keys, EXISTING)
    known = " union all ".join(
        [f"select {columns} from {EXISTING}"]
        + [f"select {columns} from {other.relation} where _reason is null" for other in earlier]
    )
    same = " and ".join(
        f"known.{quote(name)} is not distinct from {validated.relation}.{quote(name)}"
        for name in table.column_names
    )
    connection.execute(
        f"update {validated.relation} set _unchanged = true where _reason is null and exists "
        f"(select 1 from ({known}) as known where {same})"
    )


def check_bad_share(
    connection: duckdb.DuckDBPyConnection, export: Export, validated: Validated, limit: float
) -> int:
    """The file's quarantined row count; a :class:`LoadError` when its share passes ``limit``."""
    row = connection.execute(
        f"select count(_reason), mode(_reason) from {validated.relation}"
    ).fetchone()
    assert row is not None
    bad = int(row[0])
    if bad >= MIN_BAD_ROWS_TO_FAIL and bad / validated.rows_read > limit:
        raise LoadError(
            f"{export.source_file}: {bad:,} of {validated.rows_read:,} rows "
            f"({bad / validated.rows_read:.1%}) failed validation, above the "
            f"{limit:.0%} limit (--max-bad-share, CIW_MAX_BAD_SHARE); nothing was loaded. "
            f"Most common: {row[1]}"
        )
    return bad


def count_repeats(connection: duckdb.DuckDBPyConnection, validated: Validated) -> tuple[int, int]:
    """(kept, quarantined): lines repeating an earlier identical line of a derived-key file.

    Kept repeats load (or are unchanged) as their own rows; under ``duplicates: quarantine`` the
    repeats are quarantined. A repeat quarantined for another fault under ``keep`` is neither.
    """
    if validated.duplicates is None:
        return 0, 0
    row = connection.execute(
        f"select count(_repeat_of) filter (where _reason is null), "
        f"count(_repeat_of) filter (where _reason is not null) from {validated.relation}"
    ).fetchone()
    assert row is not None
    kept, quarantined = int(row[0]), int(row[1])
    return kept, quarantined if validated.duplicates == "quarantine" else 0
