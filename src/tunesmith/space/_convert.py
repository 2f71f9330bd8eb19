"""``to_space``: every form a user may hand over, as a Space or SpaceUnion."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tunesmith.exceptions import InvalidSpaceError
from tunesmith.space._distribution import Distribution
from tunesmith.space._json import _short
from tunesmith.space._space import Space
from tunesmith.space._union import SpaceUnion

__all__ = ["to_space"]


def to_space(obj: Any, *, for_grid: bool = False) -> Space | SpaceUnion:
    """``obj`` as a :class:`Space` (one dict) or :class:`SpaceUnion` (a list of dicts).

    Accepts a Space, a SpaceUnion, a dict of name -> values or Dimension (the
    scikit-learn ``param_grid`` / ``param_distributions`` forms), or a list or tuple
    of such dicts, which is always a SpaceUnion, even with one element.
    ``for_grid=True`` also requires every parameter to have a finite list of values,
    as ``GridSearchCV`` does.

    >>> to_space({"C": [1, 10]})
    Space({'C': Categorical([1, 10])})
    >>> to_space([{"C": [1, 10]}]).spaces[0] == to_space({"C": [1, 10]})
    True
    """
    if isinstance(obj, (Space, SpaceUnion)):
        space = obj
    elif isinstance(obj, Mapping):
        space = Space(obj)
    elif isinstance(obj, (list, tuple)):
        if not obj:
            raise InvalidSpaceError(
                "a search space given as a list of dicts needs at least one dict, got []"
            )
        for k, item in enumerate(obj):
            if not isinstance(item, (Mapping, Space)):
                raise InvalidSpaceError(
                    f"item {k} of the list of dicts is {_short(item)} ({type(item).__name__}), "
                    "not a dict; a search space is a dict, or a list of dicts"
                )
        space = SpaceUnion(list(obj))
    else:
        raise InvalidSpaceError(
            "a search space must be a dict of parameter name -> list of values (or "
            f"distribution), a list of such dicts, or a Space; got {_short(obj)} "
            f"({type(obj).__name__})"
        )
    if for_grid:
        _check_grid(space)
    return space


def _check_grid(space: Space | SpaceUnion) -> None:
    subspaces = space.spaces if isinstance(space, SpaceUnion) else (space,)
    for k, sub in enumerate(subspaces):
        where = f"subspace {k}: " if isinstance(space, SpaceUnion) else ""
        for name, dim in sub.items():
            if isinstance(dim, Distribution):
                raise InvalidSpaceError(
                    f"{where}a grid needs a finite list of values; parameter {name!r} is a "
                    f"distribution ({dim!r}): give a list of values, or use a random or "
                    "model-based search"
                )
            if not dim.is_finite:
                raise InvalidSpaceError(
                    f"{where}a grid needs a finite list of values; parameter {name!r} is "
                    f"{dim!r}, a continuous range: give a list of values, or a step"
                )
