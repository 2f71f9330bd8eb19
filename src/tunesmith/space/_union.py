"""Several spaces searched as one: scikit-learn's "list of dicts" grid."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from tunesmith.exceptions import InvalidSpaceError
from tunesmith.space._base import Dimension, check_rng
from tunesmith.space._grid import Grid
from tunesmith.space._json import _short
from tunesmith.space._space import Space

__all__ = ["SpaceUnion"]


class SpaceUnion:
    """A tuple of :class:`Space` searched together; a point belongs to one of them.

    >>> import numpy as np
    >>> union = SpaceUnion([{"kernel": ["linear"]}, {"kernel": ["rbf"], "gamma": [1, 10]}])
    >>> list(union.grid())
    [{'kernel': 'linear'}, {'gamma': 1, 'kernel': 'rbf'}, {'gamma': 10, 'kernel': 'rbf'}]
    >>> union.is_valid(union.sample(np.random.default_rng(0)))
    True
    """

    __slots__ = ("_spaces",)

    _spaces: tuple[Space, ...]  # set once in __init__ (the union is immutable)

    def __init__(self, spaces: Sequence[Space | Mapping[str, Any]]) -> None:
        if isinstance(spaces, (str, bytes, Mapping)) or not isinstance(spaces, Sequence):
            raise InvalidSpaceError(
                f"SpaceUnion needs a list of spaces (or dicts), got {_short(spaces)}"
            )
        if not spaces:
            raise InvalidSpaceError(
                "SpaceUnion needs at least one space, got an empty list; give one dict per "
                "subspace, e.g. [{'kernel': ['linear']}, {'kernel': ['rbf'], 'gamma': [1, 10]}]"
            )
        built: list[Space] = []
        for k, space in enumerate(spaces):
            if isinstance(space, Space):
                built.append(space)
            elif isinstance(space, Mapping):
                try:
                    built.append(Space(space))
                except InvalidSpaceError as exc:
                    raise InvalidSpaceError(f"subspace {k}: {exc}") from None
            else:
                raise InvalidSpaceError(
                    f"subspace {k} of the list must be a dict or a Space, got {_short(space)} "
                    f"({type(space).__name__})"
                )
        object.__setattr__(self, "_spaces", tuple(built))

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"SpaceUnion is immutable; cannot set {name!r}")

    def __reduce__(self) -> tuple[Any, ...]:
        return (SpaceUnion, (self._spaces,))

    @property
    def spaces(self) -> tuple[Space, ...]:
        return self._spaces

    @property
    def names(self) -> tuple[str, ...]:
        """Every parameter name of any subspace, in first-seen order."""
        return tuple(dict.fromkeys(name for space in self._spaces for name in space.names))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, SpaceUnion):
            return NotImplemented
        return self._spaces == other._spaces

    def __hash__(self) -> int:
        return hash(("union", self._spaces))

    def __repr__(self) -> str:
        return f"SpaceUnion({list(self._spaces)!r})"

    # -- points -----------------------------------------------------------------------

    def why_invalid(self, params: Mapping[str, Any]) -> str | None:
        """None if ``params`` is valid in some subspace, else each subspace's reason."""
        reasons = []
        for k, space in enumerate(self._spaces):
            reason = space.why_invalid(params)
            if reason is None:
                return None
            reasons.append(f"subspace {k}: {reason}")
        return "; ".join(reasons)

    def is_valid(self, params: Mapping[str, Any]) -> bool:
        return any(space.is_valid(params) for space in self._spaces)

    def dimensions_of(self, params: Mapping[str, Any]) -> dict[str, Dimension]:
        """The dimensions of ``params`` in the first subspace that has every one of them;
        empty when none does."""
        for space in self._spaces:
            if set(params) <= set(space.names):
                return space.dimensions_of(params)
        return {}

    @property
    def is_finite(self) -> bool:
        return all(space.is_finite for space in self._spaces)

    def grid(self) -> Grid:
        """The subspaces' grids, concatenated in order (scikit-learn's order)."""
        for k, space in enumerate(self._spaces):
            try:
                if not space.is_finite:
                    space.grid()  # raises, naming the infinite parameters
            except InvalidSpaceError as exc:
                raise InvalidSpaceError(f"subspace {k}: {exc}") from None
        return Grid(self._spaces)

    def sample(self, rng: np.random.Generator) -> dict[str, Any]:
        """A subspace chosen uniformly with ``rng``, then a point of it."""
        check_rng(rng)
        return self._spaces[int(rng.integers(len(self._spaces)))].sample(rng)

    # -- JSON -----------------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        out = []
        for k, space in enumerate(self._spaces):
            try:
                out.append(space.to_json())
            except InvalidSpaceError as exc:
                raise InvalidSpaceError(f"subspace {k}: {exc}") from None
        return {"type": "space_union", "spaces": out}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> SpaceUnion:
        """The union that :meth:`to_json` described as ``data``."""
        if (not isinstance(data, Mapping) or data.get("type") != "space_union"
                or not isinstance(data.get("spaces"), list)):
            raise InvalidSpaceError(
                "a space union's JSON must be an object with type 'space_union' and a list "
                f"'spaces', got {_short(data)}"
            )
        return cls([Space.from_json(s) for s in data["spaces"]])
