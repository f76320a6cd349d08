"""Comparing warehouse rows between two builds."""

from __future__ import annotations

import pytest


def same_rows(rows: list[tuple], others: list[tuple]) -> bool:
    """Equal rows; floats to 1e-9 relative (parallel aggregation may reorder the sums, which
    moves the last digits of a double)."""
    if len(rows) != len(others):
        return False
    return all(
        value == pytest.approx(other, rel=1e-9, abs=1e-12)
        if isinstance(value, float)
        else value == other
        for row, other_row in zip(rows, others, strict=True)
        for value, other in zip(row, other_row, strict=True)
    )
