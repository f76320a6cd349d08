"""Who is champion: the promotion policy, apart from where versions are stored.

A candidate is crowned when it is the first version of its model or strictly better than the
champion on the holdout, and never when it loses to its rule baseline (``rule_gate``). Rollbacks
replay the champion changes as a stack (``champion_stack``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from ml.contracts import ModelSpec
from ml.registry.versions import Candidate, ModelVersion, clean_metrics, number


def is_better(candidate: float | None, champion: float | None, *, higher_is_better: bool) -> bool:
    """Whether a challenger's holdout metric strictly beats the champion's.

    A missing candidate value never wins; a missing champion value always loses.
    """
    if candidate is None or math.isnan(candidate):
        return False
    if champion is None or math.isnan(champion):
        return True
    return candidate > champion if higher_is_better else candidate < champion


def rule_gate(candidate: Candidate, spec: ModelSpec) -> str | None:
    """Why a candidate may not become champion: its holdout primary metric does not beat its
    rule baseline (``rule:<name>``) on the same rows. None when it does, or when its baseline is
    not a rule (BTYD, base rate): a model is only kept from the champion by a rule it loses to.
    """
    if not candidate.baseline_name.startswith("rule:"):
        return None
    value = clean_metrics(candidate.metrics).get(spec.primary_metric)
    bar = clean_metrics(candidate.baseline_metrics).get(spec.primary_metric)
    if bar is None or is_better(value, bar, higher_is_better=spec.higher_is_better):
        return None
    return (
        f"not champion: holdout {spec.primary_metric} {number(value)} does not beat "
        f"{candidate.baseline_name} {number(bar)}"
    )


def crowning_reason(
    spec: ModelSpec,
    value: float | None,
    champion: ModelVersion | None,
    *,
    champion_metric: float | None,
    gate: str | None,
    may_crown: bool,
) -> str | None:
    """Why a newly registered version becomes champion, or None when it does not.

    ``champion_metric`` is the champion re-measured on the candidate's holdout rows, when the
    caller did so; otherwise the champion's own recorded holdout metric is the bar.
    """
    if not may_crown or gate is not None:
        return None
    if champion is None:
        return "first version"
    bar = champion_metric if champion_metric is not None else champion.primary_metric_value
    if not is_better(value, bar, higher_is_better=spec.higher_is_better):
        return None
    return (
        f"holdout {spec.primary_metric} {number(value)} beats {number(bar)} of {champion.version}"
    )


def champion_stack(events: Sequence[tuple[str, str]]) -> list[str]:
    """The champions in the order they took over, replayed from (event, version) pairs.

    A promotion pushes its version; a rollback pops it, so rolling back twice walks two
    champions back instead of flipping between the last two.
    """
    stack: list[str] = []
    for event, version in events:
        if event == "promoted":
            stack.append(version)
        elif event == "rolled_back" and stack and stack[-1] == version:
            stack.pop()
    return stack
