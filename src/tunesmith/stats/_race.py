"""A racing round: which candidates are worse than the leader, folds as blocks.

F-Race (Birattari, Stützle, Paquete and Varrentrapp 2002, "A racing algorithm for
configuring metaheuristics") treats each instance, here each fold, as a block: every
candidate still in the race is scored on the same folds, so a fold that is easy for one
is easy for all, and that shared part is no evidence about any candidate. The scores
``y[i, j]`` (candidate ``i``, fold ``j``) follow the two-way additive model

    y[i, j] = mu + a[i] + b[j] + e[i, j]

and the residual variance ``s**2`` of ``e`` is pooled over *every* candidate alive:
``(n - 1)(m - 1)`` degrees of freedom for ``n`` candidates and ``m`` folds, where a
paired test of two candidates has ``m - 1`` and a variance from 2-4 folds.

With ``ranks=True`` (the default) the model is fitted to the candidates' ranks within
each fold (Conover and Iman's rank transform: this is exactly the post-hoc test F-Race
uses after Friedman's). A candidate that collapses on one fold then moves the pooled
variance by a few ranks, not by its whole drop: a grid holds such candidates (a
diverging learning rate, a one-leaf tree), and on raw scores they inflate everyone's
variance (``benchmarks/early_stopping.py`` measured it). ``ranks=False`` fits the scores,
and so does a round whose folds all rank the candidates in the same order (the ranks
then have no spread to test with, though that order is strong evidence).

Two candidates' means differ with variance ``2 s**2 / m``; cross-validation folds share
most of their training rows, so, as in Nadeau and Bengio's corrected resampled t-test
(:func:`tunesmith.stats.compare_folds`), ``1 / m`` becomes ``1 / m + n_test / n_train``.
Each candidate is compared with the *leader*, the best mean (of ranks, or scores) over
the same folds, by Student's t on ``(n - 1)(m - 1)`` degrees of freedom; it is *worse*
when the two-sided ``confidence`` interval of its difference lies below zero.

Multiple comparisons: each comparison is made at the stated level, not a simultaneous
one, as in F-Race's and Hoeffding races' post-hoc steps. The leader is never worse than
itself, so a round never stops everyone, and stopping one of several equally good
candidates costs nothing: the cost is in stopping the best while it is truly better
than the leader. A simultaneous level (Bonferroni over a hundred candidates) made
clear losers run to the end as well (a replay spent 73-98% of the fits), and F-Race's
omnibus gate (compare only when Friedman's test rejects) stopped nothing in grids of
many near-ties. So ``confidence`` is a per-comparison level, not a guarantee about the
candidates that tie with the best: the leader is the best of many means, biased upward
(the winner's curse). In a simulation of a complete null (every candidate equal,
independent normal fold noise, ``test_fraction=0.25``, ``confidence=0.8``, 200 rounds) a
round stopped 9-18% of 5 equal candidates and 39-46% of 100 (on 2 to 5 folds). That is
the race working as meant among ties, and why the level is a parameter chosen on
tuning tasks and checked on held-out ones (``benchmarks/results/early_stopping.md``).

An indifference zone (Bechhofer 1954; Kim and Nelson 2001 for sequential elimination):
with ``tolerance > 0`` on the scores' scale, a candidate is also *within* tolerance of
the leader when the upper end of the two-sided ``confidence`` interval of its mean
score minus the leader's (the end the "worse" rule uses: one-sided at
``(1 + confidence) / 2``) lies below ``tolerance``: at that level it cannot beat the
leader by more than ``tolerance``, so dropping it costs at most that. The interval
uses the pair's own variance, Kim and Nelson's ``S**2`` of the fold-by-fold
differences (``m - 1`` degrees of freedom, the same Nadeau-Bengio factor), not the
pooled one: neighbours in a grid have strongly correlated fold scores, so their
difference varies far less than ``2 s**2`` says, and those near-ties are what the zone
is for; the pooled variance of the scores is also inflated by any collapsing
candidate. A pair with no spread, the same difference on every fold (zero included:
identical fold scores), is not judged by the zone: on coarse scores it is as often a
tie of different models as the same model (logreg_wine's winner scored 1.0 on its
first two of ten folds with 40 others), so the leader's duplicates run on. The
choices (this variance, this end of the interval, no shortcut for identical scores)
were made on the benchmark's tuning tasks: the pooled variance, the one-sided
``confidence`` end, or stopping identical scores each lost a tuning task's winner by
0.0056-0.0167 at 10 folds (``benchmarks/results/early_stopping.md``). The leader is
never within tolerance of itself. The bound is per comparison, and costs can add
along a chain of leaders (a candidate dropped against a leader that a later leader
drops in turn); ``tolerance=0`` turns the zone off.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats as sps

from tunesmith.stats._ttest import _check_fraction, _check_level

__all__ = ["RaceRound", "race_round"]

#: A residual spread below this fraction of the scores' scale counts as none.
_ZERO_SPREAD = 1e-12


@dataclass(frozen=True)
class RaceRound:
    """One round of a race over ``n`` candidates (rows) on ``m`` shared folds.

    ``means`` are the rows' means of what was tested (their ranks within each fold,
    ``n`` the best, or their scores: ``ranks`` says which); ``leader`` is the row of
    the best mean (the first on ties). ``differences[i]`` is row ``i``'s mean minus the
    leader's, ``statistics[i]`` its t statistic (``differences / std_error``) and
    ``p_values[i]`` its one-sided p-value against "no worse than the leader" (Student's
    t on ``df`` degrees of freedom). ``worse[i]`` says row ``i`` is worse than the
    leader at ``confidence``. ``reason`` is None for a regular round, a sentence when
    nothing could be tested (fewer than 2 candidates or folds, or no residual spread):
    then no row is worse.

    The indifference zone (score scale, the pair's own variance: see the module):
    ``upper[i]`` is the upper end of the ``confidence`` interval of row ``i``'s mean
    score minus the leader's (NaN for the leader and for a pair with the same
    difference on every fold), and ``within[i]`` says ``upper[i] < tolerance`` (all
    False when ``tolerance`` is 0, or when there are fewer than 2 candidates or folds).
    """

    leader: int
    means: np.ndarray
    differences: np.ndarray
    statistics: np.ndarray
    p_values: np.ndarray
    worse: np.ndarray
    std_error: float
    residual_variance: float
    df: int
    confidence: float
    test_fraction: float
    ranks: bool
    tolerance: float
    upper: np.ndarray
    within: np.ndarray
    reason: str | None = None


def race_round(scores: Sequence[Sequence[float]] | np.ndarray, *, test_fraction: float,
               confidence: float = 0.8, ranks: bool = True,
               tolerance: float = 0.0) -> RaceRound:
    """Which candidates are worse than the leader: ``scores[i][j]`` is candidate ``i``'s
    score on fold ``j`` (higher is better; every candidate on the same folds, no NaN).

    ``test_fraction`` is ``n_test / n_train`` of one fold (``1 / (k - 1)`` for k-fold;
    0 drops the correction for overlapping training sets). ``ranks``: test the ranks
    within each fold (True) or the scores (see the module). ``tolerance`` (>= 0, the
    scores' scale) also marks the rows that cannot beat the leader by more than it
    (``within``; 0, the default, marks none).

    >>> y = [[0.90, 0.92, 0.91], [0.80, 0.83, 0.80], [0.89, 0.93, 0.90]]
    >>> r = race_round(y, test_fraction=0.25, ranks=False)
    >>> r.leader, r.df, r.worse.tolist()
    (0, 4, [False, True, False])
    >>> round(r.residual_variance, 7), round(float(r.statistics[1]), 3)
    (4.44e-05, -13.887)
    >>> race_round(y, test_fraction=0.25).means.tolist()  # ranks: 3 is the best
    [2.6666666666666665, 1.0, 2.3333333333333335]
    >>> z = race_round(y, test_fraction=0.25, tolerance=0.02)  # row 2: at most +0.013
    >>> z.within.tolist(), [round(float(u), 4) for u in z.upper]
    ([False, True, True], [nan, -0.0856, 0.0133])
    """
    fraction = _check_fraction(test_fraction)
    level = _check_level("confidence", confidence)
    zone = _check_tolerance(tolerance)
    raw = np.asarray(scores, dtype=float)
    if raw.ndim != 2:
        raise ValueError("scores must be a table, one row per candidate and one column per "
                         f"fold, got an array of shape {raw.shape}")
    if not np.isfinite(raw).all():
        raise ValueError("scores must be finite: leave out a candidate with a failed (NaN) "
                         "fold before racing the others")
    n, m = raw.shape
    y = sps.rankdata(raw, axis=0) if ranks and n else raw
    means = y.mean(axis=1)
    leader = int(np.argmax(means)) if n else 0
    differences = means - means[leader] if n else means
    df = max((n - 1) * (m - 1), 0)

    nan = np.full(n, np.nan)
    never = np.zeros(n, dtype=bool)
    upper = nan if n < 2 or m < 2 else _upper_bounds(raw, leader, fraction, level)
    within = (upper < zone) if zone > 0.0 else never

    def result(statistics: np.ndarray, p_values: np.ndarray, worse: np.ndarray,
               std_error: float, variance: float, reason: str | None = None) -> RaceRound:
        return RaceRound(leader, means, differences, statistics, p_values, worse,
                         std_error, variance, df, level, fraction, bool(ranks), zone,
                         upper, within, reason)

    if n < 2 or m < 2:
        return result(nan, nan, never, math.nan, math.nan,
                      f"{n} candidates on {m} folds: a race needs 2 of each")
    variance = _residual_variance(y, means, df)
    if ranks and variance == 0.0:
        # The same order on every fold leaves the ranks no spread to test with, while
        # it is strong evidence: test the scores, whose spread it does not erase.
        return race_round(raw, test_fraction=fraction, confidence=level, ranks=False,
                          tolerance=zone)
    if variance == 0.0:
        return result(nan, nan, never, 0.0, variance,
                      "the candidates differ by the same amount on every fold: no residual "
                      "spread to test with (coarse scores on few rows can cause it)")
    std_error = math.sqrt(2.0 * variance * (1.0 / m + fraction))
    statistics = differences / std_error
    p_values = sps.t.cdf(statistics, df)
    half = float(sps.t.ppf(0.5 + level / 2.0, df)) * std_error
    return result(statistics, p_values, differences + half < 0, std_error, variance)


def _upper_bounds(raw: np.ndarray, leader: int, fraction: float, level: float
                  ) -> np.ndarray:
    """Each row's upper end of the ``level`` interval of its mean score minus the
    leader's, from the pair's own fold-by-fold differences (NaN: not judged)."""
    m = raw.shape[1]
    differences = raw - raw[leader]
    spread = differences.std(axis=1, ddof=1)
    half = float(sps.t.ppf(0.5 + level / 2.0, m - 1)) * math.sqrt(1.0 / m + fraction)
    upper = differences.mean(axis=1) + half * spread
    # The same difference on every fold (identical scores included): coarse scores on
    # few folds, not certainty (see the module).
    upper[spread <= _ZERO_SPREAD * max(1.0, float(np.abs(raw).max()))] = np.nan
    upper[leader] = np.nan
    return upper


def _check_tolerance(tolerance: float) -> float:
    if isinstance(tolerance, bool) or not isinstance(tolerance, numbers.Real) or not (
            math.isfinite(float(tolerance)) and float(tolerance) >= 0.0):
        raise ValueError("tolerance must be a finite number >= 0 on the scores' scale (e.g. "
                         f"0.002; 0 turns the indifference zone off), got {tolerance!r}")
    return float(tolerance)


def _residual_variance(y: np.ndarray, means: np.ndarray, df: int) -> float:
    """The two-way model's residual mean square (0.0 below the scores' precision)."""
    residuals = y - means[:, None] - y.mean(axis=0)[None, :] + y.mean()
    variance = float((residuals ** 2).sum() / df)
    scale = max(1.0, float(np.abs(y).max()))
    return 0.0 if variance <= (_ZERO_SPREAD * scale) ** 2 else variance
