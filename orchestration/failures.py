"""How a step's own errors end it: as a ``dg.Failure`` its retry policy may or may not retry."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import dagster as dg

ErrorTypes = type[Exception] | tuple[type[Exception], ...]


@contextmanager
def step_failure(*, retried: ErrorTypes = (), final: ErrorTypes = ()) -> Iterator[None]:
    """A ``retried`` error (a service down) fails the step for its retry policy; a ``final`` one
    (bad credentials, bad input) fails it for good. The message is the error's, one line."""
    try:
        yield
    except retried as down:
        raise dg.Failure(description=str(down)) from None
    except final as error:
        raise dg.Failure(description=str(error), allow_retries=False) from None
