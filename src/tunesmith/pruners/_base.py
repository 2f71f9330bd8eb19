"""The pruner interface: after a trial reports, should it stop?

Call order, as the study drives it:

1. The objective calls ``trial.report(value, step)`` (stored at once, from a worker
   process too), then ``trial.should_prune()``.
2. The study calls ``pruner.should_prune(trial, trials, direction)``: ``trial`` is the
   judged trial with every value it reported in this run (its latest report is its
   largest step); ``trials`` the study's trials as storage holds them now, in every
   state, running ones with the values they reported so far (the judged trial may be
   among them: pruners skip it by number).
3. True: the objective raises :class:`~tunesmith.TrialPruned`; the trial is recorded
   PRUNED with its last reported value.

A pruner is a pure function of what storage holds, so it decides the same on memory,
SQLite and PostgreSQL, and whichever process asks. Decisions that belong to a moment
(a rung of successive halving, an interval of the median rule) are taken when the
latest report is the first at or past that moment: ask after every report.
"""

from __future__ import annotations

import abc
import math
import numbers
from collections.abc import Sequence
from typing import Any

from tunesmith.records import Direction, FrozenTrial

__all__ = ["NopPruner", "Pruner", "crossed", "first_at_or_after", "latest"]


class Pruner(abc.ABC):
    """Decides whether a running trial should stop, from intermediate values alone."""

    @abc.abstractmethod
    def should_prune(self, trial: FrozenTrial, trials: Sequence[FrozenTrial],
                     direction: Direction) -> bool:
        """Whether ``trial`` should stop now (see the module's call order)."""

    def __repr__(self) -> str:
        settings = ", ".join(f"{k}={v!r}" for k, v in self._settings().items())
        return f"{type(self).__name__}({settings})"

    def _settings(self) -> dict[str, Any]:
        """The constructor's arguments, for the repr."""
        return {}


class NopPruner(Pruner):
    """Never prunes: the default, and ``pruner="none"``.

    >>> from tunesmith.records import Direction, FrozenTrial, TrialState
    >>> t = FrozenTrial(number=0, state=TrialState.RUNNING, intermediate={1: 9.0})
    >>> NopPruner().should_prune(t, [], Direction.MINIMIZE)
    False
    """

    def should_prune(self, trial: FrozenTrial, trials: Sequence[FrozenTrial],
                     direction: Direction) -> bool:
        return False


def latest(trial: FrozenTrial) -> tuple[int, int | None, float] | None:
    """The trial's latest step, the step reported before it (None if none), and the
    latest value; None before any report.

    >>> from tunesmith.records import FrozenTrial, TrialState
    >>> latest(FrozenTrial(number=0, state=TrialState.RUNNING, intermediate={1: .5, 3: .4}))
    (3, 1, 0.4)
    """
    steps = sorted(trial.intermediate)
    if not steps:
        return None
    previous = steps[-2] if len(steps) > 1 else None
    return steps[-1], previous, float(trial.intermediate[steps[-1]])


def crossed(previous: int | None, step: int, marks: Sequence[int]) -> list[int]:
    """The marks (rungs, interval boundaries) reached by the report at ``step`` and not
    by the one before it, ``previous``: the moments decided now.

    >>> crossed(2, 9, [1, 3, 9, 27]), crossed(None, 1, [1, 3]), crossed(3, 4, [1, 3, 9])
    ([3, 9], [1], [])
    """
    low = -math.inf if previous is None else previous
    return [m for m in marks if low < m <= step]


def first_at_or_after(trial: FrozenTrial, mark: int) -> float | None:
    """The value the trial reported at its first step at or after ``mark`` (None if it
    has not reached it): what it brought to a rung.

    >>> from tunesmith.records import FrozenTrial, TrialState
    >>> t = FrozenTrial(number=0, state=TrialState.PRUNED, intermediate={2: .7, 4: .6})
    >>> first_at_or_after(t, 3), first_at_or_after(t, 5)
    (0.6, None)
    """
    steps = [s for s in trial.intermediate if s >= mark]
    return float(trial.intermediate[min(steps)]) if steps else None


def check_number(name: str, value: Any, low: float = 0.0) -> float:
    """``value`` as a finite float >= ``low``, or a ValueError naming it."""
    if (isinstance(value, bool) or not isinstance(value, numbers.Real)
            or not math.isfinite(value) or value < low):
        raise ValueError(f"{name} must be a finite number >= {low:g}, got {value!r}")
    return float(value)
