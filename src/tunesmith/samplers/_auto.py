"""``sampler="auto"``: a Gaussian process where it pays, TPE elsewhere.

The rule, per ask (measured in ``benchmarks/suite.py``, column ``ts-auto``):

* **GP** when the space is one :class:`~tunesmith.space.Space` without conditions,
  of at most ``MAX_GP_PARAMS`` parameters, more than half of them continuous (floats
  without a step), at most ``MAX_GP_CATEGORICAL`` categorical, and the study has
  fewer than ``gp_trials`` trials. This is where a GP's model of the whole response
  surface beats TPE's per-trial kernels: budgets of tens to hundreds of trials on
  low-dimensional, mostly continuous spaces.
* **TPE** otherwise: conditional and union spaces (TPE models the tree), mostly
  discrete spaces (the GP relaxes integers and choices to a continuum and rounds,
  which models them poorly), more dimensions, and studies past ``gp_trials`` (200).

The trial limit: 200, the longest budget measured. Until the GP was measured at 100
and 200 trials it was 50, on the belief that TPE catches up by then and that a GP's ask
gets slow. Neither held (``benchmarks/results/suite_gp.md``, round 5; 30 seeds, paired
by seed): on every development task the rule gives to the GP (Branin, Hartmann-6,
Ackley-10, Hartmann-6 in 10, Zakharov-8) the GP is significantly ahead of TPE at 100 and
at 200 trials on the declared route (Ackley-10 at 200: 2.95 against 7.75), and ahead or
level define-by-run; auto switched to TPE at 50 was behind the GP alone at 100
(Ackley-10: 11.5 against 5.09 by median). One GP ask costs about 6 ms with 100 trials,
15 ms with 200 and 50 ms with 500 (Hartmann-6, one core), against 1 ms for TPE: small
beside any objective worth a model. Past 200 nothing was measured, so TPE takes over
there, as it always could, with the whole history. A study that wants the GP throughout
asks for ``sampler="gp"``.

The dimension limit: at most 10, chosen on the development tasks after the GP's
lengthscale prior stopped growing with the dimension (``448e793``; 30 seeds, GP against
TPE, same seeds, ``benchmarks/results/suite_gp.md``): on both 10-D development tasks
(Ackley-10, Hartmann-6 inside 10 parameters) the GP ties TPE at 20 trials and is ahead at
50 (14.25 against 16.64, -3.309 against -2.798, significant on both routes); with the old
prior it lost both at 20 trials, which had set the limit at 8. Nothing above 10 parameters
was measured. At 20 trials in 8 dimensions (Zakharov-8, define-by-run) and in 10 on the
held-out Rosenbrock-10 the GP is behind TPE: ten Sobol start-up trials leave it few
model-based ones; the rule does not see the budget.

Both share the seed. When the study grows past ``gp_trials``, TPE takes over with
the whole history, so nothing learnt is lost.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from tunesmith._checks import check_int
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
        proposes the later ones (past the budgets measured; a GP's ask grows with the
        cube of the trials).

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

    def __init__(self, seed: int | None = None, *, gp_trials: int = 200) -> None:
        self.seed = seed
        self.gp_trials = check_int("gp_trials", gp_trials, 0)
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
