"""Salesforce REST: an OAuth 2.0 client-credentials token and sObject Collections writes.

Records are upserted by external id (``PATCH /services/data/vXX.X/composite/sobjects/
{SObject}/{ExternalIdField}``) in requests of at most 200 with ``allOrNone: false``, so the
answer is ``200 OK`` with one result per record, in order (``success``, ``created``,
``errors[{statusCode, message, fields}]``). When the warehouse ids are Salesforce record ids
(``SALESFORCE_EXTERNAL_ID_FIELD=Id``) leads and accounts are updated by id
(``PATCH .../composite/sobjects``) instead: upserts do not take record ids.

Retry rules, per request: 429, ``403 REQUEST_LIMIT_EXCEEDED``, 5xx, timeouts and dropped
connections wait (``Retry-After`` when given, else a doubling backoff) and repeat, up to
``max_attempts``; a write is safe to repeat because it sets absolute values on a record found
by its key. ``401 INVALID_SESSION_ID`` (the token expired) fetches a new token once and
repeats. Any other refusal stops the run with one line. The secret and tokens never appear in
an error.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from functools import partial
from typing import Any

import httpx

from crm.config import CrmAuthError, CrmDown, CrmError, SalesforceConfig
from crm.desired import TASK

__all__ = ["RecordResult", "SalesforceTarget"]

RETRYABLE_CODES = ("REQUEST_LIMIT_EXCEEDED",)


@dataclass(frozen=True)
class RecordResult:
    """The CRM's answer for one record of a batch."""

    success: bool
    crm_id: str | None = None
    created: bool | None = None
    error: str | None = None


class _Retry(Exception):
    """One attempt failed in a way worth repeating; ``wait`` is the CRM's Retry-After."""

    def __init__(self, problem: str, wait: float | None = None) -> None:
        super().__init__(problem)
        self.problem = problem
        self.wait = wait


class SalesforceTarget:
    """Writes records to Salesforce; one instance per run (it keeps the token)."""

    name = "salesforce"

    def __init__(
        self,
        config: SalesforceConfig,
        sleep: Callable[[float], None] = time.sleep,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        if not config.configured:
            raise CrmError("Salesforce is not configured: " + config.describe())
        self.config = config
        self.sleep = sleep
        self.http = httpx.Client(timeout=config.timeout_seconds, transport=transport)
        self._token: str | None = None
        self._instance_url = config.instance_url.rstrip("/")
        self.requests = 0  # HTTP requests made, token requests included
        self.token_fetches = 0
        self.waits: list[float] = []

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> SalesforceTarget:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # --- writing ---------------------------------------------------------------------------

    def write(
        self, sobject: str, records: Sequence[tuple[str, dict[str, Any]]]
    ) -> list[RecordResult]:
        """Set ``fields`` on each ``(key, fields)`` record; one result per record, in order."""
        if len(records) > self.config.batch_size:
            raise ValueError(
                f"{len(records)} records in one request; at most {self.config.batch_size}"
            )
        by_id = self.config.by_record_id and sobject != TASK
        key_field = self.config.task_key_field if sobject == TASK else self.config.external_id_field
        body = {
            "allOrNone": False,
            "records": [
                {"attributes": {"type": sobject}, ("id" if by_id else key_field): key, **fields}
                for key, fields in records
            ],
        }
        path = "composite/sobjects" if by_id else f"composite/sobjects/{sobject}/{key_field}"
        answer = self._api("PATCH", path, body, what=f"{sobject} {'update' if by_id else 'upsert'}")
        if not isinstance(answer, list) or len(answer) != len(records):
            raise _unexpected(
                f"{sobject} write answered {str(answer)[:200]!r} for {len(records)} records"
            )
        return [_record_result(item) for item in answer]

    # --- requests --------------------------------------------------------------------------

    def _api(self, method: str, path: str, body: Any, *, what: str) -> Any:
        refreshed = False
        while True:
            token = self._ensure_token()
            url = f"{self._instance_url}/services/data/v{self.config.api_version}/{path}"
            try:
                return self._retrying(
                    what,
                    partial(
                        self.http.request,
                        method,
                        url,
                        json=body,
                        headers={"Authorization": f"Bearer {token}"},
                    ),
                )
            except _TokenExpired:
                if refreshed:
                    raise CrmAuthError(
                        f"Salesforce {what}: a freshly issued token was refused too"
                        " (INVALID_SESSION_ID); check the connected app's access"
                    ) from None
                refreshed = True
                self._token = None

    def _ensure_token(self) -> str:
        if self._token is None:
            self._token = self._fetch_token()
        return self._token

    def _fetch_token(self) -> str:
        form = {
            "grant_type": "client_credentials",
            "client_id": self.config.client_id,
            "client_secret": self.config.client_secret,
        }
        self.token_fetches += 1
        answer = self._retrying(
            "token request",
            lambda: self.http.post(self.config.token_url, data=form),
            auth_endpoint=True,
        )
        token = answer.get("access_token") if isinstance(answer, dict) else None
        if not token:
            raise CrmAuthError("the Salesforce token endpoint answered without an access_token")
        if not self._instance_url:
            self._instance_url = str(answer.get("instance_url") or "").rstrip("/")
            if not self._instance_url:
                raise CrmAuthError(
                    "the token answer names no instance_url: set SALESFORCE_INSTANCE_URL"
                )
        return str(token)

    def _retrying(
        self, what: str, call: Callable[[], httpx.Response], *, auth_endpoint: bool = False
    ) -> Any:
        """``call()`` until it answers 2xx (its JSON), repeating what is worth repeating."""
        problem = ""
        for attempt in range(1, self.config.max_attempts + 1):
            try:
                return self._attempt(what, call, auth_endpoint)
            except _Retry as retry:
                problem = retry.problem
                wait = retry.wait
            if attempt == self.config.max_attempts:
                break
            if wait is None:
                wait = self.config.backoff_seconds * 2 ** (attempt - 1)
            elif wait > self.config.max_retry_after_seconds:
                raise CrmDown(
                    f"Salesforce {what}: {problem}; it asks to wait {wait:.0f} s, longer than"
                    f" {self.config.max_retry_after_seconds:.0f} s: the next run sends the rest"
                )
            self.waits.append(wait)
            self.sleep(wait)
        raise CrmDown(
            f"Salesforce {what} failed after {self.config.max_attempts} attempts: {problem}"
        )

    def _attempt(self, what: str, call: Callable[[], httpx.Response], auth_endpoint: bool) -> Any:
        self.requests += 1
        try:
            response = call()
        except httpx.TimeoutException:
            raise _Retry(f"no answer within {self.config.timeout_seconds:g} s") from None
        except httpx.TransportError as error:
            raise _Retry(f"connection failed ({type(error).__name__})") from None
        status = response.status_code
        if 200 <= status < 300:
            try:
                return response.json()
            except ValueError:  # cut short or not JSON: the write may have happened; repeat
                raise _Retry(f"{status} answer that is not JSON") from None
        code, message = _error_of(response)
        message = self.config.scrub(message, self._token or "")
        if status == 429 or status >= 500 or code in RETRYABLE_CODES:
            problem = " ".join(part for part in (str(status), code, message) if part)
            raise _Retry(problem, _retry_after(response))
        if auth_endpoint:
            raise CrmAuthError(
                f"the Salesforce token endpoint refused the client credentials ({status}"
                f" {code}: {message}); check SALESFORCE_CLIENT_ID and SALESFORCE_CLIENT_SECRET"
            )
        if status == 401:
            raise _TokenExpired()
        raise CrmError(f"Salesforce refused the {what}: {status} {code}: {message}"[:500])


class _TokenExpired(Exception):
    """401 from the API: the token expired or was revoked."""


def _unexpected(problem: str) -> CrmError:
    return CrmError(f"Salesforce answered in an unexpected shape: {problem}")


def _error_of(response: httpx.Response) -> tuple[str, str]:
    """(error code, message) of an error answer: Salesforce's ``[{errorCode, message}]``, the
    token endpoint's ``{error, error_description}``, or the start of a proxy's page."""
    try:
        body = response.json()
    except ValueError:
        return "", response.text[:120].replace("\n", " ")
    first = body[0] if isinstance(body, list) and body else body
    if isinstance(first, dict):
        code = first.get("errorCode") or first.get("error") or ""
        message = first.get("message") or first.get("error_description") or ""
        return str(code), str(message)[:300]
    return "", str(body)[:120]


def _retry_after(response: httpx.Response) -> float | None:
    """``Retry-After`` in seconds (a number or an HTTP date), when the CRM gave one."""
    value = response.headers.get("Retry-After", "").strip()
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, moment.timestamp() - time.time())


def _record_result(item: Any) -> RecordResult:
    if not isinstance(item, dict) or "success" not in item:
        raise _unexpected(f"a record result {str(item)[:200]!r}")
    if item["success"]:
        return RecordResult(True, item.get("id"), item.get("created"))
    errors = item.get("errors") or []
    text = "; ".join(
        f"{error.get('statusCode', '?')}: {error.get('message', '')}"
        + (f" ({', '.join(error['fields'])})" if error.get("fields") else "")
        for error in errors
        if isinstance(error, dict)
    )
    return RecordResult(
        False, item.get("id"), item.get("created"), text or "refused without errors"
    )
