"""Salesforce settings from the environment; the client secret and tokens are never printed.

Three variables turn the writeback on: ``SALESFORCE_TOKEN_URL``, ``SALESFORCE_CLIENT_ID`` and
``SALESFORCE_CLIENT_SECRET`` (OAuth 2.0 client credentials). With none of them set the
writeback is off and says so; with only some set it is a one-line error naming the rest.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field

#: Salesforce's limit for one sObject Collections request.
MAX_BATCH_SIZE = 200
DEFAULT_API_VERSION = "62.0"
#: The field on Lead, Account and User that holds the warehouse's CRM ids. ``Id``: the
#: warehouse ids are Salesforce record ids (records are then updated by id, see docs/crm.md).
DEFAULT_EXTERNAL_ID_FIELD = "CIW_External_Id__c"
DEFAULT_TASK_KEY_FIELD = "CIW_Task_Key__c"
CREDENTIAL_VARIABLES = ("SALESFORCE_TOKEN_URL", "SALESFORCE_CLIENT_ID", "SALESFORCE_CLIENT_SECRET")
_API_VERSION = re.compile(r"^\d{2}\.\d$")
_FIELD_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


class CrmError(RuntimeError):
    """A problem the user can fix (settings, credentials, a refused request): one line."""


class CrmDown(CrmError):
    """The CRM kept failing (429, REQUEST_LIMIT_EXCEEDED, 5xx, timeouts): a later run may do."""


class CrmAuthError(CrmError):
    """The token endpoint refused the client credentials, or the API refused a fresh token."""


@dataclass(frozen=True)
class SalesforceConfig:
    """How to reach Salesforce and the retry policy of every request."""

    token_url: str = ""
    client_id: str = field(default="", repr=False)
    client_secret: str = field(default="", repr=False)
    #: Overrides the ``instance_url`` the token endpoint answers with.
    instance_url: str = ""
    api_version: str = DEFAULT_API_VERSION
    external_id_field: str = DEFAULT_EXTERNAL_ID_FIELD
    task_key_field: str = DEFAULT_TASK_KEY_FIELD
    batch_size: int = MAX_BATCH_SIZE
    #: Seconds one HTTP call may take before it counts as timed out.
    timeout_seconds: float = 30.0
    #: Attempts per request for 429, REQUEST_LIMIT_EXCEEDED, 5xx and timeouts (first included).
    max_attempts: int = 5
    #: First backoff when the CRM names no Retry-After; doubles per attempt.
    backoff_seconds: float = 1.0
    #: A Retry-After longer than this stops the run instead (the next run sends the rest).
    max_retry_after_seconds: float = 120.0

    def __post_init__(self) -> None:
        if not 1 <= self.batch_size <= MAX_BATCH_SIZE:
            raise CrmError(f"the batch size must be 1-{MAX_BATCH_SIZE}, not {self.batch_size}")
        if not _API_VERSION.match(self.api_version):
            raise CrmError(
                f"SALESFORCE_API_VERSION must look like 62.0, not {self.api_version[:20]!r}"
            )
        for name, value in (
            ("SALESFORCE_EXTERNAL_ID_FIELD", self.external_id_field),
            ("SALESFORCE_TASK_KEY_FIELD", self.task_key_field),
        ):
            if not _FIELD_NAME.match(value):
                raise CrmError(f"{name} must be a field API name, not {value[:40]!r}")

    @classmethod
    def from_env(cls) -> SalesforceConfig:
        values = {name: os.environ.get(name, "").strip() for name in CREDENTIAL_VARIABLES}
        missing = [name for name, value in values.items() if not value]
        if 0 < len(missing) < len(values):
            raise CrmError(f"Salesforce credentials are incomplete: set {', '.join(missing)}")
        batch_text = os.environ.get("CRM_BATCH_SIZE", "").strip() or str(MAX_BATCH_SIZE)
        if not batch_text.isdigit():
            raise CrmError(f"CRM_BATCH_SIZE must be a whole number 1-200, not {batch_text!r}")
        return cls(
            token_url=values["SALESFORCE_TOKEN_URL"],
            client_id=values["SALESFORCE_CLIENT_ID"],
            client_secret=values["SALESFORCE_CLIENT_SECRET"],
            instance_url=os.environ.get("SALESFORCE_INSTANCE_URL", "").strip(),
            api_version=os.environ.get("SALESFORCE_API_VERSION", "").strip().lstrip("v")
            or DEFAULT_API_VERSION,
            external_id_field=os.environ.get("SALESFORCE_EXTERNAL_ID_FIELD", "").strip()
            or DEFAULT_EXTERNAL_ID_FIELD,
            task_key_field=os.environ.get("SALESFORCE_TASK_KEY_FIELD", "").strip()
            or DEFAULT_TASK_KEY_FIELD,
            batch_size=int(batch_text),
        )

    @property
    def configured(self) -> bool:
        return bool(self.token_url and self.client_id and self.client_secret)

    @property
    def by_record_id(self) -> bool:
        """The warehouse ids are Salesforce record ids: update by id, relate by id."""
        return self.external_id_field == "Id"

    def describe(self) -> str:
        """Where the writes go, safe to print."""
        if not self.configured:
            return "no CRM (set " + ", ".join(CREDENTIAL_VARIABLES) + " to push)"
        return f"Salesforce via {self.token_url} (client credentials from the environment)"

    def scrub(self, text: str, *secrets: str) -> str:
        """``text`` with the client secret and any given token masked."""
        for secret in (self.client_secret, self.client_id, *secrets):
            if secret:
                text = text.replace(secret, "***")
        return text
