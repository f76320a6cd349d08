"""The generator's one typed config and the row counts derived from its scale knob."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Literal

from sources.generate import constants as k

#: The shortest history the generator draws (a month: enough for every table to have rows).
MIN_HISTORY_DAYS = 28


@dataclass(frozen=True)
class CohortRegime:
    """How customers acquired in one kind of month (their cohort) buy, relative to standard."""

    share: float  # share of calendar months of this kind
    acquisition: float = 1.0  # customers acquired per day
    rate: float = 1.0  # purchase rate
    lifetime: float = 1.0  # time until they stop buying
    spend: float = 1.0  # spend per order
    one_off: float = 0.0  # share who buy once and never again (until a reactivation)


@dataclass(frozen=True)
class PurchaseProcess:
    """How shoppers buy, deliberately off BG/NBD's and Gamma-Gamma's own assumptions.

    Each property has an off value that removes it (:meth:`bgnbd_like` turns all of them off):
    calendar seasonality, cohorts whose regime depends on their acquisition month, dormancy
    followed by reactivation (BG/NBD's death is permanent), non-exponential inter-purchase times
    for regular buyers, and spend per order that falls with purchase frequency.
    """

    season_strength: float = 1.0  # scales the month-of-year demand; 0: a flat calendar
    #: Promotion cohorts (November always is one): many buy once and lapse fast.
    promo: CohortRegime = CohortRegime(
        share=0.25, acquisition=2.0, rate=0.7, lifetime=0.3, spend=0.8, one_off=0.5
    )
    loyal: CohortRegime = CohortRegime(share=0.2, rate=1.5, lifetime=2.5, spend=1.15)
    reactivation_share: float = 0.3  # of those who stop: they come back after a dormancy
    dormancy_days: float = 240.0  # mean dormancy (gamma, shape 4)
    regular_share: float = 0.3  # subscriber-like buyers with regular inter-purchase times
    regular_shape: float = 4.0  # their gamma shape of inter-purchase times (CV 0.5)
    other_shape: float = 1.0  # everyone else (1: exponential)
    spend_frequency_elasticity: float = -0.4  # spend ~ rate ** elasticity; 0: independent
    slowdown: float = 1.0  # gaps stretch by up to 1 + slowdown before a final stop

    def __post_init__(self) -> None:
        shares = {
            "promo.share": self.promo.share,
            "loyal.share": self.loyal.share,
            "reactivation_share": self.reactivation_share,
            "regular_share": self.regular_share,
            "promo.one_off": self.promo.one_off,
            "loyal.one_off": self.loyal.one_off,
        }
        for name, share in shares.items():
            if not 0.0 <= share <= 1.0:
                raise ValueError(f"PurchaseProcess.{name} must be a share in 0..1, got {share}")
        if self.promo.share + self.loyal.share > 1.0:
            raise ValueError("PurchaseProcess: promo.share + loyal.share must not exceed 1")
        positive = {
            "regular_shape": self.regular_shape,
            "other_shape": self.other_shape,
            "dormancy_days": self.dormancy_days,
        }
        for name, value in positive.items():
            if value <= 0:
                raise ValueError(f"PurchaseProcess.{name} must be positive, got {value}")

    @classmethod
    def bgnbd_like(cls) -> PurchaseProcess:
        """Every property off: Poisson buying, permanent dropout, independent spend."""
        return cls(
            season_strength=0.0,
            promo=CohortRegime(share=0.0),
            loyal=CohortRegime(share=0.0),
            reactivation_share=0.0,
            regular_share=0.0,
            spend_frequency_elasticity=0.0,
            slowdown=0.0,
        )


@dataclass(frozen=True)
class GeneratorConfig:
    """How much data to generate, from which seed, over which period, in which file format."""

    customers: int = 2_000  # the one scale knob
    seed: int = 42
    end_date: datetime.date | None = None  # last day of data; None means today (UTC)
    history_days: int = 730  # about two years of history ending at end_date
    dirty_share: float = 0.01  # share of dirty rows per table
    file_format: Literal["mixed", "csv", "parquet"] = "mixed"
    purchases: PurchaseProcess = field(default_factory=PurchaseProcess)

    def __post_init__(self) -> None:
        if self.history_days < MIN_HISTORY_DAYS:
            raise ValueError(
                f"GeneratorConfig.history_days must be at least {MIN_HISTORY_DAYS}, "
                f"got {self.history_days}"
            )

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
