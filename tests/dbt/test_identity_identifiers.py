"""WhatsApp, QR code and cookie ids in identity resolution, and the merge's base profile, on
DuckDB and PostgreSQL with a handmade export loaded through the loader.

* 1 (online: email, WhatsApp) and 2 (store: phone, loyalty card, QR code) share a number as
  WhatsApp and phone: one profile. 2 is stronger (0.45 against 0.40), so 2 is the base
  profile although 1 is the smaller id.
* 5 and 6 share only a QR code (scanned at the till; ids match case-insensitively): one
  profile; equal strength, 6 is older, so 6 is the base.
* 7 signed in on browser d1 with cookie c1; a cookie-only session with cookie c1 left the
  email of 8: 7 and 8 are one profile through the cookie. Equal strength; 8 is older.
* 9's WhatsApp "call me" is no number: quarantined with the reason, never linked.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from sources.load import load_directory
from warehouse import read_frame
from warehouse.dbt import run_dbt
from warehouse.settings import Settings

pytestmark = pytest.mark.slow

SELECTION = "+customer_identity_features +int_commerce_web_sessions +identity_profiles"
CAUTIOUS = ["--indirect-selection", "cautious"]

CUSTOMERS = [
    # id, email, phone, loyalty, whatsapp, qr, created
    (1, "ann@example.com", None, None, "whatsapp:+1 555 000 0001", None, "2025-01-01"),
    (2, None, "(555) 000-0001", "LOY-1", None, "QR-0001", "2025-03-01"),
    (5, "bo@example.com", None, None, None, "QR-0005", "2025-05-01"),
    (6, "bo.b@example.com", None, None, None, "qr-0005", "2025-04-01"),
    (7, "cy@example.com", None, None, None, None, "2025-06-01"),
    (8, "cy.work@example.com", None, None, None, None, "2025-02-01"),
    (9, "dee@example.com", None, None, "call me", None, "2025-01-01"),
]
SESSIONS = [
    # session, device, cookie, customer, email
    ("s1", "d1", "c1", 7, None),
    ("s2", None, "c1", None, "cy.work@example.com"),
    ("s3", None, None, None, "nobody@example.com"),
]


def _write_exports(exports: Path) -> None:
    (exports / "commerce").mkdir(parents=True)
    with duckdb.connect() as connection:
        connection.execute(
            "create table customers (customer_id bigint, email varchar, phone varchar, "
            "loyalty_id varchar, whatsapp varchar, qr_id varchar, referred_by_customer_id bigint, "
            "first_name varchar, last_name varchar, city varchar, country varchar, "
            "accepts_marketing boolean, created_at timestamp)"
        )
        for row in CUSTOMERS:
            connection.execute(
                "insert into customers values (?, ?, ?, ?, ?, ?, null, 'A', 'B', 'Oslo', 'NO', "
                "true, ?)",
                list(row),
            )
        connection.execute(
            "create table web_sessions (session_id varchar, device_id varchar, "
            "cookie_id varchar, customer_id bigint, email varchar, traffic_source varchar, "
            "device_type varchar, page_views integer, started_at timestamp, ended_at timestamp)"
        )
        for session_id, device, cookie, customer, email in SESSIONS:
            connection.execute(
                "insert into web_sessions values (?, ?, ?, ?, ?, 'direct', 'desktop', 3, ?, ?)",
                [
                    session_id,
                    device,
                    cookie,
                    customer,
                    email,
                    datetime(2025, 7, 1, 10),
                    datetime(2025, 7, 1, 10, 20),
                ],
            )
        for table in ("customers", "web_sessions"):
            target = exports / "commerce" / f"{table}.parquet"
            connection.execute(f"copy {table} to '{target}' (format parquet)")


def test_whatsapp_qr_and_cookie_link_profiles_and_the_strongest_oldest_record_is_base(
    warehouse_settings: Settings, tmp_path: Path
) -> None:
    settings = warehouse_settings
    exports = tmp_path / "exports"
    _write_exports(exports)
    load_directory(exports, settings)

    quarantine = read_frame(settings, "select reason from raw_meta.quarantine")
    assert len(quarantine) == 1
    assert (
        'column "whatsapp": "call me" is not a valid whatsapp (7-15 digits)'
        in (quarantine["reason"].iloc[0])
    )

    run_dbt(
        ["build", "--select", SELECTION, *CAUTIOUS],
        settings,
        target_path=tmp_path / "t",
        echo=False,
    )

    members = read_frame(
        settings,
        "select commerce_customer_id, customer_id, matched_on "
        "from intermediate.int_identity_profile_members "
        "where commerce_customer_id is not null order by commerce_customer_id",
    )
    unified = dict(zip(members["commerce_customer_id"], members["customer_id"], strict=True))
    assert unified == {1: 2, 2: 2, 5: 6, 6: 6, 7: 8, 8: 8}
    matched = dict(zip(members["commerce_customer_id"], members["matched_on"], strict=True))
    assert matched[1] == "whatsapp"
    assert matched[2] == "phone"
    assert matched[5] == matched[6] == "qr_id"

    profiles = read_frame(
        settings,
        "select customer_id, distinct_whatsapp_count, distinct_qr_id_count, "
        "distinct_cookie_count, identity_strength_score from marts.identity_profiles "
        "where customer_id is not null order by customer_id",
    )
    by_customer = profiles.set_index("customer_id")
    # email .30 + phone .20 + whatsapp .10 + loyalty .15 + qr .10
    assert float(by_customer.loc[2, "identity_strength_score"]) == pytest.approx(0.85)
    assert by_customer.loc[2, "distinct_whatsapp_count"] == 1
    assert by_customer.loc[6, "distinct_qr_id_count"] == 1
    # two emails (.30) + device (.10) + cookie (.05)
    assert by_customer.loc[8, "distinct_cookie_count"] == 1
    assert float(by_customer.loc[8, "identity_strength_score"]) == pytest.approx(0.45)

    sessions = read_frame(
        settings,
        "select web_session_id, customer_id from intermediate.int_commerce_web_sessions "
        "order by web_session_id",
    )
    # the cookie-only session is attributed through its cookie
    assert sessions["customer_id"].tolist()[:2] == [8, 8]
    assert pd.isna(sessions["customer_id"].iloc[2])

    features = read_frame(
        settings,
        "select customer_id, identity_strength_score, identifier_type_count "
        "from features.customer_identity_features "
        "where as_of_date = (select max(as_of_date) from features.customer_identity_features) "
        "order by customer_id",
    )
    latest = features.set_index("customer_id")["identity_strength_score"].astype(float)
    assert latest.loc[2] == pytest.approx(0.85)
    assert latest.loc[8] == pytest.approx(0.45)
    assert int(features.set_index("customer_id").loc[2, "identifier_type_count"]) == 5
