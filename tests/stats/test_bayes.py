"""The Bayesian correlated t-test against the posterior written out, and its relatives."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats as sps

from tunesmith.stats import bayes_compare_folds, compare_folds

A = [0.81, 0.82, 0.83, 0.80, 0.84]
B = [0.8] * 5


def test_posterior_written_out() -> None:
    # Corani & Benavoli (2015), eq. 8: St(df=n-1, mean(d), (1/n + rho/(1-rho)) s^2),
    # rho = n_test / n_total; for 5-fold rho = 1/5, rho / (1 - rho) = 1/4.
    d = np.array(A) - np.array(B)
    n, rho = 5, 1 / 5
    scale = math.sqrt((1 / n + rho / (1 - rho)) * d.var(ddof=1))
    rope = 0.01
    left = sps.t.cdf((-rope - d.mean()) / scale, n - 1)
    right = 1 - sps.t.cdf((rope - d.mean()) / scale, n - 1)
    r = bayes_compare_folds(A, B, test_fraction=0.25, rope=rope)
    assert r.scale == pytest.approx(scale) and r.df == 4
    assert (r.p_left, r.p_right) == (pytest.approx(left), pytest.approx(right))
    assert r.p_left + r.p_rope + r.p_right == pytest.approx(1.0)
    # by hand from the t table: P(T4 < -2.828) = 0.0237, P(T4 > -0.943) = 0.800
    assert r.p_left == pytest.approx(0.0237, abs=5e-4)
    assert r.p_right == pytest.approx(0.800, abs=2e-3)


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_without_rope_it_is_the_one_sided_corrected_t_test(seed: int) -> None:
    # A flat prior makes P(mean > 0) equal 1 - (one-sided p) of the frequentist test.
    rng = np.random.default_rng(seed)
    a, b = rng.normal(0.8, 0.02, 10), rng.normal(0.79, 0.02, 10)
    bayes = bayes_compare_folds(a, b, test_fraction=1 / 9)
    freq = compare_folds(a, b, test_fraction=1 / 9)
    smaller = min(bayes.p_left, bayes.p_right)
    assert smaller == pytest.approx(freq.p_value / 2)
    assert bayes.p_rope == pytest.approx(0.0, abs=1e-12)


def test_monte_carlo_agrees() -> None:
    r = bayes_compare_folds(A, B, test_fraction=0.25, rope=0.005)
    draws = sps.t.rvs(4, loc=r.difference, scale=r.scale, size=200_000,
                      random_state=np.random.default_rng(0))
    assert np.mean(draws > 0.005) == pytest.approx(r.p_right, abs=0.005)
    assert np.mean(np.abs(draws) <= 0.005) == pytest.approx(r.p_rope, abs=0.005)


def test_degenerate_cases() -> None:
    same = bayes_compare_folds(A, A, test_fraction=0.25, rope=0.01)
    assert (same.p_left, same.p_rope, same.p_right) == (0.0, 1.0, 0.0)
    shifted = bayes_compare_folds([0.9, 0.8], [0.8, 0.7], test_fraction=1.0, rope=0.01)
    assert shifted.p_right == 1.0 and "differs by exactly +0.1" in shifted.reason
    one = bayes_compare_folds([0.9, math.nan], [0.8, 0.8], test_fraction=0.25)
    assert one.n_folds == 1 and math.isnan(one.p_right) and "improper" in one.reason
    none = bayes_compare_folds([math.nan], [0.8], test_fraction=0.25)
    assert none.n_folds == 0 and "no fold has both scores" in none.reason


def test_bad_rope() -> None:
    with pytest.raises(ValueError, match=r"rope is a half-width .* got -0.01"):
        bayes_compare_folds(A, B, test_fraction=0.25, rope=-0.01)
