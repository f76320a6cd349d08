"""The pages' static files: their stylesheet and script, and plotly.js from the installed
plotly package (no CDN: the machines that serve the pages may have no internet)."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse, PlainTextResponse, Response

HERE = Path(__file__).parent / "static"
MEDIA_TYPES = {".css": "text/css", ".js": "text/javascript"}


def plotly_js() -> Path:
    """The minified plotly.js the plotly Python package ships."""
    import plotly

    return Path(plotly.__file__).parent / "package_data" / "plotly.min.js"


def static_files() -> dict[str, Path]:
    """Every file the route serves, by name (nothing else on disk is reachable)."""
    return {
        "pages.css": HERE / "pages.css",
        "pages.js": HERE / "pages.js",
        "plotly.min.js": plotly_js(),
    }


router = APIRouter()


@router.get("/static/{name}")
def static_file(name: str) -> Response:
    path = static_files().get(name)
    if path is None or not path.is_file():
        return PlainTextResponse("no such file", status_code=404)
    return FileResponse(
        path,
        media_type=MEDIA_TYPES[path.suffix],
        headers={"Cache-Control": "public, max-age=86400", "X-Content-Type-Options": "nosniff"},
    )
