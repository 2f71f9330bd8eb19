"""The :class:`Dimension` interface: the domain of one parameter.

A dimension is an immutable value: it validates itself when built, compares and
hashes by value, and round-trips through JSON. ``Dimension.from_json`` dispatches on
the ``"type"`` key through a registry that each concrete class joins when it is
defined (``json_type = "float"``), so no class is ever looked up by attribute name.
"""

from __future__ import annotations

import math
import numbers
import operator
from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np

from tunesmith.exceptions import InvalidSpaceError
from tunesmith.space._json import _short

__all__ = ["Dimension", "check_rng", "check_unit", "is_real", "json_field"]

#: json "type" -> class; filled by Dimension.__init_subclass__.
_REGISTRY: dict[str, type[Dimension]] = {}


class Dimension(ABC):
    """The domain of one parameter: :class:`Float`, :class:`Int`, :class:`Categorical`
    or :class:`Distribution`.

    Finite dimensions list their values (``values()``, ``size``, ``value_at``,
    ``index_of``); every dimension can ``sample`` a value, test ``contains``, and map
    values to and from the unit interval (``to_unit`` / ``from_unit``) for
    model-based samplers.

    >>> from tunesmith.space import Dimension, Int
    >>> dim = Dimension.from_json({"type": "int", "low": 1, "high": 3, "log": False, "step": 1})
    >>> dim == Int(1, 3), dim.values()
    (True, (1, 2, 3))
    """

    #: The ``"type"`` key of this class's JSON form; set by each concrete class.
    json_type: ClassVar[str]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        json_type = cls.__dict__.get("json_type")
        if json_type is not None:
            if json_type in _REGISTRY and _REGISTRY[json_type] is not cls:
                raise TypeError(f"two dimension classes claim the JSON type {json_type!r}")
            _REGISTRY[json_type] = cls

    # -- finiteness -------------------------------------------------------------

    @property
    @abstractmethod
    def is_finite(self) -> bool:
        """Whether the dimension has a finite list of values (a grid can use it)."""

    @property
    def size(self) -> int | None:
        """The number of values, or None when there are infinitely many."""
        return None

    def values(self) -> tuple[Any, ...]:
        """Every value, in order (finite dimensions only)."""
        self._require_finite("values()")
        return tuple(self.value_at(k) for k in range(self._finite_size()))

    def value_at(self, index: int) -> Any:
        """The value at position ``index`` of ``values()`` (without building the list)."""
        self._require_finite("value_at()")
        raise NotImplementedError  # pragma: no cover - finite subclasses override

    def index_of(self, value: Any) -> int:
        """The position of ``value`` in ``values()``; ``InvalidSpaceError`` if absent."""
        self._require_finite("index_of()")
        raise NotImplementedError  # pragma: no cover - finite subclasses override

    # -- values -----------------------------------------------------------------

    @abstractmethod
    def contains(self, value: Any) -> bool:
        """Whether ``value`` is in the domain."""

    @abstractmethod
    def sample(self, rng: np.random.Generator) -> Any:
        """One value drawn from ``rng`` (uniform, or log-uniform on a log scale)."""

    @abstractmethod
    def to_unit(self, value: Any) -> float:
        """The position of ``value`` in [0, 1] (the inverse of :meth:`from_unit`)."""

    @abstractmethod
    def from_unit(self, u: float) -> Any:
        """The value at position ``u`` in [0, 1]; uniform ``u`` gives a uniform value."""

    # -- JSON -------------------------------------------------------------------

    @abstractmethod
    def to_json(self) -> dict[str, Any]:
        """A JSON-serialisable dict with a ``"type"`` key; :meth:`from_json` inverts it."""

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Dimension:
        """The dimension that :meth:`to_json` described as ``data``."""
        if not isinstance(data, Mapping):
            raise InvalidSpaceError(
                f"a dimension's JSON must be an object with a 'type' key, got {_short(data)}"
            )
        kind = data.get("type")
        target = _REGISTRY.get(kind) if isinstance(kind, str) else None
        if target is None:
            raise InvalidSpaceError(
                f"unknown dimension type {kind!r} in {_short(data)}; "
                f"expected one of {sorted(_REGISTRY)}"
            )
        if not issubclass(target, cls):
            raise InvalidSpaceError(
                f"{cls.__name__}.from_json got a {kind!r} dimension; "
                f"use Dimension.from_json or {target.__name__}.from_json"
            )
        return target._from_json(data)

    @classmethod
    @abstractmethod
    def _from_json(cls, data: Mapping[str, Any]) -> Dimension:
        """Build from this class's JSON form (``data["type"]`` already checked)."""

    # -- helpers for subclasses ---------------------------------------------------

    def _require_finite(self, what: str) -> None:
        if not self.is_finite:
            raise InvalidSpaceError(
                f"{self!r} has infinitely many values, so {what} is undefined; "
                "give a step, or a list of values (Categorical), for a finite dimension"
            )

    def _finite_size(self) -> int:
        size = self.size
        if size is None:  # pragma: no cover - guarded by _require_finite
            raise InvalidSpaceError(f"{self!r} has no finite size")
        return size

    def _check_position(self, index: Any) -> int:
        """``index`` as an int in ``range(size)``, or a clear IndexError."""
        size = self._finite_size()
        try:
            k = operator.index(index)
        except TypeError:
            raise TypeError(
                f"{self!r}: a value position must be an integer, got {_short(index)}"
            ) from None
        if k < 0:
            k += size
        if not 0 <= k < size:
            raise IndexError(f"{self!r} has {size} values; position {index} is out of range")
        return k


def json_field(data: Mapping[str, Any], key: str, kind: str) -> Any:
    """``data[key]``, or an error saying which key the JSON lacks."""
    if key not in data:
        raise InvalidSpaceError(
            f"a {kind!r} dimension's JSON needs the key {key!r}: {_short(data)}"
        )
    return data[key]


def is_real(value: Any) -> bool:
    """Whether ``value`` is a real number (int, float, numpy number; not bool)."""
    return isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))


def check_unit(u: Any) -> float:
    """``u`` as a float in [0, 1], or an error naming it."""
    if not is_real(u) or math.isnan(float(u)) or not 0.0 <= float(u) <= 1.0:
        raise InvalidSpaceError(f"from_unit needs a number with 0 <= u <= 1, got u={_short(u)}")
    return float(u)


def check_rng(rng: Any) -> np.random.Generator:
    """``rng`` if it is a numpy Generator; a TypeError that shows the fix otherwise."""
    if not isinstance(rng, np.random.Generator):
        raise TypeError(
            f"sample needs a numpy.random.Generator, got {_short(rng)} "
            f"({type(rng).__name__}); pass numpy.random.default_rng(seed)"
        )
    return rng
