"""Checks of the numbers a constructor takes: a clear ValueError naming the bad value."""

from __future__ import annotations

import numbers
from typing import Any

__all__ = ["check_int"]


def check_int(name: str, value: Any, low: int) -> int:
    """``value`` as an int, or a ValueError naming it and the bound (a bool is refused).

    >>> check_int("n_startup_trials", 10, 0)
    10
    >>> check_int("interval", True, 1)
    Traceback (most recent call last):
    ...
    ValueError: interval must be an integer >= 1, got True
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < low:
        raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")
    return int(value)
