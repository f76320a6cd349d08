"""Point-in-time correctness of the B2B feature models (accounts, opportunities, leads):
product usage, support tickets, invoices and failed payments, stage changes of open deals, new
leads and a conversion exactly at the checked day D, all dated at D and after it, change no
feature row of D and change rows of L in every model (``tests/dbt/point_in_time.py``)."""

from __future__ import annotations

import pytest

from tests.dbt.point_in_time import LateEventsBuild

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("point_in_time")]

MODELS = (
    "account_usage_features",
    "account_support_features",
    "account_billing_features",
    "opportunity_features",
    "lead_features",
)


def test_b2b_features_ignore_events_at_and_after_the_as_of_date(
    account_late_events: LateEventsBuild,
) -> None:
    build = account_late_events
    assert not build.empty_at_checked_day(MODELS), "every model has rows at D"
    assert not build.leaked_at_checked_day(MODELS), "leaked events at/after D"
    assert not build.unchanged_at_run_day(MODELS), "did not see the new events at L"
