"""Plotly figure specs (plain dicts) for the pages' charts.

The page embeds each spec as JSON and static/pages.js draws it with the plotly.js file the app
serves from the plotly package; every chart repeats a table on the same page, so nothing is lost
without JavaScript.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

COLOURS = {
    "critical": "#b3261e",
    "high": "#e8710a",
    "at_risk": "#e8710a",
    "medium": "#f2c94c",
    "low": "#2e7d32",
    "healthy": "#2e7d32",
}
DEFAULT_COLOUR = "#3b6ea5"


def plain(value: Any) -> Any:
    """A JSON-friendly value: Decimal as float, dates and times as ISO text."""
    if isinstance(value, Decimal):
        return float(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def _layout(title: str, y_title: str, **extra: Any) -> dict[str, Any]:
    return {
        "title": {"text": title},
        "yaxis": {"title": {"text": y_title}, "rangemode": "tozero"},
        "margin": {"l": 60, "r": 20, "t": 50, "b": 50},
        "height": 320,
        **extra,
    }


def bars(title: str, rows: list[dict[str, Any]], label: str, value: str, y_title: str) -> dict:
    """One bar per row, coloured by its band when it names one."""
    names = [str(row[label]) for row in rows]
    return {
        "data": [
            {
                "type": "bar",
                "x": [name.replace("_", " ") for name in names],
                "y": [plain(row[value]) for row in rows],
                "marker": {"color": [COLOURS.get(name, DEFAULT_COLOUR) for name in names]},
                "hovertemplate": "%{x}: %{y}<extra></extra>",
            }
        ],
        "layout": _layout(title, y_title),
    }


def lines(
    title: str, rows: list[dict[str, Any]], x: str, series: str, value: str, y_title: str
) -> dict:
    """One line per value of ``series``."""
    grouped: dict[str, tuple[list[Any], list[Any]]] = defaultdict(lambda: ([], []))
    for row in rows:
        xs, ys = grouped[str(row[series])]
        xs.append(plain(row[x]))
        ys.append(plain(row[value]))
    return {
        "data": [
            {"type": "scatter", "mode": "lines+markers", "name": name, "x": xs, "y": ys}
            for name, (xs, ys) in grouped.items()
        ],
        "layout": _layout(title, y_title, legend={"orientation": "h"}),
    }


def grouped_bars(
    title: str, rows: list[dict[str, Any]], x: str, series: str, value: str, y_title: str
) -> dict:
    """Bars grouped by ``x``, one colour per value of ``series``."""
    spec = lines(title, rows, x, series, value, y_title)
    for trace in spec["data"]:
        trace.update({"type": "bar", "mode": None})
        trace.pop("mode")
    spec["layout"]["barmode"] = "group"
    return spec


def interval_band(
    title: str,
    rows: list[dict[str, Any]],
    x: str,
    value: str,
    lower: str,
    upper: str,
    y_title: str,
) -> dict:
    """A line of ``value`` over ``x`` inside a shaded band from ``lower`` to ``upper``."""
    xs = [plain(row[x]) for row in rows]

    def edge(name: str, column: str, **extra: Any) -> dict[str, Any]:
        return {
            "type": "scatter",
            "mode": "lines",
            "name": name,
            "x": xs,
            "y": [plain(row[column]) for row in rows],
            "line": {"width": 0},
            "hovertemplate": f"{name} %{{y:,.0f}}<extra></extra>",
            **extra,
        }

    return {
        "data": [
            edge("upper", upper, showlegend=False),
            edge("interval", lower, fill="tonexty", fillcolor="rgba(59, 110, 165, 0.2)"),
            {
                "type": "scatter",
                "mode": "lines+markers",
                "name": "expected",
                "x": xs,
                "y": [plain(row[value]) for row in rows],
                "line": {"color": DEFAULT_COLOUR},
                "hovertemplate": "%{x}: %{y:,.0f}<extra></extra>",
            },
        ],
        "layout": _layout(title, y_title, legend={"orientation": "h"}),
    }
