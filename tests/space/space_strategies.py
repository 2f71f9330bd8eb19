"""Hypothesis strategies and helpers shared by the tests of tunesmith.space."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from hypothesis import strategies as st

from tunesmith.space import Categorical, Distribution, Float, Int

# -- plain values -----------------------------------------------------------------------

small_ints = st.integers(-50, 50)
finite_floats = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)
short_text = st.text(alphabet="abcxyz_ -", max_size=4)


def _kind(value: Any) -> str:
    """The kind a value counts as (numpy scalars as their Python kind)."""
    if value is None:
        return "none"
    if isinstance(value, (bool, np.bool_)):
        return "bool"
    if isinstance(value, (int, np.integer)):
        return "int"
    if isinstance(value, (float, np.floating)):
        return "float"
    if isinstance(value, str):
        return "str"
    return type(value).__name__


def choice_id(value: Any) -> tuple[str, Any]:
    """An independent notion of "the same choice": (kind, value), NaN equal to NaN.

    Written from the spec, not from tunesmith's own key function, so tests that use
    it check the implementation against an independent expectation.
    """
    kind = _kind(value)
    if kind == "float" and math.isnan(float(value)):
        return kind, "nan"
    if kind in ("int", "float", "bool", "str"):
        return kind, {"int": int, "float": float, "bool": bool, "str": str}[kind](value)
    if isinstance(value, (tuple, list)):
        return kind, tuple(choice_id(v) for v in value)
    return kind, value


#: Values a scikit-learn grid list may hold: ints, floats, strings, None, bools.
grid_scalars = st.one_of(
    st.none(), st.booleans(), small_ints, st.floats(-100, 100, allow_nan=False), short_text,
    st.just(math.nan),
)


@st.composite
def grid_values(draw: Any) -> Any:
    """One parameter's list of values: a list, a tuple, or a 1-D numpy array."""
    form = draw(st.sampled_from(["list", "tuple", "int_array", "float_array", "str_array"]))
    if form in ("list", "tuple"):
        items = draw(st.lists(grid_scalars, min_size=1, max_size=4, unique_by=choice_id))
        return items if form == "list" else tuple(items)
    element = {
        "int_array": small_ints,
        "float_array": st.floats(-100, 100, allow_nan=False),  # sklearn makes new NaN objects
        "str_array": short_text,
    }[form]
    items = draw(st.lists(element, min_size=1, max_size=4, unique_by=choice_id))
    return np.array(items)


param_names = st.text(alphabet="abAB_", min_size=1, max_size=3)

#: A scikit-learn param_grid dict.
grid_dicts = st.dictionaries(param_names, grid_values(), max_size=4)

#: A dict, or a list of one to three dicts.
sklearn_grids = st.one_of(grid_dicts, st.lists(grid_dicts, min_size=1, max_size=3))


# -- dimensions -------------------------------------------------------------------------


@st.composite
def floats_dims(draw: Any) -> Float:
    kind = draw(st.sampled_from(["linear", "log", "step"]))
    if kind == "log":
        low = draw(st.floats(1e-6, 1e3))
        return Float(low, low * draw(st.floats(1.01, 1e6)), log=True)
    low = draw(finite_floats)
    width = draw(st.floats(1e-3, 1e6))
    if kind == "step":
        n = draw(st.integers(1, 60))
        return Float(low, low + width, step=width / n)
    return Float(low, low + width)


@st.composite
def int_dims(draw: Any) -> Int:
    if draw(st.booleans()):
        low = draw(st.integers(1, 10_000))
        return Int(low, low + draw(st.integers(0, 10_000)), log=True)
    low = draw(st.integers(-10_000, 10_000))
    step = draw(st.integers(1, 7))
    return Int(low, low + step * draw(st.integers(0, 300)), step=step)


json_choices = st.one_of(
    st.none(), st.booleans(), small_ints, st.floats(allow_nan=True, allow_infinity=True),
    short_text, st.tuples(small_ints, short_text),
)

categorical_dims = st.lists(json_choices, min_size=1, max_size=6, unique_by=choice_id).map(
    Categorical
)


def scipy_dists() -> st.SearchStrategy[Distribution]:
    from scipy import stats

    return st.sampled_from(
        [
            stats.uniform(0, 1),
            stats.uniform(loc=-2.0, scale=5.0),
            stats.loguniform(1e-3, 1e3),
            stats.norm(0.5, 2.0),
            stats.randint(1, 10),
            stats.poisson(3),
            stats.expon(scale=0.1),
        ]
    ).map(Distribution)


finite_dims = st.one_of(
    floats_dims().filter(lambda d: d.step is not None), int_dims(), categorical_dims
)
any_dims = st.one_of(floats_dims(), int_dims(), categorical_dims, scipy_dists())
