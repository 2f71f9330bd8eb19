"""Anything with ``rvs(random_state=...)``: :class:`Distribution`, the scikit-learn way.

scipy.stats frozen distributions (``loguniform(1e-3, 1e3)``) are understood: they
compare by (name, args, kwds), map to the unit interval through ``cdf``/``ppf``, and
round-trip through JSON by name. Any other object with ``rvs`` works for sampling
only and compares by identity.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping
from typing import Any, ClassVar, TypeAlias

import numpy as np

from tunesmith.exceptions import InvalidSpaceError
from tunesmith.space._base import Dimension, check_rng, check_unit, is_real, json_field
from tunesmith.space._json import _short, decode_value, encode_value
from tunesmith.space._keys import value_key

__all__ = ["Distribution"]

#: A scipy frozen distribution as (name, args, kwds): getattr(scipy.stats, name)(*args, **kwds).
_ScipySpec: TypeAlias = tuple[str, tuple[Any, ...], dict[str, Any]]


class Distribution(Dimension):
    """A parameter drawn from ``dist.rvs(random_state=rng)``; never finite.

    >>> import numpy as np
    >>> from scipy.stats import loguniform
    >>> C = Distribution(loguniform(1e-3, 1e3))
    >>> C == Distribution(loguniform(1e-3, 1e3)), C.is_finite
    (True, False)
    >>> round(C.from_unit(0.5), 6), Dimension.from_json(C.to_json()) == C
    (1.0, True)
    """

    __slots__ = ("_dist", "_scipy")

    json_type: ClassVar[str] = "distribution"

    # Set once in __init__ through object.__setattr__ (the dimension is immutable).
    #: The wrapped object: anything with rvs(random_state=...).
    _dist: Any
    #: (spec, hashable key) for a rebuildable scipy frozen distribution, else None.
    _scipy: tuple[_ScipySpec, Hashable] | None

    def __init__(self, dist: Any) -> None:
        if isinstance(dist, Distribution):
            dist = dist.dist
        if not callable(getattr(dist, "rvs", None)):
            raise InvalidSpaceError(
                f"Distribution needs an object with an rvs(random_state=...) method, such as "
                f"scipy.stats.uniform(0, 1); got {_short(dist)} ({type(dist).__name__})"
            )
        object.__setattr__(self, "_dist", dist)
        object.__setattr__(self, "_scipy", _scipy_identity(dist))

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"Distribution is immutable; cannot set {name!r}")

    def __reduce__(self) -> tuple[Any, ...]:
        return (Distribution, (self._dist,))

    @property
    def dist(self) -> Any:
        """The wrapped object (the one ``rvs`` is called on)."""
        return self._dist

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Distribution):
            return NotImplemented
        if self._scipy is not None and other._scipy is not None:
            return self._scipy[1] == other._scipy[1]
        return self._dist is other._dist

    def __hash__(self) -> int:
        return hash(self._scipy[1]) if self._scipy is not None else id(self._dist)

    def __repr__(self) -> str:
        if self._scipy is not None:
            name, args, kwds = self._scipy[0]
            shown = [repr(a) for a in args] + [f"{k}={v!r}" for k, v in kwds.items()]
            return f"Distribution({name}({', '.join(shown)}))"
        return f"Distribution({_short(self._dist)})"

    # -- finiteness and values ----------------------------------------------------

    @property
    def is_finite(self) -> bool:
        return False

    def contains(self, value: Any) -> bool:
        """Within the support for scipy distributions; any value for other objects.

        An arbitrary ``rvs`` object says nothing about its domain, so everything is
        accepted rather than rejecting values it could have drawn.
        """
        support = getattr(self._dist, "support", None)
        if self._scipy is None or not callable(support):
            return True
        if not is_real(value) or math.isnan(float(value)):
            return False
        if self._is_discrete() and not float(value).is_integer():
            return False
        low, high = support()
        return bool(low <= float(value) <= high)

    def sample(self, rng: np.random.Generator) -> Any:
        check_rng(rng)
        return self._dist.rvs(random_state=rng)

    def to_unit(self, value: Any) -> float:
        cdf = self._method("cdf", "to_unit")
        if not self.contains(value):
            raise InvalidSpaceError(f"to_unit: value {_short(value)} is outside {self!r}")
        return min(max(float(cdf(value)), 0.0), 1.0)

    def from_unit(self, u: float) -> Any:
        ppf = self._method("ppf", "from_unit")
        x = float(ppf(check_unit(u)))
        return int(x) if self._is_discrete() and math.isfinite(x) else x

    def _method(self, name: str, caller: str) -> Any:
        method = getattr(self._dist, name, None)
        if not callable(method):
            raise InvalidSpaceError(
                f"{caller} needs the distribution's {name}(), which {self!r} lacks; use a "
                "scipy.stats distribution, or Float/Int, with model-based samplers"
            )
        return method

    def _is_discrete(self) -> bool:
        import scipy.stats

        return self._scipy is not None and isinstance(self._dist.dist, scipy.stats.rv_discrete)

    # -- JSON ---------------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        if self._scipy is None:
            raise InvalidSpaceError(
                f"{self!r} is not JSON-serialisable: only scipy.stats frozen distributions "
                "(e.g. scipy.stats.loguniform(1e-3, 1e3)) can be stored; use one, or Float/Int"
            )
        name, args, kwds = self._scipy[0]
        try:
            return {
                "type": "distribution",
                "name": name,
                "args": [encode_value(a) for a in args],
                "kwds": {k: encode_value(v) for k, v in kwds.items()},
            }
        except InvalidSpaceError as exc:
            raise InvalidSpaceError(f"{self!r} has an argument that is not JSON-serialisable: "
                                    f"{exc}") from None

    @classmethod
    def _from_json(cls, data: Mapping[str, Any]) -> Distribution:
        import scipy.stats

        name = json_field(data, "name", "distribution")
        args = data.get("args", [])
        kwds = data.get("kwds", {})
        if not isinstance(args, list) or not isinstance(kwds, dict):
            raise InvalidSpaceError(
                f"a 'distribution' dimension's JSON needs a list 'args' and an object 'kwds', "
                f"got {_short(data)}"
            )
        gen = getattr(scipy.stats, name, None) if isinstance(name, str) else None
        if not isinstance(gen, (scipy.stats.rv_continuous, scipy.stats.rv_discrete)):
            raise InvalidSpaceError(
                f"unknown scipy.stats distribution {name!r} in a dimension's JSON; "
                "expected a name such as 'uniform' or 'loguniform'"
            )
        frozen = gen(*[decode_value(a) for a in args],
                     **{k: decode_value(v) for k, v in kwds.items()})
        return cls(frozen)


def _scipy_identity(dist: Any) -> tuple[_ScipySpec, Hashable] | None:
    """((name, args, kwds), hashable key) for a rebuildable scipy frozen distribution."""
    if not type(dist).__module__.startswith("scipy.stats"):
        return None  # also avoids importing scipy.stats for user objects
    import scipy.stats

    gen = getattr(dist, "dist", None)
    args, kwds = getattr(dist, "args", None), getattr(dist, "kwds", None)
    if not isinstance(gen, (scipy.stats.rv_continuous, scipy.stats.rv_discrete)):
        return None
    if not isinstance(args, tuple) or not isinstance(kwds, dict):
        return None
    name = gen.name
    # Only names that rebuild the same distribution: getattr(scipy.stats, name)(...).
    if type(getattr(scipy.stats, name, None)) is not type(gen):
        return None
    kwds = dict(sorted(kwds.items()))
    key = (name, tuple(value_key(a) for a in args),
           tuple((k, value_key(v)) for k, v in kwds.items()))
    return (name, args, kwds), key
