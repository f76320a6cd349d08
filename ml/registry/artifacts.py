"""A version's payload on disk: ``<artifacts_dir>/registry/<model_name>/<version>/``.

The pickled model, metrics, metadata, plots and the drift reference are written once, under a
scratch name moved into place in one step, and never rewritten. Models are unpickled only after
their checksum matches the one recorded when they were written: unpickling runs code.
"""

from __future__ import annotations

import hashlib
import json
import pickle
import shutil
import uuid
from pathlib import Path
from typing import Any

import pandas as pd

from ml.contracts import ModelSpec
from ml.registry.versions import Candidate, ModelVersion, RegistryError, clean_metrics, json_default


def write_artifacts(
    folder: Path, candidate: Candidate, spec: ModelSpec, version: str, gate: str | None
) -> None:
    """Write a version's payload into a scratch folder, then move it into place at once.

    A crash leaves no half-written version, and a version already on disk is never rewritten.
    """
    if (folder / "metadata.json").is_file():
        return
    scratch = folder.parent / f".{version}.{uuid.uuid4().hex[:8]}.tmp"
    scratch.mkdir(parents=True)
    try:
        try:
            model_bytes = pickle.dumps(candidate.model, protocol=pickle.HIGHEST_PROTOCOL)
        except (pickle.PicklingError, TypeError, AttributeError) as error:
            raise RegistryError(f"{spec.name}: the model cannot be pickled: {error}") from None
        (scratch / "model.pkl").write_bytes(model_bytes)
        (scratch / "metrics.json").write_text(
            json.dumps(_metrics(candidate, spec), indent=2, sort_keys=True)
        )
        metadata = _metadata(candidate, spec, version, gate)
        metadata["model_sha256"] = hashlib.sha256(model_bytes).hexdigest()
        (scratch / "metadata.json").write_text(
            json.dumps(metadata, indent=2, sort_keys=True, default=json_default)
        )
        plots = scratch / "plots"
        plots.mkdir()
        for name, png in candidate.plots.items():
            (plots / (name if name.endswith(".png") else f"{name}.png")).write_bytes(png)
        candidate.reference.to_parquet(scratch / "reference.parquet", index=False)
        try:
            scratch.replace(folder)
        except OSError:
            if not (folder / "metadata.json").is_file():  # lost a race to an identical writer
                raise
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _metrics(candidate: Candidate, spec: ModelSpec) -> dict[str, Any]:
    return {
        "primary_metric": spec.primary_metric,
        "higher_is_better": spec.higher_is_better,
        "metrics": clean_metrics(candidate.metrics),
        "baseline_name": candidate.baseline_name,
        "baseline_metrics": clean_metrics(candidate.baseline_metrics),
    }


def _metadata(
    candidate: Candidate, spec: ModelSpec, version: str, gate: str | None
) -> dict[str, Any]:
    training, holdout = candidate.training_window, candidate.holdout_window
    return {
        "model_name": spec.name,
        "version": version,
        "training_window": [str(training[0]), str(training[1])],
        "holdout_window": [str(holdout[0]), str(holdout[1])],
        "data_fingerprint": candidate.data_fingerprint,
        "features": list(candidate.features),
        "params": candidate.params,
        "seed": candidate.seed,
        "baseline_name": candidate.baseline_name,
        "baseline_metrics": clean_metrics(candidate.baseline_metrics),
        "train_rows": candidate.train_rows,
        "holdout_rows": candidate.holdout_rows,
        "not_champion_reason": gate,
    }


def has_artifacts(folder: Path) -> bool:
    return (folder / "metadata.json").is_file()


def artifact_folder(version: ModelVersion) -> Path:
    """The version's folder, or a RegistryError when its artifacts are missing."""
    folder = version.artifact_dir
    if not has_artifacts(folder):
        raise RegistryError(
            f"artifacts of {version.model_name} {version.version} are missing at {folder}"
        )
    return folder


def load_model(version: ModelVersion) -> Any:
    """Unpickle a version's model after checking it is the file that was registered."""
    folder = artifact_folder(version)
    metadata = json.loads((folder / "metadata.json").read_text())
    payload = (folder / "model.pkl").read_bytes()
    if hashlib.sha256(payload).hexdigest() != metadata.get("model_sha256"):
        raise RegistryError(f"{folder / 'model.pkl'} does not match its registered checksum")
    return pickle.loads(payload)


def load_reference(version: ModelVersion) -> pd.DataFrame:
    """The training snapshot (features and score) drift checks compare against."""
    return pd.read_parquet(artifact_folder(version) / "reference.parquet")
