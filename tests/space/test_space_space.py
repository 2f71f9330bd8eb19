"""Space, SpaceUnion and to_space: the mapping, conditions, forbidden, sampling, JSON."""

from __future__ import annotations

import json
import pickle
from collections import Counter
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from sklearn.linear_model import LogisticRegression
from space_strategies import any_dims, param_names

from tunesmith.exceptions import InvalidSpaceError
from tunesmith.space import (
    Categorical,
    Condition,
    Distribution,
    Float,
    Forbidden,
    Int,
    Space,
    SpaceUnion,
    to_space,
)


def logistic() -> Space:
    return Space(
        {
            "solver": ["lbfgs", "saga"],
            "penalty": ["l1", "l2", "elasticnet"],
            "l1_ratio": Float(0, 1),
            "C": Float(1e-3, 1e3, log=True),
        },
        conditions=[Condition("l1_ratio", "penalty", ["elasticnet"])],
        forbidden=[Forbidden({"solver": ["lbfgs"], "penalty": ["l1", "elasticnet"]})],
    )


# -- the mapping ------------------------------------------------------------------------


def test_space_is_an_ordered_read_only_mapping() -> None:
    space = Space({"b": [1, 2], "a": Int(0, 3)})
    assert space.names == ("b", "a") and list(space) == ["b", "a"] and len(space) == 2
    assert space["b"] == Categorical([1, 2]) and "a" in space and "z" not in space
    assert dict(space.items()) == {"b": Categorical([1, 2]), "a": Int(0, 3)}
    with pytest.raises(KeyError):
        space["z"]
    with pytest.raises(AttributeError, match="Space is immutable"):
        space._dims = {}  # type: ignore[misc]
    with pytest.raises(TypeError):
        space.dimensions["c"] = Int(0, 1)  # type: ignore[index]


def test_scikit_learn_forms_become_dimensions() -> None:
    arr = np.array([0.1, 1.0])
    dist = stats.loguniform(1e-3, 1)
    space = Space({"a": [1, "x"], "b": (None,), "c": arr, "d": dist, "e": range(3)})
    assert space["a"] == Categorical([1, "x"]) and space["b"] == Categorical([None])
    assert space["c"].choices[0] is not None and type(space["c"].choices[0]) is np.float64
    assert space["d"] == Distribution(dist) and space["d"].dist is dist
    assert space["e"] == Categorical([0, 1, 2])


@pytest.mark.parametrize(
    ("dims", "match"),
    [
        ({"kernel": "rbf"}, r"parameter 'kernel': .*got the string 'rbf'; wrap a single value "
                            r"in a list: \['rbf'\]"),
        ({"C": 1.0}, r"parameter 'C': .*got 1\.0 \(float\); wrap a single value in a list"),
        ({"C": []}, r"parameter 'C': .*needs at least one value, got an empty list"),
        ({"C": np.ones((2, 2))}, r"parameter 'C': .*one-dimensional.*shape \(2, 2\)"),
        ({"C": np.array(1.0)}, r"parameter 'C': .*0-d array.*wrap a single value in a list"),
        ({"C": [1, 1]}, r"parameter 'C': Categorical choices must be distinct"),
        ({3: [1]}, r"parameter names must be non-empty strings, got 3 \(int\)"),
        ({"": [1]}, r"parameter names must be non-empty strings, got ''"),
    ],
)
def test_bad_parameter_definitions_name_the_parameter(dims: Any, match: str) -> None:
    with pytest.raises(InvalidSpaceError, match=match):
        Space(dims)


def test_space_needs_a_mapping() -> None:
    with pytest.raises(InvalidSpaceError, match=r"Space needs a dict of parameter name -> "
                       r"dimension or list of values, got \[1, 2\] \(list\)"):
        Space([1, 2])  # type: ignore[arg-type]


def test_equality_hash_pickle_and_order() -> None:
    assert logistic() == logistic() and hash(logistic()) == hash(logistic())
    assert pickle.loads(pickle.dumps(logistic())) == logistic()
    assert Space({"a": [1], "b": [2]}) != Space({"b": [2], "a": [1]})  # order is kept
    assert Space({"a": [1]}) != Space({"a": [1.0]})
    assert logistic() != Space(dict(logistic().items()), conditions=logistic().conditions)


@settings(max_examples=40, deadline=None)
@given(st.dictionaries(param_names, any_dims, max_size=4))
def test_json_round_trip(dims: dict[str, Any]) -> None:
    space = Space(dims)
    back = Space.from_json(json.loads(json.dumps(space.to_json(), allow_nan=False)))
    assert back == space and back.names == space.names


def test_json_round_trip_with_conditions_and_forbidden() -> None:
    space = logistic()
    data = json.loads(json.dumps(space.to_json(), allow_nan=False))
    assert data["type"] == "space" and list(data["dimensions"]) == list(space.names)
    assert Space.from_json(data) == space
    union = SpaceUnion([space, {"k": [(1, 2), None]}])
    assert SpaceUnion.from_json(json.loads(json.dumps(union.to_json()))) == union


def test_to_json_names_the_parameter_that_cannot_be_stored() -> None:
    space = Space({"est": [LogisticRegression(), None]})
    with pytest.raises(InvalidSpaceError, match=r"parameter 'est': choice 0 of .* is not "
                       r"JSON-serialisable"):
        space.to_json()
    with pytest.raises(InvalidSpaceError, match=r"subspace 1: parameter 'est'"):
        SpaceUnion([{"a": [1]}, space]).to_json()


@pytest.mark.parametrize(
    ("data", "match"),
    [
        ({"type": "space_union"}, r"must be an object with type 'space'"),
        ({"type": "space", "dimensions": []}, r"needs an object 'dimensions'"),
        ({"type": "space", "dimensions": {"x": {"type": "?"}}},
         r"parameter 'x': unknown dimension type '\?'"),
        ({"type": "space", "dimensions": {}, "conditions": {}}, r"needs lists 'conditions'"),
        ({"type": "space", "dimensions": {"a": Int(0, 1).to_json()},
          "conditions": [{"param": "a"}]}, r"a condition's JSON needs the keys"),
        ({"type": "space", "dimensions": {}, "forbidden": [{"x": 1}]},
         r"forbidden combination's JSON needs an object 'clauses'"),
    ],
)
def test_bad_space_json(data: Any, match: str) -> None:
    with pytest.raises(InvalidSpaceError, match=match):
        Space.from_json(data)


# -- conditions and forbidden: validation --------------------------------------------------


DIMS = {"penalty": ["l1", "l2", "elasticnet"], "l1_ratio": [0.2, 0.8], "C": [1, 10]}


@pytest.mark.parametrize(
    ("conditions", "forbidden", "match"),
    [
        ([Condition("ratio", "penalty", ["l1"])], [],
         r"its param 'ratio' is not a parameter of the space \(parameters: \['penalty', "),
        ([Condition("l1_ratio", "pen", ["l1"])], [], r"its parent 'pen' is not a parameter"),
        ([Condition("l1_ratio", "penalty", ["l3"])], [],
         r"value 'l3' is not in the domain of parent 'penalty' \(Categorical\("),
        ([Condition("l1_ratio", "penalty", ["l1"]), Condition("l1_ratio", "C", [1])], [],
         r"parameter 'l1_ratio' has two conditions.*merge them into one Condition"),
        ([Condition("l1_ratio", "C", [1]), Condition("C", "penalty", ["l1"]),
          Condition("penalty", "l1_ratio", [0.2])], [],
         r"conditions form a cycle \(l1_ratio -> C -> penalty -> l1_ratio"),
        (["l1_ratio"], [], r"conditions must hold Condition objects, got 'l1_ratio' \(str\)"),
        ([], [Forbidden({"solver": ["lbfgs"]})], r"'solver' is not a parameter of the space"),
        ([], [Forbidden({"C": [100]})], r"value 100 is not in the domain of parameter 'C'"),
        ([], [{"C": [1]}], r"forbidden must hold Forbidden objects, got \{'C': \[1\]\} \(dict\)"),
    ],
)
def test_bad_structure_is_rejected(conditions: Any, forbidden: Any, match: str) -> None:
    with pytest.raises(InvalidSpaceError, match=match):
        Space(DIMS, conditions=conditions, forbidden=forbidden)


@pytest.mark.parametrize(
    ("build", "match"),
    [
        (lambda: Condition("a", "a", [1]), r"parameter 'a' cannot be conditional on itself"),
        (lambda: Condition("a", "", [1]), r"Condition parent must be a parameter name"),
        (lambda: Condition("a", "b", "x"), r"Condition on parameter 'a' \(parent 'b'\) needs "
                                           r"a list of values, got the string 'x'; wrap"),
        (lambda: Condition("a", "b", []), r"needs at least one value"),
        (lambda: Forbidden({}), r"Forbidden needs a non-empty dict"),
        (lambda: Forbidden({"a": "x"}), r"Forbidden clause for parameter 'a' needs a list"),
        (lambda: Forbidden({1: ["x"]}), r"Forbidden keys must be parameter names"),
    ],
)
def test_bad_conditions_and_forbidden(build: Any, match: str) -> None:
    with pytest.raises(InvalidSpaceError, match=match):
        build()


def test_condition_and_forbidden_values_compare_as_choices() -> None:
    assert Condition("a", "b", [1]) == Condition("a", "b", (np.int64(1),))
    assert Condition("a", "b", [1]) != Condition("a", "b", [True])
    assert not Condition("a", "b", [1]).holds({"b": True})
    assert Forbidden({"x": [1], "y": ["a"]}) == Forbidden({"y": ["a"], "x": [1]})
    assert Forbidden({"x": [1]}) != Forbidden({"x": [1.0]})


# -- activity and validity ------------------------------------------------------------------


def test_active_names_follow_the_parents_values_in_space_order() -> None:
    space = Space(
        {"c": [0, 1], "b": [1, 2], "a": ["x", "y"]},
        conditions=[Condition("b", "a", ["y"]), Condition("c", "b", [2])],
    )
    assert space.active_names({"a": "x"}) == ("a",)
    assert space.active_names({"a": "y", "b": 2}) == ("c", "b", "a")
    # c's parent has the right value, but the parent itself is inactive.
    assert space.active_names({"a": "x", "b": 2}) == ("a",)


@pytest.mark.parametrize(
    ("params", "reason"),
    [
        ({"solver": "saga", "penalty": "l2", "C": 1.0}, None),
        ({"solver": "saga", "penalty": "elasticnet", "l1_ratio": 0.5, "C": 1.0}, None),
        ({"solver": "saga", "penalty": "l2"}, "parameter 'C' is missing"),
        ({"solver": "saga", "penalty": "elasticnet", "C": 1.0},
         "parameter 'l1_ratio' is missing; it is active when penalty is one of ['elasticnet']"),
        ({"solver": "saga", "penalty": "l2", "l1_ratio": 0.5, "C": 1.0},
         "parameter 'l1_ratio' is inactive (penalty='l2') and must be left out; it is active "
         "only when penalty is one of ['elasticnet']"),
        ({"solver": "saga", "penalty": "l2", "C": 5000.0},
         "parameter 'C': value 5000.0 is outside Float(0.001, 1000.0, log=True)"),
        ({"solver": "lbfgs", "penalty": "l1", "C": 1.0},
         "forbidden combination: solver='lbfgs', penalty='l1'"),
        ({"solver": "saga", "penalty": "l2", "C": 1.0, "gamma": 1},
         "unknown parameter 'gamma'; the space has ['solver', 'penalty', 'l1_ratio', 'C']"),
        ([1], "a point must be a dict of parameter name -> value, got [1]"),
    ],
)
def test_why_invalid(params: Any, reason: str | None) -> None:
    space = logistic()
    assert space.why_invalid(params) == reason
    assert space.is_valid(params) is (reason is None)


def test_with_forbidden_returns_a_new_space() -> None:
    space = Space({"a": [1, 2], "b": [1, 2]})
    narrowed = space.with_forbidden(Forbidden({"a": [1], "b": [1]}))
    assert space.forbidden == () and len(narrowed.forbidden) == 1
    assert narrowed.grid().n_valid == 3 and space.grid().n_valid == 4
    # With b active only for a=2, {a: 1} has no b, so the rule on (a=1, b=1) never matches.
    conditional = narrowed.with_conditions(Condition("b", "a", [2]))
    assert list(conditional.grid()) == [{"a": 1}, {"a": 2, "b": 1}, {"a": 2, "b": 2}]
    assert conditional.grid().n_valid == 3


# -- sampling -------------------------------------------------------------------------------


def test_samples_are_valid_seeded_and_conditional() -> None:
    space = logistic()
    rng = np.random.default_rng(0)
    points = [space.sample(rng) for _ in range(400)]
    assert all(space.is_valid(p) for p in points)
    assert all(("l1_ratio" in p) == (p["penalty"] == "elasticnet") for p in points)
    assert not any(p["solver"] == "lbfgs" and p["penalty"] != "l2" for p in points)
    combos = Counter((p["solver"], p["penalty"]) for p in points)
    assert set(combos) == {("saga", "l1"), ("saga", "l2"), ("saga", "elasticnet"),
                           ("lbfgs", "l2")}
    again = [space.sample(np.random.default_rng(0)) for _ in range(2)]
    assert again[0] == again[1] == points[0]
    assert list(points[0]) == [n for n in space.names if n in points[0]]  # space order


def test_children_listed_before_parents_are_sampled_after_them() -> None:
    space = Space({"child": [1, 2], "parent": ["a", "b"]},
                  conditions=[Condition("child", "parent", ["b"])])
    rng = np.random.default_rng(1)
    points = [space.sample(rng) for _ in range(50)]
    assert all(space.is_valid(p) for p in points)
    assert {tuple(p) for p in points} == {("parent",), ("child", "parent")}


def test_sampling_gives_up_when_everything_is_forbidden() -> None:
    space = Space({"a": [1, 2]}, forbidden=[Forbidden({"a": [1, 2]})])
    with pytest.raises(InvalidSpaceError, match=r"no allowed point in 1000 random draws: the "
                       r"forbidden combinations .* exclude \(almost\) the whole space"):
        space.sample(np.random.default_rng(0))


def test_empty_space() -> None:
    space = Space({})
    assert space.sample(np.random.default_rng(0)) == {} and space.is_valid({})
    assert list(space.grid()) == [{}] and space.is_finite


# -- SpaceUnion -------------------------------------------------------------------------------


def test_union_basics() -> None:
    union = SpaceUnion([{"kernel": ["linear"]}, {"kernel": ["rbf"], "gamma": Float(0.1, 1)}])
    assert union.names == ("kernel", "gamma") and not union.is_finite
    assert union == SpaceUnion([Space({"kernel": ["linear"]}),
                                {"kernel": ["rbf"], "gamma": Float(0.1, 1)}])
    assert hash(union) == hash(SpaceUnion(list(union.spaces)))
    assert pickle.loads(pickle.dumps(union)) == union
    assert union.is_valid({"kernel": "linear"}) and union.is_valid({"kernel": "rbf", "gamma": 0.5})
    assert union.why_invalid({"kernel": "linear", "gamma": 0.5}) == (
        "subspace 0: unknown parameter 'gamma'; the space has ['kernel']; "
        "subspace 1: parameter 'kernel': value 'linear' is outside Categorical(['rbf'])")


def test_union_samples_a_subspace_uniformly() -> None:
    union = SpaceUnion([{"a": [1]}, {"b": [2]}, {"c": Int(0, 9)}])
    rng = np.random.default_rng(5)
    counts = Counter(next(iter(union.sample(rng))) for _ in range(3000))
    assert all(abs(counts[k] - 1000) < 120 for k in "abc")
    assert union.sample(np.random.default_rng(9)) == union.sample(np.random.default_rng(9))


@pytest.mark.parametrize(
    ("spaces", "match"),
    [
        ([], r"SpaceUnion needs at least one space, got an empty list"),
        ({"a": [1]}, r"SpaceUnion needs a list of spaces"),
        ([{"a": [1]}, 3], r"subspace 1 of the list must be a dict or a Space, got 3"),
        ([{"a": "x"}], r"subspace 0: parameter 'a'"),
    ],
)
def test_bad_unions(spaces: Any, match: str) -> None:
    with pytest.raises(InvalidSpaceError, match=match):
        SpaceUnion(spaces)


# -- to_space -----------------------------------------------------------------------------


def test_to_space_accepts_every_form() -> None:
    space = logistic()
    assert to_space(space) is space
    union = SpaceUnion([space])
    assert to_space(union) is union
    assert to_space({"a": [1]}) == Space({"a": [1]})
    assert to_space({"a": Int(0, 3)}) == Space({"a": Int(0, 3)})
    one = to_space([{"a": [1]}])
    assert isinstance(one, SpaceUnion) and one.spaces == (Space({"a": [1]}),)
    assert to_space(({"a": [1]}, space)) == SpaceUnion([{"a": [1]}, space])
    assert to_space({"a": [1], "b": np.array([1, 2])}, for_grid=True).is_finite


@pytest.mark.parametrize(
    ("obj", "match"),
    [
        ("C", r"a search space must be a dict .* got 'C' \(str\)"),
        (None, r"a search space must be a dict .* got None \(NoneType\)"),
        ([], r"a search space given as a list of dicts needs at least one dict, got \[\]"),
        ([{"a": [1]}, ["b"]], r"item 1 of the list of dicts is \['b'\] \(list\), not a dict"),
        ({1: [1]}, r"parameter names must be non-empty strings, got 1 \(int\)"),
    ],
)
def test_to_space_rejects_other_objects(obj: Any, match: str) -> None:
    with pytest.raises(InvalidSpaceError, match=match):
        to_space(obj)


@pytest.mark.parametrize(
    ("obj", "match"),
    [
        ({"C": stats.loguniform(1e-3, 1)},
         r"a grid needs a finite list of values; parameter 'C' is a distribution "
         r"\(Distribution\(loguniform\(0\.001, 1\)\)\): give a list of values"),
        ({"C": Float(0, 1)}, r"parameter 'C' is Float\(0\.0, 1\.0\), a continuous range"),
        ([{"a": [1]}, {"C": stats.uniform()}], r"subspace 1: a grid needs .*parameter 'C'"),
    ],
)
def test_to_space_for_grid_rejects_infinite_parameters(obj: Any, match: str) -> None:
    with pytest.raises(InvalidSpaceError, match=match):
        to_space(obj, for_grid=True)
    to_space(obj)  # fine for a random search


def test_dimensions_of_a_point_come_from_the_space_or_subspace_that_has_them() -> None:
    linear = Space({"kernel": Categorical(["linear"]), "C": Float(0.1, 10.0)})
    rbf = Space({"kernel": Categorical(["rbf"]), "C": Float(1.0, 100.0),
                 "gamma": Float(1e-3, 1.0, log=True)})
    union = SpaceUnion([linear, rbf])
    # Names the space lacks are left out; a union answers from the first subspace that
    # has every name of the point (gamma: only the rbf one), or not at all.
    assert linear.dimensions_of({"C": 1.0, "extra": 3}) == {"C": linear["C"]}
    assert union.dimensions_of({"C": 1.0}) == {"C": linear["C"]}
    assert union.dimensions_of({"C": 5.0, "gamma": 0.1}) == {"C": rbf["C"],
                                                             "gamma": rbf["gamma"]}
    assert union.dimensions_of({"C": 1.0, "degree": 3}) == {}
