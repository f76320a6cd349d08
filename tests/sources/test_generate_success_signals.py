"""The customer-success sources follow the accounts' hidden churn state, as the copilot expects.

Built straight from the generator's builders (no files) at a small scale: in the 60 days before
a cancellation contacts open fewer emails, miss more training sessions, answer NPS surveys less
and lower, name competitors more often, and leave (their address hard-bounces).
"""

from __future__ import annotations

import datetime

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from sources.generate import engagement, people, success
from sources.generate.b2b import Accounts, build_accounts
from sources.generate.common import Context
from sources.generate.config import GeneratorConfig
from sources.generate.crm import Contacts, build_contacts

World = tuple[Context, Accounts, Contacts, np.ndarray]


@pytest.fixture(scope="module")
def world() -> World:
    config = GeneratorConfig(customers=4_000, seed=11, end_date=datetime.date(2026, 6, 30))
    ctx = Context.from_config(config)
    accounts = build_accounts(ctx)
    contacts, _ = build_contacts(ctx, accounts, people.build_people(ctx))
    departures = engagement.contact_departure_days(ctx, accounts, contacts)
    return ctx, accounts, contacts, departures


def _in_decline(
    ctx: Context, accounts: Accounts, account_ids: pa.Array, at: np.ndarray
) -> np.ndarray:
    """True for rows dated within the 60 days before their account's cancellation."""
    index = np.asarray(pc.cast(pc.utf8_slice_codeunits(account_ids, 3), pa.int64())) - 1
    day = (np.asarray(at, dtype=np.float64) / 86_400) - ctx.start_day
    return (accounts.cancel[index] - day > 0) & (accounts.cancel[index] - day <= 60)


def _strings(values: pa.Array) -> np.ndarray:
    return np.asarray(values.to_pylist(), dtype=object)


def test_emails_open_less_and_bounce_more_before_churn(world: World) -> None:
    ctx, accounts, contacts, departures = world
    events = engagement.email_event_columns(ctx, accounts, contacts, departures)
    kind = _strings(events["event_type"])
    decline = _in_decline(ctx, accounts, events["account_id"], events["occurred_at"])
    opens_per_delivery = {
        flag: (kind[decline == flag] == "open").sum() / (kind[decline == flag] == "delivered").sum()
        for flag in (True, False)
    }
    assert opens_per_delivery[True] < 0.8 * opens_per_delivery[False], opens_per_delivery
    bounce = _strings(events["bounce_type"])
    hard_share = {flag: (bounce[decline == flag] == "hard").mean() for flag in (True, False)}
    assert hard_share[True] > 2 * hard_share[False], hard_share
    assert set(kind) == {"delivered", "open", "click", "bounce", "unsubscribe"}
    assert (np.diff(np.asarray(events["occurred_at"])) >= 0).all(), "events in time order"


def test_training_no_shows_rise_before_churn(world: World) -> None:
    ctx, accounts, contacts, _ = world
    rows = success.enrollment_columns(ctx, accounts, contacts)
    status = _strings(rows["attendance_status"])
    decline = _in_decline(ctx, accounts, rows["account_id"], rows["scheduled_at"])
    held = np.isin(status, ["attended", "no_show"])
    no_show = {
        flag: (status[held & (decline == flag)] == "no_show").mean() for flag in (True, False)
    }
    assert no_show[True] > 1.5 * no_show[False], no_show
    onboarding = _strings(rows["course_type"]) == "onboarding"
    assert onboarding.sum() > 0
    completed = np.asarray(
        pc.is_valid(pa.array(rows["completed_at"], pa.float64(), from_pandas=True))
    )
    assert not (completed & (status != "attended")).any(), "only attended sessions complete"


def test_nps_answers_fall_before_churn(world: World) -> None:
    ctx, accounts, contacts, departures = world
    rows = success.response_columns(ctx, accounts, contacts, departures)
    decline = _in_decline(ctx, accounts, rows["account_id"], rows["sent_at"])
    score = np.asarray(rows["nps_score"], dtype=np.float64)
    answered = ~np.isnan(score)
    assert np.nanmean(score[decline]) < np.nanmean(score[~decline]) - 1.0
    assert answered[decline].mean() < answered[~decline].mean()
    assert ((score[answered] >= 0) & (score[answered] <= 10)).all()


def test_competitors_named_more_often_before_churn(world: World) -> None:
    ctx, accounts, contacts, _ = world
    posts = engagement.post_columns(ctx, accounts, contacts)
    account_ids = posts["account_id"]
    assert isinstance(account_ids, pa.Array)
    linked = np.asarray(pc.is_valid(account_ids))
    body = _strings(posts["body"])[linked]
    decline = _in_decline(
        ctx, accounts, account_ids.filter(pa.array(linked)), posts["created_at"][linked]
    )
    names = ("Contoso", "Northwind", "Fabrikam", "Globomantics")
    mentions = np.asarray([any(name in text for name in names) for text in body])
    assert mentions[decline].mean() > 3 * mentions[~decline].mean()
