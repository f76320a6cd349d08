"""Point-in-time correctness of the customer-success account features (engagement, adoption):
email opens and hard bounces, community posts naming a competitor, attended and missed training
sessions (onboarding too), NPS answers and product logins dated at the checked day D and after
it change no row of D, and move each of their totals at L (``tests/dbt/point_in_time.py``)."""

from __future__ import annotations

import pytest

from tests.dbt.late_events import TOTAL_NAMES
from tests.dbt.point_in_time import LateEventsBuild

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("point_in_time")]

MODELS = ("account_engagement_features", "account_adoption_features")


def test_success_features_ignore_events_at_and_after_the_as_of_date(
    account_late_events: LateEventsBuild,
) -> None:
    build = account_late_events
    assert not build.empty_at_checked_day(MODELS), "every model has rows at D"
    assert not build.leaked_at_checked_day(MODELS), "leaked at D"
    assert build.totals_before is not None and build.totals_after is not None
    totals = zip(TOTAL_NAMES, build.totals_before, build.totals_after, strict=True)
    for name, before, after in totals:
        assert after > before, f"{name} at L did not see the new events"
