"""The pages: server-rendered views scoped like the API, behind the sign-in of
``service.pages.signin``. Handlers are plain functions: FastAPI runs them in its thread pool, so
the blocking reads never hold the event loop.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from service.pages import charts
from service.pages.customers import (
    alert_detail,
    alert_filters,
    alerts_inbox,
    health_overview,
    split_list,
)
from service.pages.guard import USER_ID, LoginRequired, message, signed_in, to_login, view
from service.pages.insights import anomalies, forecast, team_reviews
from service.pages.marts import MartReader
from service.pages.render import home_path, page
from service.pages.review_forms import router as review_router
from service.pages.sales import cro_view, manager_view, managers, rep_view
from service.pages.session import PageSession
from service.pages.signin import router as signin_router
from service.pages.static import router as static_router
from service.scope import Scope

router = APIRouter(prefix="/pages", include_in_schema=False)
router.include_router(static_router)
router.include_router(signin_router)
router.include_router(review_router)


@router.get("/")
def index(request: Request) -> Response:
    try:
        session, _ = signed_in(request)
    except LoginRequired:
        return to_login(request)
    return RedirectResponse(home_path(session), status_code=303)


@router.get("/health")
def health(request: Request) -> Response:
    def build(reader: MartReader, session: PageSession, scope: Scope) -> dict[str, Any]:
        context = health_overview(reader, scope.owner_ids)
        context["charts"] = {
            "health": charts.bars(
                "Accounts by health band",
                context["accounts_by_health"],
                "health_status",
                "accounts",
                "accounts",
            ),
            "customer_churn": charts.bars(
                "Shop customers by churn band",
                context["customer_churn"] or [],
                "churn_risk_band",
                "customers",
                "customers",
            ),
        }
        return context

    return view(request, "Customer Health Overview", "health.html", build)


@router.get("/cro")
def cro(request: Request) -> Response:
    def build(reader: MartReader, session: PageSession, scope: Scope) -> Any:
        if not scope.everything:
            return message(
                request,
                session,
                "CRO view",
                "The CRO view covers the whole company: it is open to the cro and admin roles.",
                403,
            )
        context = {**cro_view(reader), **forecast(reader), **anomalies(reader)}
        context["charts"] = {
            "trend": charts.lines(
                "Pipeline health index",
                context["trend"],
                "as_of_date",
                "segment",
                "pipeline_health_index",
                "index (0-100)",
            ),
            "forecast": charts.interval_band(
                "Expected closed-won revenue per month",
                context["forecast_total"],
                "forecast_month",
                "expected_won_amount",
                "lower_won_amount",
                "upper_won_amount",
                "USD",
            ),
            "win_rates": charts.grouped_bars(
                "Win rate by segment",
                context["win_rates"],
                "quarter_start_date",
                "segment",
                "win_rate",
                "win rate",
            ),
        }
        return context

    return view(request, "CRO view", "cro.html", build)


@router.get("/manager")
def manager(request: Request, manager: str | None = None, reviewed: str | None = None) -> Response:
    def build(reader: MartReader, session: PageSession, scope: Scope) -> Any:
        chosen = manager or (session.user_id if session.role == "manager" else None)
        if session.role == "rep":
            return message(
                request, session, "Manager view", "The manager view is for managers.", 403
            )
        if chosen is None:
            return page(
                request,
                "managers.html",
                {"title": "Managers", "managers": managers(reader, scope.owner_ids)},
                session=session,
            )
        if not USER_ID.match(chosen):
            return message(request, session, "Manager view", "That is not a user id.", 400)
        if not scope.allows(chosen):
            return message(
                request, session, "Manager view", "That team is outside your scope.", 403
            )
        context = manager_view(reader, chosen, scope.owner_ids)
        state = request.app.state
        context.update(team_reviews(state.settings, state.reader, scope, chosen))
        context["csrf_token"] = session.csrf_token
        context["reviewed"] = next(
            (row for row in context["reviews_decided"] if row["review_id"] == reviewed), None
        )
        context["charts"] = {
            "rep_risk": charts.bars(
                "Average open-deal risk",
                context["reps"],
                "owner_name",
                "avg_risk_score",
                "risk (0-100)",
            )
        }
        context["title"] = f"Manager view: {context['manager_name']}"
        return context

    return view(request, "Manager view", "manager.html", build)


@router.get("/reps/{rep_id}")
def rep(request: Request, rep_id: str) -> Response:
    def build(reader: MartReader, session: PageSession, scope: Scope) -> Any:
        if not USER_ID.match(rep_id):
            return message(request, session, "Rep view", "That is not a user id.", 400)
        if not scope.allows(rep_id):
            return message(
                request, session, "Rep view", "That rep's book is outside your scope.", 403
            )
        context = rep_view(reader, rep_id)
        if not context["known"]:
            return message(
                request, session, "Rep view", f"No leads or open deals for rep {rep_id}.", 404
            )
        context["charts"] = {
            "leads": charts.bars(
                "Open leads by priority",
                context["by_priority"],
                "lead_priority",
                "leads",
                "leads",
            )
        }
        context["title"] = f"Rep view: {context['rep_name']}"
        return context

    return view(request, "Rep view", "rep.html", build)


@router.get("/alerts")
def alerts(
    request: Request,
    status: str | None = None,
    urgency: str | None = None,
    alert_type: str | None = None,
) -> Response:
    def build(reader: MartReader, session: PageSession, scope: Scope) -> Any:
        filters = alert_filters(reader)
        chosen = {"status": status, "urgency": urgency, "alert_type": alert_type}
        for name, value in chosen.items():
            if value and value not in filters[name]:
                return message(
                    request, session, "Alerts", f"Unknown {name.replace('_', ' ')}: {value}.", 400
                )
        picked = {name: value for name, value in chosen.items() if value}
        unowned = session.role == "manager"
        context = alerts_inbox(reader, scope.owner_ids, picked, include_unowned=unowned)
        return {**context, "filters": filters, "chosen": picked}

    return view(request, "Alerts inbox", "alerts.html", build)


@router.get("/alerts/{alert_id}")
def alert(request: Request, alert_id: str) -> Response:
    def build(reader: MartReader, session: PageSession, scope: Scope) -> Any:
        found = alert_detail(reader, alert_id) if len(alert_id) <= 64 else None
        if found is None:
            return message(request, session, "Alert", "No alert with that id.", 404)
        assigned = found["assigned_to"]
        if not scope.allows_alert(found["owner_user_id"]) and not (
            assigned and scope.allows(assigned)
        ):
            return message(request, session, "Alert", "That alert is outside your scope.", 403)
        return {
            "title": found["title"],
            "alert": found,
            "details": split_list(found["details"]),
            "factors": split_list(found["factors"]),
            "actions": split_list(found["suggested_actions"]),
        }

    return view(request, "Alert", "alert.html", build)
