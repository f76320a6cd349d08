"""Turn generated columns into typed Arrow tables in contract order and write CSV or Parquet."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from sources.contract import RawTable
from sources.generate.common import Columns

_DECIMAL = re.compile(r"numeric\((\d+),\s*(\d+)\)")


def arrow_type(data_type: str) -> pa.DataType:
    """The Arrow type for a contract data type."""
    match = _DECIMAL.fullmatch(data_type.strip())
    if match:
        return pa.decimal128(int(match.group(1)), int(match.group(2)))
    types: dict[str, pa.DataType] = {
        "varchar": pa.string(),
        "bigint": pa.int64(),
        "integer": pa.int32(),
        "boolean": pa.bool_(),
        "timestamp": pa.timestamp("s"),
        "date": pa.date32(),
    }
    return types[data_type.strip()]


def _to_array(values: pa.Array | np.ndarray, target: pa.DataType) -> pa.Array:
    """Arrow array of the target type; NaN in float input means null."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if isinstance(values, np.ndarray):
        mask = np.isnan(values) if values.dtype.kind == "f" else None
        if (
            mask is not None
            and not pa.types.is_decimal(target)
            and not pa.types.is_floating(target)
        ):
            filled = np.where(mask, 0, values).astype(np.int64)
            if pa.types.is_date32(target) or pa.types.is_int32(target):
                filled = filled.astype(np.int32)
            return pa.array(filled, type=target, mask=mask)
        if mask is not None:
            values = np.round(np.where(mask, 0.0, values), getattr(target, "scale", 6))
        if pa.types.is_date32(target):
            values = values.astype(np.int32)
        if pa.types.is_timestamp(target) or pa.types.is_date32(target):
            return pa.array(values, type=target, mask=mask)
        values = pa.array(values, mask=mask)
    if values.type == target:
        return values
    return pc.cast(values, target, safe=not pa.types.is_decimal(target))


def to_table(contract: RawTable, columns: Columns) -> pa.Table:
    """Typed table with exactly the contract's columns in its order."""
    expected = contract.column_names
    if sorted(columns) != sorted(expected):
        missing = set(expected) - set(columns)
        extra = set(columns) - set(expected)
        raise ValueError(f"{contract.key}: missing {sorted(missing)}, extra {sorted(extra)}")
    arrays = [_to_array(columns[c.name], arrow_type(c.data_type)) for c in contract.columns]
    return pa.Table.from_arrays(arrays, names=expected)


ROW_GROUP = 1_000_000


def _slices(table: pa.Table, rows: np.ndarray | None) -> Iterator[pa.Table]:
    """The table's rows in ``rows`` order (all of them in order when ``None``), a row group at
    a time, so that a reordered copy of the whole table is never held."""
    if rows is None:
        for start in range(0, table.num_rows, ROW_GROUP):
            yield table.slice(start, ROW_GROUP)
        return
    for start in range(0, len(rows), ROW_GROUP):
        yield table.take(pa.array(rows[start : start + ROW_GROUP]))


def write_table(table: pa.Table, path: Path, rows: np.ndarray | None = None) -> None:
    """Write CSV (header, ISO timestamps) or Parquet (zstd, row groups of ``ROW_GROUP``)
    depending on the suffix; ``rows`` is the order to write rows in (repeats allowed)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    writer: pacsv.CSVWriter | pq.ParquetWriter
    if path.suffix == ".csv":
        writer = pacsv.CSVWriter(path, table.schema)
    else:
        writer = pq.ParquetWriter(path, table.schema, compression="zstd")
    with writer:
        for part in _slices(table, rows):
            writer.write_table(part)
