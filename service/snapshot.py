"""Publishing the marts for the service at the end of each run.

DuckDB takes one writer per file, and a daily run holds it for minutes. So at the end of each
run the marts the service reads are copied into a new DuckDB file (plus
``service.customer_extras``: the latest scores, journey and identity of each customer in one
indexed row, the profile's hot path), which then replaces the served snapshot with one
``os.replace`` — readers see the old file or the new one, never half of one. The profiles'
rows also go to a SQLite file for the hot path (``service.profiles``) and the API key table is
published beside them (``service.keys``). On PostgreSQL the service reads the marts
themselves through the read-only role; publishing records the run in
``ops.marts_publications`` so that ``/readyz`` can tell how fresh they are.
"""

from __future__ import annotations

import logging
import os
import time
from datetime import UTC, datetime
from pathlib import Path

from service.reader import PUBLICATIONS_TABLE, snapshot_path
from warehouse.settings import Settings

logger = logging.getLogger("ciw.service.snapshot")

#: The marts the service reads; absent ones (a shop without a CRM) are skipped.
SNAPSHOT_TABLES = (
    "marts.customer_profiles",
    "marts.customer_journey",
    "marts.identity_profiles",
    "marts.customer_risk_scores",
    "marts.account_health",
    "marts.account_risk_scores",
    "marts.deal_risk_scores",
    "marts.opportunity_pipeline",
    "marts.lead_scores",
    "marts.pipeline_health",
    "marts.segment_performance",
    "marts.rep_performance",
    "marts.rep_deal_risk",
    "marts.alerts",
    "ops.alert_events",
    "marts.pipeline_forecast",
    "marts.daily_kpis",
    "marts.kpi_anomalies",
    "marts.deal_review_queue",
    "marts.deal_review_override_rate",
    "ops.deal_score_reviews",
)
#: Point lookups the API makes, indexed in the snapshot.
SNAPSHOT_INDEXES = {
    "marts.account_health": "account_id",
    "marts.deal_risk_scores": "opportunity_id",
    "marts.alerts": "alert_id",
}
EXTRAS_TABLE = "service.customer_extras"


def publish_snapshot(settings: Settings, *, run_id: str | None = None) -> Path | None:
    """Publish the marts of ``settings``' warehouse for the service; the snapshot's path
    (None on PostgreSQL, where only the publication is recorded)."""
    from service.keys import KeyStore

    published_at = datetime.now(UTC).replace(tzinfo=None)
    if not settings.is_embedded:
        _publish_postgres_profiles(settings)
        _record_publication(settings, published_at, run_id)
        return None
    path = _write_duckdb_snapshot(settings, published_at, run_id)
    KeyStore(settings).publish()
    return path


def publish_after_run(settings: Settings, run_id: str | None = None) -> None:
    """The run's last step: publish, and never fail the run for it (the service keeps the
    previous snapshot; the warning says why)."""
    try:
        publish_snapshot(settings, run_id=run_id)
    except Exception as error:
        logger.warning("could not publish the marts for the service: %s", error)


def _write_duckdb_snapshot(settings: Settings, published_at: datetime, run_id: str | None) -> Path:
    from warehouse.connections import connect_duckdb

    target = snapshot_path(settings)
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.{os.getpid()}.{time.time_ns()}.tmp")
    temporary.unlink(missing_ok=True)
    quoted = str(temporary).replace("'", "''")
    with connect_duckdb(settings) as duck:
        duck.execute(f"attach '{quoted}' as snapshot")
        try:
            for schema in ("marts", "ops", "service", "service_meta"):
                duck.execute(f"create schema snapshot.{schema}")
            present = {
                f"{schema}.{name}"
                for schema, name in duck.execute(
                    "select table_schema, table_name from information_schema.tables"
                    " where table_catalog = current_database()"
                ).fetchall()
            }
            copied = [table for table in SNAPSHOT_TABLES if table in present]
            for table in copied:
                duck.execute(f"create table snapshot.{table} as select * from {table}")
            for table, column in SNAPSHOT_INDEXES.items():
                if table in copied:
                    index = f"{table.split('.')[1]}_{column}_idx"
                    duck.execute(f"create index {index} on snapshot.{table} ({column})")
            if "marts.customer_risk_scores" in copied:
                duck.execute(
                    f"create table snapshot.{EXTRAS_TABLE} as {customer_extras_sql(set(copied))}"
                )
                duck.execute(
                    f"create unique index customer_extras_id on snapshot.{EXTRAS_TABLE}"
                    " (customer_id)"
                )
            duck.execute(
                "create table snapshot.service_meta.publication as"
                " select cast(? as timestamp) as published_at, cast(? as varchar) as run_id",
                [published_at, run_id],
            )
        finally:
            duck.execute("detach snapshot")
    _publish_duckdb_profiles(settings, temporary)
    temporary.replace(target)  # atomic: readers see the old file or the new one
    return target


def _publish_duckdb_profiles(settings: Settings, snapshot: Path) -> None:
    import duckdb

    from service.profiles import write_profiles

    with duckdb.connect(str(snapshot), read_only=True) as duck:
        found = duck.execute(
            "select count(*) from information_schema.tables"
            " where table_schema = 'service' and table_name = 'customer_extras'"
        ).fetchone()
        if not found or not found[0]:
            return
        result = duck.execute(f"select * from {EXTRAS_TABLE}")
        names = [column[0] for column in result.description or ()]
        write_profiles(settings, (dict(zip(names, row, strict=True)) for row in result.fetchall()))


def _publish_postgres_profiles(settings: Settings) -> None:
    from service.profiles import write_profiles
    from warehouse import adapter_for

    with adapter_for(settings).session() as session:
        present = {
            f"marts.{row[0]}"
            for row in session.execute(
                "select table_name from information_schema.tables where table_schema = 'marts'"
            )
        }
        if "marts.customer_risk_scores" not in present:
            return
        write_profiles(settings, session.rows(customer_extras_sql(present)))


def customer_extras_sql(tables: set[str]) -> str:
    """One row per scored customer: latest scores with interval and factors, journey stage,
    next best action, RFM segment and identity members (works on both warehouses)."""
    journey = "marts.customer_journey" in tables
    identity = "marts.identity_profiles" in tables
    profiles = "marts.customer_profiles" in tables
    selects = [
        "scores.customer_id, scores.churn_probability, scores.churn_probability_lower,"
        " scores.churn_probability_upper, scores.churn_risk_band, scores.churn_horizon_days,"
        " scores.predicted_revenue,"
        " scores.predicted_revenue_lower, scores.predicted_revenue_upper,"
        " scores.clv_horizon_days, scores.segment_name,"
        " scores.churn_factor_1_name, scores.churn_factor_1_contribution,"
        " scores.churn_factor_2_name, scores.churn_factor_2_contribution,"
        " scores.churn_factor_3_name, scores.churn_factor_3_contribution,"
        " scores.churn_model_version, scores.scored_at, scores.as_of_date as scored_as_of",
        "journey.journey_stage, journey.next_best_action, journey.next_best_action_reason"
        if journey
        else "null as journey_stage, null as next_best_action, null as next_best_action_reason",
        "profiles.rfm_segment, profiles.lifetime_orders, profiles.lifetime_revenue"
        if profiles
        else "null as rfm_segment, null as lifetime_orders, null as lifetime_revenue",
        "identity.profile_key, identity.record_count as identity_record_count,"
        " identity.merge_decision as identity_merge_decision,"
        " identity.commerce_customer_count as identity_commerce_customers,"
        " identity.crm_record_count as identity_crm_records,"
        " identity.support_requester_count as identity_support_requesters,"
        " identity.web_device_count as identity_web_devices"
        if identity
        else "null as profile_key, null as identity_record_count,"
        " null as identity_merge_decision, null as identity_commerce_customers,"
        " null as identity_crm_records, null as identity_support_requesters,"
        " null as identity_web_devices",
    ]
    joins = [
        "(select *, row_number() over (partition by customer_id order by as_of_date desc,"
        " scored_at desc) as position from marts.customer_risk_scores) as scores"
    ]
    if journey:
        joins.append(
            "left join (select *, row_number() over (partition by customer_id order by"
            " as_of_date desc) as position from marts.customer_journey) as journey"
            " on journey.customer_id = scores.customer_id and journey.position = 1"
        )
    if profiles:
        joins.append(
            "left join (select *, row_number() over (partition by customer_id order by"
            " as_of_date desc) as position from marts.customer_profiles) as profiles"
            " on profiles.customer_id = scores.customer_id and profiles.position = 1"
        )
    if identity:
        joins.append("left join marts.identity_profiles as identity")
        joins.append("on identity.customer_id = scores.customer_id")
    return f"select {', '.join(selects)} from {' '.join(joins)} where scores.position = 1"


def _record_publication(settings: Settings, published_at: datetime, run_id: str | None) -> None:
    from warehouse import adapter_for

    with adapter_for(settings).session() as session:
        session.ensure_schema("ops")
        session.execute(
            f"create table if not exists {PUBLICATIONS_TABLE}"
            " (published_at timestamp not null, run_id varchar)"
        )
        session.execute(
            f"insert into {PUBLICATIONS_TABLE} (published_at, run_id) values (%s, %s)",
            (published_at, run_id),
        )
