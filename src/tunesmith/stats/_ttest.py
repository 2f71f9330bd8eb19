"""Nadeau and Bengio's corrected resampled t-test on paired per-fold scores.

Cross-validation folds share most of their training rows, so the fold scores of one
model are correlated and the plain paired t-test is far too confident. Nadeau and
Bengio (2003, "Inference for the generalization error", Machine Learning 52) inflate
the variance of the mean difference from ``s**2 / n`` to ``(1/n + n_test/n_train) s**2``;
the statistic is then compared with Student's t on ``n - 1`` degrees of freedom.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats as sps

__all__ = ["FoldComparison", "compare_folds", "fold_differences"]

#: Differences whose spread is below this fraction of the scores' scale count as equal.
_ZERO_SPREAD = 1e-12


@dataclass(frozen=True)
class FoldComparison:
    """The corrected resampled t-test of ``a - b`` over paired folds.

    ``difference`` is the mean of ``a - b`` over the ``n_folds`` pairs used (NaN pairs
    dropped); ``low`` and ``high`` bound its ``confidence`` interval; ``p_value`` is
    two-sided (the null hypothesis: no difference). ``reason`` is None for a regular
    test and a sentence when the test is degenerate, with these values:

    - no pair with both scores: ``difference``, ``low``, ``high`` and ``p_value`` NaN;
    - one pair: ``difference`` that pair's difference, ``low=-inf``, ``high=+inf``,
      ``p_value=1.0`` (one fold says nothing about the spread: no evidence either way);
    - every pair differs by the same amount, zero: ``low == high == 0``, ``p_value=1.0``;
    - every pair differs by the same nonzero amount: ``low == high == difference``,
      ``p_value=0.0`` (the test's limit as the spread vanishes; a fold score's
      granularity, such as accuracy on few rows, can cause it, so ``reason`` says so).
    """

    difference: float
    low: float
    high: float
    p_value: float
    n_folds: int
    confidence: float
    test_fraction: float
    #: Standard error of the difference after the correction (NaN when undefined).
    std_error: float = math.nan
    #: The t statistic (NaN when undefined; +-inf for a constant nonzero difference).
    statistic: float = math.nan
    reason: str | None = None

    @property
    def significant(self) -> bool:
        """True when the interval excludes zero (``p_value < 1 - confidence``)."""
        return self.n_folds > 0 and (self.low > 0 or self.high < 0)


def _check_level(name: str, value: float) -> float:
    value = float(value)
    if not 0.0 < value < 1.0:
        raise ValueError(f"{name} must be between 0 and 1 (e.g. 0.95), got {value!r}")
    return value


def _check_fraction(test_fraction: float) -> float:
    fraction = float(test_fraction)
    if not (math.isfinite(fraction) and fraction >= 0.0):
        raise ValueError(
            "test_fraction is n_test / n_train, a finite number >= 0 "
            f"(1 / (k - 1) for k-fold), got {test_fraction!r}"
        )
    return fraction


def fold_differences(
    a: Sequence[float] | np.ndarray, b: Sequence[float] | np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The paired scores with NaN folds dropped pairwise, and their differences.

    >>> da, db, d = fold_differences([0.9, float("nan"), 0.8], [0.85, 0.7, 0.8])
    >>> d.round(2).tolist()
    [0.05, 0.0]
    """
    xa = np.asarray(a, dtype=float)
    xb = np.asarray(b, dtype=float)
    if xa.ndim != 1 or xb.ndim != 1 or xa.shape != xb.shape:
        raise ValueError(
            "a and b must be paired per-fold scores: two flat sequences of the same length, "
            f"got shapes {xa.shape} and {xb.shape}"
        )
    keep = np.isfinite(xa) & np.isfinite(xb)
    return xa[keep], xb[keep], xa[keep] - xb[keep]


def compare_folds(
    a: Sequence[float] | np.ndarray,
    b: Sequence[float] | np.ndarray,
    *,
    test_fraction: float,
    confidence: float = 0.95,
) -> FoldComparison:
    """Compare two models' paired fold scores with the corrected resampled t-test.

    ``a`` and ``b`` hold one score per fold, the same folds in the same order; a fold
    where either is NaN (a failed fit) is dropped from both. ``test_fraction`` is
    ``n_test / n_train`` of one fold (``1 / (k - 1)`` for k-fold; 0 gives the plain,
    overconfident paired t-test). The interval is that of the mean of ``a - b``.

    >>> r = compare_folds([0.81, 0.82, 0.83, 0.80, 0.84],
    ...                   [0.80, 0.80, 0.80, 0.80, 0.80], test_fraction=1 / 4)
    >>> round(r.difference, 3), round(r.low, 4), round(r.high, 4), round(r.p_value, 3)
    (0.02, -0.0094, 0.0494, 0.132)
    >>> compare_folds([0.9], [0.8], test_fraction=0.25).reason
    'only one fold has both scores: its spread, and so the test, is undefined'
    """
    fraction = _check_fraction(test_fraction)
    level = _check_level("confidence", confidence)
    xa, xb, d = fold_differences(a, b)
    n = int(d.size)

    def result(
        difference: float, low: float, high: float, p_value: float, *,
        std_error: float = math.nan, statistic: float = math.nan, reason: str | None = None,
    ) -> FoldComparison:
        return FoldComparison(
            difference, low, high, p_value, n, level, fraction, std_error, statistic, reason
        )

    if n == 0:
        return result(
            math.nan, math.nan, math.nan, math.nan,
            reason="no fold has both scores (every pair has a NaN): nothing to compare",
        )
    mean = float(d.mean())
    if n == 1:
        return result(
            mean, -math.inf, math.inf, 1.0,
            reason="only one fold has both scores: its spread, and so the test, is undefined",
        )
    scale = max(1.0, float(np.max(np.abs(np.concatenate([xa, xb])))))
    if float(np.ptp(d)) <= _ZERO_SPREAD * scale:
        if abs(mean) <= _ZERO_SPREAD * scale:
            return result(
                0.0, 0.0, 0.0, 1.0, std_error=0.0,
                reason=f"the scores are identical on all {n} folds: no difference",
            )
        return result(
            mean, mean, mean, 0.0, std_error=0.0, statistic=math.copysign(math.inf, mean),
            reason=(
                f"every fold differs by exactly {mean:+.6g}: the spread is zero, so the "
                "difference is taken as certain (coarse scores on few rows can cause this)"
            ),
        )
    variance = float(d.var(ddof=1))
    std_error = math.sqrt((1.0 / n + fraction) * variance)
    statistic = mean / std_error
    df = n - 1
    p_value = float(2.0 * sps.t.sf(abs(statistic), df))
    half = float(sps.t.ppf(0.5 + level / 2.0, df)) * std_error
    return result(
        mean, mean - half, mean + half, p_value, std_error=std_error, statistic=statistic
    )
