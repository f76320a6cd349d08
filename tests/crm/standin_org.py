"""The records of the stand-in Salesforce org, and what an sObject Collections write does to
them, with Salesforce's answers: one result per record (``id``, ``success``, ``errors``,
``created`` for upserts), request-level 400s for a malformed request.

Leads, accounts and users exist beforehand (``seed``), found by the external id field; an
upsert whose key matches nothing tries to create the record and fails for want of its
required fields, as Salesforce does. Tasks are created on their first upsert and updated on
the next ones (their key is an external id): the test counts them.
"""

from __future__ import annotations

import re
import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

EXTERNAL_ID = "CIW_External_Id__c"
TASK_KEY = "CIW_Task_Key__c"
ID_PREFIX = {"Lead": "00Q", "Account": "001", "Task": "00T", "User": "005"}
#: Writable fields by object, and a check of each value (None: any text).
LEVELS = ("Critical", "High", "Medium", "Low")
FIELDS: dict[str, dict[str, Any]] = {
    "Lead": {
        "Lead_Score__c": lambda v: isinstance(v, int) and 0 <= v <= 100,
        "Priority__c": lambda v: v in LEVELS,
    },
    "Account": {
        "Churn_Risk_Score__c": lambda v: isinstance(v, int | float) and 0 <= v <= 1,
        "Churn_Risk_Level__c": lambda v: v in LEVELS,
    },
    "Task": {
        "Subject": lambda v: isinstance(v, str) and 0 < len(v) <= 255,
        "Description": None,
        "ActivityDate": lambda v: isinstance(v, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", v),
        "Priority": lambda v: v in ("High", "Normal", "Low"),
        "Status": lambda v: v in ("Not Started", "In Progress", "Completed"),
    },
}
TASK_REQUIRED = ("Subject", "ActivityDate", "Priority", "Status")
#: Task lookups: relationship name -> (id field, object it points at).
LOOKUPS = {"Who": ("WhoId", "Lead"), "What": ("WhatId", "Account"), "Owner": ("OwnerId", "User")}
MAX_RECORDS = 200


class Malformed(Exception):
    """The whole request is refused with 400 and Salesforce's error list."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.body = [{"message": message, "errorCode": code}]


def error(code: str, message: str, fields: list[str] | None = None) -> dict[str, Any]:
    return {"statusCode": code, "message": message, "fields": fields or []}


@dataclass
class Org:
    records: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    #: Successful writes per (object, key): a value sent twice counts twice.
    writes: Counter[tuple[str, str]] = field(default_factory=Counter)
    #: Records created by an upsert, per (object, key): a task made twice would count 2.
    created: Counter[tuple[str, str]] = field(default_factory=Counter)
    #: (object, key) -> per-record errors to answer instead of writing, used up one by one.
    refusals: dict[tuple[str, str], list[dict[str, Any]]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)  # malformed requests seen
    _counter: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def seed(self, sobject: str, keys: list[str], *, keys_are_ids: bool = False) -> None:
        """Records that exist beforehand, found by their external id (or, ``keys_are_ids``,
        holding the warehouse's ids as their Salesforce ids)."""
        for key in keys:
            record_id = key if keys_are_ids else self._new_id(sobject)
            self.records.setdefault(sobject, {})[key] = {"Id": record_id, EXTERNAL_ID: key}

    def refuse(self, sobject: str, key: str, code: str, message: str, times: int = 1) -> None:
        self.refusals.setdefault((sobject, key), []).extend([error(code, message)] * times)

    def tasks(self) -> dict[str, dict[str, Any]]:
        return dict(self.records.get("Task", {}))

    def _new_id(self, sobject: str) -> str:
        self._counter += 1
        return f"{ID_PREFIX[sobject]}STANDIN{self._counter:05d}AAA"[:18]

    # --- writes --------------------------------------------------------------------------

    def write(self, sobject: str, key_field: str | None, body: Any) -> list[dict[str, Any]]:
        """Apply one collections request (``key_field`` None: update by id)."""
        try:
            records = self._check_request(sobject, key_field, body)
        except Malformed as malformed:
            self.problems.append(str(malformed))
            raise
        with self._lock:
            return [self._write_one(sobject, key_field, record) for record in records]

    def _check_request(self, sobject: str, key_field: str | None, body: Any) -> list[dict]:
        if sobject not in FIELDS:
            raise Malformed("NOT_FOUND", f"sObject type '{sobject}' is not supported")
        if key_field is not None and key_field not in (EXTERNAL_ID, TASK_KEY):
            raise Malformed("NOT_FOUND", f"Provided external ID field does not exist: {key_field}")
        if not isinstance(body, dict) or body.get("allOrNone") is not False:
            raise Malformed("JSON_PARSER_ERROR", "expected allOrNone: false and records")
        records = body.get("records")
        if not isinstance(records, list) or not records:
            raise Malformed("JSON_PARSER_ERROR", "records must be a non-empty list")
        if len(records) > MAX_RECORDS:
            raise Malformed("EXCEEDED_ID_LIMIT", f"cannot submit more than {MAX_RECORDS} records")
        for record in records:
            if not isinstance(record, dict) or record.get("attributes", {}).get("type") != sobject:
                raise Malformed("INVALID_TYPE", f"every record needs attributes.type {sobject}")
            key = record.get(key_field or "id")
            if not isinstance(key, str) or not key:
                raise Malformed("MISSING_ARGUMENT", f"{key_field or 'id'} not specified")
            if key_field and ("Id" in record or "id" in record):
                raise Malformed("INVALID_FIELD", "upsert records carry the external id, not Id")
            allowed = set(FIELDS[sobject]) | {"attributes", key_field or "id"}
            if sobject == "Task":
                allowed |= set(LOOKUPS) | {id_field for id_field, _ in LOOKUPS.values()}
            unknown = sorted(set(record) - allowed)
            if unknown:
                raise Malformed("INVALID_FIELD", f"No such column '{unknown[0]}' on {sobject}")
        return records

    def _write_one(self, sobject: str, key_field: str | None, record: dict) -> dict[str, Any]:
        upsert = key_field is not None
        key = record[key_field or "id"]
        store = self.records.setdefault(sobject, {})
        existing = store.get(key) if upsert else _by_id(store, key)
        queued = self.refusals.get((sobject, key))
        if queued:
            return _failed(queued.pop(0), upsert)
        values = {name: value for name, value in record.items() if name not in ("attributes", "id")}
        for name, value in values.items():
            check = FIELDS[sobject].get(name)
            if check is not None and not check(value):
                return _failed(
                    error(
                        "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST", f"bad value {value!r}", [name]
                    ),
                    upsert,
                )
        if sobject == "Task":
            problem = self._resolve_lookups(values)
            if problem:
                return _failed(problem, upsert)
        created = existing is None
        if created:
            if not upsert:
                return _failed(
                    error("INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id"), False
                )
            if sobject == "Task":
                missing = [name for name in TASK_REQUIRED if name not in values]
            else:  # creating a lead or an account needs fields the writeback never sends
                missing = {"Lead": ["LastName", "Company"]}.get(sobject, ["Name"])
            if missing:
                problem = f"Required fields are missing: {missing}"
                return _failed(error("REQUIRED_FIELD_MISSING", problem, missing), upsert)
            existing = store[key] = {"Id": self._new_id(sobject)}
            self.created[(sobject, key)] += 1
        existing.update(values)
        self.writes[(sobject, key)] += 1
        answer: dict[str, Any] = {"id": existing["Id"], "success": True, "errors": []}
        if upsert:
            answer["created"] = created
        return answer

    def _resolve_lookups(self, values: dict[str, Any]) -> dict[str, Any] | None:
        """Replace ``Who: {attributes, <ext field>: key}`` by ``WhoId``; an error when the
        related record does not exist."""
        for name, (id_field, target) in LOOKUPS.items():
            if name in values:
                reference = values.pop(name)
                key = reference.get(EXTERNAL_ID) if isinstance(reference, dict) else None
                if reference.get("attributes", {}).get("type") != target or key is None:
                    return error("INVALID_FIELD", f"bad {name} reference {reference!r}", [name])
                found = self.records.get(target, {}).get(key)
                if found is None:
                    return error(
                        "INVALID_FIELD",
                        f"Foreign key external ID: {key} not found for field {EXTERNAL_ID}"
                        f" in entity {target}",
                        [name],
                    )
                values[id_field] = found["Id"]
            elif (
                id_field in values
                and _by_id(self.records.get(target, {}), values[id_field]) is None
            ):
                return error("INVALID_CROSS_REFERENCE_KEY", f"invalid {id_field}", [id_field])
        if "WhoId" not in values and "WhatId" not in values:
            return error("REQUIRED_FIELD_MISSING", "a task needs a Who or a What", ["WhoId"])
        return None


def _by_id(store: dict[str, dict[str, Any]], record_id: str) -> dict[str, Any] | None:
    return next((record for record in store.values() if record["Id"] == record_id), None)


def _failed(problem: dict[str, Any], upsert: bool) -> dict[str, Any]:
    answer: dict[str, Any] = {"id": None, "success": False, "errors": [problem]}
    if upsert:
        answer["created"] = False
    return answer
