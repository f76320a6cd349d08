"""The model registry: every trained version on disk, its status in the warehouse.

Artifacts (the pickled model, metrics, metadata, plots, the drift reference) live under
``<artifacts_dir>/registry/<model_name>/<version>/``; they are the payload and never change once
written. ``ml.model_registry`` lists every version with its status and is the source of truth
for which version is champion, so BI and on-call read the same answer as scoring does.
``ml.model_registry_events`` keeps every champion change, which is what rollback replays.

Each call opens the warehouse, writes in one transaction and closes it again: DuckDB allows a
single writer per file, and a registry that held its connection would block the pipeline.
"""

from __future__ import annotations

import hashlib
import json
import math
import pickle
import re
import shutil
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ml.contracts import ML_SCHEMA, MODEL_SPECS, REGISTRY_TABLE, ModelSpec
from warehouse.adapters import Session, float_type
from warehouse.settings import Settings, Target

EVENTS_TABLE = f"{REGISTRY_TABLE}_events"
STATUSES = ("champion", "challenger", "retired")
#: Event kinds in ``ml.model_registry_events``; only "promoted" and "rolled_back" move the
#: champion, the others are there for people reading the history.
EVENTS = ("registered", "promoted", "retired", "rolled_back", "restored")

#: Registry rows with the reason given when each version was registered (``note``).
_SELECT_VERSIONS = (
    f"select r.*, e.reason as registered_reason from {ML_SCHEMA}.{REGISTRY_TABLE} as r "
    f"left join {ML_SCHEMA}.{EVENTS_TABLE} as e on e.model_name = r.model_name "
    "and e.version = r.version and e.event = 'registered'"
)
_PLOT_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


class RegistryError(ValueError):
    """A registry request that cannot be met; the message is one line meant for the user."""


@dataclass(frozen=True)
class Candidate:
    """A freshly trained model with everything the registry stores beside it."""

    model_name: str
    model: Any
    features: list[str]
    params: dict[str, Any]
    seed: int
    metrics: dict[str, float]
    baseline_metrics: dict[str, float]
    baseline_name: str
    training_window: tuple[date, date]
    holdout_window: tuple[date, date]
    data_fingerprint: str
    plots: dict[str, bytes]
    reference: pd.DataFrame
    train_rows: int = 0
    holdout_rows: int = 0


@dataclass(frozen=True)
class ModelVersion:
    """One registered version as the warehouse lists it (no payload: see ``load_model``)."""

    model_name: str
    version: str
    status: str
    created_at: datetime
    promoted_at: datetime | None
    training_window: tuple[date, date]
    holdout_window: tuple[date, date]
    data_fingerprint: str
    features: list[str]
    params: dict[str, Any]
    seed: int
    metrics: dict[str, float]
    baseline_metrics: dict[str, float]
    baseline_name: str
    primary_metric: str
    primary_metric_value: float | None
    baseline_metric_value: float | None
    train_rows: int
    holdout_rows: int
    artifact_dir: Path
    #: Why the version was not crowned when it was registered (e.g. it did not beat its rule).
    note: str = ""


# --- pure helpers -------------------------------------------------------------------------


def data_fingerprint(frame: pd.DataFrame) -> str:
    """A content hash of a frame that ignores row and column order.

    Rows are hashed one by one and the sorted row hashes are hashed together with the column
    names, so the same training data read in another order gives the same fingerprint.
    """
    ordered = frame.reindex(columns=sorted(map(str, frame.columns)))
    ordered.columns = [str(column) for column in ordered.columns]
    try:
        row_hashes = pd.util.hash_pandas_object(ordered, index=False).to_numpy()
    except TypeError:  # unhashable cells (lists, dicts): hash their text instead
        row_hashes = pd.util.hash_pandas_object(ordered.astype(str), index=False).to_numpy()
    digest = hashlib.sha256()
    digest.update(json.dumps(list(ordered.columns)).encode())
    digest.update(np.sort(row_hashes.astype(np.uint64)).tobytes())
    return digest.hexdigest()


def version_id(
    model_name: str, fingerprint: str, params: dict[str, Any], seed: int, features: Sequence[str]
) -> str:
    """The deterministic version of a candidate: same data, parameters, seed and features."""
    identity = json.dumps(
        {
            "model_name": model_name,
            "data_fingerprint": fingerprint,
            "params": params,
            "seed": seed,
            "features": list(features),
        },
        sort_keys=True,
        default=_json_default,
    )
    return hashlib.sha256(identity.encode()).hexdigest()[:12]


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
    value = _clean_metrics(candidate.metrics).get(spec.primary_metric)
    bar = _clean_metrics(candidate.baseline_metrics).get(spec.primary_metric)
    if bar is None or is_better(value, bar, higher_is_better=spec.higher_is_better):
        return None
    return (
        f"not champion: holdout {spec.primary_metric} {_number(value)} does not beat "
        f"{candidate.baseline_name} {_number(bar)}"
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


def _spec(model_name: str) -> ModelSpec:
    spec = MODEL_SPECS.get(model_name)
    if spec is None:
        raise RegistryError(
            f"unknown model {model_name!r}; choose one of: {', '.join(sorted(MODEL_SPECS))}"
        )
    return spec


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (date, datetime, Path)):
        return str(value)
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    return repr(value)


def _clean_metrics(metrics: dict[str, Any]) -> dict[str, float | None]:
    """Metrics as plain floats, NaN as None (JSON has no NaN)."""
    cleaned: dict[str, float | None] = {}
    for name, value in metrics.items():
        number = None if value is None else float(value)
        cleaned[str(name)] = None if number is None or math.isnan(number) else number
    return cleaned


def _as_date(value: date | datetime | pd.Timestamp, what: str) -> date:
    if isinstance(value, pd.Timestamp | datetime):
        return value.date()
    if isinstance(value, date):
        return value
    raise RegistryError(f"{what} must be dates, got {type(value).__name__}")


def _window(window: tuple[date, date], what: str) -> tuple[date, date]:
    if len(window) != 2:
        raise RegistryError(f"{what} must be a (start, end) pair, got {window!r}")
    start, end = _as_date(window[0], what), _as_date(window[1], what)
    if start > end:
        raise RegistryError(f"{what} starts after it ends: {start} > {end}")
    return start, end


def _validate(candidate: Candidate, spec: ModelSpec) -> None:
    _window(candidate.training_window, "training_window")
    _window(candidate.holdout_window, "holdout_window")
    if not candidate.features:
        raise RegistryError(f"{spec.name}: the candidate has no features")
    if spec.primary_metric not in candidate.metrics:
        raise RegistryError(
            f"{spec.name}: the candidate's metrics lack the primary metric {spec.primary_metric!r}"
        )
    for name in candidate.plots:
        if not _PLOT_NAME.match(name):
            raise RegistryError(f"{spec.name}: plot name {name!r} is not a safe file name")


def _number(value: float | None) -> str:
    return "n/a" if value is None or math.isnan(value) else f"{value:.4g}"


def _utc_now() -> datetime:
    """Now in UTC without tzinfo: both warehouses store naive UTC timestamps."""
    return datetime.now(UTC).replace(tzinfo=None)


# --- artifacts on disk --------------------------------------------------------------------


def _write_artifacts(
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
        metrics = {
            "primary_metric": spec.primary_metric,
            "higher_is_better": spec.higher_is_better,
            "metrics": _clean_metrics(candidate.metrics),
            "baseline_name": candidate.baseline_name,
            "baseline_metrics": _clean_metrics(candidate.baseline_metrics),
        }
        (scratch / "metrics.json").write_text(json.dumps(metrics, indent=2, sort_keys=True))
        training, holdout = candidate.training_window, candidate.holdout_window
        metadata = {
            "model_name": spec.name,
            "version": version,
            "training_window": [str(training[0]), str(training[1])],
            "holdout_window": [str(holdout[0]), str(holdout[1])],
            "data_fingerprint": candidate.data_fingerprint,
            "features": list(candidate.features),
            "params": candidate.params,
            "seed": candidate.seed,
            "baseline_name": candidate.baseline_name,
            "baseline_metrics": _clean_metrics(candidate.baseline_metrics),
            "train_rows": candidate.train_rows,
            "holdout_rows": candidate.holdout_rows,
            "model_sha256": hashlib.sha256(model_bytes).hexdigest(),
            "not_champion_reason": gate,
        }
        (scratch / "metadata.json").write_text(
            json.dumps(metadata, indent=2, sort_keys=True, default=_json_default)
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


# --- the warehouse tables -----------------------------------------------------------------


def _ddl(target: Target) -> list[str]:
    double = float_type(target)
    return [
        f"create schema if not exists {ML_SCHEMA}",
        f"""create table if not exists {ML_SCHEMA}.{REGISTRY_TABLE} (
            model_name varchar not null,
            version varchar not null,
            status varchar not null,
            created_at timestamp not null,
            promoted_at timestamp,
            training_start date not null,
            training_end date not null,
            holdout_start date not null,
            holdout_end date not null,
            data_fingerprint varchar not null,
            primary_metric varchar not null,
            primary_metric_value {double},
            baseline_metric_value {double},
            metrics_json varchar not null,
            params_json varchar not null,
            features_json varchar not null,
            artifact_dir varchar not null,
            baseline_name varchar,
            baseline_metrics_json varchar,
            seed bigint,
            train_rows bigint,
            holdout_rows bigint,
            primary key (model_name, version)
        )""",
        f"""create table if not exists {ML_SCHEMA}.{EVENTS_TABLE} (
            event_id bigint not null,
            model_name varchar not null,
            version varchar not null,
            event varchar not null,
            previous_champion varchar,
            reason varchar,
            event_at timestamp not null,
            primary key (event_id)
        )""",
    ]


@contextmanager
def _session(settings: Settings, *, lock: bool = False) -> Iterator[Session]:
    """Open, make the tables if missing, run one transaction, close.

    ``lock`` serializes writers so two trainings cannot both crown a champion (on DuckDB the
    file lock already allows one writing process only).
    """
    from warehouse import adapter_for

    events = f"{ML_SCHEMA}.{EVENTS_TABLE}"
    with adapter_for(settings).session(transaction=True) as session:
        if not session.table_exists(events):
            session.lock(events)  # concurrent "create ... if not exists" collide: one at a time
            for statement in _ddl(settings.target):
                session.execute(statement)
        if lock:
            session.lock(f"{ML_SCHEMA}.{REGISTRY_TABLE}")
        yield session


def _aware(value: Any) -> datetime | None:
    if value is None:
        return None
    stamp = pd.Timestamp(value).to_pydatetime()
    return stamp.replace(tzinfo=UTC) if stamp.tzinfo is None else stamp.astimezone(UTC)


def _optional_float(value: Any) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def _registry_row(
    candidate: Candidate, spec: ModelSpec, version: str, folder: Path, now: datetime
) -> dict[str, Any]:
    """A new version's ``ml.model_registry`` row (status challenger until crowned)."""
    training = _window(candidate.training_window, "training_window")
    holdout = _window(candidate.holdout_window, "holdout_window")
    metrics = _clean_metrics(candidate.metrics)
    baseline = _clean_metrics(candidate.baseline_metrics)
    return {
        "model_name": spec.name,
        "version": version,
        "status": "challenger",
        "created_at": now,
        "promoted_at": None,
        "training_start": training[0],
        "training_end": training[1],
        "holdout_start": holdout[0],
        "holdout_end": holdout[1],
        "data_fingerprint": candidate.data_fingerprint,
        "primary_metric": spec.primary_metric,
        "primary_metric_value": metrics[spec.primary_metric],
        "baseline_metric_value": baseline.get(spec.primary_metric),
        "metrics_json": json.dumps(metrics, sort_keys=True),
        "params_json": json.dumps(candidate.params, sort_keys=True, default=_json_default),
        "features_json": json.dumps(list(candidate.features)),
        "artifact_dir": str(folder.resolve()),
        "baseline_name": candidate.baseline_name,
        "baseline_metrics_json": json.dumps(baseline, sort_keys=True),
        "seed": int(candidate.seed),
        "train_rows": int(candidate.train_rows),
        "holdout_rows": int(candidate.holdout_rows),
    }


# --- the registry -------------------------------------------------------------------------


class ModelRegistry:
    """Registers, lists, promotes and rolls back model versions of one warehouse."""

    def __init__(self, settings: Settings, root: Path | None = None) -> None:
        self.settings = settings
        self.root = root if root is not None else settings.artifacts_dir / "registry"

    def register(
        self,
        candidate: Candidate,
        *,
        champion_metric: float | None = None,
        may_crown: bool = True,
    ) -> tuple[ModelVersion, bool]:
        """Store a candidate; crown it when it is the first or beats the champion on holdout.

        ``champion_metric`` is the current champion's primary metric re-measured on this
        candidate's holdout rows, when the caller did so: then both are judged on the same
        rows. Without it the champion's own recorded holdout metric is used. ``may_crown``
        False registers a challenger that lost the run's own selection (e.g. a better ROC-AUC
        but worse calibration). Registering the same candidate again returns the stored
        version and changes nothing.
        """
        spec = _spec(candidate.model_name)
        _validate(candidate, spec)
        version = version_id(
            spec.name,
            candidate.data_fingerprint,
            candidate.params,
            candidate.seed,
            candidate.features,
        )
        folder = self.root / spec.name / version
        gate = rule_gate(candidate, spec)
        _write_artifacts(folder, candidate, spec, version, gate)
        with _session(self.settings, lock=True) as session:
            existing = self._find(session, spec.name, version)
            if existing is not None:
                return existing, False
            now = _utc_now()
            row = _registry_row(candidate, spec, version, folder, now)
            champion = self._champion(session, spec.name)
            recorded = champion.primary_metric_value if champion is not None else None
            bar = champion_metric if champion_metric is not None else recorded
            value = row["primary_metric_value"]
            crowned = (
                may_crown
                and gate is None
                and (
                    champion is None
                    or is_better(value, bar, higher_is_better=spec.higher_is_better)
                )
            )
            session.execute(
                f"insert into {ML_SCHEMA}.{REGISTRY_TABLE} ({', '.join(row)}) "
                f"values ({', '.join('%s' for _ in row)})",
                tuple(row.values()),
            )
            registered_reason = gate or "trained"
            self._event(session, spec.name, version, "registered", champion, registered_reason, now)
            if crowned:
                reason = (
                    "first version"
                    if champion is None
                    else f"holdout {spec.primary_metric} {_number(value)} beats "
                    f"{_number(bar)} of {champion.version}"
                )
                self._crown(session, spec.name, version, champion, reason, "retired", now)
            registered = self._find(session, spec.name, version)
        assert registered is not None
        return registered, crowned

    def champion(self, model_name: str) -> ModelVersion | None:
        """The version scoring uses, or None before the first registration."""
        _spec(model_name)
        with _session(self.settings) as session:
            return self._champion(session, model_name)

    def versions(self, model_name: str | None = None) -> list[ModelVersion]:
        """Every registered version (of one model, or all), newest first per model."""
        if model_name is not None:
            _spec(model_name)
        where, params = ("where r.model_name = %s", (model_name,)) if model_name else ("", ())
        with _session(self.settings) as session:
            rows = session.rows(
                f"{_SELECT_VERSIONS} {where} order by r.model_name, r.created_at desc, r.version",
                params,
            )
        return [self._version(row) for row in rows]

    def history(self, model_name: str) -> list[dict[str, Any]]:
        """The model's registry events, oldest first (what on-call reads before a rollback)."""
        _spec(model_name)
        with _session(self.settings) as session:
            return session.rows(
                f"select * from {ML_SCHEMA}.{EVENTS_TABLE} where model_name = %s order by event_id",
                (model_name,),
            )

    def load_model(self, version: ModelVersion) -> Any:
        """Unpickle a version's model after checking it is the file that was registered.

        Only files this registry wrote are loaded: unpickling runs code.
        """
        folder = self._folder(version)
        metadata = json.loads((folder / "metadata.json").read_text())
        payload = (folder / "model.pkl").read_bytes()
        if hashlib.sha256(payload).hexdigest() != metadata.get("model_sha256"):
            raise RegistryError(f"{folder / 'model.pkl'} does not match its registered checksum")
        return pickle.loads(payload)

    def reference(self, version: ModelVersion) -> pd.DataFrame:
        """The training snapshot (features and score) drift checks compare against."""
        return pd.read_parquet(self._folder(version) / "reference.parquet")

    def promote(self, model_name: str, version: str) -> ModelVersion:
        """Make a version champion by hand; the current champion is retired (rollback undoes)."""
        _spec(model_name)
        with _session(self.settings, lock=True) as session:
            target = self._resolve(session, model_name, version)
            self._folder(target)  # scoring must be able to load what becomes champion
            champion = self._champion(session, model_name)
            if champion is not None and champion.version == target.version:
                return champion
            now = _utc_now()
            self._crown(session, model_name, target.version, champion, "manual", "retired", now)
            promoted = self._find(session, model_name, target.version)
        assert promoted is not None
        return promoted

    def rollback(self, model_name: str) -> ModelVersion:
        """Put the previous champion back; the current one is retired."""
        _spec(model_name)
        with _session(self.settings, lock=True) as session:
            champion = self._champion(session, model_name)
            if champion is None:
                raise RegistryError(f"{model_name} has no champion to roll back")
            events = session.execute(
                f"select event, version from {ML_SCHEMA}.{EVENTS_TABLE} "
                "where model_name = %s order by event_id",
                (model_name,),
            )
            stack = champion_stack([(str(event), str(version)) for event, version in events])
            if stack and stack[-1] == champion.version:
                stack.pop()
            if not stack:
                raise RegistryError(
                    f"{model_name} has no previous champion to roll back to "
                    f"(champion {champion.version} is the first)"
                )
            previous = stack[-1]
            restorable = self._find(session, model_name, previous)
            if restorable is None:
                raise RegistryError(f"{model_name} {previous} is in the history but not listed")
            self._folder(restorable)
            now = _utc_now()
            self._event(session, model_name, champion.version, "rolled_back", None, "rollback", now)
            self._event(session, model_name, previous, "restored", champion, "rollback", now)
            self._set_status(session, model_name, champion.version, "retired")
            self._set_status(session, model_name, previous, "champion", promoted_at=now)
            restored = self._find(session, model_name, previous)
        assert restored is not None
        return restored

    # --- internals ------------------------------------------------------------------------

    def _crown(
        self,
        session: Session,
        model_name: str,
        version: str,
        champion: ModelVersion | None,
        reason: str,
        old_status: str,
        now: datetime,
    ) -> None:
        if champion is not None:
            self._set_status(session, model_name, champion.version, old_status)
            self._event(session, model_name, champion.version, "retired", None, reason, now)
        self._set_status(session, model_name, version, "champion", promoted_at=now)
        self._event(session, model_name, version, "promoted", champion, reason, now)

    @staticmethod
    def _set_status(
        session: Session,
        model_name: str,
        version: str,
        status: str,
        promoted_at: datetime | None = None,
    ) -> None:
        """Change a version's status; a promotion also stamps ``promoted_at``."""
        session.execute(
            f"update {ML_SCHEMA}.{REGISTRY_TABLE} "
            "set status = %s, promoted_at = coalesce(%s, promoted_at) "
            "where model_name = %s and version = %s",
            (status, promoted_at, model_name, version),
        )

    @staticmethod
    def _event(
        session: Session,
        model_name: str,
        version: str,
        event: str,
        previous: ModelVersion | None,
        reason: str,
        now: datetime,
    ) -> None:
        (next_id,) = session.execute(
            f"select coalesce(max(event_id), 0) + 1 from {ML_SCHEMA}.{EVENTS_TABLE}"
        )[0]
        session.execute(
            f"insert into {ML_SCHEMA}.{EVENTS_TABLE} values (%s, %s, %s, %s, %s, %s, %s)",
            (
                int(next_id),
                model_name,
                version,
                event,
                previous.version if previous else None,
                reason,
                now,
            ),
        )

    def _find(self, session: Session, model_name: str, version: str) -> ModelVersion | None:
        rows = session.rows(
            f"{_SELECT_VERSIONS} where r.model_name = %s and r.version = %s",
            (model_name, version),
        )
        return self._version(rows[0]) if rows else None

    def _champion(self, session: Session, model_name: str) -> ModelVersion | None:
        rows = session.rows(
            f"{_SELECT_VERSIONS} where r.model_name = %s and r.status = 'champion' "
            "order by r.promoted_at desc",
            (model_name,),
        )
        return self._version(rows[0]) if rows else None

    def _resolve(self, session: Session, model_name: str, version: str) -> ModelVersion:
        """A version by its id or a unique prefix of it (as ``ciw models list`` shows it)."""
        text = version.strip()
        if not text:
            raise RegistryError("the version is empty")
        matches = [
            str(row[0])
            for row in session.execute(
                f"select version from {ML_SCHEMA}.{REGISTRY_TABLE} where model_name = %s",
                (model_name,),
            )
            if str(row[0]).startswith(text)
        ]
        exact = [match for match in matches if match == text]
        if len(exact) == 1 or len(matches) == 1:
            found = self._find(session, model_name, (exact or matches)[0])
            assert found is not None
            return found
        if not matches:
            raise RegistryError(f"{model_name} has no version {text!r}; see `ciw models list`")
        raise RegistryError(f"{text!r} matches {len(matches)} versions of {model_name}")

    def _folder(self, version: ModelVersion) -> Path:
        folder = version.artifact_dir
        if not (folder / "metadata.json").is_file():
            raise RegistryError(
                f"artifacts of {version.model_name} {version.version} are missing at {folder}"
            )
        return folder

    def _version(self, row: dict[str, Any]) -> ModelVersion:
        """A warehouse row as a ModelVersion; artifacts resolve under this registry's root."""
        model_name, version = str(row["model_name"]), str(row["version"])
        local = self.root / model_name / version
        stored = Path(str(row["artifact_dir"]))
        metrics = json.loads(row["metrics_json"])
        baseline = json.loads(row["baseline_metrics_json"] or "{}")
        return ModelVersion(
            model_name=model_name,
            version=version,
            status=str(row["status"]),
            created_at=_aware(row["created_at"]) or datetime.min.replace(tzinfo=UTC),
            promoted_at=_aware(row["promoted_at"]),
            training_window=(
                _as_date(row["training_start"], "training_start"),
                _as_date(row["training_end"], "training_end"),
            ),
            holdout_window=(
                _as_date(row["holdout_start"], "holdout_start"),
                _as_date(row["holdout_end"], "holdout_end"),
            ),
            data_fingerprint=str(row["data_fingerprint"]),
            features=list(json.loads(row["features_json"])),
            params=dict(json.loads(row["params_json"])),
            seed=int(row["seed"]) if row["seed"] is not None else 0,
            metrics={k: (math.nan if v is None else float(v)) for k, v in metrics.items()},
            baseline_metrics={
                k: (math.nan if v is None else float(v)) for k, v in baseline.items()
            },
            baseline_name=str(row["baseline_name"] or ""),
            primary_metric=str(row["primary_metric"]),
            primary_metric_value=_optional_float(row["primary_metric_value"]),
            baseline_metric_value=_optional_float(row["baseline_metric_value"]),
            train_rows=int(row["train_rows"] or 0),
            holdout_rows=int(row["holdout_rows"] or 0),
            artifact_dir=local if (local / "metadata.json").is_file() else stored,
            note=""
            if row.get("registered_reason") in (None, "trained")
            else str(row["registered_reason"]),
        )
