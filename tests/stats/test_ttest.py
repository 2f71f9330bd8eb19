"""The corrected resampled t-test against an independent computation and a hand example."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats as sps

from tunesmith.stats import compare_folds


def _nadeau_bengio(a: list[float], b: list[float], rho: float, level: float):
    """Written out from the paper: t = mean(d) / sqrt((1/n + n2/n1) * s^2), df = n - 1."""
    d = [x - y for x, y in zip(a, b, strict=True)]
    n = len(d)
    mean = sum(d) / n
    s2 = sum((x - mean) ** 2 for x in d) / (n - 1)
    se = math.sqrt((1 / n + rho) * s2)
    t = mean / se
    p = 2 * (1 - sps.t.cdf(abs(t), n - 1))
    q = sps.t.ppf(1 - (1 - level) / 2, n - 1)
    return mean, mean - q * se, mean + q * se, p, t


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize(("k", "level"), [(5, 0.95), (10, 0.9), (3, 0.99)])
def test_matches_the_formula_written_out(seed: int, k: int, level: float) -> None:
    rng = np.random.default_rng(seed)
    a = list(0.8 + rng.normal(0, 0.02, k))
    b = list(0.79 + rng.normal(0, 0.02, k))
    r = compare_folds(a, b, test_fraction=1 / (k - 1), confidence=level)
    mean, low, high, p, t = _nadeau_bengio(a, b, 1 / (k - 1), level)
    assert r.reason is None and r.n_folds == k
    assert r.difference == pytest.approx(mean, abs=1e-15)
    assert (r.low, r.high) == (pytest.approx(low), pytest.approx(high))
    assert r.p_value == pytest.approx(p, rel=1e-9)
    assert r.statistic == pytest.approx(t)
    assert r.significant == (p < 1 - level)


def test_worked_example_by_hand() -> None:
    # d = [.01, .02, .03, .00, .04]: mean .02, s^2 = 10e-4 / 4 = 2.5e-4;
    # corrected variance (1/5 + 1/4) * 2.5e-4 = 1.125e-4, se = 0.0106066, t = 1.88562;
    # t_{0.975, 4} = 2.776445 (tables), half width 0.0294486; two-sided p (df 4) = 0.1324.
    r = compare_folds([0.81, 0.82, 0.83, 0.80, 0.84], [0.8] * 5, test_fraction=0.25)
    assert r.difference == pytest.approx(0.02)
    assert r.std_error == pytest.approx(0.0106066, abs=1e-7)
    assert r.statistic == pytest.approx(1.88562, abs=1e-5)
    assert r.low == pytest.approx(0.02 - 0.0294486, abs=1e-6)
    assert r.high == pytest.approx(0.02 + 0.0294486, abs=1e-6)
    assert r.p_value == pytest.approx(0.1324, abs=5e-4)
    assert not r.significant


def test_correction_widens_the_plain_paired_t_test() -> None:
    a = [0.81, 0.82, 0.83, 0.80, 0.84]
    plain = compare_folds(a, [0.8] * 5, test_fraction=0.0)
    assert plain.p_value == pytest.approx(sps.ttest_rel(a, [0.8] * 5).pvalue)
    corrected = compare_folds(a, [0.8] * 5, test_fraction=0.25)
    assert corrected.p_value > plain.p_value
    assert corrected.high - corrected.low > plain.high - plain.low


def test_antisymmetric() -> None:
    a, b = [0.7, 0.75, 0.72, 0.71], [0.69, 0.7, 0.73, 0.7]
    ab, ba = compare_folds(a, b, test_fraction=1 / 3), compare_folds(b, a, test_fraction=1 / 3)
    assert ab.difference == pytest.approx(-ba.difference)
    assert (ab.low, ab.high) == (pytest.approx(-ba.high), pytest.approx(-ba.low))
    assert ab.p_value == pytest.approx(ba.p_value)


def test_nan_folds_are_dropped_pairwise() -> None:
    nan = math.nan
    a = [0.81, nan, 0.82, 0.83, 0.80, 0.84]
    b = [0.8, 0.8, 0.8, nan, 0.8, 0.8]
    r = compare_folds(a, b, test_fraction=0.25)
    ref = compare_folds([0.81, 0.82, 0.80, 0.84], [0.8] * 4, test_fraction=0.25)
    assert r.n_folds == 4 and r.reason is None
    assert (r.difference, r.low, r.high, r.p_value) == (
        ref.difference, ref.low, ref.high, ref.p_value)


def test_identical_scores() -> None:
    r = compare_folds([0.8, 0.9, 0.7], [0.8, 0.9, 0.7], test_fraction=0.5)
    assert (r.difference, r.low, r.high, r.p_value) == (0.0, 0.0, 0.0, 1.0)
    assert "identical" in r.reason and not r.significant


def test_constant_nonzero_difference() -> None:
    r = compare_folds([0.9, 0.8, 0.7], [0.8, 0.7, 0.6], test_fraction=0.5)
    assert r.difference == pytest.approx(0.1) and r.low == r.high == r.difference
    assert r.p_value == 0.0 and r.significant
    assert "differs by exactly +0.1" in r.reason


def test_one_fold() -> None:
    r = compare_folds([0.9, math.nan], [0.8, 0.7], test_fraction=0.25)
    assert r.n_folds == 1 and r.difference == pytest.approx(0.1)
    assert (r.low, r.high, r.p_value) == (-math.inf, math.inf, 1.0)
    assert "only one fold" in r.reason and not r.significant


def test_all_nan() -> None:
    r = compare_folds([math.nan, 0.8], [0.7, math.nan], test_fraction=0.25)
    assert r.n_folds == 0 and "no fold has both scores" in r.reason
    assert all(math.isnan(x) for x in (r.difference, r.low, r.high, r.p_value))
    assert not r.significant


def test_empty() -> None:
    assert compare_folds([], [], test_fraction=0.25).n_folds == 0


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"a": [1, 2], "b": [1, 2, 3]}, r"same length, got shapes \(2,\) and \(3,\)"),
        ({"test_fraction": -0.1}, r"test_fraction .* got -0.1"),
        ({"test_fraction": math.inf}, "test_fraction"),
        ({"confidence": 95}, r"confidence must be between 0 and 1 \(e.g. 0.95\), got 95"),
    ],
)
def test_bad_input_is_named(kwargs: dict, match: str) -> None:
    args = {"a": [0.1, 0.2], "b": [0.2, 0.3], "test_fraction": 0.25, **kwargs}
    with pytest.raises(ValueError, match=match):
        compare_folds(**args)
