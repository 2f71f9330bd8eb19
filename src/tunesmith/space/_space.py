"""A search space: named dimensions, conditions between them, forbidden combinations."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np

from tunesmith.exceptions import InvalidSpaceError
from tunesmith.space._base import Dimension, check_rng
from tunesmith.space._categorical import Categorical
from tunesmith.space._conditions import Condition, Forbidden
from tunesmith.space._distribution import Distribution
from tunesmith.space._json import _short

if TYPE_CHECKING:
    from tunesmith.space._grid import Grid

__all__ = ["Space", "as_dimension"]

_T = TypeVar("_T")

#: Draws per sample() before concluding the forbidden combinations cover the space.
_MAX_TRIES = 1000


def as_dimension(name: str, value: Any) -> Dimension:
    """``value`` as a :class:`Dimension`, reading the scikit-learn forms.

    A Dimension stays as it is; an object with ``rvs`` becomes a :class:`Distribution`;
    a list, tuple or 1-D array becomes a :class:`Categorical`. Errors name ``name``.

    >>> as_dimension("kernel", ["linear", "rbf"])
    Categorical(['linear', 'rbf'])
    """
    if isinstance(value, Dimension):
        return value
    try:
        if callable(getattr(value, "rvs", None)):
            return Distribution(value)
        return Categorical(value)
    except InvalidSpaceError as exc:
        raise InvalidSpaceError(f"parameter {name!r}: {exc}") from None


class Space(Mapping[str, Dimension]):
    """An immutable mapping of parameter name -> :class:`Dimension`, in the given order.

    ``dimensions`` may hold Dimensions or the scikit-learn forms (a list of values, a
    distribution with ``rvs``). ``conditions`` make a parameter active only for some
    values of another; ``forbidden`` rules out combinations of values.

    >>> import numpy as np
    >>> space = Space(
    ...     {"penalty": ["l1", "l2", "elasticnet"], "l1_ratio": [0.2, 0.5, 0.8]},
    ...     conditions=[Condition("l1_ratio", "penalty", ["elasticnet"])],
    ... )
    >>> space.names, space.active_names({"penalty": "l2"})
    (('penalty', 'l1_ratio'), ('penalty',))
    >>> len(space.grid()), space.is_valid({"penalty": "l2", "l1_ratio": 0.5})
    (5, False)
    >>> space.why_invalid({"penalty": "elasticnet"})
    "parameter 'l1_ratio' is missing; it is active when penalty is one of ['elasticnet']"
    >>> space.is_valid(space.sample(np.random.default_rng(0)))
    True
    """

    __slots__ = ("_cond_of", "_conditions", "_dims", "_forbidden", "_order")

    # Set once in __init__ through object.__setattr__ (the space is immutable).
    _dims: Mapping[str, Dimension]
    _conditions: tuple[Condition, ...]
    _cond_of: Mapping[str, Condition]
    _order: tuple[str, ...]
    _forbidden: tuple[Forbidden, ...]

    def __init__(
        self,
        dimensions: Mapping[str, Any],
        *,
        conditions: Condition | Iterable[Condition] = (),
        forbidden: Forbidden | Iterable[Forbidden] = (),
    ) -> None:
        if isinstance(dimensions, Space):
            dimensions = dimensions._dims
        if not isinstance(dimensions, Mapping):
            raise InvalidSpaceError(
                "Space needs a dict of parameter name -> dimension or list of values, "
                f"got {_short(dimensions)} ({type(dimensions).__name__})"
            )
        dims: dict[str, Dimension] = {}
        for name, value in dimensions.items():
            if not isinstance(name, str) or not name:
                raise InvalidSpaceError(
                    f"parameter names must be non-empty strings, got {_short(name)} "
                    f"({type(name).__name__}); use the estimator's parameter name, e.g. 'C'"
                )
            dims[name] = as_dimension(name, value)
        init = object.__setattr__  # the space is immutable once built
        init(self, "_dims", MappingProxyType(dims))
        init(self, "_conditions", tuple(self._check_conditions(conditions)))
        init(self, "_cond_of", MappingProxyType({c.param: c for c in self._conditions}))
        init(self, "_order", self._parents_first())
        init(self, "_forbidden", tuple(self._check_forbidden(forbidden)))

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"Space is immutable; cannot set {name!r}")

    # -- the mapping ----------------------------------------------------------------

    def __getitem__(self, name: str) -> Dimension:
        return self._dims[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._dims)

    def __len__(self) -> int:
        return len(self._dims)

    def __contains__(self, name: object) -> bool:
        return name in self._dims

    @property
    def names(self) -> tuple[str, ...]:
        """The parameter names, in the order given."""
        return tuple(self._dims)

    @property
    def dimensions(self) -> Mapping[str, Dimension]:
        """Name -> Dimension (read-only)."""
        return self._dims

    @property
    def conditions(self) -> tuple[Condition, ...]:
        return self._conditions

    @property
    def forbidden(self) -> tuple[Forbidden, ...]:
        return self._forbidden

    def condition_of(self, name: str) -> Condition | None:
        """The condition that makes ``name`` conditional, or None for an unconditional one."""
        return self._cond_of.get(name)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Space):
            return NotImplemented
        return (
            tuple(self._dims.items()) == tuple(other._dims.items())
            and set(self._conditions) == set(other._conditions)
            and set(self._forbidden) == set(other._forbidden)
        )

    def __hash__(self) -> int:
        return hash((tuple(self._dims.items()), frozenset(self._conditions),
                     frozenset(self._forbidden)))

    def __repr__(self) -> str:
        body = ", ".join(f"{name!r}: {dim!r}" for name, dim in self._dims.items())
        extra = f", conditions={list(self._conditions)!r}" if self._conditions else ""
        extra += f", forbidden={list(self._forbidden)!r}" if self._forbidden else ""
        return f"Space({{{body}}}{extra})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (dict(self._dims), self._conditions, self._forbidden))

    # -- activity and validity ----------------------------------------------------------

    def active_names(self, params: Mapping[str, Any]) -> tuple[str, ...]:
        """The parameters active given the parents' values in ``params``, in space order."""
        active = self._activity(params)
        return tuple(name for name in self._dims if active[name])

    def dimensions_of(self, params: Mapping[str, Any]) -> dict[str, Dimension]:
        """The dimensions of the parameters in ``params`` that this space has.

        >>> from tunesmith.space import Float
        >>> Space({"C": Float(0.1, 10.0)}).dimensions_of({"C": 1.0, "other": 2})
        {'C': Float(0.1, 10.0)}
        """
        return {name: self._dims[name] for name in params if name in self._dims}

    def why_invalid(self, params: Mapping[str, Any]) -> str | None:
        """Why ``params`` is not a valid point of the space, or None if it is."""
        if not isinstance(params, Mapping):
            return f"a point must be a dict of parameter name -> value, got {_short(params)}"
        for name in params:
            if name not in self._dims:
                return f"unknown parameter {name!r}; the space has {list(self._dims)}"
        for name, value in params.items():
            if not self._dims[name].contains(value):
                return f"parameter {name!r}: value {_short(value)} is outside {self._dims[name]!r}"
        active = self._activity(params)
        for name in self._dims:
            cond = self._cond_of.get(name)
            if active[name] and name not in params:
                when = "" if cond is None else (
                    f"; it is active when {cond.parent} is one of {list(cond.values)!r}"
                )
                return f"parameter {name!r} is missing{when}"
            if not active[name] and name in params and cond is not None:
                now = (f"{cond.parent}={params[cond.parent]!r}" if cond.parent in params
                       else f"{cond.parent} is absent")
                return (
                    f"parameter {name!r} is inactive ({now}) and must be left out; it is "
                    f"active only when {cond.parent} is one of {list(cond.values)!r}"
                )
        for rule in self._forbidden:
            if rule.matches(params):
                return f"forbidden combination: {rule.describe(params)}"
        return None

    def is_valid(self, params: Mapping[str, Any]) -> bool:
        """Whether ``params`` is a valid point (see :meth:`why_invalid`)."""
        return self.why_invalid(params) is None

    def _activity(self, params: Mapping[str, Any]) -> dict[str, bool]:
        active: dict[str, bool] = {}
        for name in self._order:  # parents before children: chains need the parent's state
            cond = self._cond_of.get(name)
            active[name] = cond is None or (active[cond.parent] and cond.holds(params))
        return active

    # -- deriving spaces ----------------------------------------------------------------

    def with_forbidden(self, *forbidden: Forbidden) -> Space:
        """A new space with ``forbidden`` added to the forbidden combinations."""
        return Space(self._dims, conditions=self._conditions,
                     forbidden=self._forbidden + tuple(forbidden))

    def with_conditions(self, *conditions: Condition) -> Space:
        """A new space with ``conditions`` added."""
        return Space(self._dims, conditions=self._conditions + tuple(conditions),
                     forbidden=self._forbidden)

    # -- finite spaces ------------------------------------------------------------------

    @property
    def is_finite(self) -> bool:
        return all(dim.is_finite for dim in self._dims.values())

    def grid(self) -> Grid:
        """Every point, lazily, in scikit-learn's ``ParameterGrid`` order (see :class:`Grid`)."""
        from tunesmith.space._grid import Grid  # _grid builds on Space: import when used

        infinite = [name for name, dim in self._dims.items() if not dim.is_finite]
        if infinite:
            listed = ", ".join(f"{name!r} ({self._dims[name]!r})" for name in infinite)
            raise InvalidSpaceError(
                f"a grid needs a finite list of values for every parameter; {listed} "
                f"{'has' if len(infinite) == 1 else 'have'} infinitely many: give a list of "
                "values, or a Float with a step"
            )
        return Grid([self])

    # -- sampling -------------------------------------------------------------------

    def sample(self, rng: np.random.Generator) -> dict[str, Any]:
        """A random valid point: parents first, conditional parameters only when active,
        forbidden combinations redrawn (at most a thousand times)."""
        check_rng(rng)
        for _ in range(_MAX_TRIES):
            point: dict[str, Any] = {}
            for name in self._order:
                cond = self._cond_of.get(name)
                # A parent in the point is active (only active ones are drawn).
                if cond is None or cond.holds(point):
                    point[name] = self._dims[name].sample(rng)
            if not any(rule.matches(point) for rule in self._forbidden):
                return {name: point[name] for name in self._dims if name in point}
        raise InvalidSpaceError(
            f"no allowed point in {_MAX_TRIES} random draws: the forbidden combinations "
            f"{list(self._forbidden)!r} exclude (almost) the whole space; remove or narrow some"
        )

    # -- JSON -----------------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        """A JSON-serialisable dict; :meth:`from_json` inverts it."""
        dims: dict[str, dict[str, Any]] = {}
        for name, dim in self._dims.items():
            try:
                dims[name] = dim.to_json()
            except InvalidSpaceError as exc:
                raise InvalidSpaceError(f"parameter {name!r}: {exc}") from None
        return {
            "type": "space",
            "dimensions": dims,
            "conditions": [c.to_json() for c in self._conditions],
            "forbidden": [f.to_json() for f in self._forbidden],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Space:
        """The space that :meth:`to_json` described as ``data``."""
        if not isinstance(data, Mapping) or data.get("type") != "space":
            raise InvalidSpaceError(
                f"a space's JSON must be an object with type 'space', got {_short(data)}"
            )
        dims = data.get("dimensions")
        if not isinstance(dims, Mapping):
            raise InvalidSpaceError(
                f"a space's JSON needs an object 'dimensions', got {_short(dims)}"
            )
        decoded: dict[str, Dimension] = {}
        for name, dim in dims.items():
            try:
                decoded[name] = Dimension.from_json(dim)
            except InvalidSpaceError as exc:
                raise InvalidSpaceError(f"parameter {name!r}: {exc}") from None
        conditions, forbidden = data.get("conditions", []), data.get("forbidden", [])
        if not isinstance(conditions, list) or not isinstance(forbidden, list):
            raise InvalidSpaceError(
                "a space's JSON needs lists 'conditions' and 'forbidden', "
                f"got {_short(conditions)} and {_short(forbidden)}"
            )
        return cls(decoded, conditions=[Condition.from_json(c) for c in conditions],
                   forbidden=[Forbidden.from_json(f) for f in forbidden])

    # -- validation ---------------------------------------------------------------------

    def _check_conditions(self, conditions: Any) -> list[Condition]:
        checked: dict[str, Condition] = {}
        for cond in _as_tuple(conditions, "conditions", Condition):
            for role, name in (("param", cond.param), ("parent", cond.parent)):
                if name not in self._dims:
                    raise InvalidSpaceError(
                        f"{cond!r}: its {role} {name!r} is not a parameter of the space "
                        f"(parameters: {list(self._dims)}); add it or fix the name"
                    )
            parent_dim = self._dims[cond.parent]
            for value in cond.values:
                if not parent_dim.contains(value):
                    raise InvalidSpaceError(
                        f"{cond!r}: value {_short(value)} is not in the domain of parent "
                        f"{cond.parent!r} ({parent_dim!r}); use values the parent can take"
                    )
            if cond.param in checked:
                raise InvalidSpaceError(
                    f"parameter {cond.param!r} has two conditions, {checked[cond.param]!r} and "
                    f"{cond!r}; a parameter may have one: merge them into one Condition"
                )
            checked[cond.param] = cond
        for start in checked:  # each name has one parent, so a cycle is a walk back to it
            path, name = [start], start
            while name in checked:
                name = checked[name].parent
                if name == start:
                    loop = " -> ".join([*path, start])
                    raise InvalidSpaceError(
                        f"conditions form a cycle ({loop}, each conditional on the next); "
                        "a parameter cannot depend on itself, remove one of these conditions"
                    )
                if name in path:
                    break  # a cycle not through start: reported when start is on it
                path.append(name)
        return list(checked.values())

    def _parents_first(self) -> tuple[str, ...]:
        """Names ordered so each parent precedes its children; otherwise space order."""
        order: list[str] = []
        placed: set[str] = set()

        def place(name: str) -> None:
            if name in placed:
                return
            cond = self._cond_of.get(name)
            if cond is not None:
                place(cond.parent)
            placed.add(name)
            order.append(name)

        for name in self._dims:
            place(name)
        return tuple(order)

    def _check_forbidden(self, forbidden: Any) -> list[Forbidden]:
        rules = list(_as_tuple(forbidden, "forbidden", Forbidden))
        for rule in rules:
            for name, values in rule.clauses.items():
                if name not in self._dims:
                    raise InvalidSpaceError(
                        f"{rule!r}: {name!r} is not a parameter of the space "
                        f"(parameters: {list(self._dims)}); add it or fix the name"
                    )
                for value in values:
                    if not self._dims[name].contains(value):
                        raise InvalidSpaceError(
                            f"{rule!r}: value {_short(value)} is not in the domain of parameter "
                            f"{name!r} ({self._dims[name]!r}); it can never match, remove it"
                        )
        return rules


def _as_tuple(items: Any, what: str, kind: type[_T]) -> tuple[_T, ...]:
    if isinstance(items, kind):
        items = (items,)
    if isinstance(items, (str, bytes, Mapping)) or not hasattr(items, "__iter__"):
        raise InvalidSpaceError(
            f"{what} must be a list of {kind.__name__} objects, got {_short(items)}"
        )
    checked = tuple(items)
    for item in checked:
        if not isinstance(item, kind):
            raise InvalidSpaceError(
                f"{what} must hold {kind.__name__} objects, got {_short(item)} "
                f"({type(item).__name__})"
            )
    return checked


def _rebuild(
    dims: dict[str, Dimension],
    conditions: tuple[Condition, ...],
    forbidden: tuple[Forbidden, ...],
) -> Space:
    return Space(dims, conditions=conditions, forbidden=forbidden)
