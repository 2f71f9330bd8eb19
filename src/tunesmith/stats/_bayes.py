"""Corani and Benavoli's Bayesian correlated t-test on paired fold scores.

Corani and Benavoli (2015, "A Bayesian approach for comparing cross-validated
algorithms on multiple data sets", Machine Learning 100) model the fold differences as
correlated normals with correlation ``rho = n_test / (n_test + n_train)``. Under their
non-informative prior the posterior of the mean difference is Student's t with
``n - 1`` degrees of freedom, located at the mean difference, with scale
``sqrt((1/n + rho / (1 - rho)) s**2)``: Nadeau and Bengio's corrected standard error,
since ``rho / (1 - rho) = n_test / n_train``. A region of practical equivalence (ROPE,
``[-rope, rope]``) turns it into three probabilities: ``a`` better, equivalent, ``b``
better (Benavoli et al. 2017, "Time for a change", JMLR 18).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats as sps

from tunesmith.stats._ttest import _ZERO_SPREAD, _check_fraction, fold_differences

__all__ = ["BayesComparison", "bayes_compare_folds"]


@dataclass(frozen=True)
class BayesComparison:
    """The posterior of the mean of ``a - b``, and the probabilities around the ROPE.

    ``p_left`` is P(mean < -rope) (``b`` better), ``p_rope`` P(|mean| <= rope)
    (practically equivalent), ``p_right`` P(mean > rope) (``a`` better). Degenerate
    cases, named in ``reason``: no pair, NaN everywhere; one pair, the probabilities NaN
    (one fold says nothing about the spread: the posterior is improper); every pair
    differing by the same amount, the posterior is that point (probabilities 0 or 1).
    """

    difference: float
    scale: float
    df: int
    rope: float
    p_left: float
    p_rope: float
    p_right: float
    n_folds: int
    reason: str | None = None


def bayes_compare_folds(
    a: Sequence[float] | np.ndarray,
    b: Sequence[float] | np.ndarray,
    *,
    test_fraction: float,
    rope: float = 0.0,
) -> BayesComparison:
    """Compare paired fold scores with the Bayesian correlated t-test and a ROPE.

    ``test_fraction`` is ``n_test / n_train`` of a fold (``1 / (k - 1)`` for k-fold);
    ``rope`` the half-width of the region where a difference does not matter, in the
    scores' units (0.01: one point of accuracy).

    >>> r = bayes_compare_folds([0.81, 0.82, 0.83, 0.80, 0.84], [0.8] * 5,
    ...                         test_fraction=0.25, rope=0.01)
    >>> round(r.p_left, 3), round(r.p_rope, 3), round(r.p_right, 3)
    (0.024, 0.176, 0.8)
    """
    fraction = _check_fraction(test_fraction)
    rope = float(rope)
    if not (math.isfinite(rope) and rope >= 0.0):
        raise ValueError(f"rope is a half-width in the scores' units, >= 0 (e.g. 0.01), "
                         f"got {rope!r}")
    xa, xb, d = fold_differences(a, b)
    n = int(d.size)
    nan = math.nan
    if n == 0:
        return BayesComparison(nan, nan, 0, rope, nan, nan, nan, 0,
                               "no fold has both scores (every pair has a NaN): nothing "
                               "to compare")
    mean = float(d.mean())
    if n == 1:
        return BayesComparison(mean, nan, 0, rope, nan, nan, nan, 1,
                               "only one fold has both scores: the posterior is improper")
    scale_of = max(1.0, float(np.max(np.abs(np.concatenate([xa, xb])))))
    if float(np.ptp(d)) <= _ZERO_SPREAD * scale_of:
        left, right = float(mean < -rope), float(mean > rope)
        return BayesComparison(mean, 0.0, n - 1, rope, left, 1.0 - left - right, right, n,
                               f"every fold differs by exactly {mean:+.6g}: the posterior "
                               "is that point")
    scale = math.sqrt((1.0 / n + fraction) * float(d.var(ddof=1)))
    posterior = sps.t(n - 1, loc=mean, scale=scale)
    left = float(posterior.cdf(-rope))
    right = float(posterior.sf(rope))
    return BayesComparison(mean, scale, n - 1, rope, left, max(0.0, 1.0 - left - right),
                           right, n)
