"""Percentile bootstrap intervals: coverage on a known distribution, scipy's answer."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats as sps

from tunesmith.stats import bootstrap_intervals


@pytest.mark.slow  # many bootstrap replications
def test_coverage_of_a_known_mean() -> None:
    # 150 samples of 100 rows from N(0.3, 1): the 90% interval of the mean should cover
    # 0.3 about 90% of the time (percentile bootstrap: slightly less at this size).
    rng = np.random.default_rng(12345)
    covered = 0
    for i in range(150):
        x = rng.normal(0.3, 1.0, 100)
        [mean] = bootstrap_intervals(lambda r, x=x: x[r].mean(), x.size, confidence=0.9,
                                     n_resamples=300, seed=i)
        covered += mean.low <= 0.3 <= mean.high
    assert 0.82 <= covered / 150 <= 0.97


def test_agrees_with_scipy_percentile_bootstrap() -> None:
    x = np.random.default_rng(1).binomial(1, 0.8, 150).astype(float)  # accuracies: 0/1 rows
    [ours] = bootstrap_intervals(lambda r: x[r].mean(), x.size, n_resamples=8000, seed=3)
    ref = sps.bootstrap((x,), np.mean, n_resamples=8000, method="percentile",
                        rng=np.random.default_rng(4)).confidence_interval
    assert ours.estimate == x.mean()
    assert ours.low == pytest.approx(ref.low, abs=0.01)
    assert ours.high == pytest.approx(ref.high, abs=0.01)


def test_paired_statistics_share_resamples() -> None:
    # b is a copy of a shifted by one: their difference is 1 on every resample.
    a = np.random.default_rng(0).normal(size=40)
    b = a - 1.0
    ia, ib, d = bootstrap_intervals(
        lambda r: (a[r].mean(), b[r].mean(), a[r].mean() - b[r].mean()), 40, seed=0)
    assert ia.high - ia.low > 0.2 and ib.high - ib.low > 0.2
    assert d.low == pytest.approx(1.0) and d.high == pytest.approx(1.0)


def test_seeded() -> None:
    x = np.arange(30.0)
    first = bootstrap_intervals(lambda r: x[r].mean(), 30, seed=7)
    assert first == bootstrap_intervals(lambda r: x[r].mean(), 30, seed=7)
    assert first != bootstrap_intervals(lambda r: x[r].mean(), 30, seed=8)


def test_nan_resamples_are_left_out() -> None:
    y = np.array([0, 0, 0, 0, 1])

    def only_if_both_classes(rows: np.ndarray) -> float:
        return float(y[rows].mean()) if len(set(y[rows])) == 2 else math.nan

    [i] = bootstrap_intervals(only_if_both_classes, 5, n_resamples=200, seed=0)
    assert 0 < i.low <= i.high < 1


def test_all_nan_gives_nan_interval() -> None:
    [i] = bootstrap_intervals(lambda r: math.nan, 5, n_resamples=20)
    assert math.isnan(i.low) and math.isnan(i.high)


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"confidence": 1.5}, "confidence must be between 0 and 1"),
    ({"n_resamples": 2}, "n_resamples must be at least 10"),
    ({"n": 0}, "at least one row, got n=0"),
])
def test_bad_input(kwargs: dict, match: str) -> None:
    args = {"n": 5, **kwargs}
    with pytest.raises(ValueError, match=match):
        bootstrap_intervals(lambda r: 0.0, **args)
