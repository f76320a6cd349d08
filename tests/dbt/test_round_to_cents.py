"""Money rounded to the cent is the same on every warehouse (macro ``round_to_cents``).

A cast of a double to ``numeric(18, 2)`` rounds by the double's binary value on DuckDB and by
its shortest spelling on PostgreSQL and Spark: 146.95 / 2 (73.47499... as a double) was 73.47 on
DuckDB and 73.48 on the others, and a cent apart in ``average_order_value`` moved a model's
prediction interval on Spark. The macro rounds in double arithmetic first, which every engine
computes alike. (Spark is compared with DuckDB row for row in tests/spark.)
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pandas as pd

from warehouse import read_frame
from warehouse.dbt import run_dbt
from warehouse.settings import Settings

#: Expression -> its value rounded to the cent. The first two are halves of a cent whose
#: doubles lie just below the half; the third's double lies just above it.
CASES = {
    "146.95 / 2": Decimal("73.47"),
    "618.93 / 2": Decimal("309.46"),
    "2.675": Decimal("2.68"),
    "10.0 / 3": Decimal("3.33"),
    "0": Decimal("0.00"),
    "null": None,
}


def test_cents_round_alike_on_every_warehouse(warehouse_settings: Settings, tmp_path: Path) -> None:
    inline = "select " + ", ".join(
        f"{{{{ round_to_cents('{expression}') }}}} as case_{index}"
        for index, expression in enumerate(CASES)
    )
    target = tmp_path / "dbt_target"
    run_dbt(["compile", "--inline", inline], warehouse_settings, target_path=target, echo=False)
    compiled = json.loads((target / "run_results.json").read_text())["results"][0]["compiled_code"]
    row = read_frame(warehouse_settings, compiled).iloc[0]
    got = [
        None if pd.isna(value) else Decimal(str(value)).quantize(Decimal("0.01")) for value in row
    ]
    assert got == list(CASES.values())
