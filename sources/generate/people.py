"""The shared person pool and the shop customer records (identities) built on it.

One person can own up to three shop records: an online account (email, device), a store
record (phone, loyalty card, sometimes the email spelled differently) and a second online
account (another email, the phone spelled differently). That gives identity chains: online
shares the email with store, store shares the phone with the second account. Households share
one loyalty card across members, forming clusters of more than three records.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from sources.generate import constants as k
from sources.generate.common import Columns, Context, choice, ids, pick
from sources.generate.formats import (
    N_EMAIL_STYLES,
    N_PHONE_STYLES,
    format_emails,
    format_phones,
    messy_style,
    phone_digits,
    with_nulls,
)
from sources.generate.purchases import Behaviour, draw_behaviour

ONLINE, STORE, SECOND_ONLINE = 0, 1, 2
FIRST_CUSTOMER_ID = 100_001


@dataclass(frozen=True)
class People:
    """Person attributes (index = person) and shop records (index = record)."""

    first: np.ndarray  # index into FIRST_NAMES
    last: np.ndarray  # index into LAST_NAMES
    email: pa.Array  # canonical lower-case personal email
    alt_email: pa.Array  # a second personal email
    phone: np.ndarray  # ten digits
    device: pa.Array
    second_device: pa.Array  # null for most
    behaviour: Behaviour  # when and how much the person buys
    favourite: np.ndarray  # favourite category index
    online_record: np.ndarray  # record index of the online account (every person has one)
    store_record: np.ndarray  # record index of the store record or -1
    record_person: np.ndarray  # person index per record
    record_kind: np.ndarray  # ONLINE, STORE or SECOND_ONLINE

    @property
    def n(self) -> int:
        return len(self.first)

    @property
    def birth(self) -> np.ndarray:
        """Acquisition day (negative: before the history)."""
        return self.behaviour.birth

    @property
    def dropout(self) -> np.ndarray:
        """The day the person (first) stops buying; inf when after the history."""
        return self.behaviour.dropout

    @property
    def rate(self) -> np.ndarray:
        """Orders per day while active."""
        return self.behaviour.rate

    @property
    def spend(self) -> np.ndarray:
        """Spend multiplier, mean 1."""
        return self.behaviour.spend

    @property
    def churned(self) -> np.ndarray:
        return self.dropout < np.inf

    def second_record(self) -> np.ndarray:
        """Record index of each person's second online account, or -1."""
        second = np.full(self.n, -1, dtype=np.int64)
        is_second = self.record_kind == SECOND_ONLINE
        second[self.record_person[is_second]] = np.flatnonzero(is_second)
        return second

    def customer_ids(self, records: np.ndarray) -> np.ndarray:
        return np.asarray(records, dtype=np.int64) + FIRST_CUSTOMER_ID


def _emails(rng: np.random.Generator, first: np.ndarray, last: np.ndarray, tag: str) -> pa.Array:
    firsts = pick([name.lower() for name in k.FIRST_NAMES], first)
    lasts = pick([name.lower() for name in k.LAST_NAMES], last)
    number = pc.cast(pa.array(rng.integers(1, 100_000, size=len(first))), pa.string())
    domain = pick(k.EMAIL_DOMAINS, rng.integers(0, len(k.EMAIL_DOMAINS), size=len(first)))
    return pc.binary_join_element_wise(firsts, tag, lasts, number, "@", domain, "")


def build_people(ctx: Context) -> People:
    """Draw the person pool, their buying behaviour and their shop records."""
    rng = ctx.rng("people")
    n = ctx.scale.persons
    first = rng.integers(0, len(k.FIRST_NAMES), size=n)
    last = rng.integers(0, len(k.LAST_NAMES), size=n)
    device_numbers = rng.permutation(n * 2)
    second = rng.random(n) < k.SECOND_DEVICE_SHARE
    behaviour = draw_behaviour(ctx, ctx.rng("people.behaviour"), n)
    favourite = rng.integers(0, len(k.CATEGORIES), size=n)

    n_records = choice(rng, n, k.CUSTOMER_RECORD_COUNT_P) + 1
    record_person = np.repeat(np.arange(n), n_records)
    starts = np.cumsum(n_records) - n_records
    record_kind = np.arange(len(record_person)) - starts[record_person]
    store_record = np.where(n_records >= 2, starts + STORE, -1)
    return People(
        first=first,
        last=last,
        email=_emails(rng, first, last, "."),
        alt_email=_emails(rng, first, last, "_"),
        phone=phone_digits(rng, n),
        device=ids("dev-", device_numbers[:n], 9),
        second_device=with_nulls(ids("dev-", device_numbers[n:], 9), ~second),
        behaviour=behaviour,
        favourite=favourite,
        online_record=starts,
        store_record=store_record,
        record_person=record_person,
        record_kind=record_kind,
    )


def _loyalty_ids(ctx: Context, people: People) -> np.ndarray:
    """Loyalty card numbers per record (-1: none); households share the head's card."""
    rng = ctx.rng("people.households")
    is_store = people.record_kind == STORE
    card = np.where(is_store, rng.permutation(len(is_store)) + 700_000_000, -1)
    store_records = np.flatnonzero(is_store)
    n_members = max(2 * k.FAMILY_SIZE[1], int(len(store_records) * k.FAMILY_SHARE))
    members = rng.permutation(store_records)[:n_members]
    sizes = rng.integers(k.FAMILY_SIZE[0], k.FAMILY_SIZE[1] + 1, size=max(1, n_members))
    household = np.repeat(np.arange(len(sizes)), sizes)[: len(members)]
    heads = members[np.unique(household, return_index=True)[1]]
    card[members] = card[heads[household]]
    return card


def customer_columns(ctx: Context, people: People) -> Columns:
    """The ``commerce.customers`` table: one row per shop record."""
    rng = ctx.rng("commerce.customers")
    person = people.record_person
    kind = people.record_kind
    n = len(person)
    emails = pc.take(people.email, pa.array(person))
    alt = pc.take(people.alt_email, pa.array(person))
    email_style = messy_style(rng, n, N_EMAIL_STYLES, clean_share=0.75)
    email = format_emails(pc.if_else(pa.array(kind == SECOND_ONLINE), alt, emails), email_style)
    has_three = np.zeros(len(people.first), dtype=bool)
    has_three[person[kind == SECOND_ONLINE]] = True
    store_email = (rng.random(n) < k.STORE_RECORD_EMAIL_SHARE) | has_three[person]
    email = with_nulls(email, (kind == STORE) & ~store_email)
    phone_style = rng.integers(0, N_PHONE_STYLES, size=n)
    online_phone = rng.random(n) < 0.3
    phone = with_nulls(
        format_phones(people.phone[person], phone_style), (kind == ONLINE) & ~online_phone
    )
    card = _loyalty_ids(ctx, people)
    loyalty = with_nulls(ids("LOY", np.maximum(card, 0), 9), card < 0)
    city = rng.integers(0, len(k.CITIES), size=n)
    whatsapp, qr_id, referred_by = _messaging_identifiers(ctx, people)
    created_day = np.maximum(people.birth[person], -700) + np.where(
        kind == ONLINE, 0.0, rng.random(n) * 120
    )
    created_day = np.minimum(np.floor(created_day), ctx.n_days - 1)
    return {
        "customer_id": people.customer_ids(np.arange(n)),
        "email": email,
        "phone": phone,
        "loyalty_id": loyalty,
        "whatsapp": whatsapp,
        "qr_id": qr_id,
        "referred_by_customer_id": referred_by,
        "first_name": pick(k.FIRST_NAMES, people.first[person]),
        "last_name": pick(k.LAST_NAMES, people.last[person]),
        "city": pick([c for c, _ in k.CITIES], city),
        "country": pick([c for _, c in k.CITIES], city),
        "accepts_marketing": rng.random(n) < 0.55,
        "created_at": ctx.to_ts(created_day) + rng.integers(0, 86_400, size=n),
    }


def _messaging_identifiers(ctx: Context, people: People) -> tuple[pa.Array, pa.Array, np.ndarray]:
    """WhatsApp numbers, QR code ids and referrers per record (their own stream, so the other
    customer columns keep their draws).

    The online account holds the WhatsApp opt-in: mostly the person's phone in WhatsApp's
    international spelling, sometimes another number. App users have a personal QR code; a share
    of those with a store record had it scanned at the till, so the store record holds it too
    (an identity link of its own). Some people were referred by an earlier, bigger spender.
    """
    rng = ctx.rng("commerce.customers.identifiers")
    person = people.record_person
    kind = people.record_kind
    n_people = people.n
    on_whatsapp = rng.random(n_people) < k.WHATSAPP_SHARE
    other_number = phone_digits(rng, n_people)
    number = np.where(
        rng.random(n_people) < k.WHATSAPP_OTHER_NUMBER_SHARE, other_number, people.phone
    )
    digits = pc.cast(pa.array(number), pa.string())
    spelled = pc.choose(
        pa.array((rng.random(n_people) < 0.5).astype(np.int8)),
        pc.binary_join_element_wise("+1", digits, ""),
        pc.binary_join_element_wise("whatsapp:+1", digits, ""),
    )
    whatsapp = with_nulls(
        pc.take(spelled, pa.array(person)), (kind != ONLINE) | ~on_whatsapp[person]
    )

    has_qr = rng.random(n_people) < k.QR_CODE_SHARE
    scanned = rng.random(n_people) < k.QR_SCANNED_IN_STORE_SHARE
    qr_codes = ids("QR-", rng.permutation(n_people) + 1, 8)
    shows_qr = ((kind == ONLINE) | ((kind == STORE) & scanned[person])) & has_qr[person]
    qr_id = with_nulls(pc.take(qr_codes, pa.array(person)), ~shows_qr)

    # a referrer is someone acquired earlier; big spenders refer more
    referred = rng.random(n_people) < k.REFERRED_SHARE
    weight = people.spend / people.spend.sum()
    referrer = rng.choice(n_people, size=n_people, p=weight)
    valid = referred & (people.birth[referrer] < people.birth) & (referrer != np.arange(n_people))
    referrer_record = people.online_record[referrer]
    referred_by = np.where(
        (kind == ONLINE) & valid[person],
        people.customer_ids(referrer_record[person]).astype(np.float64),
        np.nan,
    )
    return whatsapp, qr_id, referred_by
