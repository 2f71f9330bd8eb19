"""encode_value / decode_value: JSON-safe parameter values that come back by value and type."""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tunesmith.exceptions import InvalidSpaceError
from tunesmith.space import decode_value, encode_value

_PY_TYPE = {np.bool_: bool, np.integer: int, np.floating: float, np.str_: str}


def expected_type(value: Any) -> type:
    """numpy scalars come back as their Python type; everything else as itself."""
    for np_type, py_type in _PY_TYPE.items():
        if isinstance(value, np_type):
            return py_type
    return type(value)


def assert_same(original: Any, decoded: Any) -> None:
    """Equal by value and type, recursively; NaN equals NaN."""
    assert type(decoded) is expected_type(original), (original, decoded)
    if isinstance(original, (tuple, list)):
        assert len(original) == len(decoded)
        for a, b in zip(original, decoded, strict=True):
            assert_same(a, b)
    elif isinstance(original, dict):
        assert list(original) == list(decoded)
        for key in original:
            assert_same(original[key], decoded[key])
    elif isinstance(decoded, float) and math.isnan(decoded):
        assert math.isnan(float(original))
    else:
        # A numpy scalar's value is its .item(): np.str_("\x00") is "" to numpy.
        assert decoded == (original.item() if isinstance(original, np.generic) else original)


scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),  # arbitrary size: JSON integers have no limit
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=5),
    st.integers(-(2**31), 2**31 - 1).map(np.int64),
    st.integers(0, 255).map(np.uint8),
    st.floats(allow_nan=True, width=32).map(np.float32),
    st.floats(allow_nan=True).map(np.float64),
    st.booleans().map(np.bool_),
    st.text(max_size=3).map(np.str_),
)
tag_like_keys = st.sampled_from(["__tuple__", "__float__", "__dict__", "x", ""])
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.lists(inner, max_size=3).map(tuple),
        st.dictionaries(st.one_of(tag_like_keys, st.text(max_size=3)), inner, max_size=3),
    ),
    max_leaves=12,
)


@settings(max_examples=80, deadline=None)
@given(values)
def test_round_trip_through_strict_json_keeps_value_and_type(value: Any) -> None:
    text = json.dumps(encode_value(value), allow_nan=False)  # strict JSON: no NaN literals
    assert_same(value, decode_value(json.loads(text)))


@pytest.mark.parametrize(
    ("value", "encoded"),
    [
        (math.nan, {"__float__": "nan"}),
        (-math.inf, {"__float__": "-inf"}),
        ((1, "a"), {"__tuple__": [1, "a"]}),
        ({"__tuple__": [1]}, {"__dict__": {"__tuple__": [1]}}),
        (np.int64(7), 7),
        (np.float32(0.5), 0.5),
        (np.bool_(True), True),
        ([None, (2.5,)], [None, {"__tuple__": [2.5]}]),
    ],
)
def test_encoded_forms(value: Any, encoded: Any) -> None:
    assert encode_value(value) == encoded


def test_a_dict_with_several_keys_is_not_mistaken_for_a_tag() -> None:
    value = {"__tuple__": [1], "other": 2}
    assert decode_value(encode_value(value)) == value


@pytest.mark.parametrize(
    ("value", "match"),
    [
        (object(), r"value of type builtins\.object"),
        ({1: "a"}, r"dict with a int key \(1\).*keys must be strings"),
        ({1, 2}, r"type builtins\.set"),
        (np.array([1, 2]), r"type numpy\.ndarray"),
        (b"bytes", r"type builtins\.bytes"),
        (np.complex128(1j), r"numpy complex128"),
        ([1, object()], r"builtins\.object"),
    ],
)
def test_unsupported_values_name_their_type(value: Any, match: str) -> None:
    with pytest.raises(InvalidSpaceError, match=match):
        encode_value(value)


@pytest.mark.parametrize(
    ("data", "match"),
    [
        ({"__float__": "NaN!"}, r"__float__ must be one of \['-inf', 'inf', 'nan'\]"),
        ({"__tuple__": 3}, r"__tuple__ must hold a list, got 3"),
        ({"__dict__": [1]}, r"__dict__ must hold an object"),
        (object(), r"cannot decode .*expected JSON data"),
    ],
)
def test_malformed_encodings_are_rejected(data: Any, match: str) -> None:
    with pytest.raises(InvalidSpaceError, match=match):
        decode_value(data)
