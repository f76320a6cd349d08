"""Server-rendered pages for every role, behind the service's API keys (``/pages/...``)."""

from service.pages.routes import router

__all__ = ["router"]
