"""In-process storage: the default when no URL is given. Nothing outlives the process."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timezone
from typing import Any

from tunesmith.exceptions import BudgetReached, StudyNotFoundError
from tunesmith.records import Direction, FoldRecord, FrozenTrial, TrialState
from tunesmith.space import Dimension
from tunesmith.storage._base import (
    Storage,
    StudySummary,
    check_budget,
    check_folds,
    check_max_trials,
)

__all__ = ["MemoryStorage"]


def _now() -> datetime:
    return datetime.now(timezone.utc)


@dataclasses.dataclass
class _Study:
    name: str
    direction: Direction
    attrs: dict[str, Any]
    created_at: datetime
    trial_ids: list[int] = dataclasses.field(default_factory=list)
    by_candidate: dict[int, int] = dataclasses.field(default_factory=dict)
    seq: int = 0  # the change sequence, as in the SQL storage


class MemoryStorage(Storage):
    """Keeps studies in a dict; thread-safe, so threads of one process may share it.

    >>> from tunesmith.records import Direction
    >>> storage = MemoryStorage()
    >>> sid = storage.create_study("demo", direction=Direction.MINIMIZE)
    >>> storage.create_trial(sid, owner="me").number
    0
    """

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._studies: dict[int, _Study] = {}
        self._trials: dict[int, FrozenTrial] = {}
        self._trial_study: dict[int, int] = {}
        self._trial_seq: dict[int, int] = {}

    # -- studies -----------------------------------------------------------------

    def create_study(
        self,
        name: str,
        *,
        direction: Direction,
        attrs: Mapping[str, Any] | None = None,
        load_if_exists: bool = False,
    ) -> int:
        with self._lock:
            for sid, study in self._studies.items():
                if study.name == name:
                    if load_if_exists:
                        return sid
                    raise ValueError(
                        f"a study named {name!r} already exists; pass load_if_exists=True "
                        "to continue it, or choose another name"
                    )
            sid = len(self._studies) + 1 + max(self._studies, default=0)
            self._studies[sid] = _Study(name, Direction.parse(direction), dict(attrs or {}), _now())
            return sid

    def _study(self, study_id: int) -> _Study:
        try:
            return self._studies[study_id]
        except KeyError:
            raise StudyNotFoundError(f"no study with id {study_id}") from None

    def study_id(self, name: str) -> int:
        with self._lock:
            for sid, study in self._studies.items():
                if study.name == name:
                    return sid
        raise StudyNotFoundError(f"no study named {name!r} in this storage")

    def study_name(self, study_id: int) -> str:
        return self._study(study_id).name

    def study_direction(self, study_id: int) -> Direction:
        return self._study(study_id).direction

    def study_attrs(self, study_id: int) -> dict[str, Any]:
        with self._lock:
            return dict(self._study(study_id).attrs)

    def set_study_attr(self, study_id: int, key: str, value: Any) -> None:
        with self._lock:
            self._study(study_id).attrs[key] = value

    def list_studies(self) -> list[StudySummary]:
        with self._lock:
            out = []
            for sid, study in self._studies.items():
                trials = [self._trials[t] for t in study.trial_ids]
                done = [t for t in trials if t.is_complete]
                best = None
                if done:
                    pick = min if study.direction is Direction.MINIMIZE else max
                    # Every complete trial has a value: the test only narrows the type.
                    best = pick(t.value for t in done if t.value is not None)
                out.append(
                    StudySummary(sid, study.name, study.direction, len(trials), len(done), best,
                                 study.created_at)
                )
            return out

    def delete_study(self, study_id: int) -> None:
        with self._lock:
            study = self._studies.pop(study_id, None)
            if study is None:
                raise StudyNotFoundError(f"no study with id {study_id}")
            for tid in study.trial_ids:
                self._trials.pop(tid, None)
                self._trial_study.pop(tid, None)
                self._trial_seq.pop(tid, None)

    # -- trials ------------------------------------------------------------------

    def create_trial(
        self,
        study_id: int,
        *,
        owner: str,
        candidate: int | None = None,
        params: Mapping[str, Any] | None = None,
        dimensions: Mapping[str, Dimension] | None = None,
        budget: float | None = None,
        max_trials: int | None = None,
    ) -> FrozenTrial | None:
        budget = check_budget(budget)
        check_max_trials(max_trials)
        with self._lock:
            study = self._study(study_id)
            if max_trials is not None and len(study.trial_ids) >= max_trials:
                raise BudgetReached(
                    f"study {study_id} already has {len(study.trial_ids)} trials, its "
                    f"budget (max_trials={max_trials})"
                )
            if candidate is not None and candidate in study.by_candidate:
                return None
            tid = len(self._trials) + 1 + max(self._trials, default=0)
            now = _now()
            trial = FrozenTrial(
                number=len(study.trial_ids),
                state=TrialState.RUNNING,
                params=dict(params or {}),
                dimensions=dict(dimensions or {}),
                candidate=candidate,
                started_at=now,
                owner=owner,
                heartbeat_at=now,
                trial_id=tid,
                budget=budget,
            )
            self._trials[tid] = trial
            self._trial_study[tid] = study_id
            self._bump(tid)
            study.trial_ids.append(tid)
            if candidate is not None:
                study.by_candidate[candidate] = tid
            return trial

    def take_over_trial(
        self, trial_id: int, *, old_owner: str, new_owner: str
    ) -> FrozenTrial | None:
        with self._lock:
            trial = self.trial(trial_id)
            if trial.state is not TrialState.RUNNING or trial.owner != old_owner:
                return None
            now = _now()
            taken = dataclasses.replace(
                trial, owner=new_owner, started_at=now, heartbeat_at=now, intermediate={}
            )
            self._trials[trial_id] = taken
            self._bump(trial_id)
            return taken

    def set_trial_params(
        self,
        trial_id: int,
        params: Mapping[str, Any],
        dimensions: Mapping[str, Dimension],
    ) -> bool:
        with self._lock:
            trial = self.trial(trial_id)
            if trial.state.is_finished:
                return False
            self._trials[trial_id] = dataclasses.replace(
                trial, params=dict(params), dimensions=dict(dimensions)
            )
            self._bump(trial_id)
            return True

    def finish_trial(
        self,
        trial_id: int,
        state: TrialState,
        *,
        value: float | None = None,
        params: Mapping[str, Any] | None = None,
        dimensions: Mapping[str, Dimension] | None = None,
        attrs: Mapping[str, Any] | None = None,
        message: str | None = None,
        folds: Sequence[FoldRecord] | None = None,
    ) -> bool:
        state = TrialState.parse(state)
        if not state.is_finished:
            raise ValueError("finish_trial needs a final state, got RUNNING")
        records = check_folds(trial_id, folds or ())
        with self._lock:
            trial = self.trial(trial_id)
            if trial.state.is_finished:
                return False
            self._trials[trial_id] = dataclasses.replace(
                trial,
                state=state,
                value=None if value is None else float(value),
                params={**trial.params, **(params or {})},
                dimensions={**trial.dimensions, **(dimensions or {})},
                attrs={**trial.attrs, **(attrs or {})},
                message=message,
                finished_at=_now(),
                folds=records,
            )
            self._bump(trial_id)
            return True

    def report(self, trial_id: int, step: int, value: float) -> None:
        with self._lock:
            trial = self.trial(trial_id)
            if trial.state.is_finished:
                return
            self._trials[trial_id] = dataclasses.replace(
                trial, intermediate={**trial.intermediate, int(step): float(value)},
                heartbeat_at=_now(),
            )
            self._bump(trial_id)

    def heartbeat(self, trial_ids: Iterable[int]) -> None:
        now = _now()
        with self._lock:
            for tid in trial_ids:
                trial = self._trials.get(tid)
                if trial is not None and not trial.state.is_finished:
                    self._trials[tid] = dataclasses.replace(trial, heartbeat_at=now)

    def trials(
        self, study_id: int, *, states: Iterable[TrialState] | None = None
    ) -> list[FrozenTrial]:
        with self._lock:
            study = self._study(study_id)
            trials = [self._trials[t] for t in study.trial_ids]
        if states is not None:
            wanted = {TrialState.parse(s) for s in states}
            trials = [t for t in trials if t.state in wanted]
        return trials

    def trial(self, trial_id: int) -> FrozenTrial:
        try:
            return self._trials[trial_id]
        except KeyError:
            raise KeyError(f"no trial with id {trial_id}") from None

    def taken_candidates(self, study_id: int) -> set[int]:
        with self._lock:
            return set(self._study(study_id).by_candidate)

    def changed_trials(self, study_id: int, since: int) -> tuple[list[FrozenTrial], int]:
        with self._lock:
            study = self._study(study_id)
            changed = [self._trials[t] for t in study.trial_ids if self._trial_seq[t] > since]
            return changed, study.seq

    def _bump(self, trial_id: int) -> None:
        """Give the trial's study its next sequence number and stamp the trial with it."""
        study = self._studies[self._trial_study[trial_id]]
        study.seq += 1
        self._trial_seq[trial_id] = study.seq

