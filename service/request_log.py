"""Request timings for the ops thresholds: one row per request in ``ops.api_requests``.

The copilot design alerts the ops channel when the API's p95 latency passes 500 ms
(``ml/monitoring/ops_thresholds.py`` judges it from ``ops.api_requests``). The service must not
write the warehouse on a request's path (a run may hold DuckDB's writer lock for minutes), so
each answer only appends to an in-memory buffer; a background thread writes the buffer every
``CIW_API_LOG_SECONDS`` (60 by default, 0 turns it off). A write that fails (the warehouse is
busy or down) keeps the rows for the next try; past ``MAX_BUFFERED`` rows the oldest are dropped
and counted, so a long outage cannot grow the service's memory without bound.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from datetime import UTC, datetime

from warehouse.settings import Settings

logger = logging.getLogger("ciw.service")

#: Rows kept while the warehouse cannot be written (about 5 MB).
MAX_BUFFERED = 100_000

Row = tuple[datetime, str, str, int, float]


class RequestLog:
    """A bounded buffer of request timings, flushed to ``ops.api_requests``."""

    def __init__(self, settings: Settings, max_buffered: int = MAX_BUFFERED) -> None:
        self.settings = settings
        self._rows: deque[Row] = deque(maxlen=max_buffered)
        self._lock = threading.Lock()
        self._flushing = threading.Lock()
        self.dropped = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def record(self, method: str, route: str, status_code: int, duration_ms: float) -> None:
        now = datetime.now(UTC).replace(tzinfo=None)
        with self._lock:
            if len(self._rows) == self._rows.maxlen:
                self.dropped += 1
            self._rows.append((now, method, route, status_code, duration_ms))

    def pending(self) -> int:
        with self._lock:
            return len(self._rows)

    def flush(self) -> int:
        """Write what is buffered; return the rows written (0 when the write failed)."""
        import pandas as pd

        from ml.monitoring.ops_metrics import API_REQUEST_COLUMNS, record_api_requests

        with self._flushing:
            with self._lock:
                rows = list(self._rows)
                self._rows.clear()
            if not rows:
                return 0
            frame = pd.DataFrame(rows, columns=list(API_REQUEST_COLUMNS))
            try:
                record_api_requests(self.settings, frame)
            except Exception as error:  # busy or unreachable warehouse: keep them for next time
                logger.warning(
                    "request timings not written yet (%s); %d kept", type(error).__name__, len(rows)
                )
                with self._lock:
                    room = (self._rows.maxlen or len(rows)) - len(self._rows)
                    kept = rows[-room:] if room > 0 else []
                    self.dropped += len(rows) - len(kept)
                    self._rows.extendleft(reversed(kept))
                return 0
            return len(rows)

    def start(self, every_seconds: float) -> None:
        """Flush every ``every_seconds`` in a daemon thread until :meth:`stop`."""
        if every_seconds <= 0 or self._thread is not None:
            return

        def loop() -> None:
            while not self._stop.wait(every_seconds):
                self.flush()

        self._thread = threading.Thread(target=loop, name="ciw-request-log", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the thread and write what is left."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self.flush()
