"""race_round: the pooled two-way test racing uses, against independent computations.

The expectations come from a least-squares fit of the additive model (a design matrix,
not the residual formula), scipy's Friedman statistic with Conover's post-hoc variance
for the ranks, and the paired corrected t-test (compare_folds) in the two-candidate case.
"""

from __future__ import annotations

import re

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


# --- the indifference zone (tolerance): the pair's own variance, score scale --------------

#: The leader (row 0), a near-tie, a duplicate of the leader, one that differs by the same
#: nonzero amount on every fold, and a clear loser; 4 folds.
ZONE = np.array([
    [0.910, 0.930, 0.900, 0.940],
    [0.905, 0.932, 0.899, 0.936],
    [0.910, 0.930, 0.900, 0.940],
    [0.900, 0.920, 0.890, 0.930],
    [0.800, 0.850, 0.790, 0.820],
])


def _upper_by_hand(y: np.ndarray, leader: int, fraction: float, confidence: float
                   ) -> np.ndarray:
    """Upper end of the two-sided interval of mean(y[i]) - mean(y[leader]) from the
    pair's own differences (Student's t, m - 1 df, the Nadeau-Bengio factor)."""
    m = y.shape[1]
    bounds = []
    for row in y:
        d = row - y[leader]
        sd = np.sqrt(np.sum((d - d.mean()) ** 2) / (m - 1))
        t = sps.t.ppf(1 - (1 - confidence) / 2, m - 1)
        bounds.append(d.mean() + t * sd * np.sqrt(1 / m + fraction))
    return np.array(bounds)


@pytest.mark.parametrize("ranks", [True, False])
def test_the_zone_bounds_each_difference_with_the_pairs_own_variance(ranks: bool) -> None:
    fraction, confidence, tolerance = 1 / 3, 0.6, 0.002
    expected = _upper_by_hand(ZONE, 0, fraction, confidence)
    r = race_round(ZONE, test_fraction=fraction, confidence=confidence, ranks=ranks,
                   tolerance=tolerance)
    assert r.leader == 0 and r.tolerance == tolerance
    # Row 1 by hand: d = (-.005, .002, -.001, -.004), mean -.002, sd .0031623.
    assert expected[1] == pytest.approx(-0.002 + sps.t.ppf(0.8, 3) * 0.0031623 * np.sqrt(
        0.25 + 1 / 3), abs=1e-6)
    np.testing.assert_allclose(r.upper[[1, 4]], expected[[1, 4]], rtol=1e-10)
    # Not judged: the leader, its duplicate, and a constant -0.01 (no spread: coarse ties).
    assert np.isnan(r.upper[[0, 2, 3]]).all()
    assert r.within.tolist() == [False, True, False, False, True]
    assert 0 < expected[1] < tolerance  # it may lead by a little, not by the tolerance


def test_a_higher_level_or_a_smaller_tolerance_stops_fewer() -> None:
    loose = race_round(ZONE, test_fraction=1 / 3, confidence=0.6, tolerance=0.002)
    strict = race_round(ZONE, test_fraction=1 / 3, confidence=0.9, tolerance=0.002)
    assert strict.upper[1] > loose.upper[1] > 0
    assert loose.within[1] and not strict.within[1]
    tiny = race_round(ZONE, test_fraction=1 / 3, confidence=0.6, tolerance=1e-9)
    assert tiny.within.tolist() == [False, False, False, False, True]


def test_copies_of_the_leader_are_not_stopped_by_the_zone() -> None:
    copies = np.vstack([ZONE[3], ZONE[0], ZONE[0], ZONE[0], ZONE[4]])  # leader: row 1
    r = race_round(copies, test_fraction=0.25, tolerance=0.5)
    assert r.leader == 1
    assert r.within.tolist() == [False, False, False, False, True]
    # Nothing but copies: nothing is tested at all.
    only = race_round([ZONE[0]] * 4, test_fraction=0.25, tolerance=0.5)
    assert not only.within.any() and not only.worse.any()


def test_tolerance_zero_changes_nothing() -> None:
    rng = np.random.default_rng(7)
    for _ in range(50):
        y = np.round(rng.uniform(0.8, 0.95, (6, 4)), 2)
        y[3] = y[0]
        plain = race_round(y, test_fraction=0.25)
        zero = race_round(y, test_fraction=0.25, tolerance=0.0)
        for field in ("means", "statistics", "p_values", "worse"):
            np.testing.assert_array_equal(getattr(zero, field), getattr(plain, field))
        assert (zero.leader, zero.ranks, zero.reason) == (plain.leader, plain.ranks,
                                                          plain.reason)
        assert not zero.within.any() and zero.tolerance == plain.tolerance == 0.0
        # The zone adds stops, never removes one: the worse rule is the same test.
        wide = race_round(y, test_fraction=0.25, tolerance=0.01)
        np.testing.assert_array_equal(wide.worse, plain.worse)


@pytest.mark.parametrize("value", [-0.001, np.nan, np.inf, True, "0.002", None])
def test_a_bad_tolerance_is_refused_naming_it(value: object) -> None:
    with pytest.raises(ValueError, match=r"tolerance must be a finite number >= 0 .* got "
                                         + re.escape(repr(value))):
        race_round(ZONE, test_fraction=0.25, tolerance=value)  # type: ignore[arg-type]
