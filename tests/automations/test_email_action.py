"""``send_message`` by email through the notifier's SMTP transport, against a real SMTP server
on loopback (STARTTLS, AUTH): the message arrives once, the notifier's delivery log holds it,
and a second run on the same day sends nothing."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from automations.engine import run_automations
from automations.rules import Rule
from tests.notifier.smtp_standin import PASSWORD, USERNAME, SmtpStandIn, tls_files
from warehouse import adapter_for, read_frame
from warehouse.settings import Settings

T0 = datetime(2026, 11, 23, 7, 0)
RULE = Rule(
    "mail_vip_desk",
    True,
    5,
    "ltv_milestone",
    "send_message",
    {
        "threshold": 1000,
        "channel": "email",
        "destination": "vip-desk@shop.example.test",
        "subject": "New VIP",
        "template": "Customer {customer_id} is a VIP: {reason}",
    },
)


@pytest.fixture
def smtp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[SmtpStandIn]:
    (tmp_path / "tls").mkdir()
    cert, key = tls_files(tmp_path / "tls")
    server = SmtpStandIn(cert, key).start()
    for name, value in {
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(server.port),
        "SMTP_USERNAME": USERNAME,
        "SMTP_PASSWORD": PASSWORD,
        "SMTP_FROM": "automations@ciw.example.test",
        "SMTP_CA_FILE": str(cert),
    }.items():
        monkeypatch.setenv(name, value)
    try:
        yield server
    finally:
        server.stop()


def test_an_email_rule_sends_once_per_day(duckdb_settings: Settings, smtp: SmtpStandIn) -> None:
    (duckdb_settings.artifacts_dir).mkdir(parents=True, exist_ok=True)
    with adapter_for(duckdb_settings).session() as session:
        session.ensure_schema("marts")
        session.execute(
            "create table marts.customer_profiles as select * from (values "
            "(7, 2500.0, 'champions'), (8, 10.0, 'new_customers')) "
            "as rows (customer_id, lifetime_revenue, rfm_segment)"
        )

    report = run_automations(duckdb_settings, now=T0, rules=[RULE])
    assert dict(report.executed) == {"mail_vip_desk": 1}, report.errors
    [mail] = smtp.received
    assert mail.rcpt_tos == ["vip-desk@shop.example.test"]
    assert mail.message["Subject"] == "New VIP"
    plain = mail.message.get_body(preferencelist=("plain",))
    html = mail.message.get_body(preferencelist=("html",))
    assert plain is not None and html is not None
    assert "Customer 7 is a VIP: lifetime revenue 2500.00" in plain.get_content()
    assert "Customer 7 is a VIP" in html.get_content()
    log = read_frame(
        duckdb_settings, "select alert_id, destination, status from ops.alert_deliveries"
    )
    assert log.to_dict("records") == [
        {
            "alert_id": "automation:mail_vip_desk:7:2026-11-23",
            "destination": "email:vip-desk@shop.example.test",
            "status": "sent",
        }
    ]

    later = run_automations(duckdb_settings, now=T0 + timedelta(hours=2), rules=[RULE])
    assert sum(later.duplicates.values()) == 1
    assert len(smtp.received) == 1
