"""Random search: independent draws, or a seeded permutation of a finite space."""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from sklearn.utils import check_random_state
from sklearn.utils.random import sample_without_replacement

from tunesmith.records import FrozenTrial
from tunesmith.samplers._base import AnySpace, Sampler, trial_rng
from tunesmith.space import Categorical, Distribution, Grid, SpaceUnion, to_space

__all__ = ["RandomSampler", "sklearn_random_candidates"]

# Above this many points a permutation costs too much memory; draw independently.
_MAX_PERMUTED = 2_000_000


class _Permuted(Sequence):
    """A fixed random order over the valid points of a grid."""

    def __init__(self, grid: Grid, order: np.ndarray) -> None:
        self._grid = grid
        self._order = order

    def __len__(self) -> int:
        return len(self._order)

    def __getitem__(self, i):  # type: ignore[override]
        return self._grid[int(self._order[i])]


class RandomSampler(Sampler):
    """Uniform random search with its own seeded generator.

    On a finite space it walks a seeded permutation of the valid points, so it never
    proposes a point twice and stops when the space is exhausted. On other spaces
    each trial draws from a generator derived from ``(seed, trial number)``.

    >>> from tunesmith.space import Float, Space
    >>> space = Space({"x": Float(0.0, 1.0)})
    >>> RandomSampler(seed=3).propose(space, [], 0) == RandomSampler(seed=3).propose(space, [], 0)
    True
    """

    def __init__(self, seed: int | None = None) -> None:
        self.seed = seed
        # Without a seed, one fixed draw keeps this sampler's permutation stable.
        self._permutation_seed = seed if seed is not None else int(
            np.random.default_rng().integers(2**31)
        )

    def candidates(self, space: AnySpace | None) -> Sequence[Mapping[str, Any]] | None:
        if space is None or not space.is_finite:
            return None
        grid = space.grid()
        if len(grid) > _MAX_PERMUTED:
            return None
        valid = np.fromiter(grid.valid_indices(), dtype=np.int64)
        rng = np.random.default_rng([self._permutation_seed, 0xC0FFEE])
        return _Permuted(grid, rng.permutation(valid))

    def propose(self, space: AnySpace, history: Sequence[FrozenTrial], number: int) -> dict:
        return space.sample(trial_rng(self.seed, number))


def sklearn_random_candidates(
    param_distributions: Any, n_iter: int, random_state: Any = None
) -> list[dict[str, Any]]:
    """The candidates scikit-learn's ``RandomizedSearchCV`` evaluates, in its order.

    Same inputs, same ``random_state``, same list as ``ParameterSampler``: when
    every value is a list, ``n_iter`` points are drawn without replacement from the
    grid; otherwise each draw picks one of the dicts, then each parameter in
    sorted-name order (a list by index, a distribution by ``rvs``).

    >>> sklearn_random_candidates({"a": [1, 2, 3]}, 2, random_state=0)
    [{'a': 3}, {'a': 2}]
    """
    space = to_space(param_distributions)
    subspaces = space.spaces if isinstance(space, SpaceUnion) else (space,)
    if isinstance(n_iter, bool) or not isinstance(n_iter, (int, np.integer)) or n_iter < 1:
        raise ValueError(f"n_iter must be a positive integer, got {n_iter!r}")
    rng = check_random_state(random_state)

    all_lists = all(
        isinstance(dim, Categorical) for sub in subspaces for _, dim in sub.items()
    )
    if all_lists:
        grid = space.grid()
        n = int(n_iter)
        if len(grid) < n:
            warnings.warn(
                f"The total space of parameters {len(grid)} is smaller than n_iter={n}. "
                f"Running {len(grid)} iterations. For exhaustive searches, use GridSearchCV.",
                UserWarning,
                stacklevel=2,
            )
            n = len(grid)
        picked = sample_without_replacement(len(grid), n, random_state=rng)
        # ParameterGrid's random access builds each dict in reverse name order (its
        # iteration uses name order): cv_results_' param columns follow that order.
        return [_reverse_names(grid[int(i)]) for i in picked]

    out = []
    for _ in range(int(n_iter)):
        sub = subspaces[rng.choice(len(subspaces))]
        out.append({name: _draw(sub[name], rng) for name in sorted(sub.names)})
    return out


def _reverse_names(point: dict[str, Any]) -> dict[str, Any]:
    return {name: point[name] for name in sorted(point, reverse=True)}


def _draw(dim: Any, rng: np.random.RandomState) -> Any:
    """One value the way ParameterSampler draws it from a legacy RandomState."""
    if isinstance(dim, Categorical):
        return dim.choices[rng.randint(len(dim.choices))]
    if isinstance(dim, Distribution):
        return dim.dist.rvs(random_state=rng)
    # tunesmith's own dimensions have no scikit-learn equivalent: draw from a child
    # generator seeded by the legacy stream, so the sequence stays reproducible.
    return dim.sample(np.random.default_rng(rng.randint(2**31 - 1)))


