"""Structure between parameters: :class:`Condition` and :class:`Forbidden`.

Both are plain values here; :class:`~tunesmith.space.Space` checks them against its
dimensions (names exist, values lie in the domains, no cycles) when it is built.
Values are compared as choices (see :func:`~tunesmith.space._keys.value_key`):
``True`` is not ``1``, ``numpy.str_("l1")`` is ``"l1"``.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from typing import Any

from tunesmith.exceptions import InvalidSpaceError
from tunesmith.space._categorical import as_choices
from tunesmith.space._json import _short, decode_value, encode_value
from tunesmith.space._keys import value_key

__all__ = ["Condition", "Forbidden"]


class Condition:
    """``param`` is active only when ``parent`` is active and its value is in ``values``.

    >>> c = Condition("l1_ratio", "penalty", ["elasticnet"])
    >>> c.holds({"penalty": "elasticnet"}), c.holds({"penalty": "l2"})
    (True, False)
    >>> Condition.from_json(c.to_json()) == c
    True
    """

    __slots__ = ("_keys", "_values", "param", "parent")

    # Set once in __init__ through object.__setattr__ (the condition is immutable).
    param: str
    parent: str
    _values: tuple[Any, ...]
    _keys: frozenset[Hashable]

    def __init__(self, param: str, parent: str, values: Sequence[Any]) -> None:
        for role, name in (("param", param), ("parent", parent)):
            if not isinstance(name, str) or not name:
                raise InvalidSpaceError(
                    f"Condition {role} must be a parameter name (a non-empty string), "
                    f"got {role}={_short(name)}"
                )
        if param == parent:
            raise InvalidSpaceError(
                f"parameter {param!r} cannot be conditional on itself; name another parent"
            )
        items = as_choices(values, f"Condition on parameter {param!r} (parent {parent!r})")
        object.__setattr__(self, "param", param)
        object.__setattr__(self, "parent", parent)
        object.__setattr__(self, "_values", items)
        object.__setattr__(self, "_keys", frozenset(value_key(v) for v in items))

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"Condition is immutable; cannot set {name!r}")

    def __reduce__(self) -> tuple[Any, ...]:
        return (Condition, (self.param, self.parent, self._values))

    @property
    def values(self) -> tuple[Any, ...]:
        """The parent values that make ``param`` active."""
        return self._values

    def accepts(self, parent_value: Any) -> bool:
        """Whether ``parent_value`` is one of :attr:`values`."""
        return value_key(parent_value) in self._keys

    def holds(self, params: Mapping[str, Any]) -> bool:
        """Whether ``params`` has the parent, with one of :attr:`values`.

        (Whether the parent is itself active is the space's business.)
        """
        return self.parent in params and self.accepts(params[self.parent])

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Condition):
            return NotImplemented
        return (self.param, self.parent, self._keys) == (other.param, other.parent, other._keys)

    def __hash__(self) -> int:
        return hash(("condition", self.param, self.parent, self._keys))

    def __repr__(self) -> str:
        return f"Condition({self.param!r}, {self.parent!r}, {list(self._values)!r})"

    def to_json(self) -> dict[str, Any]:
        return {"param": self.param, "parent": self.parent,
                "values": _encode_all(self._values, f"{self!r}")}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Condition:
        """The condition that :meth:`to_json` described as ``data``."""
        if not isinstance(data, Mapping) or not {"param", "parent", "values"} <= set(data):
            raise InvalidSpaceError(
                f"a condition's JSON needs the keys 'param', 'parent' and 'values', "
                f"got {_short(data)}"
            )
        return cls(data["param"], data["parent"], _decode_all(data["values"]))


class Forbidden:
    """A forbidden combination: every named parameter has one of its listed values.

    An AND of IN-clauses (ConfigSpace's ``ForbiddenAnd``). A point where a named
    parameter is absent (inactive) does not match.

    >>> f = Forbidden({"solver": ["lbfgs"], "penalty": ["l1", "elasticnet"]})
    >>> f.matches({"solver": "lbfgs", "penalty": "l1"}), f.matches({"solver": "saga"})
    (True, False)
    >>> Forbidden.from_json(f.to_json()) == f
    True
    """

    __slots__ = ("_clauses", "_keys")

    # Set once in __init__ through object.__setattr__ (the rule is immutable).
    _clauses: tuple[tuple[str, tuple[Any, ...]], ...]
    _keys: dict[str, frozenset[Hashable]]

    def __init__(self, clauses: Mapping[str, Sequence[Any]]) -> None:
        if not isinstance(clauses, Mapping) or not clauses:
            raise InvalidSpaceError(
                "Forbidden needs a non-empty dict of parameter name -> forbidden values, "
                f"e.g. Forbidden({{'solver': ['lbfgs'], 'penalty': ['l1']}}); got {_short(clauses)}"
            )
        items: list[tuple[str, tuple[Any, ...]]] = []
        for name, values in clauses.items():
            if not isinstance(name, str) or not name:
                raise InvalidSpaceError(
                    f"Forbidden keys must be parameter names (non-empty strings), "
                    f"got {_short(name)}"
                )
            items.append((name, as_choices(values, f"Forbidden clause for parameter {name!r}")))
        object.__setattr__(self, "_clauses", tuple(items))
        object.__setattr__(
            self, "_keys", {name: frozenset(value_key(v) for v in vals) for name, vals in items}
        )

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"Forbidden is immutable; cannot set {name!r}")

    def __reduce__(self) -> tuple[Any, ...]:
        return (Forbidden, (dict(self._clauses),))

    @property
    def clauses(self) -> dict[str, tuple[Any, ...]]:
        """Parameter name -> forbidden values, in the order given (a copy)."""
        return dict(self._clauses)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self._clauses)

    def allows(self, name: str, value: Any) -> bool:
        """Whether the clause on ``name`` lists ``value`` (False if ``name`` has none)."""
        keys = self._keys.get(name)
        return keys is not None and value_key(value) in keys

    def matches(self, params: Mapping[str, Any]) -> bool:
        """Whether ``params`` is this forbidden combination."""
        return all(name in params and self.allows(name, params[name]) for name, _ in self._clauses)

    def describe(self, params: Mapping[str, Any]) -> str:
        """``solver='lbfgs', penalty='l1'``: the matched values, for messages."""
        return ", ".join(f"{name}={params[name]!r}" for name, _ in self._clauses)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Forbidden):
            return NotImplemented
        return self._keys == other._keys

    def __hash__(self) -> int:
        return hash(("forbidden", frozenset(self._keys.items())))

    def __repr__(self) -> str:
        return f"Forbidden({ {name: list(vals) for name, vals in self._clauses}!r})"

    def to_json(self) -> dict[str, Any]:
        return {"clauses": {name: _encode_all(vals, f"{self!r}") for name, vals in self._clauses}}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Forbidden:
        """The forbidden combination that :meth:`to_json` described as ``data``."""
        clauses = data.get("clauses") if isinstance(data, Mapping) else None
        if not isinstance(clauses, Mapping):
            raise InvalidSpaceError(
                f"a forbidden combination's JSON needs an object 'clauses', got {_short(data)}"
            )
        return cls({name: _decode_all(vals) for name, vals in clauses.items()})


def _encode_all(values: Sequence[Any], owner: str) -> list[Any]:
    try:
        return [encode_value(v) for v in values]
    except InvalidSpaceError as exc:
        raise InvalidSpaceError(f"{owner} is not JSON-serialisable: {exc}") from None


def _decode_all(data: Any) -> list[Any]:
    if not isinstance(data, list):
        raise InvalidSpaceError(f"expected a JSON list of values, got {_short(data)}")
    return [decode_value(v) for v in data]
