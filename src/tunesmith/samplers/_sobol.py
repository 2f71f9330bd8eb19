"""Sobol sampling: a scrambled low-discrepancy sequence mapped onto the space.

Point ``n`` of the sequence goes to trial ``n``, so the sequence does not depend on
how many workers ask or in which order trials finish. Each dimension of the space
owns one coordinate; ``Dimension.from_unit`` turns it into a value (log scale, integer
and step bins, categorical bins), and inactive conditional parameters simply leave
their coordinate unused. A :class:`~tunesmith.space.SpaceUnion` spends one extra
coordinate on choosing the subspace.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from scipy.stats import qmc

from tunesmith.exceptions import InvalidSpaceError
from tunesmith.records import FrozenTrial
from tunesmith.samplers._base import AnySpace, Sampler, trial_rng
from tunesmith.space import Grid, Space, SpaceUnion

__all__ = ["SobolSampler", "unit_point"]

#: scipy's direction numbers cover this many dimensions.
_MAX_DIMS = 21201
#: A finite space larger than this gets no precomputed order: proposals go by trial
#: number instead (a duplicate is then possible, as with independent random draws).
_MAX_ORDERED = 2_000_000
#: Tries of seeded random points when a Sobol point is forbidden.
_MAX_RETRIES = 100
# Streams of trial_rng kept apart from other samplers' draws.
_STREAM_RETRY = 0x50B0
_STREAM_ORDER = 0x50B1


class SobolSampler(Sampler):
    """Scrambled Sobol points (``scipy.stats.qmc.Sobol``): even coverage of the space.

    The scramble is seeded, so the same seed gives the same sequence in any process.
    On a finite space the sampler walks the valid points in Sobol order, never
    repeating one (parallel and resumed workers claim points by index). A forbidden
    Sobol point is replaced by a seeded random valid point.

    Parameters
    ----------
    seed : seeds the scramble; None draws a fresh one (not reproducible).

    >>> from tunesmith.space import Categorical, Float, Space
    >>> space = Space({"lr": Float(1e-4, 1e-1, log=True), "act": Categorical(["relu", "tanh"])})
    >>> sampler = SobolSampler(seed=0)
    >>> points = [sampler.propose(space, [], n) for n in range(4)]
    >>> points == [SobolSampler(seed=0).propose(space, [], n) for n in range(4)]
    True
    >>> sorted({p["act"] for p in points})
    ['relu', 'tanh']
    """

    def __init__(self, seed: int | None = None) -> None:
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer))):
            raise TypeError(f"seed must be an integer or None, got {seed!r}")
        self.seed = None if seed is None else int(seed)
        # Without a seed, one fixed draw keeps the scramble (and the sequence) stable.
        self._scramble_seed = (
            self.seed if self.seed is not None else int(np.random.default_rng().integers(2**31))
        )
        self._engine: qmc.Sobol | None = None
        self._engine_dims = -1
        self._next_index = 0

    # -- the sequence -----------------------------------------------------------------

    def unit(self, dims: int, index: int) -> np.ndarray:
        """Point ``index`` of this sampler's scrambled sequence in ``dims`` dimensions."""
        if not 1 <= dims <= _MAX_DIMS:
            raise InvalidSpaceError(
                f"Sobol sampling supports 1 to {_MAX_DIMS} dimensions, got {dims}; "
                "use sampler='random' for larger spaces"
            )
        if self._engine is None or self._engine_dims != dims or index < self._next_index:
            rng = np.random.default_rng([self._scramble_seed, _STREAM_ORDER])
            self._engine = qmc.Sobol(dims, scramble=True, rng=rng)
            self._engine_dims = dims
            self._next_index = 0
        if index > self._next_index:
            self._engine.fast_forward(index - self._next_index)
        with warnings.catch_warnings():
            # One point at a time is the point: each trial gets the next one.
            warnings.simplefilter("ignore", UserWarning)
            point = self._engine.random(1)[0]
        self._next_index = index + 1
        return point

    # -- the Sampler interface ------------------------------------------------------------

    def candidates(self, space: AnySpace | None) -> Sequence[Mapping[str, Any]] | None:
        if space is None or not space.is_finite:
            return None
        grid = space.grid()
        if len(grid) > _MAX_ORDERED:
            return None
        return _SobolOrder(self, space, grid)

    def propose(self, space: AnySpace, history: Sequence[FrozenTrial], number: int) -> dict:
        point = self.point(space, number)
        if space.is_valid(point):
            return point
        # A forbidden Sobol point: a seeded random valid point keeps the trial going.
        for attempt in range(_MAX_RETRIES):
            point = self.point_random(space, trial_rng(self.seed, number, _STREAM_RETRY + attempt))
            if space.is_valid(point):
                return point
        return space.sample(trial_rng(self.seed, number, _STREAM_RETRY))

    def point(self, space: AnySpace, index: int) -> dict[str, Any]:
        """Sobol point ``index`` mapped onto ``space`` (may be forbidden)."""
        if isinstance(space, SpaceUnion):
            width = 1 + max(len(sub) for sub in space.spaces)
            u = self.unit(width, index)
            chosen = space.spaces[min(int(u[0] * len(space.spaces)), len(space.spaces) - 1)]
            return unit_point(chosen, u[1:])
        return unit_point(space, self.unit(max(len(space), 1), index))

    @staticmethod
    def point_random(space: AnySpace, rng: np.random.Generator) -> dict[str, Any]:
        """A uniform point through the same mapping (used when a Sobol point is forbidden)."""
        if isinstance(space, SpaceUnion):
            chosen = space.spaces[int(rng.integers(len(space.spaces)))]
            return unit_point(chosen, rng.random(len(chosen)))
        return unit_point(space, rng.random(len(space)))


def unit_point(space: Space, u: np.ndarray) -> dict[str, Any]:
    """Map unit coordinates (one per parameter, in ``space.names`` order) onto ``space``.

    Inactive conditional parameters are left out.

    >>> from tunesmith.space import Float, Space
    >>> unit_point(Space({"x": Float(0.0, 10.0)}), np.array([0.25]))
    {'x': 2.5}
    """
    full = {name: space[name].from_unit(float(u[i])) for i, name in enumerate(space.names)}
    if not space.conditions:
        return full
    active = space.active_names(full)
    return {name: full[name] for name in space.names if name in active}


class _SobolOrder(Sequence):
    """The valid points of a finite space in Sobol order, computed as far as asked.

    Sobol points are mapped to grid indices; repeats and forbidden points are
    skipped. Once repeats dominate (the space is nearly covered), the rest of the
    valid points follow in a seeded random order, so the list always has every
    valid point exactly once and is the same in every process.
    """

    def __init__(self, sampler: SobolSampler, space: AnySpace, grid: Grid) -> None:
        self._sampler = sampler
        self._space = space
        self._grid = grid
        self._n = grid.n_valid
        self._order: list[int] = []
        self._seen: set[int] = set()
        self._drawn = 0
        self._filled = False

    def __len__(self) -> int:
        return self._n

    def __getitem__(self, i):  # type: ignore[override]
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(self._n))]
        if i < 0:
            i += self._n
        if not 0 <= i < self._n:
            raise IndexError(f"candidate index {i} out of range for {self._n} points")
        while len(self._order) <= i:
            self._extend()
        return self._grid[self._order[i]]

    def _extend(self) -> None:
        if self._filled:  # cannot happen: the fill adds every remaining point
            raise IndexError("the Sobol order is complete")
        # Coupon collecting: after about 4n draws most new draws are repeats, so
        # finishing in random order is cheaper and keeps the list exact.
        if self._drawn < 4 * self._n:
            for _ in range(64):
                point = self._sampler.point(self._space, self._drawn)
                self._drawn += 1
                index = self._grid.index_of(point)
                if index not in self._seen and self._grid.is_valid(index):
                    self._seen.add(index)
                    self._order.append(index)
                    return
        rest = np.fromiter(
            (j for j in self._grid.valid_indices() if j not in self._seen), dtype=np.int64
        )
        rng = np.random.default_rng([self._sampler._scramble_seed, _STREAM_ORDER, 1])
        self._order.extend(int(j) for j in rng.permutation(rest))
        self._seen.update(self._order)
        self._filled = True
