"""Successive halving's arithmetic, as scikit-learn's halving searches do it.

Kept apart from the searches so that each rule can be read (and tested) alone:

* :func:`plan_halving`: how many iterations are required (until fewer than ``factor``
  candidates are left), how many the resources allow, how many run, and the
  resource of each iteration (``min_resources * factor ** power``; with
  ``aggressive_elimination`` the first resource repeats while candidates are too
  many for the iterations the resources allow).
* :func:`best_of_iteration`: the ``k`` best candidates of one iteration, in the
  order scikit-learn hands them to the next (worst kept first; a failed, NaN score
  never kept before a finite one).
* :class:`SubsampleSplitter`: each split of a base splitter, subsampled (train and
  test) to a fraction of its rows with ``sklearn.utils.resample``.

Every expression is the one scikit-learn evaluates (``math.log`` and ``floor``, an
``int`` of a float product, numpy's default ``argsort``), so the numbers agree to
the last candidate even where floating point rounds.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from math import floor, log
from typing import Any

import numpy as np
from sklearn.utils import resample

__all__ = [
    "HalvingPlan",
    "SubsampleSplitter",
    "best_of_iteration",
    "plan_halving",
    "yields_constant_splits",
]


@dataclass(frozen=True)
class HalvingPlan:
    """The iterations of one halving search.

    >>> plan = plan_halving(n_candidates=10, factor=3, min_resources=20,
    ...                     max_resources=150, exhaust=False, aggressive=False)
    >>> plan.n_iterations, [plan.resources(i) for i in range(plan.n_iterations)]
    (2, [20, 60])
    """

    #: Iterations until fewer than ``factor`` candidates are left.
    n_required_iterations: int
    #: Iterations the resources allow, from ``min_resources`` up to ``max_resources``.
    n_possible_iterations: int
    #: Iterations that run.
    n_iterations: int
    #: The resource of the first iteration (raised by ``min_resources="exhaust"``; a
    #: float then when ``factor`` is one, as in scikit-learn).
    min_resources: float
    max_resources: int
    factor: float
    aggressive: bool

    def resources(self, iteration: int) -> int:
        """The resource every candidate of ``iteration`` gets."""
        power = iteration
        if self.aggressive:
            # The first resource again while candidates are being eliminated, then up.
            power = max(0, iteration - self.n_required_iterations + self.n_possible_iterations)
        return min(int(self.factor**power * self.min_resources), self.max_resources)


def plan_halving(*, n_candidates: int, factor: float, min_resources: float,
                 max_resources: int, exhaust: bool, aggressive: bool) -> HalvingPlan:
    """The plan for ``n_candidates`` first candidates.

    ``exhaust``: start with the largest resource that still lets the last required
    iteration run within ``max_resources`` (``min_resources="exhaust"``).
    """
    if n_candidates < 1:
        raise ValueError("No fits were performed. Were there no candidates?")
    required = 1 + floor(log(n_candidates, factor))
    if exhaust:
        min_resources = max(min_resources, max_resources // factor ** (required - 1))
    possible = 1 + floor(log(max_resources // min_resources, factor))
    n_iterations = required if aggressive else min(possible, required)
    return HalvingPlan(n_required_iterations=required, n_possible_iterations=possible,
                       n_iterations=n_iterations, min_resources=min_resources,
                       max_resources=max_resources, factor=factor, aggressive=aggressive)


def best_of_iteration(results: Mapping[str, Any], k: int, iteration: int) -> list[Any]:
    """The parameters of the ``k`` (at least 1) best candidates of ``iteration``, worst
    kept first.

    NaN scores rank below every finite one. Ties fall as numpy's default ``argsort``
    orders them, as in scikit-learn.

    >>> results = {"iter": [0, 0, 0], "mean_test_score": [0.5, float("nan"), 0.9],
    ...            "params": [{"C": 1}, {"C": 2}, {"C": 3}]}
    >>> best_of_iteration(results, 2, 0)
    [{'C': 1}, {'C': 3}]
    """
    rows = np.flatnonzero(np.asarray(results["iter"]) == iteration)
    scores = np.asarray(results["mean_test_score"])[rows]
    order = np.argsort(scores)  # ascending, NaNs last
    n_nan = int(np.count_nonzero(np.isnan(scores)))
    order = np.concatenate([order[len(order) - n_nan:], order[:len(order) - n_nan]])
    params = results["params"]
    return [params[int(rows[i])] for i in order[-k:]]


def yields_constant_splits(cv: Any) -> bool:
    """Whether every ``cv.split`` call gives the same splits (halving splits repeatedly).

    A splitter without a ``shuffle`` attribute counts as shuffling; one without a
    ``random_state`` (nothing random) counts as seeded.
    """
    shuffle = getattr(cv, "shuffle", True)
    random_state = getattr(cv, "random_state", 0)
    return isinstance(random_state, numbers.Integral) or not shuffle


class SubsampleSplitter:
    """The splits of ``base_cv``, each side cut to ``fraction`` of its rows at random.

    ``random_state`` is handed to ``sklearn.utils.resample`` for each side of each
    split, as scikit-learn's halving does: an int draws the same rows every time.
    """

    def __init__(self, base_cv: Any, fraction: float, random_state: Any) -> None:
        self.base_cv = base_cv
        self.fraction = fraction
        self.random_state = random_state

    def split(self, X: Any, y: Any = None, **params: Any
              ) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        for train, test in self.base_cv.split(X, y, **params):
            yield self._cut(train), self._cut(test)

    def _cut(self, rows: np.ndarray) -> np.ndarray:
        n = int(self.fraction * len(rows))
        cut: np.ndarray = resample(rows, replace=False, random_state=self.random_state,
                                   n_samples=n)
        return cut

    def get_n_splits(self, X: Any = None, y: Any = None, **params: Any) -> int:
        return int(self.base_cv.get_n_splits(X, y, **params))
