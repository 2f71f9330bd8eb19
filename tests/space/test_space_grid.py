"""Grid: scikit-learn's ParameterGrid order, lazily; conditions; forbidden points."""

from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from sklearn.model_selection import ParameterGrid
from space_strategies import choice_id, sklearn_grids

from tunesmith.exceptions import InvalidSpaceError
from tunesmith.space import (
    Categorical,
    Condition,
    Float,
    Forbidden,
    Int,
    Space,
    SpaceUnion,
    to_space,
)


def point_id(point: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(sorted((k, choice_id(v)) for k, v in point.items()))


def assert_same_points(ours: dict[str, Any], theirs: dict[str, Any]) -> None:
    """Same keys, and each value the same object or the same kind and value."""
    assert set(ours) == set(theirs)
    for key, value in theirs.items():
        assert ours[key] is value or choice_id(ours[key]) == choice_id(value), (key, ours, theirs)
        assert type(ours[key]) is type(value)


# -- scikit-learn's order ----------------------------------------------------------------


FORMS: list[Any] = [
    {},
    [{}],
    [{}, {}],
    {"a": [1, 2]},
    {"b": [True, False], "a": [1, 2]},
    {"kernel": ["rbf", "linear"], "C": [0.1, 1, 10], "gamma": [None, "scale"]},
    [{"kernel": ["linear"]}, {"kernel": ["rbf"], "gamma": [1, 10]}],
    [{"C": [1]}, {}, {"C": [2, 3], "B": np.array([0.5, 1.5])}],
    {"a": np.array(["x", "y", "z"]), "A": (1, 2), "_": [None]},
    {"mixed": [True, 1, 1.0, "1", None, (1, 2)]},
]


@pytest.mark.parametrize("form", FORMS)
def test_grid_equals_parameter_grid(form: Any) -> None:
    ours, ref = to_space(form).grid(), ParameterGrid(form)
    assert len(ours) == len(ref)
    for mine, theirs in zip(ours, ref, strict=True):  # iteration
        assert list(mine) == list(theirs)  # keys in sorted order, like ParameterGrid
        assert_same_points(mine, theirs)
    for i in range(len(ref)):  # indexing
        assert_same_points(ours[i], ref[i])
        assert_same_points(ours[i - len(ref)], ref[i])


@settings(max_examples=40, deadline=None)
@given(sklearn_grids)
def test_random_grids_equal_parameter_grid(form: Any) -> None:
    ours, ref = to_space(form).grid(), ParameterGrid(form)
    n = len(ref)
    assert len(ours) == n
    for i, (mine, theirs) in enumerate(zip(ours, ref, strict=True)):
        assert_same_points(mine, theirs)
        assert_same_points(ours[i], ref[i])
        assert_same_points(ours[i - n], theirs)
        j = ours.index_of(ours[i])
        # The first equal point: later subspaces may repeat a point of an earlier one.
        assert j <= i and point_id(ours[j]) == point_id(ours[i])
        if isinstance(form, dict):
            assert j == i


def test_index_errors_are_clear() -> None:
    grid = to_space({"a": [1, 2, 3]}).grid()
    with pytest.raises(IndexError, match=r"grid index 3 is out of range for a grid of 3 points "
                       r"\(valid: -3 to 2\)"):
        grid[3]
    with pytest.raises(IndexError, match=r"grid index -4 is out of range"):
        grid[-4]
    with pytest.raises(TypeError, match=r"grid indices must be integers or slices, got '1'"):
        grid["1"]
    assert grid[np.int64(1)] == {"a": 2}
    assert grid[1:] == [{"a": 2}, {"a": 3}] and grid[::-1][0] == {"a": 3}


def test_index_of_rejects_points_not_in_the_grid() -> None:
    grid = to_space({"a": [1, 2], "b": ["x"]}).grid()
    assert grid.index_of({"b": "x", "a": 2}) == 1
    assert {"a": 1, "b": "x"} in grid
    for missing in ({"a": 3, "b": "x"}, {"a": 1}, {"a": 1, "b": "x", "c": 0}, {"a": 1.0, "b": "x"}):
        with pytest.raises(ValueError, match=r"is not in the grid"):
            grid.index_of(missing)
        assert missing not in grid
    with pytest.raises(ValueError, match=r"index_of needs a dict of parameter values, got 3"):
        grid.index_of(3)  # type: ignore[arg-type]


def test_numpy_values_are_found_by_value() -> None:
    grid = to_space({"a": [1, 2], "s": np.array(["x", "y"])}).grid()
    assert grid.index_of({"a": np.int64(2), "s": "y"}) == 3


def test_huge_grids_are_never_materialised() -> None:
    space = Space({"a": Int(0, 10**6), "b": Int(0, 10**6), "c": Float(0, 1, step=1e-6)})
    grid = space.grid()
    n = (10**6 + 1) ** 3
    assert len(grid) == n
    assert grid[-1] == {"a": 10**6, "b": 10**6, "c": 1.0}
    assert grid[1] == {"a": 0, "b": 0, "c": 1e-6}
    point = {"a": 123, "b": 456_789, "c": 0.25}
    i = grid.index_of(point)
    assert i == (123 * (10**6 + 1) + 456_789) * (10**6 + 1) + 250_000
    assert grid[i] == point
    assert grid.n_valid == n


def test_numeric_dimensions_enumerate_their_values() -> None:
    space = Space({"n": Int(1, 3), "x": Float(0, 1, step=0.5)})
    assert list(space.grid()) == list(ParameterGrid({"n": [1, 2, 3], "x": [0.0, 0.5, 1.0]}))


def test_grid_of_an_infinite_space_names_the_parameters() -> None:
    space = Space({"C": Float(1e-3, 1, log=True), "k": [1], "g": stats.uniform(0, 1)})
    with pytest.raises(InvalidSpaceError, match=r"'C' \(Float\(0\.001, 1\.0, log=True\)\), 'g' "
                       r"\(Distribution\(uniform\(0, 1\)\)\) have infinitely many"):
        space.grid()
    with pytest.raises(InvalidSpaceError, match=r"subspace 1: a grid needs.*'x'"):
        SpaceUnion([{"a": [1]}, {"x": Float(0, 1)}]).grid()


# -- conditions -------------------------------------------------------------------------


def logistic_space(**kw: Any) -> Space:
    return Space(
        {"penalty": ["l1", "l2", "elasticnet"], "l1_ratio": [0.2, 0.5, 0.8], **kw},
        conditions=[Condition("l1_ratio", "penalty", ["elasticnet"])],
    )


def test_an_inactive_parameter_does_not_multiply_the_grid() -> None:
    grid = logistic_space().grid()
    expected = list(ParameterGrid([
        {"penalty": ["l1", "l2"]},
        {"penalty": ["elasticnet"], "l1_ratio": [0.2, 0.5, 0.8]},
    ]))
    assert len(grid) == 2 + 3
    assert list(grid) == expected
    assert [grid[i] for i in range(5)] == expected
    assert [grid.index_of(p) for p in expected] == [0, 1, 2, 3, 4]


def test_conditions_with_an_unconditional_sibling() -> None:
    grid = logistic_space(C=[1, 10]).grid()
    assert len(grid) == 2 * (2 + 3)
    assert list(grid) == list(ParameterGrid([
        {"penalty": ["l1", "l2"], "C": [1, 10]},
        {"penalty": ["elasticnet"], "l1_ratio": [0.2, 0.5, 0.8], "C": [1, 10]},
    ]))


def test_chained_conditions_by_hand() -> None:
    space = Space(
        {"c": ["p", "q"], "b": [1, 2], "a": ["x", "y"]},
        conditions=[Condition("b", "a", ["y"]), Condition("c", "b", [2])],
    )
    assert list(space.grid()) == [
        {"a": "x"},
        {"a": "y", "b": 1},
        {"a": "y", "b": 2, "c": "p"},
        {"a": "y", "b": 2, "c": "q"},
    ]


def test_a_parent_whose_every_value_activates_the_child_stays_whole() -> None:
    space = Space({"a": [1, 2], "b": ["x", "y"]}, conditions=[Condition("b", "a", [1, 2])])
    assert list(space.grid()) == list(ParameterGrid({"a": [1, 2], "b": ["x", "y"]}))


@st.composite
def conditional_spaces(draw: Any) -> Space:
    """A small space whose parameters form a random forest of conditions."""
    n = draw(st.integers(1, 5))
    names = [f"p{k}" for k in draw(st.permutations(range(n)))]
    dims = {name: list(range(draw(st.integers(1, 3)))) for name in names}
    conditions = []
    for k, name in enumerate(names[1:], start=1):
        if draw(st.booleans()):
            parent = names[draw(st.integers(0, k - 1))]  # earlier names only: no cycles
            values = draw(st.lists(st.sampled_from(dims[parent]), min_size=1, unique=True))
            conditions.append(Condition(name, parent, values))
    space = Space(dims, conditions=conditions)
    rules = []
    for _ in range(draw(st.integers(0, 3))):
        chosen = draw(st.lists(st.sampled_from(names), min_size=1, max_size=2, unique=True))
        rules.append(Forbidden({c: draw(st.lists(st.sampled_from(dims[c]), min_size=1,
                                                 unique=True)) for c in chosen}))
    return space.with_forbidden(*rules)


def brute_force_points(space: Space) -> list[dict[str, Any]]:
    """Every valid assignment, each parameter given a value or left out, filtered by
    hand-written activity rules (independent of the grid's block decomposition)."""

    def active(point: dict[str, Any], name: str) -> bool:
        cond = space.condition_of(name)
        if cond is None:
            return True
        return (cond.parent in point and active(point, cond.parent)
                and point[cond.parent] in cond.values)

    absent = object()
    options = [[absent, *space[name].values()] for name in space.names]
    out = []
    for combo in itertools.product(*options):
        point = {n: v for n, v in zip(space.names, combo, strict=True) if v is not absent}
        if all((name in point) == active(point, name) for name in space.names):
            out.append(point)
    return out


@settings(max_examples=40, deadline=None)
@given(conditional_spaces())
def test_conditional_grids_hold_each_valid_point_once(space: Space) -> None:
    grid = space.grid()
    expected = {point_id(p) for p in brute_force_points(space)}
    listed = [point_id(p) for p in grid]
    assert len(listed) == len(set(listed)) == len(grid)  # no duplicates
    assert set(listed) == expected
    for i in range(len(grid)):
        assert grid.index_of(grid[i]) == i
        assert point_id(grid[i]) == listed[i]
    # Forbidden points keep their index; valid_indices and n_valid skip them.
    def forbidden(p: dict[str, Any]) -> bool:
        return any(all(k in p and p[k] in vals for k, vals in rule.clauses.items())
                   for rule in space.forbidden)

    valid = [i for i, p in enumerate(grid) if not forbidden(p)]
    assert list(grid.valid_indices()) == valid
    assert grid.n_valid == len(valid)
    assert [grid.is_valid(i) for i in range(len(grid))] == [i in valid for i in range(len(grid))]


# -- forbidden points ---------------------------------------------------------------------


def test_forbidden_points_keep_their_index_but_are_skipped() -> None:
    space = Space({"solver": ["lbfgs", "saga"], "penalty": ["l1", "l2"]}).with_forbidden(
        Forbidden({"solver": ["lbfgs"], "penalty": ["l1"]})
    )
    grid = space.grid()
    assert list(grid) == list(ParameterGrid({"solver": ["lbfgs", "saga"], "penalty": ["l1", "l2"]}))
    # penalty sorts before solver: (l1, lbfgs), (l1, saga), (l2, lbfgs), (l2, saga)
    assert list(grid.valid_indices()) == [1, 2, 3]
    assert grid.n_valid == 3 and not grid.is_valid(0) and grid.is_valid(-1)


@settings(max_examples=20, deadline=None)
@given(st.data())
def test_n_valid_counts_exactly_with_many_overlapping_rules(data: Any) -> None:
    sizes = data.draw(st.lists(st.integers(1, 4), min_size=1, max_size=4))
    names = [f"x{k}" for k in range(len(sizes))]
    dims = {n: list(range(s)) for n, s in zip(names, sizes, strict=True)}
    rules = []
    # Up to 16 rules: more than 12 switches from inclusion-exclusion to a scan.
    for _ in range(data.draw(st.integers(1, 16))):
        chosen = data.draw(st.lists(st.sampled_from(names), min_size=1, unique=True))
        rules.append({c: data.draw(st.lists(st.sampled_from(dims[c]), min_size=1, unique=True))
                      for c in chosen})
    grid = Space(dims, forbidden=[Forbidden(r) for r in rules]).grid()
    by_hand = sum(
        1 for p in ParameterGrid(dims)
        if not any(all(p[k] in vals for k, vals in r.items()) for r in rules)
    )
    assert grid.n_valid == by_hand == len(list(grid.valid_indices()))


def test_valid_indices_is_lazy() -> None:
    space = Space({"a": Int(0, 10**9)}, forbidden=[Forbidden({"a": [0, 2]})])
    it = space.grid().valid_indices()
    assert [next(it) for _ in range(3)] == [1, 3, 4]
    assert space.grid().n_valid == 10**9 + 1 - 2  # counted, not listed


def test_union_grid_concatenates_in_order() -> None:
    union = SpaceUnion([{"a": [1, 2]}, Space({"b": ["x"]}), {}])
    assert list(union.grid()) == [{"a": 1}, {"a": 2}, {"b": "x"}, {}]
    assert union.grid().spaces == union.spaces
    assert math.prod([]) == 1 and len(Space({}).grid()) == 1


def test_categorical_choices_come_back_as_the_same_objects() -> None:
    marker = object()
    grid = Space({"obj": Categorical([marker, None])}).grid()
    assert grid[0]["obj"] is marker and grid.index_of({"obj": marker}) == 0


def test_iteration_reads_long_axes_value_by_value(monkeypatch: pytest.MonkeyPatch) -> None:
    # Pretend every axis is long, so iteration takes the lazy odometer path.
    import tunesmith.space._grid as grid_module

    monkeypatch.setattr(grid_module, "_MAX_LISTED", 1)
    form = [{"b": [1, 2, 3], "a": ["x", "y"], "c": [None]}, {"z": [0]}]
    assert list(to_space(form).grid()) == list(ParameterGrid(form))
    space = logistic_space(C=[1, 10]).with_forbidden(Forbidden({"C": [10], "penalty": ["l2"]}))
    grid = space.grid()
    assert list(grid.valid_indices()) == [i for i in range(len(grid)) if grid.is_valid(i)]
