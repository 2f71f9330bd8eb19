"""Patience: stop only a trial that has stopped improving.

Learning curves plateau and wobble; a trial that is still getting better may be
worth its steps even when a rule says it trails. The wrapper asks its inner pruner
only once the trial's last ``patience`` values have all failed to beat its best
before them by more than ``min_delta`` (early stopping's rule, as in Keras); with no
inner pruner, that stall alone stops it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tunesmith._checks import check_int
from tunesmith.pruners._base import Pruner, check_number
from tunesmith.records import Direction, FrozenTrial

__all__ = ["PatientPruner", "stalled"]


def stalled(values: Sequence[float], patience: int, min_delta: float,
            direction: Direction) -> bool:
    """Whether none of the last ``patience`` values beats the best before them by more
    than ``min_delta``; False while there are not ``patience + 1`` values.

    >>> stalled([1.0, 0.8, 0.79, 0.81], 2, 0.05, Direction.MINIMIZE)  # 0.79 beats 0.8 by 0.01
    True
    >>> stalled([1.0, 0.8, 0.7, 0.81], 2, 0.05, Direction.MINIMIZE)
    False
    """
    if len(values) <= patience:
        return False
    sign = direction.sign()
    before = min(sign * v for v in values[:-patience])
    recent = min(sign * v for v in values[-patience:])
    return not recent < before - min_delta


class PatientPruner(Pruner):
    """Prune a trial only after ``patience`` reports without an improvement larger than
    ``min_delta``, and then only if ``inner`` (None: no other rule) agrees.

    >>> from tunesmith.records import Direction, FrozenTrial, TrialState
    >>> t = FrozenTrial(number=0, state=TrialState.RUNNING,
    ...                 intermediate={1: 0.5, 2: 0.4, 3: 0.41, 4: 0.42})
    >>> PatientPruner(None, patience=2).should_prune(t, [], Direction.MINIMIZE)
    True
    >>> PatientPruner(None, patience=3).should_prune(t, [], Direction.MINIMIZE)
    False
    """

    def __init__(self, inner: Pruner | None, patience: int, min_delta: float = 0.0) -> None:
        if inner is not None and not isinstance(inner, Pruner):
            raise TypeError(f"inner must be a Pruner or None, got {type(inner).__name__}")
        self.inner = inner
        self.patience = check_int("patience", patience, 1)
        self.min_delta = check_number("min_delta", min_delta)

    def _settings(self) -> dict[str, Any]:
        return {"inner": self.inner, "patience": self.patience, "min_delta": self.min_delta}

    def should_prune(self, trial: FrozenTrial, trials: Sequence[FrozenTrial],
                     direction: Direction) -> bool:
        values = [trial.intermediate[s] for s in sorted(trial.intermediate)]
        if not stalled(values, self.patience, self.min_delta, direction):
            return False
        return self.inner is None or self.inner.should_prune(trial, trials, direction)
