"""The median stopping rule (Golovin et al. 2017, Google Vizier).

A trial stops when its best value so far is worse than the median of what the
complete trials reported at the same step. Only complete trials set the bar: pruned
ones were stopped for being poor and would lower it, running ones have not shown
where they end. The same rule as Optuna's ``MedianPruner``, so the two compare.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from tunesmith._checks import check_int
from tunesmith.pruners._base import Pruner, crossed, latest
from tunesmith.records import Direction, FrozenTrial, TrialState

__all__ = ["MedianPruner"]


class MedianPruner(Pruner):
    """Stop a trial whose best value so far is worse than the complete trials' median
    at its latest step.

    Parameters
    ----------
    n_startup_trials : no pruning until this many trials are complete.
    n_warmup_steps : no pruning at steps below this (early values are noisy).
    interval : judge only at steps ``n_warmup_steps + k * interval`` (the first report
        at or past each).
    n_min_trials : how many complete trials must have reported the step.

    >>> from tunesmith.records import Direction, FrozenTrial, TrialState
    >>> done = [FrozenTrial(number=i, state=TrialState.COMPLETE, value=v,
    ...                     intermediate={1: v}) for i, v in enumerate([0.2, 0.4, 0.6])]
    >>> running = FrozenTrial(number=3, state=TrialState.RUNNING, intermediate={1: 0.5})
    >>> MedianPruner(n_startup_trials=3).should_prune(running, done, Direction.MINIMIZE)
    True
    """

    def __init__(self, *, n_startup_trials: int = 5, n_warmup_steps: int = 0,
                 interval: int = 1, n_min_trials: int = 1) -> None:
        self.n_startup_trials = check_int("n_startup_trials", n_startup_trials, 0)
        self.n_warmup_steps = check_int("n_warmup_steps", n_warmup_steps, 0)
        self.interval = check_int("interval", interval, 1)
        self.n_min_trials = check_int("n_min_trials", n_min_trials, 1)

    def _settings(self) -> dict[str, Any]:
        return {"n_startup_trials": self.n_startup_trials,
                "n_warmup_steps": self.n_warmup_steps, "interval": self.interval,
                "n_min_trials": self.n_min_trials}

    def should_prune(self, trial: FrozenTrial, trials: Sequence[FrozenTrial],
                     direction: Direction) -> bool:
        now = latest(trial)
        if now is None:
            return False
        step, previous, _ = now
        if step < self.n_warmup_steps or not self._judged_at(previous, step):
            return False
        complete = [t for t in trials
                    if t.state is TrialState.COMPLETE and t.number != trial.number]
        if len(complete) < max(self.n_startup_trials, 1):
            return False
        others = [t.intermediate[step] for t in complete if step in t.intermediate]
        if len(others) < self.n_min_trials:
            return False
        median = float(np.median(others))
        sign = direction.sign()  # sign * value is minimised
        best = min(sign * v for s, v in trial.intermediate.items() if s <= step)
        return best > sign * median

    def _judged_at(self, previous: int | None, step: int) -> bool:
        """Whether this report is the first at or past an interval boundary."""
        if self.interval == 1:
            return True
        start = self.n_warmup_steps
        low = start if previous is None or previous < start else previous + 1
        # The boundaries start + k * interval that lie in [low, step].
        k = -(-(low - start) // self.interval)
        return bool(crossed(low - 1, step, [start + k * self.interval]))
