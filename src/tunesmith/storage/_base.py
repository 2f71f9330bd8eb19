"""The storage interface: the one source of truth for studies and trials.

Call order for one trial, as the study drives it::

    create_trial(...)            -> a RUNNING trial (or None: that candidate is taken;
                                    BudgetReached: the study has max_trials trials)
    heartbeat(trial_id)*         while it runs (persistent storages only)
    report(trial_id, step, v)*   intermediate values, for pruners
    finish_trial(trial_id, ...)  exactly once, with its folds; a second call is a no-op

Each study has a change sequence: every call that changes a trial (all of the above but
heartbeats) gives the study's next sequence number to that trial, and
``changed_trials(study_id, since)`` returns what changed after a number the reader saw.

Samplers never see a storage; they get the list of FrozenTrials the study reads.
Every value a storage keeps is JSON (see ``tunesmith.space.encode_value``), never a pickle.
"""

from __future__ import annotations

import abc
import math
import numbers
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tunesmith.records import Direction, FoldRecord, FrozenTrial, TrialState
from tunesmith.space import Dimension

__all__ = ["Storage", "StudySummary", "check_budget", "check_folds", "check_max_trials"]


@dataclass(frozen=True)
class StudySummary:
    """One line of ``tunesmith studies``: a study and how far it got."""

    study_id: int
    name: str
    direction: Direction
    n_trials: int
    n_complete: int
    best_value: float | None
    created_at: datetime | None


class Storage(abc.ABC):
    """Where studies and their trials live.

    Implementations: :class:`~tunesmith.storage.MemoryStorage` and the SQL storage
    (SQLite, PostgreSQL). A shared contract test suite runs against all of them.
    """

    # -- studies -----------------------------------------------------------------

    @abc.abstractmethod
    def create_study(
        self,
        name: str,
        *,
        direction: Direction,
        attrs: Mapping[str, Any] | None = None,
        load_if_exists: bool = False,
    ) -> int:
        """Create a study and return its id.

        With ``load_if_exists`` an existing study of that name is returned instead;
        otherwise an existing name raises ``ValueError`` naming the study.
        """

    @abc.abstractmethod
    def study_id(self, name: str) -> int:
        """The id of the study called ``name``; ``StudyNotFoundError`` if none."""

    @abc.abstractmethod
    def study_name(self, study_id: int) -> str:
        """The name of a study."""

    @abc.abstractmethod
    def study_direction(self, study_id: int) -> Direction:
        """Whether the study minimises or maximises."""

    @abc.abstractmethod
    def study_attrs(self, study_id: int) -> dict[str, Any]:
        """The study's JSON attributes (space, settings, fingerprints...)."""

    @abc.abstractmethod
    def set_study_attr(self, study_id: int, key: str, value: Any) -> None:
        """Set one JSON attribute of a study."""

    @abc.abstractmethod
    def list_studies(self) -> list[StudySummary]:
        """Every study in this storage, oldest first."""

    @abc.abstractmethod
    def delete_study(self, study_id: int) -> None:
        """Delete a study and all its trials."""

    # -- trials ------------------------------------------------------------------

    @abc.abstractmethod
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
        """Start a RUNNING trial owned by ``owner`` with the next free number.

        With ``candidate``, claim that index of a finite candidate list: return None
        when a trial for that candidate already exists (so two workers never run the
        same grid point). Numbering and claiming are atomic across processes.

        ``budget`` is the resource the trial will be evaluated with (kept on the
        trial). With ``max_trials``, raise :class:`~tunesmith.exceptions.BudgetReached`
        when the study already has that many trials, atomically with the numbering, so
        processes sharing a study never create more (this takes precedence over a
        taken candidate).
        """

    @abc.abstractmethod
    def take_over_trial(
        self, trial_id: int, *, old_owner: str, new_owner: str
    ) -> FrozenTrial | None:
        """Give a RUNNING trial whose owner died to ``new_owner``.

        A compare-and-set: succeeds only while the trial is still RUNNING and owned
        by ``old_owner``, so of several workers noticing the same dead trial one wins.
        The trial keeps its number and candidate; its start time and heartbeat reset.
        """

    @abc.abstractmethod
    def set_trial_params(
        self,
        trial_id: int,
        params: Mapping[str, Any],
        dimensions: Mapping[str, Dimension],
    ) -> bool:
        """Record the point a running trial is about to evaluate, replacing any it had.

        Stored before the objective runs, so that other workers see what is being
        tried (a model-based sampler counts it as taken) and a re-run of the trial
        after a crash evaluates the same point. Returns False, changing nothing, if
        the trial has finished.
        """

    @abc.abstractmethod
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
        """Record the outcome of a trial, in one transaction.

        ``params``/``dimensions``/``attrs`` are merged into what the trial has;
        ``folds`` (each fold number once) are stored with it and read back in fold
        order. Returns False, changing nothing, if the trial had already finished: a
        trial reported twice is a no-op, never an error.
        """

    @abc.abstractmethod
    def report(self, trial_id: int, step: int, value: float) -> None:
        """Store an intermediate value of a running trial (also a heartbeat)."""

    @abc.abstractmethod
    def heartbeat(self, trial_ids: Iterable[int]) -> None:
        """Mark running trials as alive now."""

    @abc.abstractmethod
    def trials(
        self, study_id: int, *, states: Iterable[TrialState] | None = None
    ) -> list[FrozenTrial]:
        """The study's trials ordered by number, optionally only some states."""

    @abc.abstractmethod
    def trial(self, trial_id: int) -> FrozenTrial:
        """One trial by id."""

    @abc.abstractmethod
    def changed_trials(self, study_id: int, since: int) -> tuple[list[FrozenTrial], int]:
        """The trials created or changed after sequence number ``since``, and the
        study's current sequence number.

        Trials come ordered by number, each as it is now; ``since=0`` gives every
        trial. Pass the number returned to the next call to get only what changed in
        between: nothing committed up to that number is ever missed, across
        processes. A heartbeat is not a change.
        """

    def taken_candidates(self, study_id: int) -> set[int]:
        """Candidate indices that already have a trial (running or finished)."""
        return {t.candidate for t in self.trials(study_id) if t.candidate is not None}

    def close(self) -> None:
        """Release connections. The storage is unusable afterwards."""

    @property
    def is_persistent(self) -> bool:
        """Whether trials outlive this process (and so need heartbeats)."""
        return False

    def __enter__(self) -> Storage:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def check_budget(budget: float | None) -> float | None:
    """A trial's budget as a float; a ValueError names what is wrong with it."""
    if budget is None:
        return None
    if isinstance(budget, bool) or not isinstance(budget, numbers.Real):
        raise TypeError(f"budget must be a number or None, got {type(budget).__name__}")
    value = float(budget)
    if not math.isfinite(value):
        raise ValueError(f"budget must be a finite number, got {budget!r}")
    return value


def check_max_trials(max_trials: int | None) -> None:
    """Refuse a ``max_trials`` that is not a non-negative int (None: no limit)."""
    if max_trials is None:
        return
    if isinstance(max_trials, bool) or not isinstance(max_trials, numbers.Integral):
        raise TypeError(f"max_trials must be an int or None, got {type(max_trials).__name__}")
    if max_trials < 0:
        raise ValueError(f"max_trials must be >= 0, got {max_trials}")


def check_folds(trial_id: int, folds: Iterable[FoldRecord]) -> tuple[FoldRecord, ...]:
    """A trial's folds in fold order, each once, with finite times; else an error."""
    out: dict[int, FoldRecord] = {}
    for fold in folds:
        if not isinstance(fold, FoldRecord):
            raise TypeError(f"folds must be FoldRecords, got {type(fold).__name__}")
        scores = [fold.test_scores] + ([] if fold.train_scores is None else [fold.train_scores])
        for mapping in scores:
            if not isinstance(mapping, Mapping):
                raise TypeError(f"the scores of fold {fold.fold} of trial {trial_id} must map "
                                f"a metric name to a float, got {type(mapping).__name__}")
        if fold.fold in out:
            raise ValueError(f"fold {fold.fold} of trial {trial_id} is given twice")
        if not (math.isfinite(fold.fit_time) and math.isfinite(fold.score_time)):
            raise ValueError(f"fold {fold.fold} of trial {trial_id} has a time that is not "
                             f"finite: fit_time={fold.fit_time}, score_time={fold.score_time}")
        out[fold.fold] = fold
    return tuple(out[number] for number in sorted(out))
