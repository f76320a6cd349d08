"""The generator's one typed config and the row counts derived from its scale knob."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Literal

from sources.generate import constants as k


@dataclass(frozen=True)
class GeneratorConfig:
    """How much data to generate, from which seed, over which period, in which file format."""

    customers: int = 2_000  # the one scale knob
    seed: int = 42
    end_date: datetime.date | None = None  # last day of data; None means today (UTC)
    history_days: int = 730  # about two years of history ending at end_date
    dirty_share: float = 0.01  # share of dirty rows per table
    file_format: Literal["mixed", "csv", "parquet"] = "mixed"

    def resolved_end_date(self) -> datetime.date:
        """``end_date``, or today in UTC when it is None."""
        if self.end_date is not None:
            return self.end_date
        return datetime.datetime.now(datetime.UTC).date()


#: Sources written as CSV when ``file_format`` is "mixed"; the rest are Parquet.
MIXED_CSV_SOURCES = frozenset({"crm", "support", "billing"})


def file_suffix(config: GeneratorConfig, source: str) -> str:
    """``csv`` or ``parquet`` for a source system under the configured format."""
    if config.file_format == "mixed":
        return "csv" if source in MIXED_CSV_SOURCES else "parquet"
    return config.file_format


@dataclass(frozen=True)
class Scale:
    """Entity counts derived from ``customers``."""

    persons: int
    accounts: int
    reps: int
    csms: int
    managers: int
    leads: int

    @classmethod
    def from_customers(cls, customers: int) -> Scale:
        accounts = max(k.MIN_ACCOUNTS, customers // k.CUSTOMERS_PER_ACCOUNT)
        reps = max(6, accounts // k.ACCOUNTS_PER_REP)
        csms = max(3, accounts // k.ACCOUNTS_PER_CSM)
        return cls(
            persons=max(customers, 10),
            accounts=accounts,
            reps=reps,
            csms=csms,
            managers=max(2, (reps + csms) // 8),
            leads=accounts * k.LEADS_PER_ACCOUNT,
        )
