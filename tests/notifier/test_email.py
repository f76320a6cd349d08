"""Email digests over a real SMTP server on loopback (aiosmtpd: STARTTLS or implicit TLS,
AUTH): the MIME parts read back, one message per owner and digest, exactly once in the
delivery log, refused addresses logged with the reason and not retried forever, a lost final
answer recorded as unknown and never resent."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from notifier.config import NotifierError, SlackConfig
from notifier.delivery import deliver_pending
from notifier.email import EmailConfig
from notifier.store import MAX_ATTEMPTS, open_store
from tests.notifier.conftest import CRM_USERS, email_of, make_alert, write_alerts, write_users
from tests.notifier.smtp_standin import PASSWORD, USERNAME, SmtpStandIn, tls_files
from warehouse.settings import Settings

OUTBOX = SlackConfig()  # no Slack credentials: Slack's share goes to the outbox file


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return tls_files(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def smtp(certificate: tuple[Path, Path]) -> Iterator[SmtpStandIn]:
    server = SmtpStandIn(*certificate).start()
    try:
        yield server
    finally:
        server.stop()


def email_config(server: SmtpStandIn, **overrides: object) -> EmailConfig:
    values: dict[str, object] = {
        "host": "127.0.0.1",
        "port": server.port,
        "security": server.security,
        "username": USERNAME,
        "password": PASSWORD,
        "sender": "alerts@ciw.example.test",
        "ca_file": str(server.cert),
        "timeout_seconds": 5.0,
        "backoff_seconds": 0.05,
        "max_attempts": 3,
    }
    values.update(overrides)
    return EmailConfig(**values)  # type: ignore[arg-type]


def owned_alerts(settings: Settings) -> list:  # type: ignore[type-arg]
    write_users(settings, CRM_USERS)
    alerts = [
        make_alert(1, owner_user_id="R1", urgency="within_24h"),
        make_alert(2, owner_user_id="R1", severity="medium", urgency="within_24h"),
        make_alert(3, owner_user_id="R2", urgency="within_24h"),
        make_alert(4, owner_user_id="R1", severity="critical", urgency="immediate"),
        make_alert(5, recipient="#sales-leadership", urgency="within_24h"),  # no owner
    ]
    write_alerts(settings, alerts)
    return alerts


def log(settings: Settings) -> dict[tuple[str, str], tuple[str, str | None, int]]:
    with open_store(settings) as store:
        rows = store.log_rows()
        errors = dict(
            ((row[0], row[1]), row[2])
            for row in store.execute(
                "select alert_id, destination, error from ops.alert_deliveries"
            )
        )
    return {
        (row.alert_id, row.destination): (
            row.status,
            errors[row.alert_id, row.destination],
            row.attempts,
        )
        for row in rows
        if row.destination.startswith("email:")
    }


def test_daily_digest_per_owner_reads_back_as_mime(
    warehouse_settings: Settings, smtp: SmtpStandIn
) -> None:
    alerts = owned_alerts(warehouse_settings)
    config = email_config(smtp)

    report = deliver_pending(warehouse_settings, config=OUTBOX, email=config)
    again = deliver_pending(warehouse_settings, config=OUTBOX, email=config)

    assert "email" in report.channels
    assert sorted(tuple(r.rcpt_tos) for r in smtp.received) == [
        (email_of("R1"),),
        (email_of("R2"),),
    ]
    assert again.messages_by_destination.get(f"email:{email_of('R1')}") is None
    assert len(smtp.received) == 2  # the rerun sent nothing
    mail = next(r for r in smtp.received if r.rcpt_tos == [email_of("R1")]).message
    assert mail["From"] == "alerts@ciw.example.test"
    assert mail["Subject"].startswith("Daily alert digest")
    assert mail["X-CIW-Alert-Ids"].strip() == f"{alerts[0].alert_id}, {alerts[1].alert_id}"
    text = mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    assert alerts[0].title in text and alerts[1].title in text
    assert alerts[3].title not in text  # immediate alerts go to Slack / Teams at once
    assert f"alert ids {alerts[0].alert_id}, {alerts[1].alert_id}" in text
    assert "ciw feedback <alert id>" in text
    assert "<h2>" in html and 'src="cid:severity-chart"' in html
    assert "<strong>" in html and "ciw feedback" in html
    images = [part for part in mail.walk() if part.get_content_type() == "image/png"]
    assert len(images) == 1
    assert images[0]["Content-ID"] == "<severity-chart>"
    assert images[0].get_content()[:8] == b"\x89PNG\r\n\x1a\n"
    rows = log(warehouse_settings)
    assert set(rows) == {
        (alerts[0].alert_id, f"email:{email_of('R1')}"),
        (alerts[1].alert_id, f"email:{email_of('R1')}"),
        (alerts[2].alert_id, f"email:{email_of('R2')}"),
    }
    assert {status for status, _, _ in rows.values()} == {"sent"}


def test_refused_address_is_logged_with_its_reason_and_not_retried(
    duckdb_settings: Settings, smtp: SmtpStandIn
) -> None:
    alerts = owned_alerts(duckdb_settings)
    smtp.refuse[email_of("R2")] = "550 5.1.1 <r2@example.test>: mailbox unknown"
    config = email_config(smtp)

    first = deliver_pending(duckdb_settings, config=OUTBOX, email=config)
    deliver_pending(duckdb_settings, config=OUTBOX, email=config)

    assert first.refused == 1
    status, error, attempts = log(duckdb_settings)[alerts[2].alert_id, f"email:{email_of('R2')}"]
    assert status == "refused" and attempts == 1
    assert error is not None and "550 5.1.1" in error and "mailbox unknown" in error
    assert smtp.refused_attempts == [email_of("R2")]  # the rerun did not try again
    assert [r.rcpt_tos for r in smtp.received] == [[email_of("R1")]]


def test_temporary_refusal_is_retried_on_later_runs_up_to_the_cap(
    duckdb_settings: Settings, smtp: SmtpStandIn
) -> None:
    alerts = owned_alerts(duckdb_settings)
    smtp.refuse[email_of("R2")] = "451 4.2.0 greylisted, try later"
    config = email_config(smtp)

    for _ in range(MAX_ATTEMPTS + 2):
        deliver_pending(duckdb_settings, config=OUTBOX, email=config)

    status, error, attempts = log(duckdb_settings)[alerts[2].alert_id, f"email:{email_of('R2')}"]
    assert (status, attempts) == ("failed", MAX_ATTEMPTS)
    assert error is not None and "451" in error
    assert smtp.refused_attempts == [email_of("R2")] * MAX_ATTEMPTS
    smtp.refuse.clear()  # the greylisting ends, but the pair has used its attempts
    deliver_pending(duckdb_settings, config=OUTBOX, email=config)
    assert len(smtp.received) == 1


def test_answer_lost_after_the_message_is_unknown_and_never_resent(
    duckdb_settings: Settings, smtp: SmtpStandIn
) -> None:
    alerts = owned_alerts(duckdb_settings)
    smtp.drop_after_data = 1
    config = email_config(smtp)

    first = deliver_pending(duckdb_settings, config=OUTBOX, email=config)
    deliver_pending(duckdb_settings, config=OUTBOX, email=config)

    assert first.unknown == 2 and first.answers_lost == 1
    statuses = {key: value[0] for key, value in log(duckdb_settings).items()}
    assert sorted(statuses.values()) == ["sent", "unknown", "unknown"]
    delivered = [
        alert_id
        for r in smtp.received
        for alert_id in r.message["X-CIW-Alert-Ids"].strip().split(", ")
    ]
    assert sorted(delivered) == sorted(a.alert_id for a in alerts[:3])  # each exactly once


def test_implicit_tls_and_a_bad_password(
    duckdb_settings: Settings, certificate: tuple[Path, Path]
) -> None:
    owned_alerts(duckdb_settings)
    server = SmtpStandIn(*certificate, security="ssl").start()
    try:
        with pytest.raises(NotifierError) as refused:
            deliver_pending(
                duckdb_settings, config=OUTBOX, email=email_config(server, password="wrong-pw")
            )
        assert "refused SMTP_USERNAME / SMTP_PASSWORD" in str(refused.value)
        assert "wrong-pw" not in str(refused.value)
        assert server.received == []
        deliver_pending(duckdb_settings, config=OUTBOX, email=email_config(server))
        assert len(server.received) == 2
    finally:
        server.stop()


def test_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("SMTP_HOST", "SMTP_PORT", "SMTP_SECURITY", "SMTP_FROM"):
        monkeypatch.delenv(name, raising=False)
    assert not EmailConfig.from_env().enabled
    monkeypatch.setenv("SMTP_HOST", "mail.example.test")
    with pytest.raises(NotifierError, match="SMTP_FROM must be set"):
        EmailConfig.from_env()
    monkeypatch.setenv("SMTP_FROM", "alerts@example.test")
    monkeypatch.setenv("SMTP_SECURITY", "ssl")
    assert (EmailConfig.from_env().port, EmailConfig.from_env().security) == (465, "ssl")
    monkeypatch.setenv("SMTP_PORT", "abc")
    with pytest.raises(NotifierError, match="SMTP_PORT must be a port number"):
        EmailConfig.from_env()


def test_weekly_executive_report_goes_to_leadership_once_with_its_charts(
    warehouse_settings: Settings, smtp: SmtpStandIn, tmp_path: Path
) -> None:
    import datetime as dt

    import pandas as pd

    from notifier.executive_email import email_executive_report
    from reports.executive import build_report, write_report

    write_users(warehouse_settings, CRM_USERS)
    dates = pd.to_datetime(["2026-11-23", "2026-11-30"])
    frames = {
        "pipeline": pd.DataFrame(
            {
                "as_of_date": list(dates) * 2,
                "segment": ["all", "all", "smb", "smb"],
                "pipeline_health_index": [70.0, 60.0, 65.0, 55.0],
                "open_pipeline_amount": [1e6, 9e5, 4e5, 3e5],
                "win_rate_90d": [0.3, 0.28, 0.25, 0.2],
            }
        ),
        "segments": pd.DataFrame(),
        "customer_churn": pd.DataFrame({"as_of_date": dates, "churn_rate": [0.1, 0.12]}),
        "account_churn": pd.DataFrame(),
    }
    report = build_report(frames, dt.date(2026, 12, 6))
    chart_dir = write_report(report, tmp_path / "report").parent
    config = email_config(smtp)

    first = email_executive_report(warehouse_settings, report, chart_dir, config=config)
    again = email_executive_report(warehouse_settings, report, chart_dir, config=config)

    leaders = sorted([email_of("M1"), email_of("M2"), email_of("X1")])
    assert sorted(r.rcpt_tos[0] for r in smtp.received) == leaders
    assert (first.deliveries, again.deliveries, again.already_delivered) == (3, 0, 3)
    mail = smtp.received[0].message
    assert mail["Subject"] == "Executive report, week ending 2026-12-06"
    assert (
        "Pipeline health index 60/100 (below the floor of 65"
        in mail.get_body(("plain",)).get_content()
    )
    html = mail.get_body(("html",)).get_content()
    assert 'src="cid:pipeline_health"' in html and 'src="cid:churn_rates"' in html
    images = {part["Content-ID"] for part in mail.walk() if part.get_content_type() == "image/png"}
    assert images == {"<pipeline_health>", "<churn_rates>"}
    assert "report:executive:2026-12-06" in mail.get_body(("plain",)).get_content()
