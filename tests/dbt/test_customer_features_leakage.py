"""Point-in-time correctness of the customer feature models: orders and web sessions dated at
the checked day D and after it change no feature row of D (doubles to 1e-9, as parallel sums
may add in another order) and do reach the rows of L (``tests/dbt/point_in_time.py``)."""

from __future__ import annotations

import pytest

from tests.dbt.point_in_time import LateEventsBuild

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("point_in_time")]

FEATURE_MODELS = (
    "customer_order_features",
    "customer_engagement_features",
    "customer_category_features",
)


def test_features_of_a_date_ignore_events_at_and_after_it(
    customer_late_events: LateEventsBuild,
) -> None:
    build = customer_late_events
    assert not build.empty_at_checked_day(FEATURE_MODELS), "no feature rows at D"
    assert not build.leaked_at_checked_day(FEATURE_MODELS), "leaked"
    for model in ("customer_order_features", "customer_engagement_features"):
        assert build.latest_after[model] != build.latest_before[model], model
