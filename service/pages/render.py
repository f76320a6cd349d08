"""Templates, their number formats and the parts every page shares (navigation, banner)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.templating import Jinja2Templates

from service.pages.charts import plain
from service.pages.session import PageSession

HERE = Path(__file__).parent
#: How a missing figure reads on a page.
MISSING = "\N{EM DASH}"
TEMPLATES = Jinja2Templates(directory=str(HERE / "templates"))
SECURITY_HEADERS = {
    # plotly.js adds its own <style> elements at run time; scripts only from this app.
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline';"
        " img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}


def _number(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, int | float):
        return None if value != value else float(value)  # NaN as missing
    return None


def money(value: Any) -> str:
    number = _number(value)
    return MISSING if number is None else f"${number:,.0f}"


def pct(value: Any, digits: int = 1) -> str:
    number = _number(value)
    return MISSING if number is None else f"{number * 100:.{digits}f}%"


def num(value: Any, digits: int = 0) -> str:
    number = _number(value)
    return MISSING if number is None else f"{number:,.{digits}f}"


def signed(value: Any, digits: int = 2) -> str:
    number = _number(value)
    return MISSING if number is None else f"{number:+.{digits}f}"


def day(value: Any) -> str:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return MISSING if value is None else str(value)


def humanize(value: Any) -> str:
    return MISSING if value is None else str(value).replace("_", " ")


for name, function in {
    "money": money,
    "pct": pct,
    "num": num,
    "signed": signed,
    "day": day,
    "humanize": humanize,
    "plain": plain,
}.items():
    TEMPLATES.env.filters[name] = function


def home_path(session: PageSession) -> str:
    """Where a caller lands after signing in."""
    if session.role == "rep" and session.user_id:
        return f"/pages/reps/{session.user_id}"
    if session.role == "manager":
        return "/pages/manager"
    if session.role in ("cro", "admin"):
        return "/pages/cro"
    return "/pages/health"


def navigation(session: PageSession) -> list[tuple[str, str]]:
    links = [("Customer health", "/pages/health")]
    if session.role in ("cro", "admin"):
        links.append(("CRO view", "/pages/cro"))
    if session.role in ("manager", "cro", "admin"):
        links.append(("Manager view" if session.role != "manager" else "My team", "/pages/manager"))
    if session.role == "rep" and session.user_id:
        links.append(("My book", f"/pages/reps/{session.user_id}"))
    links.append(("Alerts", "/pages/alerts"))
    return links


def page(
    request: Request,
    template: str,
    context: dict[str, Any],
    *,
    session: PageSession | None = None,
    status_code: int = 200,
) -> Response:
    """Render ``template`` with the shared parts and the security headers."""
    shared: dict[str, Any] = {"session": session, "current": request.url.path}
    if session is not None:
        shared["nav"] = navigation(session)
    response = TEMPLATES.TemplateResponse(
        request, template, {**shared, **context}, status_code=status_code
    )
    response.headers.update(SECURITY_HEADERS)
    return response
