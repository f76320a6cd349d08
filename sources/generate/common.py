"""Shared context: seeded random streams, the time axis with seasonality, id helpers."""

from __future__ import annotations

import datetime
import zlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from sources.generate import constants as k
from sources.generate.config import GeneratorConfig, Scale

Columns = dict[str, pa.Array | np.ndarray]


@dataclass(frozen=True)
class Context:
    """Config plus the derived time axis; day 0 is the first day of history."""

    config: GeneratorConfig
    scale: Scale
    start_day: int  # days since 1970-01-01 of the first history day
    n_days: int

    @classmethod
    def from_config(cls, config: GeneratorConfig) -> Context:
        end = config.resolved_end_date()
        end_day = (end - datetime.date(1970, 1, 1)).days
        return cls(
            config=config,
            scale=Scale.from_customers(config.customers),
            start_day=end_day - config.history_days + 1,
            n_days=config.history_days,
        )

    @property
    def end_ts(self) -> int:
        """Exclusive end of history in epoch seconds (midnight after end_date)."""
        return (self.start_day + self.n_days) * k.SECONDS_PER_DAY

    def rng(self, key: str) -> np.random.Generator:
        """An independent random stream per key (table or entity name) under the seed."""
        spawn_key = (zlib.crc32(key.encode("utf-8")),)
        return np.random.default_rng(np.random.SeedSequence(self.config.seed, spawn_key=spawn_key))

    def to_ts(self, day: np.ndarray) -> np.ndarray:
        """History day (float allowed) to epoch seconds, int64."""
        return ((np.asarray(day, dtype=np.float64) + self.start_day) * k.SECONDS_PER_DAY).astype(
            np.int64
        )

    def day_weights(self, kind: str) -> np.ndarray:
        """Relative daily activity over the history: weekly and (commerce) yearly seasonality."""
        days = np.arange(self.n_days) + self.start_day
        weekday = (days + 3) % 7  # 1970-01-01 was a Thursday; Monday = 0
        dates = np.array(days, dtype="datetime64[D]")
        month = dates.astype("datetime64[M]").astype(np.int64) % 12
        if kind == "commerce":
            return (
                np.asarray(k.COMMERCE_WEEKDAY_FACTOR)[weekday]
                * np.asarray(k.COMMERCE_MONTH_FACTOR)[month]
            )
        return np.asarray(k.B2B_WEEKDAY_FACTOR)[weekday]


class SeasonalClock:
    """Samples timestamps inside per-row day windows following a daily seasonality profile."""

    def __init__(self, ctx: Context, kind: str) -> None:
        self.ctx = ctx
        weights = ctx.day_weights(kind)
        self.cdf = np.concatenate([[0.0], np.cumsum(weights)])
        self.grid = np.arange(ctx.n_days + 1, dtype=np.float64)
        hours = np.asarray(k.COMMERCE_HOUR_WEIGHTS if kind == "commerce" else k.B2B_HOUR_WEIGHTS)
        self.hour_p = hours / hours.sum()

    def days(self, lo: np.ndarray, hi: np.ndarray, u: np.ndarray) -> np.ndarray:
        """Map u in [0, 1) to a (fractional) day in [lo, hi) with seasonal density."""
        lo = np.clip(lo, 0, self.ctx.n_days)
        hi = np.clip(hi, 0, self.ctx.n_days)
        a = np.interp(lo, self.grid, self.cdf)
        b = np.interp(hi, self.grid, self.cdf)
        return np.interp(a + u * (b - a), self.cdf, self.grid)

    def timestamps(self, rng: np.random.Generator, day: np.ndarray) -> np.ndarray:
        """Epoch seconds on the given days, hour of day from the profile."""
        whole = np.minimum(np.floor(day), self.ctx.n_days - 1)
        hour = rng.choice(24, size=len(whole), p=self.hour_p)
        second = rng.integers(0, 3600, size=len(whole))
        return self.ctx.to_ts(whole) + hour * 3600 + second


def declining(u: np.ndarray) -> np.ndarray:
    """Transform uniforms to a density falling linearly to zero at 1 (activity before dropout)."""
    return 1.0 - np.sqrt(1.0 - u)


#: Ids padded per slice of this many numbers: Arrow's ``utf8_lpad`` reserves room for the
#: widest UTF-8 padding (4 bytes a character), which overflows a 32-bit string array from about
#: 50M ids of width 9 (a 1M-customer export's web events), although the ids themselves fit.
_ID_SLICE = 5_000_000


def ids(prefix: str, numbers: np.ndarray, width: int = 7) -> pa.Array:
    """String ids like ``ACC0000123`` from integers, vectorised."""
    values = np.asarray(numbers, dtype=np.int64)
    parts = [
        pc.binary_join_element_wise(
            prefix, pc.utf8_lpad(pc.cast(pa.array(part), pa.string()), width, "0"), ""
        )
        for part in np.array_split(values, max(1, -(-len(values) // _ID_SLICE)))
    ]
    return parts[0] if len(parts) == 1 else pa.concat_arrays(parts)


def pick(values: Sequence[str], index: np.ndarray, mask: np.ndarray | None = None) -> pa.Array:
    """Strings from a small vocabulary by index; ``mask`` True means null."""
    taken = pa.array(list(values), pa.string()).take(pa.array(np.asarray(index, dtype=np.int64)))
    if mask is None:
        return taken
    return pc.if_else(pa.array(mask), pa.scalar(None, pa.string()), taken)


def choice(rng: np.random.Generator, n: int, p: Sequence[float]) -> np.ndarray:
    """Category indices with probabilities ``p`` (normalised)."""
    weights = np.asarray(p, dtype=np.float64)
    return rng.choice(len(weights), size=n, p=weights / weights.sum())


def money(values: np.ndarray) -> np.ndarray:
    """Round to cents."""
    return np.round(np.asarray(values, dtype=np.float64), 2)


def ragged_index(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For per-parent child counts: (parent index per child, position within parent)."""
    counts = np.asarray(counts, dtype=np.int64)
    parent = np.repeat(np.arange(len(counts)), counts)
    starts = np.cumsum(counts) - counts
    position = np.arange(len(parent)) - starts[parent]
    return parent, position
