"""Scoring the entities events moved with their model's champion (ml registry +
``ml.scoring.score_entities``; the model's rule when there is no champion yet, as the batch),
on each entity's latest batch features (Feast's scoring frame, kept per model and refreshed once
a day) overlaid with what the events changed."""

from __future__ import annotations

import logging
import threading
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

import pandas as pd

from ml.baselines.rule_models import RuleModel, rule_model
from ml.contracts import MODEL_SPECS
from warehouse.settings import Settings

if TYPE_CHECKING:
    from feature_repo.store import FeatureStoreGateway

log = logging.getLogger(__name__)


class EntityScorer:
    """Champions and scoring frames loaded once, one entity scored per call."""

    def __init__(self, settings: Settings, gateway: FeatureStoreGateway) -> None:
        from ml.registry import ModelRegistry

        self.settings = settings
        self.gateway = gateway
        self.registry = ModelRegistry(settings)
        self._frames: dict[str, tuple[date, pd.DataFrame]] = {}
        self._models: dict[str, tuple[str, Any, int | None]] = {}
        self._lock = threading.Lock()

    def _frame(self, model_name: str, today: date) -> pd.DataFrame:
        spec = MODEL_SPECS[model_name]
        with self._lock:
            cached = self._frames.get(model_name)
            if cached is None or cached[0] != today:
                frame = self.gateway.scoring_frame(spec, today)
                frame = frame.assign(_key=frame[spec.entity_column].astype(str)).set_index("_key")
                self._frames[model_name] = (today, frame)
            return self._frames[model_name][1]

    def _model(self, model_name: str) -> tuple[str, Any, int | None] | None:
        """What scores ``model_name`` as the batch's ``ml.scoring.score_model`` picks it: the
        champion (version, model, horizon in days), else the model's rule (``rule:<name>``),
        else None. Loaded once (a promotion takes effect when the worker restarts)."""
        if model_name not in self._models:
            champion = self.registry.champion(model_name)
            if champion is not None:
                horizon = champion.params.get("horizon_days")
                self._models[model_name] = (
                    champion.version,
                    self.registry.load_model(champion),
                    None if horizon is None else int(horizon),
                )
            else:
                spec = MODEL_SPECS[model_name]
                fallback = rule_model(spec.name, spec.horizon_var)
                if fallback is None:
                    return None
                self._models[model_name] = (
                    fallback.rule.version,
                    fallback,
                    fallback.horizon_days,
                )
        return self._models[model_name]

    def score_many(
        self, model_name: str, changes: dict[str, dict[str, Any]], now: datetime
    ) -> dict[str, dict[str, Any]]:
        """The prediction rows (``ml.predictions`` columns) of the entities in ``changes``
        (entity id -> the feature values their events changed), scored in one call by the
        champion (or the rule the batch serves without one). Left out: every entity when the
        model has neither, and entities without batch features yet (the next daily run scores
        them)."""
        from ml.scoring import score_entities

        chosen = self._model(model_name)
        if chosen is None or not changes:
            return {}
        frame = self._frame(model_name, now.date())
        known = [entity for entity in changes if entity in frame.index]
        if not known:
            return {}
        rows = frame.loc[known].reset_index(drop=True)
        for position, entity in enumerate(known):
            for column, value in changes[entity].items():
                if column in rows.columns and value is not None:
                    rows.loc[position, column] = value
        version, model, horizon = chosen
        if isinstance(model, RuleModel) and not model.rule.applies(rows):
            return {}
        scored = score_entities(
            MODEL_SPECS[model_name],
            model,
            version,
            rows,
            horizon_days=horizon,
            scored_at=now.replace(tzinfo=UTC) if now.tzinfo is None else now,
            run_id="event",
        )
        return {str(row["entity_id"]): row for row in scored.to_dict("records")}
