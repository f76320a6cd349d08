"""Email over SMTP (smtplib): the daily and weekly digests per owner, and any report, as HTML
plus plain text with charts inline (CID images) and an internal footer naming the alert ids.

Settings from the environment only: ``SMTP_HOST``, ``SMTP_PORT``, ``SMTP_SECURITY``
(``starttls`` default, ``ssl`` or ``none``), ``SMTP_USERNAME`` / ``SMTP_PASSWORD``,
``SMTP_FROM``, ``SMTP_CA_FILE`` (a private CA). What a server's answer means for the delivery:

* 250 after the message: ``sent``.
* 5xx for the address (RCPT) or for the message (end of DATA): ``refused`` for good, with the
  server's reason in the log; never retried.
* 4xx (greylisting, mailbox busy): ``failed``; the next runs try again, ``MAX_ATTEMPTS`` in all.
* The connection cannot be made or drops before the message is sent: repeated with backoff
  (the server certainly has nothing); the run stops when it stays down.
* The connection drops or times out while the message is transferred or before the server's
  final answer: ``unknown`` - it may have been accepted, and mail cannot be read back, so it is
  never resent (at most once; the Message-ID carries the delivery key for the reader's dedupe).
* The server refuses the login or the sender: the run stops with one line (no password shown).
"""

from __future__ import annotations

import email.policy
import os
import smtplib
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate
from typing import Any, Literal

from notifier.answers import Verdict
from notifier.config import NotifierError, SlackConfig
from notifier.messages import Message
from notifier.render import block_texts, footer_text, html_body
from notifier.retrying import Retrying
from notifier.slack import Posted, RefusedForGood, SlackRefused

DESTINATION_PREFIX = "email:"
Security = Literal["starttls", "ssl", "none"]
DEFAULT_PORTS: dict[str, int] = {"starttls": 587, "ssl": 465, "none": 25}


@dataclass(frozen=True)
class EmailDraft(Message):
    """A message for email: the Slack message plus inline images (content id, PNG bytes)."""

    subject: str = ""
    images: tuple[tuple[str, bytes], ...] = ()


@dataclass(frozen=True)
class EmailConfig:
    host: str = ""
    port: int = 587
    security: Security = "starttls"
    username: str = ""
    password: str = field(default="", repr=False)
    sender: str = ""
    ca_file: str = ""
    timeout_seconds: float = 30.0
    max_attempts: int = 4
    backoff_seconds: float = 1.0

    @classmethod
    def from_env(cls) -> EmailConfig:
        """The SMTP settings; empty (``enabled`` false) without ``SMTP_HOST``."""
        host = os.environ.get("SMTP_HOST", "").strip()
        security = os.environ.get("SMTP_SECURITY", "starttls").strip().lower() or "starttls"
        if security not in DEFAULT_PORTS:
            raise NotifierError(f"SMTP_SECURITY must be starttls, ssl or none, not {security!r}")
        port_text = os.environ.get("SMTP_PORT", "").strip() or str(DEFAULT_PORTS[security])
        if not port_text.isdigit() or not 0 < int(port_text) < 65536:
            raise NotifierError(f"SMTP_PORT must be a port number, not {port_text[:20]!r}")
        sender = os.environ.get("SMTP_FROM", "").strip()
        if host and "@" not in sender:
            raise NotifierError("SMTP_FROM must be set to the sender's address when SMTP_HOST is")
        return cls(
            host=host,
            port=int(port_text),
            security=security,  # type: ignore[arg-type]
            username=os.environ.get("SMTP_USERNAME", "").strip(),
            password=os.environ.get("SMTP_PASSWORD", ""),
            sender=sender,
            ca_file=os.environ.get("SMTP_CA_FILE", "").strip(),
        )

    @property
    def enabled(self) -> bool:
        return bool(self.host)

    def describe(self) -> str:
        return f"SMTP {self.host}:{self.port} ({self.security})"

    def retry_policy(self) -> SlackConfig:
        return SlackConfig(
            timeout_seconds=self.timeout_seconds,
            max_attempts=self.max_attempts,
            backoff_seconds=self.backoff_seconds,
            min_interval_seconds=0.0,
        )

    def scrub(self, text: str) -> str:
        return text.replace(self.password, "***") if self.password else text


def build_email(message: Message, sender: str) -> EmailMessage:
    """The MIME message: plain text, then HTML with the images related to it by content id."""
    subject = getattr(message, "subject", "") or next(
        (text for kind, text in block_texts(message.blocks) if kind == "header"), message.kind
    )
    images: tuple[tuple[str, bytes], ...] = getattr(message, "images", ())
    footer = footer_text(message.alert_ids)
    mime = EmailMessage()
    mime["Subject"] = subject
    mime["From"] = sender
    mime["To"] = message.destination.removeprefix(DESTINATION_PREFIX)
    mime["Date"] = formatdate(usegmt=True)
    mime["Message-ID"] = f"<{message.delivery_key}@ciw.alerts>"
    mime["X-CIW-Alert-Ids"] = ", ".join(message.alert_ids)
    mime.set_content(f"{message.text}\n\n--\n{footer}\n")
    mime.add_alternative(html_body(message.blocks, footer, [cid for cid, _ in images]), "html")
    html_part: EmailMessage = mime.get_payload()[1]  # type: ignore[index,assignment]
    for content_id, png in images:
        html_part.add_related(png, maintype="image", subtype="png", cid=f"<{content_id}>")
    return mime


def _text(reply: bytes | str) -> str:
    return reply.decode(errors="replace") if isinstance(reply, bytes) else reply


def smtp_verdict(answer: tuple[str, int, str]) -> Verdict:
    kind, _, reason = answer
    if kind == "retry":
        return Verdict("retry", reason)
    if kind == "unsure":
        return Verdict("unsure", reason)
    return Verdict("done")


class EmailTransport:
    mode = "email"

    def __init__(self, config: EmailConfig, retrying: Retrying) -> None:
        self.config = config
        self.retrying = retrying
        self._smtp: smtplib.SMTP | None = None

    def _connection(self) -> smtplib.SMTP:
        if self._smtp is not None:
            return self._smtp
        config = self.config
        context = ssl.create_default_context(cafile=config.ca_file or None)
        smtp: smtplib.SMTP
        if config.security == "ssl":
            smtp = smtplib.SMTP_SSL(
                config.host, config.port, timeout=config.timeout_seconds, context=context
            )
        else:
            smtp = smtplib.SMTP(config.host, config.port, timeout=config.timeout_seconds)
            if config.security == "starttls":
                smtp.starttls(context=context)
        try:
            if config.username:
                smtp.login(config.username, config.password)
        except smtplib.SMTPAuthenticationError as refused:
            smtp.close()
            raise NotifierError(
                f"{config.describe()} refused SMTP_USERNAME / SMTP_PASSWORD ({refused.smtp_code})"
            ) from None
        except smtplib.SMTPNotSupportedError:
            smtp.close()
            raise NotifierError(
                f"{config.describe()} offers no AUTH: unset SMTP_USERNAME, or check SMTP_SECURITY"
            ) from None
        self._smtp = smtp
        return smtp

    def close(self) -> None:
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except (OSError, smtplib.SMTPException):
                self._smtp.close()
            self._smtp = None

    def _drop(self) -> None:
        if self._smtp is not None:
            self._smtp.close()
            self._smtp = None

    def check(self) -> None:
        """Connect (and log in) before anything is claimed: bad credentials stop the run."""
        self.retrying.call("email", self._connect_attempt, smtp_verdict)

    def _connect_attempt(self) -> tuple[str, int, str]:
        try:
            self._connection()
        except (OSError, smtplib.SMTPException) as error:
            self._drop()
            return "retry", 0, f"cannot reach {self.config.describe()}: {error}"
        return "done", 250, "connected"

    def _attempt(self, recipient: str, payload: bytes) -> tuple[str, int, str]:
        """One try: ("done", code, reason), ("retry", ...) or ("unsure", ...)."""
        connected = self._connect_attempt()
        if connected[0] != "done":
            return connected
        smtp = self._connection()
        try:
            code, reply = smtp.mail(self.config.sender)
            if code != 250:
                smtp.rset()
                raise NotifierError(
                    f"{self.config.describe()} refused the sender SMTP_FROM: {code} "
                    f"{reply.decode(errors='replace')[:200]}"
                )
            code, reply = smtp.rcpt(recipient)
            if code not in (250, 251):
                smtp.rset()
                return "done", code, reply.decode(errors="replace")
        except (OSError, smtplib.SMTPServerDisconnected) as error:
            self._drop()
            return "retry", 0, f"connection lost before the message was sent ({error})"
        try:
            code, reply = smtp.data(payload)
        except smtplib.SMTPDataError as refused:  # DATA itself refused: nothing was sent
            smtp.rset()
            return "done", refused.smtp_code, _text(refused.smtp_error)
        except (OSError, smtplib.SMTPException) as error:
            self._drop()
            return "unsure", 0, f"answer lost while sending ({type(error).__name__})"
        return "done", code, reply.decode(errors="replace")

    def post(self, message: Message) -> Posted:
        recipient = message.destination.removeprefix(DESTINATION_PREFIX)
        # CRLF line ends: smtplib sends bytes as they are, and SMTP lines end in CRLF.
        payload = build_email(message, self.config.sender).as_bytes(policy=email.policy.SMTP)
        _, code, reason = self.retrying.call(
            "email", lambda: self._attempt(recipient, payload), smtp_verdict, unsure="stop"
        )
        if code == 250:
            return Posted(channel_id=None, ts=None)
        detail = f"email to {recipient}: {code} {reason.strip()[:300]}"
        if 500 <= code < 600:
            raise RefusedForGood(detail)
        raise SlackRefused(detail)

    def find(self, message_key: str, destination: str, since: Any) -> Posted | None:
        return None
