"""CRM users, accounts, contacts and leads."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from sources.generate import constants as k
from sources.generate.b2b import Accounts
from sources.generate.common import Columns, Context, choice, ids, money, pick, ragged_index
from sources.generate.formats import (
    N_EMAIL_STYLES,
    N_PHONE_STYLES,
    format_emails,
    format_phones,
    messy_style,
    phone_digits,
    with_nulls,
)
from sources.generate.people import People

_SLACK_CHARS = np.array(list("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"))


@dataclass(frozen=True)
class Contacts:
    """Account people: canonical emails and phones, grouped by account."""

    account: np.ndarray
    email: pa.Array
    phone: np.ndarray
    start: np.ndarray  # first contact index per account
    count: np.ndarray  # contacts per account


def account_ids(index: np.ndarray) -> pa.Array:
    return ids("ACC", np.asarray(index) + 1, 6)


def user_ids(index: np.ndarray) -> pa.Array:
    return ids("USR", np.asarray(index) + 1, 4)


def rep_index(ctx: Context, rep: np.ndarray) -> np.ndarray:
    """User index of rep number ``rep`` (managers come first, then reps, then CSMs)."""
    return ctx.scale.managers + np.asarray(rep)


def csm_index(ctx: Context, csm: np.ndarray) -> np.ndarray:
    return ctx.scale.managers + ctx.scale.reps + np.asarray(csm)


def company_names(index: np.ndarray) -> pa.Array:
    """Deterministic company names: word + suffix + number, e.g. ``Globex Labs 17``."""
    words, suffixes = len(k.COMPANY_WORDS), len(k.COMPANY_SUFFIXES)
    word = pick(k.COMPANY_WORDS, index % words)
    suffix = pick(k.COMPANY_SUFFIXES, (index // words) % suffixes)
    number = pc.cast(pa.array(index // (words * suffixes) + 1), pa.string())
    return pc.binary_join_element_wise(word, suffix, number, " ")


def company_domains(index: np.ndarray) -> pa.Array:
    return pc.binary_join_element_wise(
        pc.utf8_lower(pc.replace_substring(company_names(index), " ", "")), ".com", ""
    )


def user_columns(ctx: Context) -> Columns:
    """The ``crm.users`` table: managers, then reps, then CSMs."""
    rng = ctx.rng("crm.users")
    s = ctx.scale
    n = s.managers + s.reps + s.csms
    role = np.repeat([2, 0, 1], [s.managers, s.reps, s.csms])
    manager = np.where(role == 2, -1, rng.integers(0, s.managers, n))
    first, last = rng.integers(0, len(k.FIRST_NAMES), n), rng.integers(0, len(k.LAST_NAMES), n)
    full = pc.binary_join_element_wise(pick(k.FIRST_NAMES, first), pick(k.LAST_NAMES, last), " ")
    slack = ["U0" + "".join(row) for row in _SLACK_CHARS[rng.integers(0, 36, (n, 7))]]
    email = pc.binary_join_element_wise(
        pc.utf8_lower(pc.replace_substring(full, " ", ".")),
        ids("", np.arange(n), 2),
        "@ciw.example",
        "",
    )
    team = np.where(role == 1, 3, rng.integers(0, 3, n))
    return {
        "user_id": user_ids(np.arange(n)),
        "full_name": full,
        "email": email,
        "role": pick(("rep", "csm", "manager"), role),
        "manager_id": with_nulls(user_ids(np.maximum(manager, 0)), manager < 0),
        "team": pick(k.TEAMS, team),
        "region": pick(k.REGIONS, choice(rng, n, k.REGION_P)),
        "slack_user_id": pa.array(slack),
        "is_active": rng.random(n) > 0.08,
        "created_at": ctx.to_ts(-rng.integers(30, 1_500, n)) + rng.integers(0, 86_400, n),
    }


def account_columns(ctx: Context, accounts: Accounts) -> Columns:
    """The ``crm.accounts`` table."""
    rng = ctx.rng("crm.accounts")
    n = accounts.n
    low, high = np.asarray(k.SEGMENT_EMPLOYEES).T
    seg = accounts.segment
    employees = np.floor(np.exp(rng.uniform(np.log(low[seg]), np.log(high[seg])))).astype(np.int64)
    created = ctx.to_ts(accounts.created) + rng.integers(28_800, 64_800, n)
    updated = np.minimum(created + rng.integers(0, 400, n) * 86_400, ctx.end_ts - 1)
    return {
        "account_id": account_ids(np.arange(n)),
        "account_name": company_names(np.arange(n)),
        "industry": pick(k.INDUSTRIES, rng.integers(0, len(k.INDUSTRIES), n)),
        "segment": pick(k.SEGMENTS, seg),
        "region": pick(k.REGIONS, choice(rng, n, k.REGION_P)),
        "employee_count": employees,
        "annual_revenue": money(employees * rng.lognormal(np.log(150_000), 0.5, n)),
        "owner_user_id": user_ids(rep_index(ctx, accounts.owner)),
        "csm_user_id": with_nulls(user_ids(csm_index(ctx, accounts.csm)), ~accounts.is_customer),
        "created_at": created,
        "updated_at": updated,
    }


def build_contacts(ctx: Context, accounts: Accounts, people: People) -> tuple[Contacts, Columns]:
    """Account contacts; a share are shoppers from the person pool (personal email or phone)."""
    rng = ctx.rng("crm.contacts")
    count = rng.integers(k.CONTACTS_PER_ACCOUNT[0], k.CONTACTS_PER_ACCOUNT[1] + 1, accounts.n)
    account, _ = ragged_index(count)
    n = len(account)
    first, last = rng.integers(0, len(k.FIRST_NAMES), n), rng.integers(0, len(k.LAST_NAMES), n)
    from_pool = rng.random(n) < k.CONTACT_FROM_POOL_SHARE
    person = rng.integers(0, people.n, n)
    first = np.where(from_pool, people.first[person], first)
    last = np.where(from_pool, people.last[person], last)
    work = pc.binary_join_element_wise(
        pc.utf8_lower(pick(k.FIRST_NAMES, first)), pc.utf8_lower(pick(k.LAST_NAMES, last)), "."
    )
    work = pc.binary_join_element_wise(work, company_domains(account), "@")
    email = pc.if_else(pa.array(from_pool), pc.take(people.email, pa.array(person)), work)
    phone = np.where(from_pool, people.phone[person], phone_digits(rng, n))
    created = np.maximum(accounts.created[account], -1_500) + rng.integers(0, 200, n)
    created_ts = ctx.to_ts(np.minimum(created, ctx.n_days - 1)) + rng.integers(0, 86_400, n)
    contacts = Contacts(account, email, phone, np.cumsum(count) - count, count)
    columns: Columns = {
        "contact_id": ids("CON", np.arange(1, n + 1), 7),
        "account_id": account_ids(account),
        "first_name": pick(k.FIRST_NAMES, first),
        "last_name": pick(k.LAST_NAMES, last),
        "email": format_emails(email, messy_style(rng, n, N_EMAIL_STYLES, 0.7)),
        "phone": with_nulls(
            format_phones(phone, rng.integers(0, N_PHONE_STYLES, n)), rng.random(n) < 0.3
        ),
        "title": pick(k.TITLES, rng.integers(0, len(k.TITLES), n)),
        "is_decision_maker": rng.random(n) < 0.25,
        "created_at": created_ts,
        "updated_at": np.minimum(created_ts + rng.integers(0, 300, n) * 86_400, ctx.end_ts - 1),
    }
    return contacts, columns


def lead_columns(ctx: Context, accounts: Accounts, people: People) -> Columns:
    """Leads; engagement predicts conversion; converted leads became the in-history accounts."""
    rng = ctx.rng("crm.leads")
    n = ctx.scale.leads
    engagement = rng.normal(0.0, 1.0, n)
    source = choice(rng, n, k.LEAD_SOURCE_P)
    score = 1.5 * engagement + np.asarray(k.LEAD_SOURCE_WIN_LOGIT)[source] + rng.logistic(0, 1, n)
    targets = rng.permutation(np.flatnonzero(accounts.in_history))
    converted_leads = np.argsort(-score, kind="stable")[: len(targets)]
    converted_account = np.full(n, -1)
    converted_account[converted_leads] = targets
    is_converted = converted_account >= 0
    converted_day = accounts.created[np.maximum(converted_account, 0)]
    created = np.where(
        is_converted, converted_day - rng.integers(5, 90, n), np.floor(rng.random(n) * ctx.n_days)
    )
    age = ctx.n_days - created
    status = np.where(age < 30, rng.integers(0, 2, n), choice(rng, n, (0, 0.1, 0.35, 0.15, 0, 0.4)))
    status = np.where(is_converted, 4, status)
    company = np.where(is_converted, converted_account, accounts.n + np.arange(n))
    from_pool = rng.random(n) < k.CONTACT_FROM_POOL_SHARE
    person = rng.integers(0, people.n, n)
    work = pc.binary_join_element_wise(
        pc.utf8_lower(pick(k.FIRST_NAMES, rng.integers(0, len(k.FIRST_NAMES), n))),
        company_domains(company),
        "@",
    )
    email = pc.if_else(pa.array(from_pool), pc.take(people.email, pa.array(person)), work)
    phone = np.where(from_pool, people.phone[person], phone_digits(rng, n))
    rep = rng.integers(0, ctx.scale.reps, n)
    return {
        "lead_id": ids("LEAD", np.arange(1, n + 1), 7),
        "email": format_emails(email, messy_style(rng, n, N_EMAIL_STYLES, 0.6)),
        "phone": with_nulls(
            format_phones(phone, rng.integers(0, N_PHONE_STYLES, n)), rng.random(n) < 0.4
        ),
        "company_name": company_names(company),
        "industry": pick(k.INDUSTRIES, rng.integers(0, len(k.INDUSTRIES), n)),
        "employee_count": np.floor(rng.lognormal(4.5, 1.3, n)).astype(np.int64) + 1,
        "lead_source": pick(k.LEAD_SOURCES, source),
        "status": pick(
            ("new", "working", "nurturing", "qualified", "converted", "disqualified"), status
        ),
        "owner_user_id": user_ids(rep_index(ctx, rep)),
        "email_opens": rng.poisson(np.exp(1.0 + 0.6 * engagement)),
        "web_visits": rng.poisson(np.exp(0.8 + 0.5 * engagement)),
        "created_at": ctx.to_ts(created) + rng.integers(0, 86_400, n),
        "converted_at": np.where(is_converted, ctx.to_ts(converted_day) + 43_200.0, np.nan),
        "converted_account_id": with_nulls(
            account_ids(np.maximum(converted_account, 0)), ~is_converted
        ),
    }
