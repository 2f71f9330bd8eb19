"""Numeric ranges: :class:`Float` and :class:`Int`.

Unit embedding (what Sobol and TPE see):

* ``Float``: linear, or linear in ``log(x)`` with ``log=True``;
* ``Float`` with a step and linear ``Int``: the unit interval is cut into one
  equal-width bin per value, so a uniform ``u`` gives a uniform value and
  ``to_unit`` returns the bin centre;
* ``Int`` with ``log=True``: linear in ``log(x)`` over ``[low - 0.5, high + 0.5]``,
  rounded, so each integer owns a bin as wide as its share of the log scale.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from tunesmith.exceptions import InvalidSpaceError
from tunesmith.space._base import Dimension, check_rng, check_unit, is_real, json_field
from tunesmith.space._json import _short

__all__ = ["Float", "Int"]

#: Relative tolerance for "step divides the range" and "value is on the step grid".
_STEP_RTOL = 1e-9


_INT_LIMIT = 2**53


@dataclass(frozen=True, repr=False)
class Float(Dimension):
    """A real number in ``[low, high]``; on a log scale, or on a grid of ``step``.

    >>> import numpy as np
    >>> Float(0.0, 1.0, step=0.25).values()
    (0.0, 0.25, 0.5, 0.75, 1.0)
    >>> c = Float(1e-3, 1e3, log=True)
    >>> c.from_unit(0.5), c.contains(2000.0)
    (1.0, False)
    >>> 1e-3 <= c.sample(np.random.default_rng(0)) <= 1e3
    True
    """

    low: float
    high: float
    log: bool = field(default=False, kw_only=True)
    step: float | None = field(default=None, kw_only=True)

    json_type: ClassVar[str] = "float"

    def __post_init__(self) -> None:
        low, high = _real_bound("low", self.low), _real_bound("high", self.high)
        log = _flag("log", self.log)
        if not low < high:
            raise InvalidSpaceError(
                f"Float needs low < high, got low={low!r}, high={high!r}; "
                f"for a single value use Categorical([{low!r}])"
            )
        if not math.isfinite(high - low):
            raise InvalidSpaceError(
                f"Float range is too wide for floating point, got low={low!r}, high={high!r}"
            )
        if log and low <= 0:
            raise InvalidSpaceError(
                f"log scale needs low > 0, got low={low!r}; use a positive low or log=False"
            )
        step = self.step
        if step is not None:
            if log:
                raise InvalidSpaceError(
                    f"Float cannot have both log=True and a step (got step={step!r}); "
                    "drop one, or list the values with Categorical"
                )
            step = _positive_step(step)
            # Declared here, not in the class body, where it would be a dataclass field
            # (a bare annotation of self._n does nothing at run time).
            self._n: int  # the number of steps from low to high; only with a step
            object.__setattr__(self, "_n", _intervals(low, high, step))
        object.__setattr__(self, "low", low)
        object.__setattr__(self, "high", high)
        object.__setattr__(self, "log", log)
        object.__setattr__(self, "step", step)

    def __repr__(self) -> str:
        extra = ", log=True" if self.log else ""
        extra += f", step={self.step!r}" if self.step is not None else ""
        return f"Float({self.low!r}, {self.high!r}{extra})"

    # -- finiteness ---------------------------------------------------------------

    @property
    def is_finite(self) -> bool:
        return self.step is not None

    @property
    def size(self) -> int | None:
        return None if self.step is None else self._n + 1

    def value_at(self, index: int) -> float:
        step = self._stepped("value_at()")
        k = self._check_position(index)
        if k == self._n:
            return self.high  # exactly, whatever the rounding below would give
        raw = self.low + k * step
        # Round away float drift (0.1 + 2 * 0.1 -> 0.3) but never move a value
        # more than drift would: low=1/3, step=1/3 keeps 2/3 as computed.
        digits = 9 - math.floor(math.log10(step))
        rounded = round(raw, digits)
        return rounded if abs(rounded - raw) <= 1e-12 * max(abs(raw), step) else raw

    def index_of(self, value: Any) -> int:
        step = self._stepped("index_of()")
        if not self.contains(value):
            raise InvalidSpaceError(f"value {_short(value)} is not one of the values of {self!r}")
        return round((float(value) - self.low) / step)

    def _stepped(self, what: str) -> float:
        """The step, for ``what`` that needs the list of values; without a step, the
        error :meth:`_require_finite` gives."""
        self._require_finite(what)
        step = self.step
        if step is None:  # pragma: no cover - is_finite is "step is not None"
            raise InvalidSpaceError(f"{self!r} has no step")
        return step

    # -- values -------------------------------------------------------------------

    def contains(self, value: Any) -> bool:
        if not is_real(value):
            return False
        x = float(value)
        if math.isnan(x):
            return False
        if self.step is None:
            return self.low <= x <= self.high
        k = (x - self.low) / self.step
        # Off the grid by a millionth of a step, or by the float resolution at this
        # magnitude (values near 5e5 are only known to ~1e-10).
        slack = 1e-6 * self.step + 16 * sys.float_info.epsilon * max(-self.low, self.high)
        return 0 <= round(k) <= self._n and abs(k - round(k)) * self.step <= slack

    def sample(self, rng: np.random.Generator) -> float:
        check_rng(rng)
        if self.step is not None:
            return self.value_at(int(rng.integers(self._n + 1)))
        if self.log:
            return self._clip(math.exp(rng.uniform(math.log(self.low), math.log(self.high))))
        return self._clip(float(rng.uniform(self.low, self.high)))

    def to_unit(self, value: Any) -> float:
        if not self.contains(value):
            raise InvalidSpaceError(f"to_unit: value {_short(value)} is outside {self!r}")
        if self.step is not None:
            return (self.index_of(value) + 0.5) / (self._n + 1)
        x = float(value)
        if self.log:
            lo, hi = math.log(self.low), math.log(self.high)
            return min(max((math.log(x) - lo) / (hi - lo), 0.0), 1.0)
        return min(max((x - self.low) / (self.high - self.low), 0.0), 1.0)

    def from_unit(self, u: float) -> float:
        u = check_unit(u)
        if self.step is not None:
            return self.value_at(min(int(u * (self._n + 1)), self._n))
        if u in (0.0, 1.0):  # the bounds exactly, not exp(log(low)) an ulp away
            return self.high if u else self.low
        if self.log:
            lo, hi = math.log(self.low), math.log(self.high)
            return self._clip(math.exp(lo + u * (hi - lo)))
        return self._clip(self.low + u * (self.high - self.low))

    def _clip(self, x: float) -> float:
        # exp(log(x)) and low + u * (high - low) may land an ulp outside the range.
        return min(max(float(x), self.low), self.high)

    # -- JSON ---------------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        return {"type": "float", "low": self.low, "high": self.high, "log": self.log,
                "step": self.step}

    @classmethod
    def _from_json(cls, data: Mapping[str, Any]) -> Float:
        return cls(json_field(data, "low", "float"), json_field(data, "high", "float"),
                   log=data.get("log", False), step=data.get("step"))


@dataclass(frozen=True, repr=False)
class Int(Dimension):
    """An integer in ``[low, high]`` (both included), every ``step``; or on a log scale.

    >>> import numpy as np
    >>> Int(0, 10, step=5).values(), Int(3, 3).size
    ((0, 5, 10), 1)
    >>> n = Int(1, 1000, log=True).sample(np.random.default_rng(0))
    >>> isinstance(n, int) and 1 <= n <= 1000
    True
    """

    low: int
    high: int
    log: bool = field(default=False, kw_only=True)
    step: int = field(default=1, kw_only=True)

    json_type: ClassVar[str] = "int"

    def __post_init__(self) -> None:
        low, high = _int_bound("low", self.low), _int_bound("high", self.high)
        log = _flag("log", self.log)
        if low > high:
            raise InvalidSpaceError(f"Int needs low <= high, got low={low}, high={high}")
        # Samplers model integers as floats, exact up to 2**53 (and draw them with numpy).
        if not (low >= -_INT_LIMIT and high < _INT_LIMIT and high - low < _INT_LIMIT):
            raise InvalidSpaceError(
                f"Int bounds must lie within +-2**53 with high - low below 2**53, got "
                f"low={low}, high={high}; use a Float (log=True for wide ranges) instead"
            )
        if isinstance(self.step, (bool, np.bool_)) or not isinstance(
            self.step, (int, np.integer)
        ):
            raise InvalidSpaceError(
                f"Int needs an integer step >= 1, got step={_short(self.step)} "
                f"({type(self.step).__name__})"
            )
        step = int(self.step)
        if step < 1:
            raise InvalidSpaceError(f"Int needs step >= 1, got step={step}")
        if (high - low) % step:
            raise InvalidSpaceError(
                f"Int step must divide high - low, got step={step} and high - low = {high - low}; "
                f"set high={low + (high - low) // step * step} or pick another step"
            )
        if log and low < 1:
            raise InvalidSpaceError(
                f"log scale needs low >= 1 for Int, got low={low}; use low >= 1 or log=False"
            )
        if log and step != 1:
            raise InvalidSpaceError(
                f"Int cannot have both log=True and step={step}; drop one, or list the values "
                "with Categorical"
            )
        object.__setattr__(self, "low", low)
        object.__setattr__(self, "high", high)
        object.__setattr__(self, "log", log)
        object.__setattr__(self, "step", step)

    def __repr__(self) -> str:
        extra = ", log=True" if self.log else ""
        extra += f", step={self.step}" if self.step != 1 else ""
        return f"Int({self.low}, {self.high}{extra})"

    # -- finiteness ---------------------------------------------------------------

    @property
    def is_finite(self) -> bool:
        return True

    @property
    def size(self) -> int:
        return (self.high - self.low) // self.step + 1

    def values(self) -> tuple[int, ...]:
        return tuple(range(self.low, self.high + 1, self.step))

    def value_at(self, index: int) -> int:
        return self.low + self._check_position(index) * self.step

    def index_of(self, value: Any) -> int:
        if not self.contains(value):
            raise InvalidSpaceError(f"value {_short(value)} is not one of the values of {self!r}")
        return (int(value) - self.low) // self.step

    # -- values -------------------------------------------------------------------

    def contains(self, value: Any) -> bool:
        # A float, even 3.0, is not an Int value: estimators expecting int reject it.
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
            return False
        v = int(value)
        return self.low <= v <= self.high and (v - self.low) % self.step == 0

    def sample(self, rng: np.random.Generator) -> int:
        check_rng(rng)
        if self.log:
            return self.from_unit(float(rng.random()))
        return self.low + int(rng.integers(self.size)) * self.step

    def to_unit(self, value: Any) -> float:
        if not self.contains(value):
            raise InvalidSpaceError(f"to_unit: value {_short(value)} is outside {self!r}")
        if self.log:
            lo, hi = self._log_edges()
            return (math.log(int(value)) - lo) / (hi - lo)
        return (self.index_of(value) + 0.5) / self.size

    def from_unit(self, u: float) -> int:
        u = check_unit(u)
        if self.log:
            lo, hi = self._log_edges()
            return min(max(round(math.exp(lo + u * (hi - lo))), self.low), self.high)
        return self.low + min(int(u * self.size), self.size - 1) * self.step

    def _log_edges(self) -> tuple[float, float]:
        # Half a unit beyond each bound, so low and high own a bin like every other integer.
        return math.log(self.low - 0.5), math.log(self.high + 0.5)

    # -- JSON ---------------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        return {"type": "int", "low": self.low, "high": self.high, "log": self.log,
                "step": self.step}

    @classmethod
    def _from_json(cls, data: Mapping[str, Any]) -> Int:
        return cls(json_field(data, "low", "int"), json_field(data, "high", "int"),
                   log=data.get("log", False), step=data.get("step", 1))


# -- validation helpers -------------------------------------------------------------


def _real_bound(name: str, value: Any) -> float:
    if not is_real(value):
        raise InvalidSpaceError(
            f"Float needs real-number bounds, got {name}={_short(value)} ({type(value).__name__})"
        )
    x = float(value)
    if not math.isfinite(x):
        raise InvalidSpaceError(
            f"Float needs finite bounds, got {name}={x!r}; give a finite {name}"
        )
    return x


def _int_bound(name: str, value: Any) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        hint = (
            f"write {name}={int(value)}, or use Float for a real-valued range"
            if is_real(value) and float(value).is_integer()
            else "use Float for a real-valued range"
        )
        raise InvalidSpaceError(
            f"Int needs integer bounds, got {name}={_short(value)} ({type(value).__name__}); {hint}"
        )
    return int(value)


def _flag(name: str, value: Any) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise InvalidSpaceError(f"{name} must be True or False, got {name}={_short(value)}")
    return bool(value)


def _positive_step(step: Any) -> float:
    if not is_real(step) or not math.isfinite(float(step)) or float(step) <= 0:
        raise InvalidSpaceError(f"Float step must be a number > 0, got step={_short(step)}")
    return float(step)


def _intervals(low: float, high: float, step: float) -> int:
    """How many steps fit in [low, high]; an error unless the step divides the range."""
    width = high - low
    n = round(width / step)
    # Relative to the range, plus the rounding of the bounds themselves: 32768.001 is
    # stored 3e-12 off, which is a lot next to a range of 0.001.
    tol = _STEP_RTOL * width + 8 * sys.float_info.epsilon * max(abs(low), abs(high))
    if n < 1 or abs(n * step - width) > tol:
        hint = (
            f"set high={low + n * step!r}, or step={width / n!r}"
            if n >= 1
            else f"use a step of at most {width!r}"
        )
        raise InvalidSpaceError(
            f"Float step must divide high - low, got step={step!r} and "
            f"high - low = {width!r} ({width / step:.4g} steps); {hint}"
        )
    return n
