"""Functional ANOVA importance against answers known analytically."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from sklearn.tree import DecisionTreeRegressor

from tunesmith.records import FrozenTrial, TrialState
from tunesmith.report import parameter_importance
from tunesmith.report._importance import _tree_fractions
from tunesmith.space import Float


def test_a_function_of_x_alone_gives_x_all_the_importance(make_uniform) -> None:
    imp = parameter_importance(make_uniform(lambda x, y, z: np.sin(3 * x), "xyz"),
                               "minimize")
    assert imp["x"] > 0.97
    assert imp["y"] < 0.01 and imp["z"] < 0.01
    assert all(v < 0.02 for k, v in imp.items() if isinstance(k, tuple))
    assert next(iter(imp)) == "x"  # main effects first, largest first


def test_an_additive_function_splits_the_variance_as_its_terms_do(make_uniform) -> None:
    # f = x + 2y on [-1, 1]^2: Var(x) = 1/3, Var(2y) = 4/3, so 0.2 and 0.8.
    imp = parameter_importance(make_uniform(lambda x, y: x + 2 * y, n=600), "maximize")
    assert imp["x"] == pytest.approx(0.2, abs=0.05)
    assert imp["y"] == pytest.approx(0.8, abs=0.05)
    assert imp[("x", "y")] < 0.05


def test_a_product_is_all_interaction(make_uniform) -> None:
    # f = x * y on [-1, 1]^2 has no main effects: E[xy | x] = 0.
    imp = parameter_importance(make_uniform(lambda x, y: x * y, n=600), "minimize")
    assert imp[("x", "y")] > 0.8
    assert imp["x"] < 0.08 and imp["y"] < 0.08


def test_the_decomposition_of_one_tree_matches_brute_force() -> None:
    """The partition arithmetic against the tree's function evaluated on a fine grid
    (the functional ANOVA terms computed from their definition)."""
    rng = np.random.default_rng(1)
    X = rng.uniform(0, 1, size=(300, 2))
    y = np.where(X[:, 0] > 0.3, 1.0, 0.0) + X[:, 1] ** 2 + 2 * X[:, 0] * X[:, 1]
    tree = DecisionTreeRegressor(max_leaf_nodes=30, random_state=0).fit(X, y)
    lows, highs = np.zeros(2), np.ones(2)
    shares = _tree_fractions(tree.tree_, lows, highs, [(0,), (1,), (0, 1)])

    m = 800  # cell centres; every split threshold falls between them
    g = (np.arange(m) + 0.5) / m
    f = tree.predict(np.column_stack([np.repeat(g, m), np.tile(g, m)])).reshape(m, m)
    f0 = f.mean()
    a0, a1 = f.mean(axis=1), f.mean(axis=0)
    total = ((f - f0) ** 2).mean()
    pair = f - a0[:, None] - a1[None, :] + f0
    assert shares is not None
    assert shares[(0,)] == pytest.approx(((a0 - f0) ** 2).mean() / total, abs=0.01)
    assert shares[(1,)] == pytest.approx(((a1 - f0) ** 2).mean() / total, abs=0.01)
    assert shares[(0, 1)] == pytest.approx((pair ** 2).mean() / total, abs=0.01)


def test_a_categorical_parameter_counts_each_choice_equally(make_complete) -> None:
    # value = 1 for "a" else 0, with an irrelevant x: the kernel explains everything.
    rng = np.random.default_rng(2)
    trials = [make_complete(n, float(k == "a"), {"k": k, "x": float(rng.uniform())})
              for n, k in enumerate(rng.choice(["a", "b", "c"], size=150))]
    imp = parameter_importance(trials, "maximize")
    assert imp["k"] > 0.95 and imp["x"] < 0.02


def test_an_inactive_parameter_is_a_value_like_any_other(make_complete) -> None:
    # gamma exists only with kernel "rbf"; the value depends on gamma alone where active.
    rng = np.random.default_rng(4)
    trials = []
    for n in range(300):
        kernel = "rbf" if n % 2 else "linear"
        params = {"kernel": kernel, "noise": float(rng.uniform())}
        if kernel == "rbf":
            params["gamma"] = float(rng.uniform(0, 1))
        trials.append(make_complete(n, 4 * params.get("gamma", 0.0) ** 2, params))
    imp = parameter_importance(trials, "minimize")
    assert imp["noise"] < 0.02
    assert imp["gamma"] + imp["kernel"] + imp[("kernel", "gamma")] > 0.95
    assert imp["gamma"] > imp["kernel"]


def test_constant_parameters_get_zero_and_only_complete_trials_count(make_uniform,
                                                                     make_complete) -> None:
    trials = make_uniform(lambda x, y: x, n=100)
    trials = [make_complete(t.number, t.value, {**t.params, "const": 3}) for t in trials]
    trials.append(FrozenTrial(number=100, state=TrialState.FAILED, params={"x": 5.0}))
    imp = parameter_importance(trials, "minimize")
    assert imp["const"] == 0.0
    assert {k for k in imp if isinstance(k, str)} == {"x", "y", "const"}
    assert set(k for k in imp if isinstance(k, tuple)) == set(
        itertools.combinations(["x", "y", "const"], 2))


def test_a_constant_value_explains_nothing(make_complete) -> None:
    trials = [make_complete(n, 1.0, {"x": float(n)}) for n in range(10)]
    assert parameter_importance(trials, "minimize") == {"x": 0.0}


def test_log_dimensions_are_integrated_on_their_log_scale(make_complete) -> None:
    # value = log10(C): uniform on the log scale, all of it from C.
    rng = np.random.default_rng(5)
    dim = Float(1e-3, 1e3, log=True)
    trials = [make_complete(n, float(e), {"C": float(10 ** e), "y": float(rng.uniform())},
                       dimensions={"C": dim})
              for n, e in enumerate(rng.uniform(-3, 3, 200))]
    imp = parameter_importance(trials, "minimize")
    assert imp["C"] > 0.97


def test_same_seed_same_answer_and_a_subsample_beyond_max_trials(make_uniform) -> None:
    trials = make_uniform(lambda x, y: x + y, n=300)
    assert parameter_importance(trials, "minimize") == parameter_importance(trials, "minimize")
    sub = parameter_importance(trials, "minimize", max_trials=100, pairs=False)
    assert set(sub) == {"x", "y"}
    assert sub["x"] == pytest.approx(0.5, abs=0.15)


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"n_trees": 0}, "n_trees must be an integer of at least 1, got 0"),
    ({"max_leaves": 1.5}, "max_leaves must be an integer of at least 2, got 1.5"),
    ({"max_trials": True}, "max_trials must be"),
])
def test_bad_settings_are_named(kwargs: dict, match: str, make_uniform) -> None:
    with pytest.raises(ValueError, match=match):
        parameter_importance(make_uniform(lambda x, y: x, n=10), "minimize", **kwargs)


def test_too_few_trials_and_bad_inputs_say_what_to_do(make_uniform, make_complete) -> None:
    trials = make_uniform(lambda x, y: x, n=3)
    with pytest.raises(ValueError, match="at least 4 complete trials, got 3; run more"):
        parameter_importance(trials, "minimize")
    with pytest.raises(ValueError, match="direction must be 'minimize' or 'maximize'"):
        parameter_importance(trials, "down")
    with pytest.raises(TypeError, match="FrozenTrial records"):
        parameter_importance([{"x": 1}], "minimize")  # type: ignore[list-item]
    no_params = [make_complete(n, float(n), {}) for n in range(5)]
    with pytest.raises(ValueError, match="trials with parameters"):
        parameter_importance(no_params, "minimize")
