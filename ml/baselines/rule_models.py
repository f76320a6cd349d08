"""A model's rule behind the interface scoring uses for fitted models (``ml.models.base``):
what the scoring step, Spark's executors and the events worker serve as ``rule:<name>`` when
a model has no champion or its champion fails. The rules themselves: ``ml.baselines.rules``."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ml.baselines.rules import RULES, Population, Rule, RuleConfig, RuleScores, project_rule_config
from ml.models.base import top_k_factors


class RuleModel:
    """A rule behind the interface scoring uses for fitted models (``ml.models.base``)."""

    def __init__(
        self, model_name: str, rule: Rule, config: RuleConfig, horizon_days: int | None
    ) -> None:
        self.model_name = model_name
        self.rule = rule
        self.config = config
        self.horizon_days = horizon_days
        self.version_params: dict[str, Any] = {"rule": rule.name, "horizon_days": horizon_days}
        self.feature_names: list[str] = list(rule.required)
        #: The population's medians (``Rule.medians``) when scored in batches; None: each
        #: frame scored is the whole population.
        self.population: Population | None = None

    def for_population(self, population: Population) -> RuleModel:
        """This rule with the medians of the whole population fixed, to score it in batches."""
        pinned = RuleModel(self.model_name, self.rule, self.config, self.horizon_days)
        pinned.population = dict(population)
        return pinned

    def _scores(self, frame: pd.DataFrame) -> RuleScores:
        horizon = self.horizon_days if self.horizon_days is not None else 0
        return self.rule.compute(
            frame.reset_index(drop=True), self.config, horizon, self.population
        )

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        return self._scores(frame).score

    def predict_labels(self, frame: pd.DataFrame) -> list[str] | None:
        return None

    def top_factors(self, frame: pd.DataFrame, k: int = 3) -> pd.DataFrame:
        return top_k_factors(self._scores(frame).components.fillna(0.0), k)


def rule_model(
    model_name: str, horizon_var: str | None, config: RuleConfig | None = None
) -> RuleModel | None:
    """The model's rule ready to score, for the horizon the dbt var sets; None without a rule."""
    rule = RULES.get(model_name)
    if rule is None:
        return None
    config = config or project_rule_config()
    horizon = config.horizons.get(horizon_var) if horizon_var is not None else None
    return RuleModel(model_name, rule, config, horizon)
