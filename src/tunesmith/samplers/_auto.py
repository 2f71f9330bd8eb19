"""``sampler="auto"``: a Gaussian process where it pays, TPE elsewhere.

The rule, per ask (measured in ``benchmarks/suite.py``, column ``ts-auto``):

* **GP** when the space is one :class:`~tunesmith.space.Space` without conditions,
  of at most ``MAX_GP_PARAMS`` parameters, more than half of them continuous (floats
  without a step), at most ``MAX_GP_CATEGORICAL`` categorical, and the study has
  fewer than ``gp_trials`` trials. This is where a GP's model of the whole response
  surface beats TPE's per-trial kernels: small budgets on low-dimensional,
  mostly continuous spaces.
* **TPE** otherwise: conditional and union spaces (TPE models the tree), mostly
  discrete spaces (the GP relaxes integers and choices to a continuum and rounds,
  which models them poorly), more dimensions, and longer studies: a GP's ask costs
  the cube of the number of trials (about 0.1-0.5 s from 50 to 200 trials, where TPE
  takes milliseconds), and on the development tasks TPE had caught up by 100 trials.
  A study whose trials are expensive enough that sample efficiency matters past that
  should ask for ``sampler="gp"`` itself.

The dimension limit: at most 10, chosen on the development tasks after the GP's
lengthscale prior stopped growing with the dimension (``448e793``; 30 seeds, GP against
TPE, same seeds, ``benchmarks/results/suite_gp.md``): on both 10-D development tasks
(Ackley-10, Hartmann-6 inside 10 parameters) the GP ties TPE at 20 trials and is ahead at
50 (14.25 against 16.64, -3.309 against -2.798, significant on both routes); with the old
prior it lost both at 20 trials, which had set the limit at 8. Nothing above 10 parameters
was measured. At 20 trials in 8 dimensions (Zakharov-8) the GP is still behind TPE: ten
Sobol start-up trials leave it few model-based ones; the rule does not see the budget.

Both share the seed. When the study grows past ``gp_trials``, TPE takes over with
the whole history, so nothing learnt is lost.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from tunesmith.records import FrozenTrial
from tunesmith.samplers._base import AnySpace, Sampler
from tunesmith.samplers._gp import GPSampler
from tunesmith.samplers._tpe import TPESampler
from tunesmith.space import Categorical, Dimension, Distribution, Float, Space

__all__ = ["MAX_GP_CATEGORICAL", "MAX_GP_PARAMS", "AutoSampler"]

#: Parameters a GP models at most (measured up to 10 on the development tasks: see the
#: module's docstring).
MAX_GP_PARAMS = 10
#: Categorical parameters a GP takes at most (each is one Hamming term).
MAX_GP_CATEGORICAL = 2


class AutoSampler(Sampler):
    """Picks GP or TPE for each ask, by the space and the number of trials so far.

    Parameters
    ----------
    seed : shared by both samplers: same seed and history, same proposals.
    gp_trials : the first this many trials are the GP's (by trial number); TPE
        proposes the later ones (a GP's ask gets slow).

    >>> from tunesmith.space import Categorical, Condition, Float, Space
    >>> auto = AutoSampler(seed=0)
    >>> auto.choose(Space({"x": Float(0.0, 1.0)}), 10).__class__.__name__
    'GPSampler'
    >>> tree = Space({"k": Categorical(["a", "b"]), "x": Float(0.0, 1.0)},
    ...              conditions=[Condition("x", "k", ["a"])])
    >>> auto.choose(tree, 10).__class__.__name__
    'TPESampler'
    """

    uses_history = True

    def __init__(self, seed: int | None = None, *, gp_trials: int = 50) -> None:
        self.seed = seed
        self.gp_trials = int(gp_trials)
        self.gp = GPSampler(seed)
        self.tpe = TPESampler(seed)

    def choose(self, space: AnySpace, n_trials: int) -> Sampler:
        """The sampler this rule uses for ``space`` with ``n_trials`` trials so far."""
        if n_trials < self.gp_trials and _suits_gp(space):
            return self.gp
        return self.tpe

    def propose(self, space: AnySpace, history: Sequence[FrozenTrial], number: int) -> dict:
        # Trials before this one, by its number: the history also holds the trial being
        # asked (and others running), which made the gp_trials-th trial TPE's.
        sampler = self.choose(space, number)
        sampler.direction = self.direction
        return sampler.propose(space, history, number)

    def propose_one(self, name: str, dimension: Dimension, history: Sequence[FrozenTrial],
                    number: int, params: Mapping[str, Any]) -> Any:
        self.tpe.direction = self.direction
        return self.tpe.propose_one(name, dimension, history, number, params)

    def __repr__(self) -> str:
        return f"AutoSampler(seed={self.seed!r})"


def _suits_gp(space: Any) -> bool:
    if not isinstance(space, Space) or space.conditions or len(space) > MAX_GP_PARAMS:
        return False
    dims = [space[name] for name in space.names]
    if any(isinstance(d, Distribution) for d in dims):
        return False
    continuous = sum(isinstance(d, Float) and d.step is None for d in dims)
    categorical = sum(isinstance(d, Categorical) for d in dims)
    return 2 * continuous > len(dims) and categorical <= MAX_GP_CATEGORICAL
