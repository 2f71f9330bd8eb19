"""The sampler interface: propose parameters from the history, never write results.

Call order, as the study drives it:

1. ``candidates(space)``: a sampler over a finite, ordered list (grid, a finite
   random permutation, a drop-in's candidate list) returns that list; the study
   then claims free indices from storage, so parallel or resumed workers neither
   repeat nor skip a point. Other samplers return None.
2. ``propose(space, history, number)``: otherwise, a full point for a declared space.
3. ``propose_one(name, dimension, history, number, params)``: define-by-run, one
   parameter at a time, for parameters outside the declared space.
4. ``after_trial(trial)``: optional hook once a trial is finished (no-op by default).

Randomness is derived from ``(seed, trial number)`` so a proposal does not depend on
how many workers run or in which order trials finish.
"""

from __future__ import annotations

import abc
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from tunesmith.records import Direction, FrozenTrial
from tunesmith.space import Dimension, Space, SpaceUnion

__all__ = ["Sampler", "trial_rng"]

AnySpace = Space | SpaceUnion


def trial_rng(seed: int | None, number: int, stream: int = 0) -> np.random.Generator:
    """The generator for one trial: the same (seed, number) always gives the same draws.

    With ``seed=None`` the draws are fresh entropy (not reproducible), as users expect.

    >>> float(trial_rng(1, 5).random()) == float(trial_rng(1, 5).random())
    True
    """
    if seed is None:
        return np.random.default_rng()
    return np.random.default_rng([int(seed), int(number), int(stream)])


class Sampler(abc.ABC):
    """Base class of every sampler. Subclasses implement ``propose``."""

    seed: int | None = None
    #: Set by the study: whether smaller or larger values are better.
    direction: Direction = Direction.MINIMIZE
    #: Whether ``propose`` reads the history; the study skips reading it otherwise.
    uses_history: bool = False

    def candidates(self, space: AnySpace | None) -> Sequence[Mapping[str, Any]] | None:
        """The finite, ordered list this sampler walks through, or None."""
        return None

    @abc.abstractmethod
    def propose(
        self, space: AnySpace, history: Sequence[FrozenTrial], number: int
    ) -> dict[str, Any]:
        """A full, valid point of ``space`` for trial ``number``."""

    def propose_one(
        self,
        name: str,
        dimension: Dimension,
        history: Sequence[FrozenTrial],
        number: int,
        params: Mapping[str, Any],
    ) -> Any:
        """One define-by-run parameter; by default an independent uniform draw."""
        # A per-name stream keeps draws stable when the objective asks in another order.
        stream = _stable_hash(name)
        return dimension.sample(trial_rng(self.seed, number, stream))

    def after_trial(self, trial: FrozenTrial) -> None:
        """Hook called once a trial is finished; samplers with state update it here."""

    def candidate_budget(self, index: int) -> float | None:
        """The resource candidate ``index`` is evaluated with, kept as its trial's
        ``budget`` (a halving search's samples or ``n_estimators``); None by default."""
        return None

    def __repr__(self) -> str:
        return f"{type(self).__name__}(seed={self.seed!r})"


def _stable_hash(text: str) -> int:
    """A hash of a string that is the same in every process (``hash`` is salted)."""
    value = 0
    for byte in text.encode():
        value = (value * 131 + byte) % (2**31 - 1)
    return value
