"""Point-in-time correctness of the B2B feature models (accounts, opportunities, leads):
product usage, support tickets, invoices and failed payments, stage changes of open deals, new
leads and a conversion exactly at the checked day D, all dated at D and after it, change no
feature row of D and change rows of L in every model (``tests/dbt/point_in_time.py``)."""

from __future__ import annotations

import pytest

from tests.dbt.point_in_time import LateEventsBuild
from tests.dbt.rows import same_rows

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
    assert all(build.checked_before[model] for model in MODELS), "every model has rows at D"
    for model in MODELS:
        assert same_rows(build.checked_after[model], build.checked_before[model]), (
            f"{model} leaked events at/after D"
        )
    changed = [
        model
        for model in MODELS
        if not same_rows(build.latest_after[model], build.latest_before[model])
    ]
    assert set(changed) == set(MODELS), f"only {changed} saw the new events at L"
