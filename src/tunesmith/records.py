"""Plain records shared by every layer: trial states, directions, finished trials.

Nothing here knows about samplers, storages or studies, so every other module
can import it without creating a cycle.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from tunesmith.space import Dimension

__all__ = ["Direction", "FoldRecord", "FrozenTrial", "TrialState", "best_trial"]


class TrialState(enum.Enum):
    """Where a trial stands. Every state but RUNNING is final."""

    RUNNING = "running"
    COMPLETE = "complete"
    FAILED = "failed"
    PRUNED = "pruned"
    SKIPPED = "skipped"  # never evaluated: an invalid or forbidden combination

    @property
    def is_finished(self) -> bool:
        return self is not TrialState.RUNNING

    @classmethod
    def parse(cls, value: TrialState | str) -> TrialState:
        """Turn ``"complete"`` (any case) or a TrialState into a TrialState."""
        if isinstance(value, cls):
            return value
        try:
            return cls(str(value).lower())
        except ValueError:
            names = ", ".join(repr(s.value) for s in cls)
            raise ValueError(f"unknown trial state {value!r}; use one of {names}") from None


class Direction(enum.Enum):
    """Whether a study looks for the smallest or the largest value."""

    MINIMIZE = "minimize"
    MAXIMIZE = "maximize"

    @classmethod
    def parse(cls, value: Direction | str) -> Direction:
        """Turn ``"maximize"`` (any case) or a Direction into a Direction.

        >>> Direction.parse("Maximize")
        <Direction.MAXIMIZE: 'maximize'>
        """
        if isinstance(value, cls):
            return value
        try:
            return cls(str(value).lower())
        except ValueError:
            raise ValueError(
                f"direction must be 'minimize' or 'maximize', got {value!r}"
            ) from None

    def better(self, a: float, b: float) -> bool:
        """True when ``a`` is strictly better than ``b`` in this direction."""
        return a < b if self is Direction.MINIMIZE else a > b

    def sign(self) -> float:
        """+1 for minimize, -1 for maximize: ``sign * value`` is always minimised."""
        return 1.0 if self is Direction.MINIMIZE else -1.0


@dataclass(frozen=True)
class FoldRecord:
    """One cross-validation fold of a trial: its scores, times and failure, typed.

    ``test_scores`` maps a metric name to its score (a single scorer is ``"score"``);
    a score may be NaN (scikit-learn's ``error_score``). ``fit_error`` and
    ``score_error`` hold the formatted traceback of a failed fit or scoring.

    >>> FoldRecord(fold=0, test_scores={"score": 0.9}, fit_time=0.01).test_scores["score"]
    0.9
    """

    fold: int
    test_scores: Mapping[str, float]
    train_scores: Mapping[str, float] | None = None
    fit_time: float = 0.0
    score_time: float = 0.0
    fit_error: str | None = None
    score_error: str | None = None


@dataclass(frozen=True)
class FrozenTrial:
    """The record of one trial as storage holds it.

    ``candidate`` is the index of the point in a finite candidate list (a grid or
    a drop-in's candidate list), which is how a resumed search knows what is done.
    """

    number: int
    state: TrialState
    params: Mapping[str, Any] = field(default_factory=dict)
    value: float | None = None
    dimensions: Mapping[str, Dimension] = field(default_factory=dict)
    attrs: Mapping[str, Any] = field(default_factory=dict)
    intermediate: Mapping[int, float] = field(default_factory=dict)
    candidate: int | None = None
    message: str | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    owner: str | None = None
    heartbeat_at: datetime | None = None
    trial_id: int = -1
    #: The resource the trial was evaluated with (samples, epochs, n_estimators), if any.
    budget: float | None = None
    #: Typed per-fold results of a cross-validated trial, in fold order.
    folds: tuple[FoldRecord, ...] = ()

    @property
    def duration(self) -> float | None:
        """Seconds from start to finish, or None while running."""
        if self.started_at is None or self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()

    @property
    def is_complete(self) -> bool:
        return self.state is TrialState.COMPLETE and self.value is not None and math.isfinite(
            self.value
        )


def best_trial(trials: Iterable[FrozenTrial], direction: Direction) -> FrozenTrial | None:
    """The best complete trial: the best finite value; on a tie, the lowest number.

    The one definition every part of tunesmith uses (the study, the CLI, reports).
    The earliest of tied trials wins because it was found first: later ties add
    nothing. None when no trial is complete. (The scikit-learn drop-ins keep
    scikit-learn's own rule for ``best_index_``: the lowest rank, then the first
    candidate, which picks the same trial.)

    >>> a = FrozenTrial(number=0, state=TrialState.COMPLETE, value=0.5)
    >>> b = FrozenTrial(number=1, state=TrialState.COMPLETE, value=0.5)
    >>> best_trial([b, a], Direction.MINIMIZE).number
    0
    """
    best: FrozenTrial | None = None
    for trial in trials:
        if not trial.is_complete:
            continue
        value = float(trial.value)  # type: ignore[arg-type]
        if best is None or direction.better(value, best.value) or (  # type: ignore[arg-type]
                value == best.value and trial.number < best.number):
            best = trial
    return best
