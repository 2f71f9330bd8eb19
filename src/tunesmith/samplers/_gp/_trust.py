"""A trust region around the incumbent: where the acquisition may look.

Why: with a few tens of trials in 6 or more dimensions, the lengthscales are not
identified by the data. The MAP fit left most parameters near the prior's long
lengthscale (the model nearly linear in them; with the prior's median then growing as
``sqrt(d)``, see ``_model``) and explained the values with one or two short ones, a
different pair at each ask. Over the whole cube, such a model's
mean falls and its variance rises towards the faces, so expected improvement is
largest on the cube's corners: by construction of the model, not by a quirk of the
search. Plain BO then spent its trials on corners (on 10-D Ackley, 44% of the
proposals after the start-up had most coordinates on a bound; on a 10-D quadratic
whose minimum is inside, 37-57%). With the lengthscale prior's median at one range,
the whole cube was still worse than the box on 10-D Hartmann and 8-D Zakharov after 50
trials (12 seeds).

TuRBO (Eriksson et al. 2019, "Scalable global optimization via local Bayesian
optimization") maximises the acquisition inside a box centred on the best trial
instead, whose side doubles after 3 successes in a row and halves after
``max(4, d)`` failures in a row (TuRBO's defaults for one point at a time). The box
here is a cube: TuRBO stretches it by the lengthscales, but lengthscales that change
from one ask to the next (above) would make its shape noise.

The side is not stored: it is replayed from the finished trials in order (the first
``n_startup`` set the incumbent), so the same history gives the same box in any
process.

Known limit: a collapsed box restarts at side 0.8 around the *same* incumbent, where
TuRBO starts a new region elsewhere. A run therefore stays in its basin: on 4-D
Styblinski-Tang no run changes basin after trial 100 (7/30 seeds at the global minimum
by 200 trials, Optuna's global EI 25/30). Looking outside the box (wider restarts, every
k-th ask over the whole cube, TuRBO's restart, no box) fixed that only by losing on
Ackley-5, Levy-4 or Rosenbrock-5 (``benchmarks/results/suite_gp.md``, round 6).

>>> import numpy as np
>>> loss = np.array([5.0, 4.0, 3.0, 2.0, 1.0, 0.5])   # three successes after start-up
>>> trust_length(loss, np.ones(6, dtype=bool), n_startup=3, dim=2)
1.6
>>> trust_length(np.array([1.0] + [2.0] * 8), np.ones(9, dtype=bool), n_startup=1, dim=2)
0.2
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["trust_box", "trust_length"]

#: TuRBO's defaults: initial, largest and smallest side on the unit cube.
_LENGTH_INIT = 0.8
_LENGTH_MAX = 1.6
_LENGTH_MIN = 0.5**7
#: Consecutive successes that double the side; an improvement must beat the best by
#: this fraction of its magnitude to count.
_SUCCESS_TOLERANCE = 3
_RELATIVE_IMPROVEMENT = 1e-3


def trust_length(loss: np.ndarray, ok: np.ndarray, n_startup: int, dim: int) -> float:
    """The box's side after replaying the finished trials in order (minimisation).

    A trial that improves the best by more than ``1e-3`` of its magnitude is a success,
    any other (failed ones included) a failure; ``3`` successes in a row double the side
    (up to 1.6), ``max(4, dim)`` failures in a row halve it; below ``0.5**7`` it starts
    again from 0.8 (the region is exhausted: look wider).
    """
    fail_tolerance = max(4, int(dim))
    length = _LENGTH_INIT
    best = math.inf
    successes = failures = 0
    for i, (value, good) in enumerate(zip(loss.tolist(), ok.tolist(), strict=True)):
        if not good:
            improved = False
        elif not math.isfinite(best):
            improved = True
        else:
            improved = value < best - _RELATIVE_IMPROVEMENT * abs(best)
        if good and value < best:
            best = value
        if i < n_startup:
            continue
        if improved:
            successes, failures = successes + 1, 0
        else:
            successes, failures = 0, failures + 1
        if successes == _SUCCESS_TOLERANCE:
            length, successes = min(2.0 * length, _LENGTH_MAX), 0
        elif failures == fail_tolerance:
            length, failures = length / 2.0, 0
            if length < _LENGTH_MIN:
                length = _LENGTH_INIT
    return length


def trust_box(center: np.ndarray, length: float) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper unit bounds of the cube of side ``length`` around ``center``,
    clipped to the unit cube (NaN, an inactive parameter: its whole range).

    >>> lo, hi = trust_box(np.array([0.9, 0.5, np.nan]), 0.4)
    >>> lo.round(2).tolist(), hi.round(2).tolist()
    ([0.7, 0.3, 0.0], [1.0, 0.7, 1.0])
    """
    half = 0.5 * length
    inactive = np.isnan(center)
    c = np.where(inactive, 0.5, center)
    lo = np.where(inactive, 0.0, np.clip(c - half, 0.0, 1.0))
    hi = np.where(inactive, 1.0, np.clip(c + half, 0.0, 1.0))
    return lo, hi
