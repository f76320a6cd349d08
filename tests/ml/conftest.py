"""Seeded simulators for the model tests: orders-only shops and B2B label frames.

``simulate_orders`` draws heterogeneous customers whose behaviour breaks the BG/NBD
assumptions the way real shops do: a seasonal purchase rate, a share of customers whose rate
decays with age, and drop-out in calendar time rather than after purchases. ``order_feature_frame``
then computes, per (customer, as-of date), a compact pandas version of the dbt model
customer_order_features plus the churn and revenue labels, so tests exercise the same columns
the warehouse produces.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest

DATA_END = date(2026, 11, 22)
SPINE_STEP_DAYS = 14
SPINE_PERIODS = 40


def simulate_orders(customers: int, seed: int, history_days: int = 900) -> pd.DataFrame:
    """customer_id, order_date, amount for an orders-only shop ending at DATA_END."""
    rng = np.random.default_rng(seed)
    start = DATA_END - timedelta(days=history_days)
    rows: list[tuple[int, int, float]] = []
    for index in range(customers):
        acquired = rng.uniform(0, history_days - 20)
        base_rate = rng.gamma(0.9, 1.0 / 22.0)
        death = acquired + rng.exponential(rng.choice([120.0, 400.0, 1500.0]))
        decay = rng.uniform(60, 300) if rng.random() < 0.4 else np.inf
        mean_log_amount = rng.normal(3.6, 0.5)
        end = min(death, history_days)
        peak = base_rate * 1.35
        times = [acquired]
        now = acquired
        while True:
            now += rng.exponential(1.0 / peak)
            if now >= end:
                break
            season = 1.0 + 0.35 * np.sin(2 * np.pi * (now + start.toordinal() - 300) / 365.0)
            rate = base_rate * season * np.exp(-(now - acquired) / decay)
            if rng.random() < rate / peak:
                times.append(now)
        for time in times:
            amount = float(np.round(rng.lognormal(mean_log_amount, 0.4), 2))
            rows.append((100001 + index, int(time), amount))
    orders = pd.DataFrame(rows, columns=["customer_id", "day", "amount"])
    orders["order_date"] = pd.to_datetime(start) + pd.to_timedelta(orders["day"], unit="D")
    return orders[["customer_id", "order_date", "amount"]]


def spine(end: date = DATA_END, periods: int = SPINE_PERIODS) -> list[pd.Timestamp]:
    return [pd.Timestamp(end - timedelta(days=SPINE_STEP_DAYS * i)) for i in range(periods)][::-1]


def _features_at(orders: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    before = orders[orders["order_date"] < as_of]
    grouped = before.groupby("customer_id")
    features = pd.DataFrame(
        {
            "frequency": grouped.size(),
            "monetary": grouped["amount"].sum(),
            "first_order_date": grouped["order_date"].min(),
            "last_order_date": grouped["order_date"].max(),
            "order_day_count": grouped["order_date"].nunique(),
        }
    )
    for days in (7, 30, 90):
        recent = before[before["order_date"] >= as_of - pd.Timedelta(days=days)]
        by_customer = recent.groupby("customer_id")
        features[f"orders_{days}d"] = by_customer.size().reindex(features.index).fillna(0)
        features[f"revenue_{days}d"] = by_customer["amount"].sum().reindex(features.index).fillna(0)
    days_only = before[["customer_id", "order_date"]].drop_duplicates()
    previous = days_only.sort_values("order_date").groupby("customer_id")["order_date"].nth(-2)
    previous = days_only.loc[previous.index].set_index("customer_id")["order_date"]
    features["recency_days"] = (as_of - features["last_order_date"]).dt.days
    features["tenure_days"] = (as_of - features["first_order_date"]).dt.days
    features["average_order_value"] = (features["monetary"] / features["frequency"]).round(2)
    span = (features["last_order_date"] - features["first_order_date"]).dt.days
    repeats = features["order_day_count"] - 1
    features["avg_days_between_orders"] = (span / repeats).where(repeats > 0)
    features["last_days_between_orders"] = (
        features["last_order_date"] - previous.reindex(features.index)
    ).dt.days
    features["days_between_orders_trend"] = (
        features["last_days_between_orders"] - features["avg_days_between_orders"]
    )
    features["as_of_date"] = as_of
    return features.drop(columns="order_day_count").reset_index()


def _labels_at(
    orders: pd.DataFrame, customers: pd.Index, as_of: pd.Timestamp, horizon: int
) -> pd.DataFrame:
    window = orders[
        (orders["order_date"] >= as_of)
        & (orders["order_date"] < as_of + pd.Timedelta(days=horizon))
    ]
    grouped = window.groupby("customer_id")
    return pd.DataFrame(
        {
            "future_order_count": grouped.size().reindex(customers).fillna(0).astype(int),
            "future_revenue": grouped["amount"].sum().reindex(customers).fillna(0.0).round(2),
        },
        index=customers,
    )


def order_feature_frame(
    orders: pd.DataFrame, horizon: int, end: date = DATA_END, periods: int = SPINE_PERIODS
) -> pd.DataFrame:
    """Label rows (matured as-of dates only) joined with their order features, like Feast's."""
    frames = []
    for as_of in spine(end, periods):
        if as_of + pd.Timedelta(days=horizon) > pd.Timestamp(end):
            continue
        features = _features_at(orders, as_of)
        if features.empty:
            continue
        labels = _labels_at(orders, pd.Index(features["customer_id"]), as_of, horizon)
        features = features.join(labels, on="customer_id")
        features["horizon_days"] = horizon
        frames.append(features)
    frame = pd.concat(frames, ignore_index=True)
    frame["is_churned"] = frame["future_order_count"] == 0
    frame["as_of_date"] = frame["as_of_date"].dt.date
    return frame


@pytest.fixture(scope="session")
def shop_orders() -> pd.DataFrame:
    return simulate_orders(customers=1200, seed=11)


@pytest.fixture(scope="session")
def churn_frame(shop_orders: pd.DataFrame) -> pd.DataFrame:
    return order_feature_frame(shop_orders, horizon=90)


@pytest.fixture(scope="session")
def clv_frame(shop_orders: pd.DataFrame) -> pd.DataFrame:
    return order_feature_frame(shop_orders, horizon=180)


def deal_frame(seed: int, deals_per_date: int = 80, dates: int = 20) -> pd.DataFrame:
    """Opportunity label rows with opportunity_features-like columns; won odds follow features.

    Amounts are Decimals (what numeric(18,2) gives from PostgreSQL) and owner ids vary freely,
    so the tests see the types the warehouse hands over.
    """
    from decimal import Decimal

    rng = np.random.default_rng(seed)
    rows = []
    for date_index in range(dates):
        as_of = DATA_END - timedelta(days=SPINE_STEP_DAYS * (dates - date_index + 10))
        for deal in range(deals_per_date):
            segment = rng.choice(["smb", "mid_market", "enterprise"])
            stalled = rng.random() < 0.3
            competitor = rng.random() < 0.4
            days_in_stage = rng.gamma(2.0, 10.0) * (3 if stalled else 1)
            logit = 0.8 - 1.2 * stalled - 0.8 * competitor - 0.02 * days_in_stage
            logit += {"smb": 0.4, "mid_market": 0.0, "enterprise": -0.5}[segment]
            rows.append(
                {
                    "opportunity_id": f"opp-{date_index}-{deal}",
                    "as_of_date": as_of,
                    "owner_user_id": f"user-{rng.integers(0, 40)}",
                    "segment": segment,
                    "stage_name": rng.choice(["discovery", "proposal", "negotiation"]),
                    "amount": Decimal(str(round(float(rng.lognormal(9, 1)), 2))),
                    "has_competitor": bool(competitor),
                    "is_stalled": bool(stalled),
                    "days_in_stage": int(days_in_stage),
                    "constant_column": 1,
                    "empty_column": None,
                    "days_to_close": int(rng.integers(5, 60)),
                    "is_won": bool(rng.random() < 1 / (1 + np.exp(-logit))),
                }
            )
    return pd.DataFrame(rows)


@pytest.fixture(scope="session")
def deals() -> pd.DataFrame:
    return deal_frame(seed=3)


def order_cross_sections(
    orders: pd.DataFrame, end: date = DATA_END, periods: int = SPINE_PERIODS
) -> pd.DataFrame:
    """customer_order_features-like rows on every spine date (no labels): what the warehouse
    holds for a shop however short its history."""
    frames = [_features_at(orders, as_of) for as_of in spine(end, periods)]
    frame = pd.concat([part for part in frames if not part.empty], ignore_index=True)
    frame["as_of_date"] = frame["as_of_date"].dt.date
    return frame


@pytest.fixture(scope="module")
def plot() -> bytes:
    """A small PNG, as a registered version's plot."""
    from tests.ml.registry_candidates import png_bytes

    return png_bytes()
