"""Export files for the loader tests: CSV text and Parquet columns written under a folder."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

ORDERS_HEADER = "order_id,customer_id,ordered_at,channel,subtotal,order_total,currency"


def write(directory: Path, relative: str, text: str) -> Path:
    path = directory / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def write_parquet(directory: Path, relative: str, columns: dict[str, Any]) -> Path:
    path = directory / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.table(columns), path)
    return path
