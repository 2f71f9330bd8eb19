"""SobolSampler: scrambled, seeded Sobol points mapped onto every kind of dimension.

The first 2**m points of a scrambled Sobol sequence put exactly one point in each
of the 2**m equal bins of every coordinate. The mapping onto the space keeps that:
a log-scaled Float gets one point per bin of its log range, a categorical with four
choices gets each choice equally often, and so on. A broken mapping (a linear map
for a log dimension, an off-by-one bin) breaks these counts.
"""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
import pytest
from scipy.stats import qmc

import tunesmith
from tunesmith.exceptions import SearchExhausted
from tunesmith.samplers import SobolSampler
from tunesmith.space import Categorical, Condition, Float, Forbidden, Int, Space, SpaceUnion

N = 64  # a power of two: each coordinate is exactly stratified


def _points(space, seed: int = 0, n: int = N) -> list[dict]:
    sampler = SobolSampler(seed=seed)
    return [sampler.propose(space, [], i) for i in range(n)]


def test_each_dimension_kind_is_stratified() -> None:
    space = Space({
        "lr": Float(1e-5, 1e-1, log=True),
        "x": Float(-2.0, 2.0),
        "units": Int(1, 8),
        "drop": Float(0.0, 0.75, step=0.25),
        "act": Categorical(["relu", "tanh", "gelu", "silu"]),
        "width": Int(16, 80, step=16),
    })
    points = _points(space)
    # Log scale: one point per 1/64 of log(lr).
    lr = np.array([(math.log(p["lr"]) - math.log(1e-5)) / math.log(1e4) for p in points])
    assert sorted(np.minimum((lr * N).astype(int), N - 1)) == list(range(N))
    x = np.array([(p["x"] + 2.0) / 4.0 for p in points])
    assert sorted(np.minimum((x * N).astype(int), N - 1)) == list(range(N))
    assert Counter(p["units"] for p in points) == {k: 8 for k in range(1, 9)}
    assert Counter(p["drop"] for p in points) == {0.0: 16, 0.25: 16, 0.5: 16, 0.75: 16}
    assert Counter(p["act"] for p in points) == {a: 16 for a in ["relu", "tanh", "gelu", "silu"]}
    # Five values: 64 points split 13/13/13/13/12 at most one apart.
    counts = Counter(p["width"] for p in points)
    assert set(counts) == {16, 32, 48, 64, 80} and max(counts.values()) - min(counts.values()) <= 1
    for p in points:
        assert isinstance(p["units"], int) and isinstance(p["width"], int)
        assert space.is_valid(p)


def test_log_integers_follow_the_log_scale() -> None:
    space = Space({"n": Int(1, 1000, log=True)})
    points = [p["n"] for p in _points(space, n=256)]
    # About a third of a log-uniform 1..1000 lies below 10, not one percent.
    below = sum(n < 10 for n in points) / len(points)
    assert 0.25 < below < 0.40, below


def test_it_is_scipys_scrambled_sobol_sequence() -> None:
    space = Space({"a": Float(0.0, 1.0), "b": Float(0.0, 1.0)})
    ours = np.array([[p["a"], p["b"]] for p in _points(space, seed=7, n=16)])
    assert qmc.discrepancy(ours) < qmc.discrepancy(np.random.default_rng(7).random((16, 2)))
    engine = qmc.Sobol(2, scramble=True, rng=np.random.default_rng([7, 0x50B1]))
    np.testing.assert_allclose(ours, engine.random(16))


def test_conditional_parameters_appear_only_when_active() -> None:
    space = Space(
        {"kernel": ["linear", "rbf", "poly"], "gamma": Float(1e-3, 1.0, log=True),
         "degree": Int(2, 5)},
        conditions=[Condition("gamma", "kernel", ["rbf", "poly"]),
                    Condition("degree", "kernel", ["poly"])],
    )
    points = _points(space)
    counts = Counter(p["kernel"] for p in points)  # 64 over three bins: 22 / 21 / 21
    assert set(counts) == {"linear", "rbf", "poly"}
    assert max(counts.values()) - min(counts.values()) <= 1
    for p in points:
        assert space.is_valid(p)
        expected = {"linear": {"kernel"}, "rbf": {"kernel", "gamma"},
                    "poly": {"kernel", "gamma", "degree"}}[p["kernel"]]
        assert set(p) == expected


def test_forbidden_points_are_replaced_by_valid_ones() -> None:
    space = Space(
        {"solver": ["lbfgs", "liblinear"], "penalty": ["l1", "l2"], "C": Float(0.01, 100.0)},
        forbidden=[Forbidden({"solver": ["lbfgs"], "penalty": ["l1"]})],
    )
    points = _points(space, n=40)
    assert all(space.is_valid(p) for p in points)
    assert {(p["solver"], p["penalty"]) for p in points} == {
        ("lbfgs", "l2"), ("liblinear", "l1"), ("liblinear", "l2")}


def test_a_space_union_spends_a_coordinate_on_the_subspace() -> None:
    union = SpaceUnion([Space({"a": Float(0.0, 1.0)}), Space({"b": Int(1, 3)})])
    points = _points(union, n=32)
    assert Counter(tuple(p) for p in points) == {("a",): 16, ("b",): 16}


def test_a_finite_space_is_walked_once_in_sobol_order() -> None:
    space = Space({"x": Int(0, 9), "y": ["p", "q", "r"]},
                  forbidden=[Forbidden({"x": [0, 1], "y": ["r"]})])
    study = tunesmith.Study(space=space, sampler="sobol", seed=2)
    seen = []
    while True:
        try:
            trial = study.ask()
        except SearchExhausted:
            break
        seen.append((trial.params["x"], trial.params["y"]))
        study.tell(trial, 0.0)
    assert len(seen) == len(set(seen)) == 28
    # The order is not the grid's: the first points already cover the range.
    assert len({x for x, _ in seen[:8]}) >= 6


def test_seeds_and_indices_are_independent_of_call_order() -> None:
    space = Space({"a": Float(0.0, 1.0), "k": ["u", "v", "w"]})
    forward = _points(space, seed=4, n=12)
    sampler = SobolSampler(seed=4)
    backward = [sampler.propose(space, [], i) for i in reversed(range(12))][::-1]
    assert forward == backward
    assert forward != _points(space, seed=5, n=12)


def test_bad_seed_is_a_clear_error() -> None:
    with pytest.raises(TypeError, match="seed must be an integer or None"):
        SobolSampler(seed="one")  # type: ignore[arg-type]
