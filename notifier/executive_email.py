"""The weekly executive report (``reports.executive``) by email to the CRO and sales leadership
(CRM users whose role is in ``EXECUTIVE_REPORT_ROLES``), with its charts inline.

Exactly once per week and recipient through the same delivery log as the alerts: the "alert
id" of the report is ``report:executive:<week ending>``, the destination ``email:<address>``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from notifier.email import DESTINATION_PREFIX, EmailConfig, EmailDraft, EmailTransport
from notifier.people import executive_recipients
from notifier.report import DeliveryReport
from notifier.retrying import Retrying
from notifier.store import open_store

if TYPE_CHECKING:
    from reports.executive import ExecutiveReport
    from warehouse.settings import Settings

KIND = "executive"


def report_id(report: ExecutiveReport) -> str:
    return f"report:executive:{report.week_ending.isoformat()}"


def report_blocks(report: ExecutiveReport) -> list[dict[str, object]]:
    """The report as Block Kit-like text blocks, so the email renders like the alerts do."""
    title = f"Executive report, week ending {report.week_ending.isoformat()}"
    headlines = "\n".join(f"• {line}" for line in report.headlines) or "• Nothing flagged."
    blocks: list[dict[str, object]] = [
        {"type": "header", "text": {"type": "plain_text", "text": title}},
        {"type": "section", "text": {"type": "mrkdwn", "text": f"*Headlines*\n{headlines}"}},
    ]
    for heading, body in report.sections:
        blocks.append({"type": "divider"})
        blocks.append(
            {"type": "section", "text": {"type": "mrkdwn", "text": f"*{heading}*\n{body}"}}
        )
    return blocks


def executive_messages(
    report: ExecutiveReport, chart_dir: Path, addresses: Sequence[str]
) -> list[EmailDraft]:
    """One email per recipient: the report, its charts (``<stem>.png`` in ``chart_dir``)."""
    from reports.executive import render_markdown

    images = tuple(
        (stem, (chart_dir / f"{stem}.png").read_bytes())
        for stem in report.charts
        if (chart_dir / f"{stem}.png").is_file()
    )
    subject = f"Executive report, week ending {report.week_ending.isoformat()}"
    return [
        EmailDraft(
            destination=DESTINATION_PREFIX + address,
            kind=KIND,
            alert_ids=(report_id(report),),
            text=render_markdown(report),
            blocks=report_blocks(report),
            subject=subject,
            images=images,
        )
        for address in addresses
    ]


def email_executive_report(
    settings: Settings,
    report: ExecutiveReport,
    chart_dir: Path,
    *,
    config: EmailConfig | None = None,
    now: datetime | None = None,
) -> DeliveryReport:
    """Send the report to every executive recipient not yet sent it this week."""
    from notifier.delivery import deliver_messages
    from notifier.store import utc_now

    config = config or EmailConfig.from_env()
    summary = DeliveryReport(mode="email", channels=["email"])
    if not config.enabled:
        return summary
    with open_store(settings) as store:
        addresses = [user.email for user in executive_recipients(store.session) if user.email]
        messages = executive_messages(report, chart_dir, addresses)
        retrying = Retrying(config.retry_policy())
        transport = EmailTransport(config, retrying)
        deliver_messages(store, transport, messages, summary, now or utc_now())
    return summary
