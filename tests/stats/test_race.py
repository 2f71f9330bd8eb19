"""race_round: the pooled two-way test racing uses, against independent computations.

The expectations come from a least-squares fit of the additive model (a design matrix,
not the residual formula), scipy's Friedman statistic with Conover's post-hoc variance
for the ranks, and the paired corrected t-test (compare_folds) in the two-candidate case.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats as sps

from tunesmith.stats import compare_folds, race_round

#: 5 candidates x 4 folds, no ties within a fold.
SCORES = np.array([
    [0.91, 0.93, 0.90, 0.94],
    [0.84, 0.88, 0.83, 0.86],
    [0.90, 0.94, 0.89, 0.92],
    [0.70, 0.79, 0.72, 0.74],
    [0.89, 0.91, 0.91, 0.93],
])


def _additive_fit(y: np.ndarray) -> tuple[float, int]:
    """Residual mean square and df of y ~ candidate + fold, by least squares."""
    n, m = y.shape
    rows = []
    for i in range(n):
        for j in range(m):
            x = np.zeros(1 + (n - 1) + (m - 1))
            x[0] = 1.0
            if i:
                x[i] = 1.0
            if j:
                x[n - 1 + j] = 1.0
            rows.append(x)
    design, target = np.array(rows), y.ravel()
    coef, *_ = np.linalg.lstsq(design, target, rcond=None)
    residuals = target - design @ coef
    df = n * m - design.shape[1]
    return float(residuals @ residuals / df), df


@pytest.mark.parametrize("fraction", [0.0, 1 / 3])
def test_scores_match_a_least_squares_fit_of_the_additive_model(fraction: float) -> None:
    n, m = SCORES.shape
    variance, df = _additive_fit(SCORES)
    means = SCORES.mean(axis=1)
    leader = int(np.argmax(means))
    se = np.sqrt(2 * variance * (1 / m + fraction))
    t = (means - means[leader]) / se
    half = sps.t.ppf(0.5 + 0.9 / 2, df) * se

    r = race_round(SCORES, test_fraction=fraction, confidence=0.9, ranks=False)
    assert (r.leader, r.df, r.ranks, r.reason) == (leader, df, False, None)
    assert df == (n - 1) * (m - 1) == 12
    np.testing.assert_allclose(r.residual_variance, variance, rtol=1e-10)
    np.testing.assert_allclose(r.std_error, se, rtol=1e-10)
    np.testing.assert_allclose(r.statistics, t, rtol=1e-10)
    np.testing.assert_allclose(r.p_values, sps.t.cdf(t, df), rtol=1e-10)
    np.testing.assert_array_equal(r.worse, means - means[leader] + half < 0)
    assert r.worse[3] and r.worse[1] and not r.worse[leader]


def test_the_correction_widens_the_interval_by_the_nadeau_bengio_factor() -> None:
    plain = race_round(SCORES, test_fraction=0.0, ranks=False)
    corrected = race_round(SCORES, test_fraction=0.25, ranks=False)
    m = SCORES.shape[1]
    ratio = plain.statistics[3] / corrected.statistics[3]
    assert ratio == pytest.approx(np.sqrt((1 / m + 0.25) / (1 / m)))


def test_ranks_match_friedman_with_conovers_post_hoc_variance() -> None:
    n, m = SCORES.shape
    ranks = np.apply_along_axis(sps.rankdata, 0, SCORES)  # n = best, within each fold
    sums = ranks.sum(axis=1)
    # Conover (1999): T from Friedman's test (no ties here: scipy's statistic is T),
    # then the variance of a difference of rank sums, 2m(A - C)(1 - T/(m(n-1)))/df.
    T = sps.friedmanchisquare(*SCORES).statistic
    A, C = float((ranks ** 2).sum()), m * n * (n + 1) ** 2 / 4
    df = (m - 1) * (n - 1)
    var_sum_diff = 2 * m * (A - C) * (1 - T / (m * (n - 1))) / df
    fraction = 0.25
    leader = int(np.argmax(sums))
    # The Nadeau-Bengio factor on a mean's variance: (1/m + f) / (1/m) = 1 + m f.
    t = (sums - sums[leader]) / np.sqrt(var_sum_diff * (1 + m * fraction))

    r = race_round(SCORES, test_fraction=fraction, confidence=0.8)
    assert (r.leader, r.df, r.ranks) == (leader, df, True)
    np.testing.assert_allclose(r.means, sums / m)
    np.testing.assert_allclose(r.statistics, t, rtol=1e-10)
    half = sps.t.ppf(0.9, df) * r.std_error
    np.testing.assert_array_equal(r.worse, sums / m - sums[leader] / m + half < 0)
    assert r.worse.tolist() == [False, True, False, True, False]


def test_two_candidates_on_scores_is_the_paired_corrected_t_test() -> None:
    a, b = SCORES[0], SCORES[2]
    r = race_round([a, b], test_fraction=0.25, confidence=0.95, ranks=False)
    paired = compare_folds(b, a, test_fraction=0.25, confidence=0.95)  # b - a: a leads
    assert r.leader == 0 and r.df == SCORES.shape[1] - 1
    assert r.statistics[1] == pytest.approx(paired.statistic)
    assert 2 * r.p_values[1] == pytest.approx(paired.p_value)
    assert r.worse[1] == (paired.high < 0)


def test_the_same_order_on_every_fold_is_tested_on_the_scores() -> None:
    y = [[0.90, 0.92, 0.91], [0.60, 0.61, 0.58], [0.80, 0.85, 0.81]]  # a > c > b always
    r = race_round(y, test_fraction=0.25)
    assert not r.ranks and r.reason is None
    expected = race_round(y, test_fraction=0.25, ranks=False)
    np.testing.assert_array_equal(r.statistics, expected.statistics)
    assert r.worse.tolist() == [False, True, True]


def test_rounds_that_cannot_be_tested_stop_no_one() -> None:
    one = race_round([[0.9, 0.8]], test_fraction=0.25)
    assert one.reason == "1 candidates on 2 folds: a race needs 2 of each"
    one_fold = race_round([[0.9], [0.1]], test_fraction=0.25)
    assert one_fold.reason is not None and not one_fold.worse.any()
    # Every fold moves every candidate by the same amount: no residual spread at all.
    flat = race_round([[0.9, 0.8, 0.7], [0.5, 0.4, 0.3]], test_fraction=0.25)
    assert flat.reason is not None and flat.reason.startswith("the candidates differ by")
    assert not flat.worse.any() and flat.std_error == 0.0


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"scores": [0.9, 0.8]}, r"one row per candidate .* shape \(2,\)"),
    ({"scores": [[0.9, np.nan], [0.8, 0.7]]}, r"scores must be finite: leave out"),
    ({"scores": SCORES, "confidence": 1.0}, r"confidence must be between 0 and 1.*1\.0"),
    ({"scores": SCORES, "test_fraction": -1}, r"test_fraction is n_test / n_train.*-1"),
])
def test_bad_input_is_refused_with_the_fix(kwargs: dict, message: str) -> None:
    kwargs = {"test_fraction": 0.25, **kwargs}
    with pytest.raises(ValueError, match=message):
        race_round(**kwargs)
