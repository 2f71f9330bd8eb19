"""Hyperband (Li et al. 2017) made asynchronous: brackets of ASHA.

Successive halving must guess how early a learning curve says enough: prune too early
and slow starters are lost, too late and the budget is spent on losers. Hyperband
hedges across brackets. Bracket ``b`` is ASHA with ``min_early_stopping_rate = b``:
bracket 0 judges at the first rung, the last bracket runs every trial in full (a
random search). Each trial joins one bracket, drawn from ``(seed, trial number)`` so
every worker agrees without asking, with the weights of the paper's brackets: bracket
``b`` (``s = s_max - b`` in the paper) starts ``ceil((s_max + 1) / (s + 1) * eta ** s)``
trials per round. A trial competes only with the trials of its own bracket.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from tunesmith._checks import check_int
from tunesmith.pruners._base import Pruner
from tunesmith.pruners._halving import SuccessiveHalvingPruner
from tunesmith.records import Direction, FrozenTrial, TrialState

__all__ = ["HyperbandPruner", "bracket_weights"]


def bracket_weights(min_resource: int, max_resource: int, reduction_factor: int) -> list[int]:
    """How many trials each bracket starts per Hyperband round, bracket 0 first.

    >>> bracket_weights(1, 27, 3)  # s_max = 3: 27, 12, 6 and 4 trials
    [27, 12, 6, 4]
    >>> bracket_weights(1, 1, 3)
    [1]
    """
    s_max = 0
    while min_resource * reduction_factor ** (s_max + 1) <= max_resource:
        s_max += 1
    return [math.ceil((s_max + 1) / (s + 1) * reduction_factor ** s)
            for s in range(s_max, -1, -1)]


class HyperbandPruner(Pruner):
    """Brackets of asynchronous successive halving, each trial in one bracket.

    Parameters
    ----------
    min_resource : the step of bracket 0's first rung.
    max_resource : the step a full trial reaches; ``"auto"``: the largest step a complete
        trial reported (no pruning before one completes).
    reduction_factor : ``eta``, as in :class:`SuccessiveHalvingPruner`.
    seed : with the trial number, picks each trial's bracket.

    >>> HyperbandPruner(max_resource=27, seed=0).n_brackets
    4
    >>> [HyperbandPruner(max_resource=27, seed=0).bracket_of(n) for n in range(8)]
    [1, 2, 0, 2, 2, 0, 0, 0]
    """

    def __init__(self, *, min_resource: int = 1, max_resource: int | str = "auto",
                 reduction_factor: int = 3, seed: int | None = None) -> None:
        self.min_resource = check_int("min_resource", min_resource, 1)
        self.reduction_factor = check_int("reduction_factor", reduction_factor, 2)
        if max_resource != "auto":
            try:
                max_resource = check_int("max_resource", max_resource, self.min_resource)
            except ValueError as exc:
                raise ValueError(f"{exc}; or 'auto' (the last step of the longest complete "
                                 "trial)") from None
        self.max_resource = max_resource
        self.seed = None if seed is None else check_int("seed", seed, 0)
        # (number, max_resource) -> bracket: a draw per trial, not per trial and question.
        self._brackets: dict[tuple[int, int], int] = {}

    def _settings(self) -> dict[str, Any]:
        return {"min_resource": self.min_resource, "max_resource": self.max_resource,
                "reduction_factor": self.reduction_factor, "seed": self.seed}

    @property
    def n_brackets(self) -> int:
        """How many brackets (known once ``max_resource`` is)."""
        if not isinstance(self.max_resource, int):
            raise ValueError("n_brackets is known once max_resource is; "
                             "pass max_resource=<the last step> instead of 'auto'")
        return len(self._weights(self.max_resource))

    def bracket_of(self, number: int, max_resource: int | None = None) -> int:
        """The bracket of trial ``number``: the same in every process."""
        resource = max_resource if max_resource is not None else self.max_resource
        if not isinstance(resource, int):
            raise ValueError("a bracket is known once max_resource is")
        known = self._brackets.get((number, resource))
        if known is None:
            known = self._brackets[(number, resource)] = self._draw(number, resource)
        return known

    def _draw(self, number: int, resource: int) -> int:
        weights = np.array(self._weights(resource), dtype=float)
        draw = np.random.default_rng([0 if self.seed is None else self.seed, number]).random()
        index = int(np.searchsorted(np.cumsum(weights) / weights.sum(), draw, side="right"))
        return min(index, len(weights) - 1)

    def should_prune(self, trial: FrozenTrial, trials: Sequence[FrozenTrial],
                     direction: Direction) -> bool:
        resource = self._resource(trials)
        if resource is None:
            return False
        bracket = self.bracket_of(trial.number, resource)
        same = [t for t in trials if self.bracket_of(t.number, resource) == bracket]
        halving = SuccessiveHalvingPruner(
            min_resource=self.min_resource, reduction_factor=self.reduction_factor,
            min_early_stopping_rate=bracket, max_resource=resource)
        return halving.should_prune(trial, same, direction)

    def _resource(self, trials: Sequence[FrozenTrial]) -> int | None:
        if isinstance(self.max_resource, int):
            return self.max_resource
        steps = [max(t.intermediate) for t in trials
                 if t.state is TrialState.COMPLETE and t.intermediate]
        return max(max(steps), self.min_resource) if steps else None

    def _weights(self, max_resource: int) -> list[int]:
        return bracket_weights(self.min_resource, max_resource, self.reduction_factor)
