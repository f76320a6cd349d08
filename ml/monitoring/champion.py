"""What a monitoring check reads of the registry: the champion and its training snapshot."""

from __future__ import annotations

from typing import Any, Protocol

import pandas as pd


class NothingToCheck(Exception):
    """A check has nothing to compare yet (no champion, no scores); the message says what."""


class ChampionVersion(Protocol):
    """What monitoring reads of a registered version (``ml.registry.ModelVersion``)."""

    version: str
    features: list[str]
    metrics: dict[str, float]
    primary_metric_value: float | None


class ChampionSource(Protocol):
    """The registry as monitoring sees it (``ml.registry.ModelRegistry``)."""

    def champion(self, model_name: str) -> Any: ...

    def reference(self, version: Any) -> pd.DataFrame: ...
