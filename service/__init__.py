"""The project's HTTP service (FastAPI on uvicorn)."""
