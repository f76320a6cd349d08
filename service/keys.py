"""API keys: created once, shown once, stored only as salted scrypt hashes in ``ops.api_keys``.

A key reads ``ciw_<key id>_<secret>``. The warehouse keeps its id, role, CRM user, a random
salt and ``scrypt(key, salt)``; never the key. Verifying runs scrypt (about 40 ms) once per key
and process: a verified key is remembered in memory by its SHA-256 digest for
``cache_seconds``, and every request still checks its key id against the current key table,
so a revocation counts as soon as the table is re-read:

- DuckDB: the service never opens the warehouse file on a request (a daily run may hold its
  lock); it reads the key table published beside it (``artifacts/service/api_keys.json``,
  hashes only, replaced atomically by every ``create``/``revoke`` and at the end of each run)
  and re-reads it when the file changes, checked at most every ``refresh_seconds`` (1 s).
- PostgreSQL: the table itself, re-read at most every ``refresh_seconds``.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import logging
import os
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from service.auth import ROLES, Caller, Role
from warehouse.settings import Settings

logger = logging.getLogger("ciw.service.keys")

KEYS_TABLE = "ops.api_keys"
KEYS_DDL = f"""
create table if not exists {KEYS_TABLE} (
    key_id varchar not null primary key,
    role varchar not null,
    user_id varchar not null,
    salt varchar not null,
    key_hash varchar not null,
    created_at timestamp not null,
    revoked_at timestamp
)
"""
PREFIX = "ciw"
#: scrypt cost: 16 MiB and about 40 ms per hash on this machine.
SCRYPT = {"n": 2**14, "r": 8, "p": 1, "dklen": 32}


class KeyRequestError(ValueError):
    """A key request the store refuses (unknown role, empty user); the message says why."""


@dataclass(frozen=True)
class KeyRecord:
    key_id: str
    role: Role
    user_id: str
    salt: bytes
    key_hash: bytes
    revoked: bool


def published_keys_path(settings: Settings) -> Path:
    return settings.artifacts_dir / "service" / "api_keys.json"


def hash_key(raw_key: str, salt: bytes) -> bytes:
    return hashlib.scrypt(raw_key.encode(), salt=salt, **SCRYPT)  # type: ignore[arg-type]


def key_id_of(raw_key: str) -> str | None:
    """The key id inside a raw key, None when the text is not shaped like one of ours."""
    parts = raw_key.split("_", 2)
    if len(parts) != 3 or parts[0] != PREFIX or not parts[1].isalnum() or len(raw_key) > 200:
        return None
    return parts[1]


class KeyStore:
    """Create, list, revoke and verify API keys of one warehouse."""

    def __init__(
        self, settings: Settings, *, refresh_seconds: float = 1.0, cache_seconds: float = 60.0
    ) -> None:
        self.settings = settings
        self.refresh_seconds = refresh_seconds
        self.cache_seconds = cache_seconds
        self._records: dict[str, KeyRecord] = {}
        self._loaded_stamp: object = None
        self._checked_at = float("-inf")
        self._verified: dict[bytes, tuple[str, float]] = {}
        self._lock = threading.Lock()

    # -- writing (the command line) -------------------------------------------------------

    def create(self, role: str, user_id: str) -> tuple[str, str]:
        """A new key for ``user_id`` (their CRM user id) with ``role``: (key id, raw key).
        The raw key exists only in the return value: show it once."""
        if role not in ROLES:
            raise KeyRequestError(f"role {role!r} is not one of {', '.join(ROLES)}")
        user_id = user_id.strip()
        if not user_id:
            raise KeyRequestError("a key needs the CRM user id of its holder (--user)")
        key_id = secrets.token_hex(6)
        raw_key = f"{PREFIX}_{key_id}_{secrets.token_urlsafe(32)}"
        salt = os.urandom(16)
        with self._session(transaction=True) as session:
            session.execute(
                f"insert into {KEYS_TABLE} (key_id, role, user_id, salt, key_hash, created_at)"
                " values (%s, %s, %s, %s, %s, %s)",
                (key_id, role, user_id, salt.hex(), hash_key(raw_key, salt).hex(), _now()),
            )
        self.publish()
        return key_id, raw_key

    def list(self) -> list[dict[str, Any]]:
        """Every key without its hash: id, role, user, created, revoked (newest first)."""
        with self._session() as session:
            return session.rows(
                f"select key_id, role, user_id, created_at, revoked_at from {KEYS_TABLE}"
                " order by created_at desc, key_id"
            )

    def revoke(self, key_id: str) -> bool:
        """Revoke a key; False when no active key has this id."""
        with self._session(transaction=True) as session:
            changed = session.execute(
                f"update {KEYS_TABLE} set revoked_at = %s"
                " where key_id = %s and revoked_at is null returning key_id",
                (_now(), key_id),
            )
        self.publish()
        return bool(changed)

    def publish(self) -> Path | None:
        """DuckDB: write the key table (hashes only) beside the warehouse, atomically, for
        the service to read without opening the warehouse file. Nothing on PostgreSQL."""
        if not self.settings.is_embedded:
            return None
        with self._session() as session:
            rows = session.rows(
                f"select key_id, role, user_id, salt, key_hash, revoked_at from {KEYS_TABLE}"
            )
        path = published_keys_path(self.settings)
        path.parent.mkdir(parents=True, exist_ok=True)
        document = [
            {
                **{name: value for name, value in row.items() if name != "revoked_at"},
                "revoked": row["revoked_at"] is not None,
            }
            for row in rows
        ]
        temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            json.dump(document, handle)
        temporary.replace(path)
        return path

    def _session(self, *, transaction: bool = False) -> Any:
        from warehouse import adapter_for

        @contextlib.contextmanager
        def opened() -> Any:
            with adapter_for(self.settings).session(transaction=transaction) as session:
                session.ensure_schema("ops")
                session.execute(KEYS_DDL)
                yield session

        return opened()

    # -- verifying (the service) ----------------------------------------------------------

    def verify(self, raw_key: str) -> Caller | None:
        """The caller a raw key belongs to; None when unknown, revoked or wrong."""
        key_id = key_id_of(raw_key)
        if key_id is None:
            return None
        record = self._current().get(key_id)
        if record is None or record.revoked:
            return None
        digest = hashlib.sha256(raw_key.encode()).digest()
        now = time.monotonic()
        cached = self._verified.get(digest)
        if cached is None or cached[0] != key_id or cached[1] < now:
            if not hmac.compare_digest(hash_key(raw_key, record.salt), record.key_hash):
                return None
            with self._lock:
                if len(self._verified) > 10_000:  # many keys: forget the expired ones
                    self._verified = {d: v for d, v in self._verified.items() if v[1] >= now}
                self._verified[digest] = (key_id, now + self.cache_seconds)
        return Caller(key_id=key_id, role=record.role, user_id=record.user_id)

    def _current(self) -> dict[str, KeyRecord]:
        now = time.monotonic()
        if now - self._checked_at < self.refresh_seconds:
            return self._records
        with self._lock:
            if now - self._checked_at >= self.refresh_seconds:
                try:
                    self._refresh()
                except Exception as error:  # keep the last table; say why once per refresh
                    logger.warning("could not re-read the API keys: %s", _first_line(error))
                self._checked_at = now
        return self._records

    def _refresh(self) -> None:
        if self.settings.is_embedded:
            path = published_keys_path(self.settings)
            try:
                status = path.stat()
            except FileNotFoundError:
                self._records = {}
                return
            stamp = (status.st_ino, status.st_mtime_ns, status.st_size)
            if stamp == self._loaded_stamp:
                return
            rows = json.loads(path.read_text())
            self._loaded_stamp = stamp
        else:
            with self._session() as session:
                rows = session.rows(
                    f"select key_id, role, user_id, salt, key_hash,"
                    f" revoked_at is not null as revoked from {KEYS_TABLE}"
                )
        self._records = {
            str(row["key_id"]): KeyRecord(
                key_id=str(row["key_id"]),
                role=row["role"],
                user_id=str(row["user_id"]),
                salt=bytes.fromhex(row["salt"]),
                key_hash=bytes.fromhex(row["key_hash"]),
                revoked=bool(row["revoked"]),
            )
            for row in rows
            if row["role"] in ROLES
        }


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _first_line(error: Exception) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
