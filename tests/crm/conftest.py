"""Fixtures: the Salesforce stand-in, a config pointing at it, and the scored marts the
writeback reads (lead_scores, account_risk_scores, account_health) built in Python on the
test warehouse, as a dbt build would leave them."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from crm.config import SalesforceConfig
from tests.crm.salesforce_standin import CLIENT_ID, CLIENT_SECRET, SalesforceStandIn
from warehouse import adapter_for
from warehouse.settings import Settings

#: Yesterday: the writeback leaves records scored more than a week ago alone.
AS_OF = datetime.now(UTC).date() - timedelta(days=1)
OWNERS = ["USR0001", "USR0002", "USR0003"]

MARTS_DDL = {
    "marts.lead_scores": """(
        lead_id varchar, as_of_date date, lead_score double precision, lead_priority varchar,
        owner_user_id varchar, lead_source varchar, industry varchar,
        source_points double precision, email_points double precision,
        web_points double precision, company_size_points double precision,
        recency_points double precision, industry_points double precision)""",
    "marts.account_risk_scores": """(
        account_id varchar, as_of_date date, churn_probability double precision,
        churn_risk_band varchar, factor_1_name varchar, factor_2_name varchar,
        factor_3_name varchar)""",
    "marts.account_health": """(
        account_id varchar, account_name varchar, owner_user_id varchar, csm_user_id varchar,
        health_status varchar, overall_score double precision, lowest_component varchar)""",
}


def band(value: float, floors: tuple[float, float, float], *, inclusive: bool) -> str:
    """critical / high / medium / low by the marts' thresholds (lead scores count the floor
    in, churn probabilities must pass it)."""
    for floor, name in zip(floors, ("critical", "high", "medium"), strict=True):
        if value >= floor if inclusive else value > floor:
            return name
    return "low"


@dataclass(frozen=True)
class Lead:
    lead_id: str
    score: float
    owner: str | None = "USR0001"

    @property
    def priority(self) -> str:
        return band(self.score, (80, 60, 40), inclusive=True)

    def row(self, as_of: date) -> tuple[Any, ...]:
        points = [self.score / 6] * 6
        return (
            self.lead_id,
            as_of,
            self.score,
            self.priority,
            self.owner,
            "web",
            "software",
            *points,
        )


@dataclass(frozen=True)
class Account:
    account_id: str
    probability: float
    csm: str | None = "USR0002"

    @property
    def band(self) -> str:
        return band(self.probability, (0.8, 0.6, 0.4), inclusive=False)

    def risk_row(self, as_of: date) -> tuple[Any, ...]:
        factors = ("support_tickets_30d", "usage_trend", "days_to_renewal")
        return (self.account_id, as_of, self.probability, self.band, *factors)

    def health_row(self) -> tuple[Any, ...]:
        return (
            self.account_id,
            f"Acme {self.account_id}",
            "USR0003",
            self.csm,
            "at_risk",
            0.45,
            "support",
        )


def make_leads(count: int, *, start: int = 1) -> list[Lead]:
    """Scores spread over every priority; every fourth lead Critical."""
    return [
        Lead(f"LEAD{n:07d}", 85.0 if n % 4 == 0 else 30.0 + (n * 7) % 45, OWNERS[n % 3])
        for n in range(start, start + count)
    ]


def make_accounts(count: int) -> list[Account]:
    """Every third account High or Critical."""
    return [
        Account(f"ACC{n:06d}", (0.9 if n % 6 == 0 else 0.7) if n % 3 == 0 else 0.15 + n % 4 * 0.1)
        for n in range(1, count + 1)
    ]


def write_marts(
    settings: Settings,
    leads: Sequence[Lead],
    accounts: Sequence[Account],
    *,
    as_of: date = AS_OF,
) -> None:
    """Replace the three marts (a dbt build rebuilds them)."""
    rows = {
        "marts.lead_scores": [lead.row(as_of) for lead in leads],
        "marts.account_risk_scores": [account.risk_row(as_of) for account in accounts],
        "marts.account_health": [account.health_row() for account in accounts],
    }
    with adapter_for(settings).session(transaction=True) as session:
        session.ensure_schema("marts")
        for table, columns in MARTS_DDL.items():
            session.execute(f"drop table if exists {table}")
            session.execute(f"create table {table} {columns}")
            step = 1000  # rows per statement: PostgreSQL takes at most 65535 parameters
            for start in range(0, len(rows[table]), step):
                chunk = rows[table][start : start + step]
                row = "(" + ", ".join(["%s"] * len(chunk[0])) + ")"
                session.execute(
                    f"insert into {table} values {', '.join([row] * len(chunk))}",
                    [value for row in chunk for value in row],
                )


def seed_org(
    standin: SalesforceStandIn, leads: Sequence[Lead], accounts: Sequence[Account]
) -> None:
    """The CRM's own records: every lead, account and owner exists, found by external id."""
    standin.org.seed("Lead", [lead.lead_id for lead in leads])
    standin.org.seed("Account", [account.account_id for account in accounts])
    standin.org.seed("User", OWNERS)


@pytest.fixture
def salesforce() -> Iterator[SalesforceStandIn]:
    server = SalesforceStandIn().start()
    try:
        yield server
    finally:
        server.stop()


def standin_config(standin: SalesforceStandIn, **overrides: Any) -> SalesforceConfig:
    """Short timeouts and backoffs so the retry tests take moments."""
    values: dict[str, Any] = {
        "token_url": standin.token_url,
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "timeout_seconds": 2.0,
        "backoff_seconds": 0.01,
        "max_attempts": 4,
    }
    values.update(overrides)
    return SalesforceConfig(**values)


def log_rows(settings: Settings) -> list[dict[str, Any]]:
    with adapter_for(settings).session() as session:
        return session.rows(
            "select * from ops.crm_writeback order by sobject, record_key, field, generation"
        )
