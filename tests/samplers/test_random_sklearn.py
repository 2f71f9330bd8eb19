"""RandomSampler's scikit-learn sequence equals ParameterSampler's, and native draws."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from sklearn.model_selection import ParameterSampler

from tunesmith.samplers import RandomSampler, sklearn_random_candidates
from tunesmith.space import Float, Int, Space


def _same(ours: list[dict], theirs: list[dict]) -> None:
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs, strict=False):
        assert list(a) == list(b)  # same names in the same order: cv_results_ columns
        for key in a:
            assert a[key] == b[key] and type(a[key]) is type(b[key]), key


@pytest.mark.parametrize("seed", [0, 42, 2024])
def test_lesson_random_candidates_equal_scikit_learn(seed: int) -> None:
    space = {
        "C": np.logspace(-4, 4, 20),
        "penalty": ["l1", "l2", "elasticnet", None],
        "solver": ["lbfgs", "liblinear", "newton-cg", "newton-cholesky", "sag", "saga"],
    }
    ours = sklearn_random_candidates(space, 100, random_state=seed)
    _same(ours, list(ParameterSampler(space, 100, random_state=seed)))


def test_distributions_and_lists_of_dicts_equal_scikit_learn() -> None:
    space = [
        {"C": stats.loguniform(1e-3, 1e3), "kernel": ["rbf"], "gamma": stats.uniform(0, 1)},
        {"C": stats.loguniform(1e-3, 1e3), "kernel": ["linear"], "n": stats.randint(1, 9)},
    ]
    ours = sklearn_random_candidates(space, 30, random_state=np.random.RandomState(3))
    _same(ours, list(ParameterSampler(space, 30, random_state=np.random.RandomState(3))))


def test_a_small_grid_warns_and_is_drawn_whole() -> None:
    with pytest.warns(UserWarning, match="smaller than n_iter=10"):
        ours = sklearn_random_candidates({"a": [1, 2, 3]}, 10, random_state=0)
    assert sorted(p["a"] for p in ours) == [1, 2, 3]


def test_n_iter_must_be_positive() -> None:
    with pytest.raises(ValueError, match="n_iter must be a positive integer, got 0"):
        sklearn_random_candidates({"a": [1]}, 0)


_values = st.lists(
    st.one_of(st.integers(-5, 5), st.sampled_from(["a", "b", "c"]), st.none(), st.booleans()),
    min_size=1, max_size=4, unique_by=lambda v: (type(v), v),
)
_dicts = st.dictionaries(st.sampled_from(["alpha", "beta", "gamma", "delta"]), _values,
                         min_size=1, max_size=3)


@settings(max_examples=40, deadline=None)
@given(st.lists(_dicts, min_size=1, max_size=3), st.integers(1, 20), st.integers(0, 10_000),
       st.booleans())
def test_any_list_form_equals_scikit_learn(grid: list[dict], n_iter: int, seed: int,
                                          with_distribution: bool) -> None:
    if with_distribution:
        grid = [{**grid[0], "zeta": stats.uniform(0, 1)}, *grid[1:]]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "smaller than n_iter", from both
        ours = sklearn_random_candidates(grid, n_iter, random_state=seed)
        theirs = list(ParameterSampler(grid, n_iter, random_state=seed))
    _same(ours, theirs)


def test_native_draws_stay_inside_the_space_and_follow_the_seed() -> None:
    space = Space({"x": Float(1e-3, 1e3, log=True), "k": Int(2, 64, step=2)})
    a = [RandomSampler(seed=9).propose(space, [], n) for n in range(50)]
    b = [RandomSampler(seed=9).propose(space, [], n) for n in range(50)]
    assert a == b
    assert all(1e-3 <= p["x"] <= 1e3 and p["k"] % 2 == 0 and 2 <= p["k"] <= 64 for p in a)
    # log scale: about half the draws fall below the geometric middle, 1.
    below = sum(p["x"] < 1.0 for p in a)
    assert 12 <= below <= 38
