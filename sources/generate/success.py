"""Training enrollments (onboarding, webinars, certifications) and NPS surveys of account contacts.

Accounts that will cancel onboard more slowly and skip more modules; in the decline before the
cancellation their users miss booked sessions, answer fewer surveys and score lower.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from sources.generate import constants as k
from sources.generate.b2b import Accounts
from sources.generate.common import Columns, Context, SeasonalClock, ids, pick, ragged_index
from sources.generate.crm import Contacts, account_ids
from sources.generate.formats import with_nulls
from sources.generate.product import daily_counts

DAY = 86_400
HOUR = 3_600
COURSE_TYPES = ("onboarding", "webinar", "certification")
STATUSES = ("registered", "attended", "no_show", "cancelled")
COMMENTS = (
    "Great product, the team loves it.",
    "Reports could be faster.",
    "Support was slow to answer.",
    "Hard to get new users started.",
    "Pricing is getting hard to justify.",
)
MENTION = " Considering {name} instead."


def _onboarding(
    ctx: Context, accounts: Accounts, rng: np.random.Generator
) -> dict[str, np.ndarray]:
    """One enrollment per onboarding module per customer account, from its creation on."""
    customers = np.flatnonzero(accounts.is_customer)
    modules = len(k.ONBOARDING_MODULES)
    account = np.repeat(customers, modules)
    module = np.tile(np.arange(modules), len(customers))
    at_risk = np.isfinite(accounts.cancel[account])
    # Pace differs a lot between healthy accounts too: the churn signal is a tendency.
    pace = np.repeat(rng.lognormal(0, k.ONBOARDING_PACE_SIGMA, len(customers)), modules)
    slow = np.where(at_risk, k.ONBOARDING_SLOWDOWN_AT_RISK, 1.0) * pace
    low, high = k.ONBOARDING_MODULE_GAP_DAYS
    gaps = rng.uniform(low, high, (len(customers), modules)).reshape(-1) * slow
    start = np.repeat(accounts.created[customers] + rng.uniform(1, 10, len(customers)), modules)
    gap_sums = np.cumsum(gaps.reshape(len(customers), modules), axis=1).reshape(-1)
    scheduled = start + gap_sums
    no_show_p = np.asarray(k.ONBOARDING_NO_SHOW_P)[at_risk.astype(np.int64)]
    status = np.where(rng.random(len(account)) < no_show_p, 2, 1)
    return {
        "account": account,
        "course": module,
        "registered": scheduled - rng.uniform(1, 5, len(account)),
        "scheduled": scheduled,
        "status": status,
        "completes": status == 1,
    }


def _webinars(ctx: Context, accounts: Accounts, contacts: Contacts) -> dict[str, np.ndarray]:
    """Webinar and certification enrollments; no-shows rise in the decline before churn."""
    rng = ctx.rng("training.enrollments.webinars")
    customers = np.flatnonzero(accounts.is_customer)
    per_day = k.WEBINAR_ENROLLMENTS_PER_ACCOUNT_DAY * np.sqrt(contacts.count[customers] / 4)
    account, day = daily_counts(ctx, accounts, per_day, 0.0, "training.enrollments.counts")
    n = len(account)
    registered = day + rng.random(n)
    scheduled = registered + rng.uniform(3, 21, n)
    decline = accounts.decline(np.minimum(scheduled, ctx.n_days), account)
    no_show_p = k.TRAINING_NO_SHOW_P + k.TRAINING_NO_SHOW_DECLINE * decline
    draw = rng.random(n)
    status = np.where(
        draw < k.TRAINING_CANCEL_P, 3, np.where(draw < k.TRAINING_CANCEL_P + no_show_p, 2, 1)
    )
    return {
        "account": account,
        "course": len(k.ONBOARDING_MODULES) + rng.integers(0, len(k.WEBINAR_COURSES), n),
        "registered": registered,
        "scheduled": scheduled,
        "status": status,
        "completes": (status == 1) & (rng.random(n) < 0.85),
    }


def enrollment_columns(ctx: Context, accounts: Accounts, contacts: Contacts) -> Columns:
    """The ``training.enrollments`` table."""
    rng = ctx.rng("training.enrollments")
    onboarding = _onboarding(ctx, accounts, rng)
    webinars = _webinars(ctx, accounts, contacts)
    rows = {name: np.concatenate([onboarding[name], webinars[name]]) for name in onboarding}
    registered_ts = ctx.to_ts(rows["registered"])
    scheduled_ts = ctx.to_ts(rows["scheduled"])
    keep = registered_ts < ctx.end_ts
    rows = {name: values[keep] for name, values in rows.items()}
    registered_ts, scheduled_ts = registered_ts[keep], scheduled_ts[keep]
    n = len(registered_ts)
    held = scheduled_ts < ctx.end_ts
    status = np.where(held | (rows["status"] == 3), rows["status"], 0)
    completed = scheduled_ts + rng.integers(1, 3, n) * HOUR
    completed = np.where(
        rows["completes"] & (status == 1) & (completed < ctx.end_ts), completed, np.nan
    )
    account = rows["account"]
    contact = contacts.start[account] + (rng.random(n) * contacts.count[account]).astype(np.int64)
    courses = k.ONBOARDING_MODULES + k.WEBINAR_COURSES
    course_type = np.where(
        rows["course"] < len(k.ONBOARDING_MODULES),
        0,
        np.where(np.char.startswith(np.asarray(courses)[rows["course"]], "certification"), 2, 1),
    )
    order = np.argsort(registered_ts, kind="stable")
    return {
        "enrollment_id": ids("ENR", np.arange(1, n + 1), 8),
        "account_id": account_ids(account[order]),
        "attendee_email": pc.take(contacts.email, pa.array(contact[order])),
        "course_key": pick(courses, rows["course"][order]),
        "course_type": pick(COURSE_TYPES, course_type[order]),
        "registered_at": registered_ts[order],
        "scheduled_at": scheduled_ts[order],
        "attendance_status": pick(STATUSES, status[order]),
        "completed_at": completed[order],
    }


def response_columns(
    ctx: Context, accounts: Accounts, contacts: Contacts, departures: np.ndarray
) -> Columns:
    """The ``surveys.responses`` table: quarterly NPS waves to a few contacts per account."""
    rng = ctx.rng("surveys.responses")
    customers = np.flatnonzero(accounts.is_customer)
    first = np.maximum(accounts.created[customers], 0) + rng.uniform(
        30, 30 + k.NPS_WAVE_DAYS, len(customers)
    )
    last = np.minimum(accounts.cancel[customers], ctx.n_days)
    waves = np.maximum(np.ceil((last - first) / k.NPS_WAVE_DAYS), 0).astype(np.int64)
    wave_account, wave_index = ragged_index(waves)
    wave_day = first[wave_account] + wave_index * k.NPS_WAVE_DAYS
    low, high = k.NPS_RECIPIENTS
    recipients = rng.integers(low, high + 1, len(wave_day))
    send_wave, _ = ragged_index(recipients)
    account = customers[wave_account[send_wave]]
    day = wave_day[send_wave]
    n = len(day)
    contact = contacts.start[account] + (rng.random(n) * contacts.count[account]).astype(np.int64)
    reachable = day < departures[contact]
    account, day, contact = account[reachable], day[reachable], contact[reachable]
    n = len(day)
    decline = accounts.decline(day, account)
    answers = rng.random(n) < k.NPS_RESPONSE_P - k.NPS_RESPONSE_DECLINE * decline
    sent = SeasonalClock(ctx, "b2b").timestamps(rng, day)
    responded = sent + (rng.lognormal(0.5, 0.9, n) * DAY).astype(np.int64)
    answered = answers & (responded < ctx.end_ts)
    score = np.clip(np.round(rng.normal(k.NPS_MEAN - k.NPS_DECLINE * decline, 1.6)), 0, 10)
    mention_list = [MENTION.format(name=name) for name in k.COMPETITORS]
    mentions = rng.random(n) < k.COMPETITOR_MENTION_P + k.COMPETITOR_MENTION_DECLINE * decline
    worse = np.where(score >= 8, 0, 1 + rng.integers(0, len(COMMENTS) - 1, n))
    comment = pc.if_else(
        pa.array(mentions),
        pc.binary_join_element_wise(
            pick(COMMENTS, worse), pick(mention_list, rng.integers(0, len(mention_list), n)), ""
        ),
        pick(COMMENTS, worse),
    )
    has_comment = answered & (mentions | (rng.random(n) < k.NPS_COMMENT_P))
    order = np.argsort(sent, kind="stable")
    return {
        "response_id": ids("NPS", np.arange(1, n + 1), 8),
        "account_id": account_ids(account[order]),
        "respondent_email": pc.take(contacts.email, pa.array(contact[order])),
        "survey_type": pick(("nps",), np.zeros(n, dtype=np.int64)),
        "sent_at": sent[order],
        "responded_at": np.where(answered, responded, np.nan)[order],
        "nps_score": np.where(answered, score, np.nan)[order],
        "comment": with_nulls(comment, ~has_comment).take(pa.array(order)),
    }
