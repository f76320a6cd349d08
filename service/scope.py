"""What a caller may see: a rep their own book, a manager their team's, the CRO and admin all.

A record is in scope when its CRM owner is one of the caller's ``owner_ids``: the rep
themselves, or a manager and every rep who reports to them. The team is read from the marts
(each owner's manager as ``rep_deal_risk``, ``opportunity_pipeline`` and ``lead_scores`` carry
it; not ``account_health``, whose manager is the CSM's), the same data the read-only role sees
on PostgreSQL. Records without a CRM owner (shop customers, channel alerts) belong to no book:
leadership sees them, and managers see owner-less alerts (the lifecycle lets any manager act
on those).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from service.auth import Caller
from service.reader import MartsReader

#: (table, owner column, manager column): where the marts say who reports to whom.
TEAM_SOURCES = (
    ("marts.rep_deal_risk", "owner_user_id", "manager_user_id"),
    ("marts.opportunity_pipeline", "owner_user_id", "manager_user_id"),
    ("marts.lead_scores", "owner_user_id", "manager_user_id"),
)
SCOPE_CACHE_SECONDS = 60.0


@dataclass(frozen=True)
class Scope:
    """The owners whose records a caller sees; ``owner_ids`` None means every record."""

    caller: Caller
    owner_ids: frozenset[str] | None

    @property
    def everything(self) -> bool:
        return self.owner_ids is None

    def allows(self, owner_id: str | None) -> bool:
        """Whether a record owned by ``owner_id`` (None: no CRM owner) is visible."""
        if self.owner_ids is None:
            return True
        return owner_id is not None and owner_id in self.owner_ids

    def allows_alert(self, owner_id: str | None) -> bool:
        """Alerts: as records, plus owner-less (channel) alerts for managers."""
        if owner_id is None and self.caller.role == "manager":
            return True
        return self.allows(owner_id)

    def owner_filter(self, *columns: str) -> tuple[str, list[str]]:
        """A SQL condition (``%s`` placeholders) true when any of ``columns`` holds an owner
        in scope, and its parameters."""
        if self.owner_ids is None:
            return "true", []
        if not self.owner_ids:
            return "false", []
        owners = sorted(self.owner_ids)
        marks = ", ".join(["%s"] * len(owners))
        condition = " or ".join(f"{column} in ({marks})" for column in columns)
        return f"({condition})", owners * len(columns)

    @classmethod
    def for_caller(cls, caller: Caller, reader: MartsReader) -> Scope:
        if caller.sees_everything:
            return cls(caller, None)
        if caller.role == "rep":
            return cls(caller, frozenset({caller.user_id}))
        return cls(caller, frozenset({caller.user_id, *team_of(caller.user_id, reader)}))


def team_of(manager_id: str, reader: MartsReader) -> set[str]:
    """The CRM users who report to ``manager_id``, as the marts say."""
    team: set[str] = set()
    for table, owner, manager in TEAM_SOURCES:
        if not reader.has_table(table):
            continue
        rows = reader.rows(
            f"select distinct {owner} as user_id from {table}"
            f" where {manager} = %s and {owner} is not null",
            (manager_id,),
        )
        team.update(str(row["user_id"]) for row in rows)
    return team


class ScopeCache:
    """Scopes by key id for a minute, so a manager's team is not re-read on every request."""

    def __init__(self, reader: MartsReader, seconds: float = SCOPE_CACHE_SECONDS) -> None:
        self.reader = reader
        self.seconds = seconds
        self._scopes: dict[Caller, tuple[Scope, float]] = {}
        self._lock = threading.Lock()

    def scope(self, caller: Caller) -> Scope:
        now = time.monotonic()
        found = self._scopes.get(caller)
        if found is not None and found[1] > now:
            return found[0]
        scope = Scope.for_caller(caller, self.reader)
        with self._lock:
            self._scopes[caller] = (scope, now + self.seconds)
        return scope
