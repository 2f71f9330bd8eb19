"""Asynchronous successive halving (ASHA; Li et al. 2018, "A System for Massively
Parallel Hyperparameter Tuning").

Rung ``k`` sits at resource ``min_resource * reduction_factor ** (min_early_stopping_rate
+ k)``. A trial whose report first reaches a rung is promoted past it when its value
there is among the best ``1 / reduction_factor`` of the values every trial brought to
that rung (running, complete and pruned ones: each reached it), itself included;
otherwise it stops. Rungs are decided from what the trials that reached them reported,
read from storage, so several workers judge alike without coordination, and a
promotion is final: the rung is judged once, when the trial arrives.

A trial cannot be paused and resumed here, so while a rung holds fewer than
``reduction_factor`` values the arriving trial goes on only if it is the best there
(as Optuna's ASHA does): the first arrivals are not all promoted by default.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tunesmith._checks import check_int
from tunesmith.pruners._base import Pruner, crossed, first_at_or_after, latest
from tunesmith.records import Direction, FrozenTrial

__all__ = ["SuccessiveHalvingPruner", "promoted", "rungs"]


def rungs(min_resource: int, reduction_factor: int, min_early_stopping_rate: int,
          up_to: int, max_resource: int | None = None) -> list[int]:
    """The rung resources at or below ``up_to`` (and below ``max_resource``: a trial
    that has spent everything finishes instead of being judged).

    >>> rungs(1, 3, 0, 30), rungs(1, 3, 1, 30), rungs(2, 2, 0, 100, max_resource=16)
    ([1, 3, 9, 27], [3, 9, 27], [2, 4, 8])
    """
    found = []
    resource = min_resource * reduction_factor ** min_early_stopping_rate
    while resource <= up_to and (max_resource is None or resource < max_resource):
        found.append(resource)
        resource *= reduction_factor
    return found


def promoted(value: float, others: Sequence[float], reduction_factor: int,
             direction: Direction) -> bool:
    """Whether ``value`` is among the best ``max(1, n // reduction_factor)`` of the ``n``
    values at a rung (``others`` and itself); a tie with the last promoted value counts.

    >>> promoted(0.3, [0.1, 0.2, 0.4, 0.5, 0.6], 3, Direction.MINIMIZE)  # 2nd best of 6
    False
    >>> promoted(0.2, [0.1, 0.4, 0.5, 0.6, 0.7], 3, Direction.MINIMIZE)
    True
    """
    sign = direction.sign()
    ranked = sorted(sign * v for v in [*others, value])
    top = max(1, len(ranked) // reduction_factor)
    return sign * value <= ranked[top - 1]


class SuccessiveHalvingPruner(Pruner):
    """Asynchronous successive halving (ASHA): at each rung keep the best
    ``1 / reduction_factor`` of the trials that reached it.

    Parameters
    ----------
    min_resource : the step of the first rung (with ``min_early_stopping_rate=0``).
    reduction_factor : ``eta``: rungs are this factor apart, and this share goes on.
    min_early_stopping_rate : ``s``: the first rung is at ``min_resource * eta ** s``.
    max_resource : rungs at or above it are not judged (a trial there finishes);
        None: every rung is.

    >>> from tunesmith.records import Direction, FrozenTrial, TrialState
    >>> at_rung_1 = [FrozenTrial(number=i, state=TrialState.PRUNED, intermediate={1: v})
    ...              for i, v in enumerate([0.1, 0.5, 0.6, 0.7, 0.8])]
    >>> new = FrozenTrial(number=5, state=TrialState.RUNNING, intermediate={1: 0.3})
    >>> SuccessiveHalvingPruner().should_prune(new, at_rung_1, Direction.MINIMIZE)
    False
    """

    def __init__(self, *, min_resource: int = 1, reduction_factor: int = 3,
                 min_early_stopping_rate: int = 0, max_resource: int | None = None) -> None:
        self.min_resource = check_int("min_resource", min_resource, 1)
        self.reduction_factor = check_int("reduction_factor", reduction_factor, 2)
        self.min_early_stopping_rate = check_int("min_early_stopping_rate",
                                                 min_early_stopping_rate, 0)
        self.max_resource = (None if max_resource is None
                             else check_int("max_resource", max_resource, 1))

    def _settings(self) -> dict[str, Any]:
        found = {"min_resource": self.min_resource, "reduction_factor": self.reduction_factor,
                 "min_early_stopping_rate": self.min_early_stopping_rate}
        if self.max_resource is not None:
            found["max_resource"] = self.max_resource
        return found

    def should_prune(self, trial: FrozenTrial, trials: Sequence[FrozenTrial],
                     direction: Direction) -> bool:
        now = latest(trial)
        if now is None:
            return False
        step, previous, value = now
        marks = rungs(self.min_resource, self.reduction_factor,
                      self.min_early_stopping_rate, step, self.max_resource)
        # One report can pass several rungs: it must be promoted at each of them.
        for rung in crossed(previous, step, marks):
            others = [v for t in trials if t.number != trial.number
                      for v in [first_at_or_after(t, rung)] if v is not None]
            if not promoted(value, others, self.reduction_factor, direction):
                return True
        return False
