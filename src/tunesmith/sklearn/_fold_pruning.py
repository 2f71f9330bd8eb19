"""A pruner in a model-based drop-in: each fold of a trial is one of its steps.

``TPESearchCV(pruner="median")`` asks the pruner after each fold of each trial: the
trial's step ``m`` is its mean score (the refit metric) over its first ``m`` folds,
and the other trials' steps are built the same way from the folds they have done.
A pruned trial is stopped as racing stops one (``Engine.stop``): PRUNED with the folds
it finished, its running means as steps, and the reason in ``cv_results_["stopped"]``.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence

import numpy as np

from tunesmith.pruners import Pruner
from tunesmith.records import Direction, FrozenTrial, TrialState
from tunesmith.sklearn._racing import Race

__all__ = ["FoldPruning"]


class FoldPruning:
    """The stopping rule of a model-based search with a pruner (see the module).

    >>> from tunesmith.pruners import MedianPruner
    >>> from tunesmith.sklearn._racing import Racing
    >>> race = Race(Racing(), n_splits=5, test_fraction=0.25)
    >>> for key, scores in {0: [0.9] * 5, 1: [0.91] * 5, 2: [0.5, 0.52]}.items():
    ...     for fold, score in enumerate(scores):
    ...         race.record(key, fold, score)
    >>> rule = FoldPruning(MedianPruner(n_startup_trials=2), race)
    >>> reason = rule.reason(2, [0, 1])  # below the median of the others at step 2
    >>> reason.startswith("pruned by MedianPruner("), reason.endswith("after 2 folds")
    (True, True)
    """

    def __init__(self, pruner: Pruner, race: Race) -> None:
        self.pruner = pruner
        self.race = race

    def reason(self, key: Hashable, folds: Sequence[int]) -> str | None:
        """Why trial ``key`` should stop after ``folds``; None to go on."""
        if len(folds) >= self.race.n_splits:
            return None
        trials = [self._view(k, done) for k, done in self.race.scores.items()]
        judged = next(t for t in trials if t.number == key)
        if not self.pruner.should_prune(judged, trials, Direction.MAXIMIZE):
            return None
        return f"pruned by {self.pruner!r} after {len(folds)} folds"

    def _view(self, key: Hashable, done: Mapping[int, float]) -> FrozenTrial:
        """A trial as a pruner sees it: step m, the mean of its first m folds."""
        m = 0
        while m in done:
            m += 1
        scores = [done[k] for k in range(m)]
        steps = {step: float(np.mean(scores[:step])) for step in range(1, m + 1)}
        if key in self.race.stopped:
            state = TrialState.PRUNED
        elif m == self.race.n_splits:
            state = TrialState.COMPLETE
        else:
            state = TrialState.RUNNING
        value = steps[m] if state is not TrialState.RUNNING and m else None
        number = key if isinstance(key, int) else -1  # a model-based search's trial number
        return FrozenTrial(number=number, state=state, value=value, intermediate=steps)
