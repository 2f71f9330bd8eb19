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


# Reference values from baycomp 1.0.3 (Benavoli, Corani, Demsar and Zaffalon's own
# implementation of these tests), computed once and written here so that the test does
# not depend on it: ``CorrelatedTTest.probs(x=a, y=b, rope, runs)``, which returns
# (P(b - a < -rope), P(|b - a| <= rope), P(b - a > rope)), or (P(< 0), P(> 0)) at rope 0.
TEN_A = [0.82, 0.79, 0.85, 0.81, 0.80, 0.84, 0.78, 0.83, 0.86, 0.80]
TEN_B = [0.80, 0.80, 0.82, 0.79, 0.81, 0.81, 0.77, 0.80, 0.83, 0.80]
TWICE_A = [0.71, 0.74, 0.69, 0.73, 0.72, 0.70, 0.75, 0.71, 0.72, 0.74]  # 5-fold, 2 runs
TWICE_B = [0.70, 0.71, 0.70, 0.70, 0.69, 0.71, 0.72, 0.69, 0.70, 0.71]


@pytest.mark.parametrize(("a", "b", "fraction", "rope", "expected"), [
    (TEN_A, TEN_B, 1 / 9, 0.01, (0.736973305631268, 0.2583954255420856, 0.00463126882664644)),
    (TEN_A, TEN_B, 1 / 9, 0.02, (0.2630266943687305, 0.7363433648686227, 0.0006299407626467746)),
    (TWICE_A, TWICE_B, 1 / 4, 0.01,
     (0.7873541750757491, 0.20416770664766426, 0.008478118276586621)),
])
def test_matches_the_authors_implementation(a, b, fraction, rope, expected) -> None:
    r = bayes_compare_folds(a, b, test_fraction=fraction, rope=rope)
    assert (r.p_right, r.p_rope, r.p_left) == pytest.approx(expected, rel=1e-9, abs=1e-12)


@pytest.mark.parametrize(("a", "b", "fraction", "a_better", "variance"), [
    (TEN_A, TEN_B, 1 / 9, 0.9603856368110575, 5.746913580246905e-05),
    (TWICE_A, TWICE_B, 1 / 4, 0.9535153378866933, 9.177777777777795e-05),
])
def test_without_rope_matches_the_authors_and_the_corrected_t_test(a, b, fraction, a_better,
                                                                   variance) -> None:
    r = bayes_compare_folds(a, b, test_fraction=fraction)
    assert r.p_right == pytest.approx(a_better, rel=1e-9)
    assert r.scale ** 2 == pytest.approx(variance, rel=1e-9)  # baycomp's corrected variance
    # The frequentist test's two-sided p is twice the posterior's smaller tail.
    freq = compare_folds(a, b, test_fraction=fraction)
    assert freq.p_value == pytest.approx(2 * (1 - a_better), rel=1e-9)
    assert freq.std_error ** 2 == pytest.approx(variance, rel=1e-9)
