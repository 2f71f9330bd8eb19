"""When are two parameter values "the same value"?

Python says ``True == 1 == 1.0``, but a grid of ``[True, 1, 1.0]`` holds three
different choices (scikit-learn keeps all three). Here two values are the same
when they have the same *kind* (bool, int, float, str, None, tuple, list, dict) and
the same value; numpy scalars count as their Python kind, so ``numpy.int64(3)``
is the choice ``3``. NaN is the same as NaN. Any other object falls back to its own
``==``/``hash`` when it is hashable, and to identity when it is not.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Hashable, Iterable
from typing import Any

import numpy as np

__all__ = ["contains_value", "same_value", "value_key"]


def value_key(value: Any) -> Hashable:
    """A hashable key: equal keys exactly when the values are the same choice.

    >>> value_key(True) == value_key(1), value_key(1) == value_key(1.0)
    (False, False)
    >>> import numpy as np
    >>> value_key(np.int64(3)) == value_key(3), value_key(float("nan")) == value_key(np.nan)
    (True, True)
    """
    if value is None:
        return ("none",)
    if isinstance(value, (bool, np.bool_)):
        return ("bool", bool(value))
    if isinstance(value, (int, np.integer)):
        return ("int", int(value))
    if isinstance(value, (float, np.floating)):
        x = float(value)
        return ("float", "nan") if math.isnan(x) else ("float", x)
    if isinstance(value, str):
        return ("str", str(value))
    if isinstance(value, tuple) and type(value) is tuple:  # not namedtuples: keep their type
        return ("tuple", tuple(value_key(v) for v in value))
    if isinstance(value, list):
        return ("list", tuple(value_key(v) for v in value))
    if isinstance(value, dict):
        return ("dict", frozenset((value_key(k), value_key(v)) for k, v in value.items()))
    if isinstance(value, numbers.Number) and not isinstance(value, numbers.Real):
        try:  # complex numbers: by value
            # Any Number is tried (the stubs want SupportsComplex/SupportsFloat); one that
            # cannot convert raises TypeError, handled below.
            return ("complex", complex(value))  # type: ignore[call-overload]
        except (TypeError, ValueError):
            pass
    try:
        hash(value)
    except TypeError:
        # Unhashable objects (arrays, estimators with mutable state): identity is
        # the only comparison that is always defined and never raises.
        return ("id", id(value))
    return ("object", _ObjectKey(value))


class _ObjectKey:
    """An object compared with its own ``==``, guarded so odd ``__eq__`` never raises."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, _ObjectKey):
            return NotImplemented
        if self.value is other.value:
            return True
        if type(self.value) is not type(other.value):
            return False
        try:
            return bool(self.value == other.value)
        except Exception:  # an __eq__ that returns arrays or raises: not the same
            return False

    def __hash__(self) -> int:
        try:
            return hash((type(self.value).__qualname__, self.value))
        except Exception:  # a __hash__ that raises after all
            return id(self.value)


def same_value(a: Any, b: Any) -> bool:
    """Whether ``a`` and ``b`` are the same choice (see the module docstring).

    >>> same_value(1, 1.0), same_value("a", "a")
    (False, True)
    """
    if a is b:
        return True
    return value_key(a) == value_key(b)


def contains_value(values: Iterable[Any], value: Any) -> bool:
    """Whether ``value`` is the same choice as one of ``values``.

    >>> contains_value((1, 2), 2.0)
    False
    """
    key = value_key(value)
    return any(v is value or value_key(v) == key for v in values)
