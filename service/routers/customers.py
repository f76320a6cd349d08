"""``GET /customers/{id}/profile``: one customer's online features and latest intelligence.

The hot path: the online store through the Feast gateway's direct reader (one read per
customer view) and the customer's row in the published profiles file (``service.profiles``;
without it, ``service.customer_extras`` in the DuckDB snapshot or the same join on the
PostgreSQL marts). The body carries a strong ETag; a
matching ``If-None-Match`` gets 304 without a body.
"""

from __future__ import annotations

import hashlib
import json
import threading
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Request, Response
from starlette.concurrency import run_in_threadpool

from service.routers.common import caller_scope, factors, forbidden, not_found, plain, reader_of
from service.scope import Scope
from service.snapshot import EXTRAS_TABLE, customer_extras_sql

router = APIRouter(tags=["customers"])
_gateway_lock = threading.Lock()

CustomerId = Annotated[int, Path(ge=1, le=2**62, description="The unified customer id.")]
SCORE_FIELDS = (
    "churn_probability",
    "churn_risk_band",
    "churn_horizon_days",
    "predicted_revenue",
    "clv_horizon_days",
    "segment_name",
    "scored_at",
)


def gateway_of(state: Any) -> Any:
    """The app's Feast gateway, built once (Feast takes seconds to load: ``create_app``
    starts building it at once in the background)."""
    if state.gateway is None:
        with _gateway_lock:
            if state.gateway is None:
                from feature_repo.store import FeatureStoreGateway

                state.gateway = FeatureStoreGateway(state.settings)
    return state.gateway


def online_features(request: Request, customer_id: int) -> dict[str, Any] | None:
    """The customer's online values; None when the store has none for them; 503 when the
    online store has never been filled."""
    from feature_repo.store import FeatureStoreError, UnknownCustomer

    try:
        return dict(gateway_of(request.app.state).customer_profile(customer_id))
    except UnknownCustomer:
        return None
    except FeatureStoreError as empty:
        raise HTTPException(
            status_code=503,
            detail="the online store is empty: run `ciw run` (it materializes the features "
            f"and pushes the scores), then retry ({str(empty)[:200]})",
        ) from None


def customer_extras(request: Request, customer_id: int) -> dict[str, Any] | None:
    """The customer's published profile row (``service.profiles``), else the same row from
    the marts."""
    published = request.app.state.profiles
    if published.available():
        found: dict[str, Any] | None = published.get(customer_id)
        return found
    reader = reader_of(request)
    if request.app.state.settings.is_embedded:
        if not reader.has_table(EXTRAS_TABLE):
            return None
        rows = reader.rows(f"select * from {EXTRAS_TABLE} where customer_id = %s", (customer_id,))
    else:
        tables: set[str] | None = getattr(request.app.state, "marts_tables", None)
        if not tables or "marts.customer_risk_scores" not in tables:
            tables = request.app.state.marts_tables = _marts_tables(request)
        if "marts.customer_risk_scores" not in tables:
            return None
        rows = reader.rows(
            f"select * from ({customer_extras_sql(tables)}) as extras where customer_id = %s",
            (customer_id,),
        )
    return rows[0] if rows else None


def _marts_tables(request: Request) -> set[str]:
    rows = reader_of(request).rows(
        "select table_schema || '.' || table_name as name from information_schema.tables"
        " where table_schema = 'marts'"
    )
    return {row["name"] for row in rows}


def build_profile(
    customer_id: int, features: dict[str, Any] | None, extras: dict[str, Any] | None
) -> dict[str, Any]:
    online = dict(features or {})
    scores = {name: online.pop(name, None) for name in SCORE_FIELDS}
    online.pop("customer_id", None)
    row = dict(extras or {})
    churn = {
        "probability": plain(row.get("churn_probability", scores["churn_probability"])),
        "lower": plain(row.get("churn_probability_lower")),
        "upper": plain(row.get("churn_probability_upper")),
        "band": row.get("churn_risk_band") or scores["churn_risk_band"],
        "horizon_days": plain(row.get("churn_horizon_days", scores["churn_horizon_days"])),
        "model_version": row.get("churn_model_version"),
    }
    revenue = {
        "predicted": plain(row.get("predicted_revenue", scores["predicted_revenue"])),
        "lower": plain(row.get("predicted_revenue_lower")),
        "upper": plain(row.get("predicted_revenue_upper")),
        "horizon_days": plain(row.get("clv_horizon_days", scores["clv_horizon_days"])),
    }
    return {
        "customer_id": customer_id,
        "churn": churn,
        "predicted_revenue": revenue,
        "segment": row.get("segment_name") or scores["segment_name"],
        "rfm_segment": row.get("rfm_segment"),
        "top_factors": factors(row, "churn_factor"),
        "journey_stage": row.get("journey_stage"),
        "next_best_action": {
            "action": row.get("next_best_action"),
            "reason": row.get("next_best_action_reason"),
        },
        "identity": {
            "profile_key": row.get("profile_key"),
            "merge_decision": row.get("identity_merge_decision"),
            "records": plain(row.get("identity_record_count")),
            "members": {
                "commerce_customers": plain(row.get("identity_commerce_customers")),
                "crm_records": plain(row.get("identity_crm_records")),
                "support_requesters": plain(row.get("identity_support_requesters")),
                "web_devices": plain(row.get("identity_web_devices")),
            },
        },
        "lifetime": {
            "orders": plain(row.get("lifetime_orders")),
            "revenue": plain(row.get("lifetime_revenue")),
        },
        "scored_at": plain(row.get("scored_at") or scores["scored_at"]),
        "features": {name: plain(value) for name, value in sorted(online.items())},
    }


@router.get(
    "/customers/{customer_id}/profile",
    summary="A customer's online features, churn risk, predicted revenue, journey and identity",
    responses={
        304: {"description": "unchanged since the ETag sent in If-None-Match"},
        403: {"description": "outside the caller's scope"},
        404: {"description": "unknown customer"},
        503: {"description": "the online store or the marts are not filled yet"},
    },
)
async def customer_profile(
    request: Request,
    customer_id: CustomerId,
    scope: Annotated[Scope, Depends(caller_scope)],
) -> Response:
    # Blocking reads on the event loop on purpose: each takes well under a millisecond, and
    # a thread hop would cost more than the work (the profile's p99 goal is 10 ms).
    if not scope.allows(None):
        raise forbidden(
            "customer profiles are shop records without a CRM owner: only cro and admin keys "
            "may read them"
        )
    if request.app.state.gateway is None:  # Feast still loading: wait off the event loop
        await run_in_threadpool(gateway_of, request.app.state)
    features = online_features(request, customer_id)
    extras = customer_extras(request, customer_id)
    if features is None and extras is None:
        raise not_found(f"customer {customer_id} is unknown: no online features and no scores")
    body = json.dumps(
        build_profile(customer_id, features, extras), sort_keys=True, default=str
    ).encode()
    etag = f'"{hashlib.sha256(body).hexdigest()[:32]}"'
    headers = {"ETag": etag, "Cache-Control": "private, no-cache"}
    sent = request.headers.get("if-none-match", "")
    if etag in {tag.strip() for tag in sent.split(",")} or sent.strip() == "*":
        return Response(status_code=304, headers=headers)
    return Response(content=body, media_type="application/json", headers=headers)
