"""Float, Int, Categorical: validation, values, membership, sampling, unit embedding, JSON."""

from __future__ import annotations

import json
import math
import pickle
import sys
from collections import Counter
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.linear_model import LogisticRegression
from space_strategies import any_dims, categorical_dims, choice_id, finite_dims, floats_dims
from space_strategies import int_dims as int_dims_strategy

from tunesmith.exceptions import InvalidSpaceError
from tunesmith.space import Categorical, Dimension, Distribution, Float, Int

# -- validation: every bad definition, with its message -------------------------------------


@pytest.mark.parametrize(
    ("build", "match"),
    [
        (lambda: Float(1, 0), r"Float needs low < high, got low=1\.0, high=0\.0"),
        (lambda: Float(2.0, 2.0), r"low < high.*for a single value use Categorical\(\[2\.0\]\)"),
        (lambda: Float(-1, 1, log=True), r"log scale needs low > 0, got low=-1\.0"),
        (lambda: Float(0, 1, log=True), r"log scale needs low > 0, got low=0\.0"),
        (lambda: Float(0, 1, step=0.3), r"step must divide high - low, got step=0\.3.*set high="),
        (lambda: Float(0, 1, step=2.0), r"step must divide.*use a step of at most 1\.0"),
        (lambda: Float(0, 1, step=0), r"Float step must be a number > 0, got step=0"),
        (lambda: Float(0, 1, step=-0.5), r"Float step must be a number > 0, got step=-0\.5"),
        (lambda: Float(1, 2, log=True, step=0.5), r"both log=True and a step \(got step=0\.5\)"),
        (lambda: Float("0", 1), r"real-number bounds, got low='0' \(str\)"),
        (lambda: Float(True, 2), r"real-number bounds, got low=True \(bool\)"),
        (lambda: Float(0, math.inf), r"finite bounds, got high=inf"),
        (lambda: Float(0, math.nan), r"finite bounds, got high=nan"),
        (lambda: Float(-1e308, 1e308), r"too wide"),
        (lambda: Float(0, 1, log="yes"), r"log must be True or False, got log='yes'"),
        (lambda: Int(1.5, 3), r"Int needs integer bounds, got low=1\.5 \(float\); use Float"),
        (lambda: Int(0, 3.0), r"got high=3\.0 \(float\); write high=3"),
        (lambda: Int(True, 3), r"integer bounds, got low=True \(bool\)"),
        (lambda: Int(3, 1), r"Int needs low <= high, got low=3, high=1"),
        (lambda: Int(0, 10, step=3), r"step must divide high - low, got step=3.*set high=9"),
        (lambda: Int(0, 10, step=0), r"Int needs step >= 1, got step=0"),
        (lambda: Int(0, 10, step=2.0), r"integer step >= 1, got step=2\.0 \(float\)"),
        (lambda: Int(0, 10, log=True), r"log scale needs low >= 1 for Int, got low=0"),
        (lambda: Int(1, 9, log=True, step=2), r"both log=True and step=2"),
        (lambda: Categorical([]), r"Categorical needs at least one value, got an empty list"),
        (lambda: Categorical("abc"), r"got the string 'abc'; wrap a single value in a list"),
        (lambda: Categorical(5), r"got 5 \(int\); wrap a single value in a list: \[5\]"),
        (lambda: Categorical({1, 2}), r"ordered list of values, got a set"),
        (lambda: Categorical({"a": 1}), r"ordered list of values, got a dict"),
        (lambda: Categorical(np.zeros((2, 2))), r"2-d array with shape \(2, 2\); flatten"),
        (lambda: Categorical(np.array(3)), r"0-d array.*wrap a single value in a list"),
        (lambda: Categorical([1, 2, 1]), r"distinct, got 1 at position 2 and 1 at position 0"),
        (lambda: Categorical([1, np.int64(1)]), r"distinct, got (np\.int64\()?1\)? at position 1"),
        (lambda: Distribution(5), r"needs an object with an rvs\(random_state=\.\.\.\) method"),
    ],
)
def test_bad_definitions_say_what_and_how_to_fix(build: Any, match: str) -> None:
    with pytest.raises(InvalidSpaceError, match=match):
        build()


def test_numpy_bounds_are_accepted_and_stored_as_python_numbers() -> None:
    dim = Int(np.int64(1), np.int32(5), step=np.int64(2))
    assert dim == Int(1, 5, step=2)
    assert all(type(v) is int for v in (dim.low, dim.high, dim.step))
    assert type(Float(np.float32(0.5), 2).low) is float


def test_categorical_distinguishes_kinds_like_scikit_learn() -> None:
    # True == 1 == 1.0 in Python, but they are three different grid values.
    dim = Categorical([True, 1, 1.0, "1", None])
    assert dim.size == 5
    assert dim.index_of(1.0) == 2 and dim.index_of(True) == 0 and dim.index_of(1) == 1
    assert not Categorical([1, 2]).contains(1.0)
    assert not Categorical([1, 2]).contains(True)
    assert Categorical([True, False]).contains(np.bool_(True))


def test_categorical_keeps_the_original_objects() -> None:
    est = LogisticRegression()
    arr = np.array([0.1, 0.2])
    dim = Categorical(["a", est])
    assert dim.choices[1] is est
    from_array = Categorical(arr)
    assert [type(c) for c in from_array.choices] == [np.float64, np.float64]
    assert from_array.contains(0.1) and from_array.contains(np.float64(0.2))
    assert Categorical(["x", arr]).contains(arr)  # unhashable choice: by identity
    assert not Categorical(["x", arr]).contains(arr.copy())


# -- equality, hashing, immutability -----------------------------------------------------


def test_equality_and_hash_are_by_value_and_kind() -> None:
    assert Float(0, 1) == Float(0.0, 1.0) and hash(Float(0, 1)) == hash(Float(0.0, 1.0))
    assert Float(0, 1) != Float(0, 1, step=0.5)
    assert Int(1, 3) == Int(1, 3, step=1) and Int(1, 3) != Int(1, 3, log=True)
    assert Categorical([1, 2]) == Categorical((np.int64(1), 2))
    assert hash(Categorical([1, 2])) == hash(Categorical((np.int64(1), 2)))
    assert Categorical([1, 2]) != Categorical([1.0, 2.0])
    assert Categorical([1, 2]) != Categorical([2, 1])  # order is part of the domain
    assert Categorical([math.nan]) == Categorical([float("nan")])
    est = LogisticRegression()
    assert Categorical([est]) == Categorical([est])
    assert Categorical([est]) != Categorical([LogisticRegression()])  # identity for objects
    assert len({Float(0, 1), Float(0.0, 1.0), Int(0, 1), Categorical([0, 1])}) == 3


@pytest.mark.parametrize("dim", [Float(0, 1), Int(0, 3), Categorical(["a"])])
def test_dimensions_are_immutable(dim: Dimension) -> None:
    with pytest.raises(AttributeError):
        dim.low = 5  # type: ignore[union-attr]


@settings(max_examples=60, deadline=None)
@given(any_dims)
def test_json_round_trip_gives_an_equal_dimension(dim: Dimension) -> None:
    text = json.dumps(dim.to_json(), allow_nan=False)
    back = Dimension.from_json(json.loads(text))
    assert back == dim and hash(back) == hash(dim)
    assert type(back) is type(dim)
    assert pickle.loads(pickle.dumps(dim)) == dim


def test_json_forms_are_readable() -> None:
    assert Float(1e-3, 1.0, log=True).to_json() == {
        "type": "float", "low": 1e-3, "high": 1.0, "log": True, "step": None}
    assert Int(0, 10, step=5).to_json() == {
        "type": "int", "low": 0, "high": 10, "log": False, "step": 5}
    assert Categorical(["a", (1, 2)]).to_json() == {
        "type": "categorical", "choices": ["a", {"__tuple__": [1, 2]}]}


@pytest.mark.parametrize(
    ("data", "match"),
    [
        ({"type": "nope"}, r"unknown dimension type 'nope'.*expected one of \['categorical'"),
        ({"low": 1}, r"unknown dimension type None"),
        ([1, 2], r"must be an object with a 'type' key"),
        ({"type": "float", "high": 1.0}, r"'float' dimension's JSON needs the key 'low'"),
        ({"type": "categorical", "choices": "ab"}, r"needs a list of choices, got 'ab'"),
        ({"type": "int", "low": 0, "high": 1.5}, r"integer bounds, got high=1\.5"),
    ],
)
def test_bad_json_is_rejected_clearly(data: Any, match: str) -> None:
    with pytest.raises(InvalidSpaceError, match=match):
        Dimension.from_json(data)


def test_from_json_on_a_subclass_refuses_another_type() -> None:
    with pytest.raises(InvalidSpaceError, match=r"Float\.from_json got a 'int' dimension"):
        Float.from_json(Int(0, 1).to_json())
    assert Int.from_json(Int(0, 1).to_json()) == Int(0, 1)


def test_unserialisable_choice_is_named() -> None:
    est = LogisticRegression()
    with pytest.raises(InvalidSpaceError, match=r"choice 1 of Categorical\(\['l', Logistic.*"
                       r"not JSON-serialisable.*LogisticRegression"):
        Categorical(["l", est]).to_json()


# -- values ------------------------------------------------------------------------------


def test_values_by_hand() -> None:
    assert Int(1, 5).values() == (1, 2, 3, 4, 5)
    assert Int(-4, 8, step=4).values() == (-4, 0, 4, 8)
    assert Int(3, 3).values() == (3,)
    assert Float(0, 1, step=0.1).values() == (
        0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)  # no 0.30000000000000004
    assert Float(0.1, 0.5, step=0.1).values() == (0.1, 0.2, 0.3, 0.4, 0.5)
    thirds = Float(0, 1, step=1 / 3).values()
    assert thirds[0] == 0.0 and thirds[-1] == 1.0 and math.isclose(thirds[2], 2 / 3)
    assert Categorical(("b", "a")).values() == ("b", "a")
    assert Float(0, 1, step=0.25).size == 5 and Float(0, 1).size is None


@pytest.mark.parametrize("dim", [Float(0, 1), Float(1, 10, log=True)])
def test_infinite_dimensions_have_no_value_list(dim: Dimension) -> None:
    assert not dim.is_finite and dim.size is None
    with pytest.raises(InvalidSpaceError, match=r"Float\(.*\) has infinitely many values, so "
                       r"values\(\) is undefined; give a step"):
        dim.values()


def test_value_at_accepts_negative_positions_and_rejects_others() -> None:
    dim = Int(0, 10, step=5)
    assert dim.value_at(-1) == 10 and dim.value_at(np.int64(1)) == 5
    with pytest.raises(IndexError, match=r"Int\(0, 10, step=5\) has 3 values; position 3"):
        dim.value_at(3)
    with pytest.raises(TypeError, match=r"position must be an integer, got 1\.0"):
        dim.value_at(1.0)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("dim", "inside", "outside"),
    [
        (Float(0, 1), [0, 0.5, 1.0, np.float32(0.25), 1], [1.0001, -0.1, math.nan, "0.5", True]),
        (Float(0, 1, step=0.25), [0.5, 0.75, 1, 0.1 + 0.15], [0.3, 1.25, -0.25]),
        (Int(0, 10, step=2), [0, 4, np.int64(10)], [3, 12, 4.0, True, "4"]),
        (Categorical(["a", None]), ["a", None, np.str_("a")], ["b", 0, ()]),
    ],
)
def test_contains(dim: Dimension, inside: list[Any], outside: list[Any]) -> None:
    assert all(dim.contains(v) for v in inside)
    assert not any(dim.contains(v) for v in outside)


@settings(max_examples=50, deadline=None)
@given(finite_dims)
def test_values_are_contained_distinct_and_indexed(dim: Dimension) -> None:
    values = dim.values()
    assert len(values) == dim.size
    assert len({choice_id(v) for v in values}) == len(values)
    for k in sorted({0, len(values) - 1, len(values) // 2, len(values) // 3}):
        assert dim.contains(values[k]) and dim.index_of(values[k]) == k
        assert choice_id(dim.value_at(k)) == choice_id(values[k])


# -- sampling ------------------------------------------------------------------------------


@settings(max_examples=50, deadline=None)
@given(any_dims, st.integers(0, 2**32 - 1))
def test_samples_are_inside_and_reproducible(dim: Dimension, seed: int) -> None:
    first = [dim.sample(np.random.default_rng(seed)) for _ in range(3)]
    rng_a, rng_b = np.random.default_rng(seed), np.random.default_rng(seed)
    draws_a = [dim.sample(rng_a) for _ in range(20)]
    draws_b = [dim.sample(rng_b) for _ in range(20)]
    assert [choice_id(v) for v in draws_a] == [choice_id(v) for v in draws_b]
    assert len({choice_id(v) for v in first}) == 1
    assert all(dim.contains(v) for v in draws_a)
    if isinstance(dim, Int):
        assert all(type(v) is int for v in draws_a)
    if isinstance(dim, Float):
        assert all(type(v) is float for v in draws_a)


def test_sample_needs_a_generator() -> None:
    with pytest.raises(TypeError, match=r"needs a numpy\.random\.Generator, got 0 \(int\); "
                       r"pass numpy\.random\.default_rng\(seed\)"):
        Int(0, 3).sample(0)  # type: ignore[arg-type]


def test_sampling_is_uniform_or_log_uniform() -> None:
    rng = np.random.default_rng(12345)
    n = 4000
    linear = [Float(0, 100).sample(rng) for _ in range(n)]
    assert abs(np.mean(np.array(linear) < 10) - 0.10) < 0.03
    log = [Float(1e-3, 1e3, log=True).sample(rng) for _ in range(n)]
    assert abs(np.mean(np.array(log) < 1.0) - 0.5) < 0.03  # half the decades below 1
    ints = Counter(Int(0, 4).sample(rng) for _ in range(n))
    assert set(ints) == {0, 1, 2, 3, 4} and min(ints.values()) > 0.8 * n / 5
    log_ints = np.array([Int(1, 1000, log=True).sample(rng) for _ in range(n)])
    expected = (math.log(31.5) - math.log(0.5)) / (math.log(1000.5) - math.log(0.5))
    assert abs(np.mean(log_ints <= 31) - expected) < 0.03
    stepped = Counter(Float(0, 1, step=0.5).sample(rng) for _ in range(n))
    assert set(stepped) == {0.0, 0.5, 1.0}


# -- the unit embedding ---------------------------------------------------------------------


@settings(max_examples=50, deadline=None)
@given(st.one_of(floats_dims(), int_dims_strategy(), categorical_dims), st.floats(0, 1))
def test_from_unit_lands_inside_and_to_unit_stays_in_the_unit_interval(
    dim: Dimension, u: float
) -> None:
    value = dim.from_unit(u)
    assert dim.contains(value)
    assert 0.0 <= dim.to_unit(value) <= 1.0


@settings(max_examples=50, deadline=None)
@given(finite_dims, st.data())
def test_finite_values_round_trip_through_the_unit_interval(dim: Dimension, data: Any) -> None:
    k = data.draw(st.integers(0, dim.size - 1))
    value = dim.value_at(k)
    assert choice_id(dim.from_unit(dim.to_unit(value))) == choice_id(value)


@settings(max_examples=50, deadline=None)
@given(floats_dims().filter(lambda d: d.step is None), st.floats(0, 1))
def test_continuous_unit_round_trip(dim: Float, u: float) -> None:
    # Floats near 16384 are only known to ~4e-12: over a range of 1e-3 that is 4e-9 of u.
    resolution = 8 * sys.float_info.epsilon * max(abs(dim.low), abs(dim.high))
    tol = 1e-9 + (0 if dim.log else resolution / (dim.high - dim.low))
    assert math.isclose(dim.to_unit(dim.from_unit(u)), u, abs_tol=tol)


@pytest.mark.parametrize(
    "dim", [Int(0, 4), Int(10, 40, step=10), Float(0, 1, step=0.25), Categorical(list("abcde"))]
)
def test_discrete_dimensions_cut_the_unit_interval_into_equal_bins(dim: Dimension) -> None:
    n = dim.size
    values = dim.values()
    for k in range(n):
        # Bin k is [k/n, (k+1)/n): its centre is to_unit, its inside maps to value k.
        assert dim.to_unit(values[k]) == pytest.approx((k + 0.5) / n)
        for u in (k / n + 1e-9, (k + 0.5) / n, (k + 1) / n - 1e-9):
            assert choice_id(dim.from_unit(u)) == choice_id(values[k])
    assert choice_id(dim.from_unit(1.0)) == choice_id(values[-1])
    # A uniform u gives a uniform value: a fine even grid of u hits each value equally.
    counts = Counter(choice_id(dim.from_unit((j + 0.5) / (100 * n))) for j in range(100 * n))
    assert sorted(counts.values()) == [100] * n


def test_log_scale_unit_embedding_by_hand() -> None:
    dim = Float(1e-2, 1e2, log=True)
    assert dim.from_unit(0.0) == 1e-2 and dim.from_unit(1.0) == 1e2
    assert dim.from_unit(0.25) == pytest.approx(0.1) and dim.to_unit(10.0) == pytest.approx(0.75)
    ints = Int(1, 100, log=True)
    assert ints.from_unit(0.0) == 1 and ints.from_unit(1.0) == 100
    assert all(ints.from_unit(ints.to_unit(v)) == v for v in range(1, 101))
    assert Float(0, 10).from_unit(0.25) == 2.5


@pytest.mark.parametrize("u", [-0.1, 1.5, math.nan, "0.5", None])
def test_from_unit_rejects_positions_outside_the_unit_interval(u: Any) -> None:
    with pytest.raises(InvalidSpaceError, match=r"from_unit needs a number with 0 <= u <= 1"):
        Float(0, 1).from_unit(u)


def test_to_unit_rejects_values_outside_the_domain() -> None:
    with pytest.raises(InvalidSpaceError, match=r"to_unit: value 2\.0 is outside Float\(0\.0, 1"):
        Float(0, 1).to_unit(2.0)
    with pytest.raises(InvalidSpaceError, match=r"value 'z' is not one of the choices"):
        Categorical(["a"]).to_unit("z")
    with pytest.raises(InvalidSpaceError, match=r"value 3 is not one of the values of Int"):
        Int(0, 4, step=2).index_of(3)
