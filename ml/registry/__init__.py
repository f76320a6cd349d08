"""The model registry: every trained version on disk, its status in the warehouse.

- ``versions``: what a version is (``Candidate`` in, ``ModelVersion`` out), its deterministic
  id and data fingerprint.
- ``artifacts``: the payload under ``<artifacts_dir>/registry/<model_name>/<version>/``
  (pickled model, metrics, metadata, plots, drift reference), written once, checksum-verified.
- ``store``: ``ml.model_registry`` (status of every version: the source of truth for who is
  champion) and ``ml.model_registry_events`` (every champion change, what rollback replays).
- ``policy``: who may be champion (better on the holdout, never below its rule baseline).
- ``model_registry``: ``ModelRegistry``, which the pipeline and ``ciw models`` call.
"""

from ml.registry.model_registry import ModelRegistry
from ml.registry.policy import champion_stack, is_better, rule_gate
from ml.registry.store import EVENTS, EVENTS_TABLE, STATUSES
from ml.registry.versions import (
    Candidate,
    ModelVersion,
    RegistryError,
    data_fingerprint,
    version_id,
)

__all__ = [
    "EVENTS",
    "EVENTS_TABLE",
    "STATUSES",
    "Candidate",
    "ModelRegistry",
    "ModelVersion",
    "RegistryError",
    "champion_stack",
    "data_fingerprint",
    "is_better",
    "rule_gate",
    "version_id",
]
