"""``ModelRegistry``: register, list, promote and roll back the model versions of one warehouse.

It joins the three parts of the registry: the payload on disk (``artifacts``), the listing and
history in the warehouse (``store``) and who may be champion (``policy``).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd

from ml.registry import artifacts, store
from ml.registry.policy import champion_stack, crowning_reason, rule_gate
from ml.registry.versions import (
    Candidate,
    ModelVersion,
    RegistryError,
    spec_of,
    validate,
    version_id,
)
from warehouse.adapters import Session
from warehouse.settings import Settings


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
        spec = spec_of(candidate.model_name)
        validate(candidate, spec)
        version = version_id(
            spec.name,
            candidate.data_fingerprint,
            candidate.params,
            candidate.seed,
            candidate.features,
        )
        folder = self.root / spec.name / version
        gate = rule_gate(candidate, spec)
        artifacts.write_artifacts(folder, candidate, spec, version, gate)
        with store.registry_session(self.settings, lock=True) as session:
            existing = self._find(session, spec.name, version)
            if existing is not None:
                return existing, False
            now = store.utc_now()
            row = store.registry_row(candidate, spec, version, folder, now)
            champion = self._champion(session, spec.name)
            reason = crowning_reason(
                spec,
                row["primary_metric_value"],
                champion,
                champion_metric=champion_metric,
                gate=gate,
                may_crown=may_crown,
            )
            store.insert_version(session, row)
            store.add_event(
                session, spec.name, version, "registered", champion, gate or "trained", now
            )
            if reason is not None:
                self._crown(session, spec.name, version, champion, reason, now)
            registered = self._find(session, spec.name, version)
        assert registered is not None
        return registered, reason is not None

    def champion(self, model_name: str) -> ModelVersion | None:
        """The version scoring uses, or None before the first registration."""
        spec_of(model_name)
        with store.registry_session(self.settings) as session:
            return self._champion(session, model_name)

    def versions(self, model_name: str | None = None) -> list[ModelVersion]:
        """Every registered version (of one model, or all), newest first per model."""
        if model_name is not None:
            spec_of(model_name)
        where, params = ("where r.model_name = %s", (model_name,)) if model_name else ("", ())
        with store.registry_session(self.settings) as session:
            rows = session.rows(
                f"{store.SELECT_VERSIONS} {where} "
                "order by r.model_name, r.created_at desc, r.version",
                params,
            )
        return [self._version(row) for row in rows]

    def history(self, model_name: str) -> list[dict[str, Any]]:
        """The model's registry events, oldest first (what on-call reads before a rollback)."""
        spec_of(model_name)
        with store.registry_session(self.settings) as session:
            return store.event_rows(session, model_name)

    def load_model(self, version: ModelVersion) -> Any:
        """Unpickle a version's model after checking it is the file that was registered.

        Only files this registry wrote are loaded: unpickling runs code.
        """
        return artifacts.load_model(version)

    def reference(self, version: ModelVersion) -> pd.DataFrame:
        """The training snapshot (features and score) drift checks compare against."""
        return artifacts.load_reference(version)

    def promote(self, model_name: str, version: str) -> ModelVersion:
        """Make a version champion by hand; the current champion is retired (rollback undoes)."""
        spec_of(model_name)
        with store.registry_session(self.settings, lock=True) as session:
            target = self._resolve(session, model_name, version)
            artifacts.artifact_folder(target)  # scoring must be able to load the new champion
            champion = self._champion(session, model_name)
            if champion is not None and champion.version == target.version:
                return champion
            now = store.utc_now()
            self._crown(session, model_name, target.version, champion, "manual", now)
            promoted = self._find(session, model_name, target.version)
        assert promoted is not None
        return promoted

    def rollback(self, model_name: str) -> ModelVersion:
        """Put the previous champion back; the current one is retired."""
        spec_of(model_name)
        with store.registry_session(self.settings, lock=True) as session:
            champion = self._champion(session, model_name)
            if champion is None:
                raise RegistryError(f"{model_name} has no champion to roll back")
            stack = champion_stack(store.champion_events(session, model_name))
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
            artifacts.artifact_folder(restorable)
            now = store.utc_now()
            store.add_event(
                session, model_name, champion.version, "rolled_back", None, "rollback", now
            )
            store.add_event(session, model_name, previous, "restored", champion, "rollback", now)
            store.set_status(session, model_name, champion.version, "retired")
            store.set_status(session, model_name, previous, "champion", promoted_at=now)
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
        now: datetime,
    ) -> None:
        """Make ``version`` champion; the current champion (if any) is retired."""
        if champion is not None:
            store.set_status(session, model_name, champion.version, "retired")
            store.add_event(session, model_name, champion.version, "retired", None, reason, now)
        store.set_status(session, model_name, version, "champion", promoted_at=now)
        store.add_event(session, model_name, version, "promoted", champion, reason, now)

    def _find(self, session: Session, model_name: str, version: str) -> ModelVersion | None:
        rows = session.rows(
            f"{store.SELECT_VERSIONS} where r.model_name = %s and r.version = %s",
            (model_name, version),
        )
        return self._version(rows[0]) if rows else None

    def _champion(self, session: Session, model_name: str) -> ModelVersion | None:
        rows = session.rows(
            f"{store.SELECT_VERSIONS} where r.model_name = %s and r.status = 'champion' "
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
            found for found in store.version_ids(session, model_name) if found.startswith(text)
        ]
        exact = [match for match in matches if match == text]
        if len(exact) == 1 or len(matches) == 1:
            found = self._find(session, model_name, (exact or matches)[0])
            assert found is not None
            return found
        if not matches:
            raise RegistryError(f"{model_name} has no version {text!r}; see `ciw models list`")
        raise RegistryError(f"{text!r} matches {len(matches)} versions of {model_name}")

    def _version(self, row: dict[str, Any]) -> ModelVersion:
        """A warehouse row as a ModelVersion; artifacts resolve under this registry's root."""
        local = self.root / str(row["model_name"]) / str(row["version"])
        stored = Path(str(row["artifact_dir"]))
        return store.version_from_row(row, local if artifacts.has_artifacts(local) else stored)
