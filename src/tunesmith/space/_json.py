"""JSON-safe encoding of parameter values.

Storages keep parameters and spaces as JSON, never pickles. Plain JSON loses three
things a parameter value can carry, so those travel as one-key tagged objects:

* ``{"__float__": "nan" | "inf" | "-inf"}``: JSON has no NaN or infinities;
* ``{"__tuple__": [...]}``: JSON has arrays only, and ``(1, 2) != [1, 2]``;
* ``{"__dict__": {...}}``: a user dict that would read as one of these tags.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from tunesmith.exceptions import InvalidSpaceError

__all__ = ["decode_value", "encode_value"]

_FLOAT, _TUPLE, _DICT = "__float__", "__tuple__", "__dict__"
_TAGS = frozenset({_FLOAT, _TUPLE, _DICT})
_SPECIAL_FLOATS = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}


def encode_value(value: Any) -> Any:
    """A JSON-serialisable form of ``value``; :func:`decode_value` inverts it.

    Accepts None, bool, int, float (NaN and infinities included), str, numpy scalars
    of those kinds (they come back as the Python type), tuples, lists and dicts with
    string keys, nested freely.

    >>> import json, math
    >>> json.dumps(encode_value({"shape": (3, 4), "tol": math.inf}))
    '{"shape": {"__tuple__": [3, 4]}, "tol": {"__float__": "inf"}}'
    >>> decode_value(encode_value((1, [2.5, None]))) == (1, [2.5, None])
    True
    """
    # Exact types only: a subclass (an IntEnum, a namedtuple) would come back as its
    # base type and break the promise decode_value(encode_value(v)) == v by type.
    kind = type(value)
    if value is None or kind is bool or kind is str:
        return value
    if kind is int:
        return value
    if kind is float:
        return _encode_float(value)
    if isinstance(value, np.generic):
        return _encode_numpy(value)
    if kind is tuple:
        return {_TUPLE: [encode_value(v) for v in value]}
    if kind is list:
        return [encode_value(v) for v in value]
    if kind is dict:
        for key in value:
            if type(key) is not str and not isinstance(key, np.str_):
                raise InvalidSpaceError(
                    f"cannot store a dict with a {type(key).__name__} key ({key!r}) as JSON; "
                    "dict keys must be strings"
                )
        out = {str(k): encode_value(v) for k, v in value.items()}
        # A user dict that looks like one of our tags is wrapped, so it stays a dict.
        return {_DICT: out} if len(out) == 1 and next(iter(out)) in _TAGS else out
    raise InvalidSpaceError(
        f"cannot store a value of type {kind.__module__}.{kind.__qualname__} ({_short(value)}) "
        "as JSON; parameter values must be None, bool, int, float, str, numpy scalars, "
        "or tuples, lists and str-keyed dicts of those"
    )


def decode_value(data: Any) -> Any:
    """The value :func:`encode_value` encoded as ``data``.

    >>> decode_value({"__float__": "nan"})
    nan
    >>> decode_value({"__tuple__": [1, "a"]})
    (1, 'a')
    """
    if data is None or isinstance(data, (bool, int, str)):
        return data
    if isinstance(data, float):
        return data
    if isinstance(data, list):
        return [decode_value(v) for v in data]
    if isinstance(data, dict):
        if len(data) == 1:
            tag, inner = next(iter(data.items()))
            if tag == _FLOAT:
                if inner not in _SPECIAL_FLOATS:
                    raise InvalidSpaceError(
                        f"bad encoded float {data!r}: {_FLOAT} must be one of "
                        f"{sorted(_SPECIAL_FLOATS)}, got {inner!r}"
                    )
                return _SPECIAL_FLOATS[inner]
            if tag == _TUPLE:
                if not isinstance(inner, list):
                    raise InvalidSpaceError(
                        f"bad encoded tuple {data!r}: {_TUPLE} must hold a list, got {inner!r}"
                    )
                return tuple(decode_value(v) for v in inner)
            if tag == _DICT:
                if not isinstance(inner, dict):
                    raise InvalidSpaceError(
                        f"bad encoded dict {data!r}: {_DICT} must hold an object, got {inner!r}"
                    )
                return {k: decode_value(v) for k, v in inner.items()}
        return {k: decode_value(v) for k, v in data.items()}
    raise InvalidSpaceError(
        f"cannot decode {data!r} (type {type(data).__name__}): "
        "expected JSON data written by encode_value"
    )


def _encode_float(x: float) -> Any:
    if math.isnan(x):
        return {_FLOAT: "nan"}
    if math.isinf(x):
        return {_FLOAT: "inf" if x > 0 else "-inf"}
    return x


def _encode_numpy(value: np.generic) -> Any:
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return _encode_float(float(value))
    if isinstance(value, np.str_):
        return str(value)
    raise InvalidSpaceError(
        f"cannot store a numpy {type(value).__name__} ({value!r}) as JSON; "
        "numpy scalars must be bool, integer, floating or str"
    )


def _short(value: Any, limit: int = 80) -> str:
    """A repr short enough for an error message."""
    try:
        text = repr(value)
    except Exception:  # a broken __repr__ must not hide the real error
        text = f"<{type(value).__name__} object>"
    return text if len(text) <= limit else text[: limit - 3] + "..."
