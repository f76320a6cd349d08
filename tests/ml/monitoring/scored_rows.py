"""Scores with labels, and setup SQL, for the monitoring tests."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from warehouse import adapter_for
from warehouse.settings import Settings


def execute(settings: Settings, *statements: str) -> None:
    """Run setup SQL on either warehouse."""
    with adapter_for(settings).session() as session:
        for statement in statements:
            session.execute(statement)


def churn_rows(rows: int, seed: int, *, noise: float, as_of: date) -> pd.DataFrame:
    """Labels and scores whose separation falls as ``noise`` grows."""
    rng = np.random.default_rng(seed)
    label = rng.random(rows) < 0.3
    score = 1 / (1 + np.exp(-(2.0 * label - 1.0 + rng.normal(0, noise, rows))))
    return pd.DataFrame(
        {
            "entity_id": [str(100_001 + i) for i in range(rows)],
            "as_of_date": as_of,
            "score": score,
            "label": label,
        }
    )


def auc(frame: pd.DataFrame) -> float:
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(frame["label"].astype(int), frame["score"]))
