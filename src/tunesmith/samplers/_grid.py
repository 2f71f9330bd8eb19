"""Exhaustive search: every valid point of a finite space, in a fixed order."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from tunesmith.exceptions import InvalidSpaceError
from tunesmith.records import FrozenTrial
from tunesmith.samplers._base import AnySpace, Sampler
from tunesmith.space import Grid

__all__ = ["GridSampler", "ListSampler"]


class _ValidPoints(Sequence):
    """The valid points of a grid, in grid order (forbidden ones left out)."""

    def __init__(self, grid: Grid) -> None:
        self._grid = grid
        self._index = list(grid.valid_indices())

    def __len__(self) -> int:
        return len(self._index)

    def __getitem__(self, i):  # type: ignore[override]
        return self._grid[self._index[i]]


class GridSampler(Sampler):
    """Walk through every valid point of a finite space, in scikit-learn's grid order.

    >>> from tunesmith.space import Space
    >>> sampler = GridSampler()
    >>> list(sampler.candidates(Space({"a": [1, 2], "b": ["x"]})))
    [{'a': 1, 'b': 'x'}, {'a': 2, 'b': 'x'}]
    """

    def candidates(self, space: AnySpace | None) -> Sequence[Mapping[str, Any]]:
        if space is None:
            raise InvalidSpaceError(
                "grid search needs a declared space: pass space=... to the Study"
            )
        grid = space.grid()
        if grid.n_valid == len(grid):
            return grid
        return _ValidPoints(grid)

    def propose(self, space: AnySpace, history: Sequence[FrozenTrial], number: int) -> dict:
        # Reached only when every candidate is taken: the study stops before asking.
        raise InvalidSpaceError("the grid is exhausted: every point has a trial")


class ListSampler(Sampler):
    """Propose a fixed list of points in order (a scikit-learn drop-in's candidates).

    >>> ListSampler([{"C": 1}, {"C": 10}]).candidates(None)[1]
    {'C': 10}
    """

    def __init__(self, points: Sequence[Mapping[str, Any]],
                 budgets: Sequence[float] | None = None) -> None:
        self.points = points
        #: The resource of each point (may grow with ``points``), or None.
        self.budgets = budgets

    def candidates(self, space: AnySpace | None) -> Sequence[Mapping[str, Any]]:
        return self.points

    def candidate_budget(self, index: int) -> float | None:
        if self.budgets is None or index >= len(self.budgets):
            return None
        return self.budgets[index]

    def propose(self, space: AnySpace, history: Sequence[FrozenTrial], number: int) -> dict:
        raise InvalidSpaceError("the candidate list is exhausted: every point has a trial")

    def __repr__(self) -> str:
        return f"ListSampler(<{len(self.points)} points>)"
