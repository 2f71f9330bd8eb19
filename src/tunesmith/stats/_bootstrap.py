"""Percentile bootstrap intervals, for scores on a held-out set.

A held-out score is one number from one sample of rows; resampling the rows with
replacement (Efron and Tibshirani 1993, chapter 13) shows how much it would move on
another sample of the same size. Resampling both models' rows *together* gives the
interval of their difference, which is narrower than the two intervals suggest because
the models err on many of the same rows.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["Interval", "bootstrap_intervals"]


@dataclass(frozen=True)
class Interval:
    """A statistic on the full sample and its percentile bootstrap interval."""

    estimate: float
    low: float
    high: float
    confidence: float


def bootstrap_intervals(
    statistic: Callable[[np.ndarray], Any],
    n: int,
    *,
    confidence: float = 0.95,
    n_resamples: int = 1000,
    seed: int = 0,
) -> list[Interval]:
    """Percentile bootstrap intervals of the statistics ``statistic(rows)`` returns.

    ``statistic`` takes an array of row indices (``np.arange(n)`` for the full sample,
    resampled indices otherwise) and returns one number or a sequence of numbers (several
    statistics on the same resample: two models' scores and their difference). Resamples
    on which a statistic is NaN (a metric undefined on them, say one class only) are left
    out of its interval. Seeded: the same call gives the same intervals.

    >>> values = np.array([0.0, 1.0, 1.0, 1.0])
    >>> [mean] = bootstrap_intervals(lambda rows: values[rows].mean(), 4, seed=0)
    >>> mean.estimate, mean.low, mean.high
    (0.75, 0.25, 1.0)
    """
    if not 0.0 < float(confidence) < 1.0:
        raise ValueError(f"confidence must be between 0 and 1 (e.g. 0.95), got {confidence!r}")
    if int(n_resamples) < 10:
        raise ValueError(f"n_resamples must be at least 10 (e.g. 1000), got {n_resamples!r}")
    if int(n) < 1:
        raise ValueError(f"a bootstrap needs at least one row, got n={n!r}")
    full = np.atleast_1d(np.asarray(statistic(np.arange(n)), dtype=float))
    rng = np.random.default_rng(seed)
    draws = np.empty((int(n_resamples), full.size))
    for i in range(int(n_resamples)):
        draws[i] = np.atleast_1d(np.asarray(statistic(rng.integers(0, n, n)), dtype=float))
    tail = (1.0 - float(confidence)) / 2.0
    intervals = []
    for j, estimate in enumerate(full):
        column = draws[:, j][np.isfinite(draws[:, j])]
        if column.size == 0:
            low = high = math.nan
        else:
            low, high = (float(q) for q in np.quantile(column, [tail, 1.0 - tail]))
        intervals.append(Interval(float(estimate), low, high, float(confidence)))
    return intervals
