"""How one Space maps to the arrays TPE models, and back.

Every numeric parameter becomes a column in the unit interval (the dimension's own
``to_unit``: log scale for log dimensions, one bin per value for integers and steps);
every categorical one a column of choice indices. An inactive conditional parameter
is NaN (numeric) or -1 (categorical), so one array holds trials with different
active sets.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from tunesmith.exceptions import InvalidSpaceError
from tunesmith.space import Categorical, Dimension, Space

__all__ = ["Encoding", "Rows", "unit_bins"]

#: Finite numeric dimensions up to this size have their unit positions listed.
_MAX_LISTED = 4096
#: Halvings that locate a bin edge (to about 1e-12 of the unit interval).
_BISECTIONS = 40


@dataclass(frozen=True)
class Rows:
    """Encoded points: ``num`` (n, numeric dims; NaN inactive), ``cat`` (n, categorical; -1)."""

    num: np.ndarray
    cat: np.ndarray

    def __len__(self) -> int:
        return len(self.num)

    def take(self, index: np.ndarray) -> Rows:
        return Rows(self.num[index], self.cat[index])

    @property
    def num_active(self) -> np.ndarray:
        return ~np.isnan(self.num)

    @property
    def cat_active(self) -> np.ndarray:
        return self.cat >= 0

    def point_keys(self) -> list[bytes]:
        """One hashable key per row; equal keys mean the same point of a finite space."""
        # Rounding makes bin centres computed two ways compare equal.
        num = np.where(np.isnan(self.num), -1.0, np.round(self.num, 9))
        both = np.concatenate([num, self.cat.astype(float)], axis=1)
        return [row.tobytes() for row in both]


class Encoding:
    """The columns of one Space, and conversions between points and rows.

    >>> from tunesmith.space import Categorical, Float, Space
    >>> enc = Encoding(Space({"x": Float(0.0, 4.0), "k": Categorical(["a", "b"])}))
    >>> rows = enc.encode([{"x": 1.0, "k": "b"}])
    >>> rows.num.tolist(), rows.cat.tolist()
    ([[0.25]], [[1]])
    >>> enc.decode(rows)[0] == {"x": 1.0, "k": "b"}
    True
    """

    def __init__(self, space: Space) -> None:
        self.space = space
        self.num_names: list[str] = []
        self.cat_names: list[str] = []
        bins: list[int] = []
        sizes: list[int] = []
        #: Per finite numeric dimension: (unit position of each value, unit edges where
        #: ``from_unit`` moves to the next value); None: continuous, or too many values
        #: to list (those snap through from_unit / to_unit one by one).
        self._bins: list[tuple[np.ndarray, np.ndarray] | None] = []
        for name in space.names:
            dim = space[name]
            if isinstance(dim, Categorical):
                self.cat_names.append(name)
                sizes.append(len(dim.choices))
            else:
                self.num_names.append(name)
                size = dim.size if dim.is_finite and dim.size is not None else 0
                bins.append(size)
                self._bins.append(unit_bins(dim) if 0 < size <= _MAX_LISTED else None)
        self.bins = np.asarray(bins, dtype=np.int64)
        self.sizes = np.asarray(sizes, dtype=np.int64)
        self.n_dims = len(space.names)
        self._num_dims = [space[name] for name in self.num_names]
        self._cat_dims: list[Categorical] = [
            dim for name in self.cat_names if isinstance(dim := space[name], Categorical)
        ]
        self._column = {name: ("num", i) for i, name in enumerate(self.num_names)}
        self._column.update({name: ("cat", i) for i, name in enumerate(self.cat_names)})
        self._rules = self._compile_conditions()
        conditional = {cond.param for cond in space.conditions}
        #: Columns of parameters that are active only under a condition.
        self.num_conditional = np.array([n in conditional for n in self.num_names], dtype=bool)
        self.cat_conditional = np.array([n in conditional for n in self.cat_names], dtype=bool)
        self.branches = self._branches()

    def _branches(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """Conditional columns grouped by their condition: (numeric, categorical) indices.

        Parameters under the same condition (same parent, same values) are active
        together: one branch of the tree, modelled jointly.
        """
        groups: dict[tuple[str, tuple[str, ...]], tuple[list[int], list[int]]] = {}
        for cond in self.space.conditions:
            key = (cond.parent, tuple(sorted(repr(v) for v in cond.values)))
            kind, i = self._column[cond.param]
            groups.setdefault(key, ([], []))[0 if kind == "num" else 1].append(i)
        return [(np.array(sorted(num), dtype=np.int64), np.array(sorted(cat), dtype=np.int64))
                for num, cat in groups.values()]

    @property
    def is_finite(self) -> bool:
        return bool(self.space.is_finite)

    # -- points to rows -------------------------------------------------------------

    def encode(self, points: Sequence[Mapping[str, Any]]) -> Rows:
        """Rows for points; a missing or out-of-space value counts as inactive."""
        num = np.full((len(points), len(self.num_names)), np.nan)
        cat = np.full((len(points), len(self.cat_names)), -1, dtype=np.int64)
        for r, params in enumerate(points):
            for i, (name, dim) in enumerate(zip(self.num_names, self._num_dims, strict=True)):
                if name in params:
                    num[r, i] = _to_unit(dim, params[name])
            for i, (name, dim) in enumerate(zip(self.cat_names, self._cat_dims, strict=True)):
                if name in params:
                    cat[r, i] = _choice_index(dim, params[name])
        return Rows(self.snap(num), cat)

    def snap(self, num: np.ndarray) -> np.ndarray:
        """Move unit values of integer and step dimensions onto their values' positions.

        ``u`` snaps to the position of ``from_unit(u)``, the value the dimension itself
        decodes there: bins need not be equal (a log-scaled Int gives small integers
        wider bins), so neither the nearest position nor equal widths would do.
        """
        if not (self.bins > 0).any():
            return num
        out = num.copy()
        for i, size in enumerate(self.bins):
            if size == 0:
                continue
            u = out[:, i]
            active = ~np.isnan(u)
            listed = self._bins[i]
            if listed is not None:
                centers, edges = listed
                u[active] = centers[np.searchsorted(edges, u[active], side="right")]
            else:
                dim = self._num_dims[i]
                u[active] = [dim.to_unit(dim.from_unit(float(x))) for x in u[active]]
        return out

    # -- rows to points -------------------------------------------------------------

    def decode(self, rows: Rows) -> list[dict[str, Any]]:
        """Points for rows (active parameters only), in ``space.names`` order."""
        out = []
        for r in range(len(rows)):
            params: dict[str, Any] = {}
            for name in self.space.names:
                kind, i = self._column[name]
                if kind == "num":
                    u = rows.num[r, i]
                    if not math.isnan(u):
                        params[name] = self._num_dims[i].from_unit(float(u))
                else:
                    k = int(rows.cat[r, i])
                    if k >= 0:
                        params[name] = self._cat_dims[i].choices[k]
            out.append(params)
        return out

    def apply_conditions(self, rows: Rows) -> Rows:
        """Mark parameters inactive where their conditions fail (NaN / -1)."""
        if not self._rules:
            return rows
        num, cat = rows.num.copy(), rows.cat.copy()
        for target_kind, target, parent_kind, parent, allowed, cond in self._rules:
            if parent_kind == "cat":
                k = cat[:, parent]
                assert allowed is not None  # compiled for every categorical parent
                ok = (k >= 0) & allowed[np.maximum(k, 0)]
            else:
                u = num[:, parent]
                dim = self._num_dims[parent]
                ok = np.array(
                    [not math.isnan(x) and cond.accepts(dim.from_unit(float(x))) for x in u],
                    dtype=bool,
                )
            if target_kind == "num":
                num[~ok, target] = np.nan
            else:
                cat[~ok, target] = -1
        return Rows(num, cat)

    def _compile_conditions(self) -> list[tuple[str, int, str, int, np.ndarray | None, Any]]:
        """The conditions as array rules, parents before children (chains work)."""
        conditions = list(self.space.conditions)
        depth: dict[str, int] = {}

        def depth_of(name: str, seen: tuple[str, ...] = ()) -> int:
            if name in depth:
                return depth[name]
            parents = [c.parent for c in conditions if c.param == name and c.parent not in seen]
            depth[name] = 1 + max((depth_of(p, (*seen, name)) for p in parents), default=-1)
            return depth[name]

        rules = []
        for cond in sorted(conditions, key=lambda c: depth_of(c.param)):
            target_kind, target = self._column[cond.param]
            parent_kind, parent = self._column[cond.parent]
            allowed = None
            if parent_kind == "cat":
                choices = self._cat_dims[parent].choices
                allowed = np.array([cond.accepts(c) for c in choices], dtype=bool)
            rules.append((target_kind, target, parent_kind, parent, allowed, cond))
        return rules


@functools.lru_cache(maxsize=256)
def unit_bins(dim: Dimension) -> tuple[np.ndarray, np.ndarray]:
    """Unit positions of a finite dimension's values, and where ``from_unit`` changes value.

    ``edges[k - 1]`` is the smallest ``u`` that decodes to value ``k`` or a later one,
    found by bisection on ``from_unit`` itself, so the bins are exactly the
    dimension's (equal for linear integers, wider for small integers on a log scale).

    >>> from tunesmith.space import Int
    >>> centers, edges = unit_bins(Int(1, 3, log=True))
    >>> [Int(1, 3, log=True).from_unit(float(u)) for u in centers]
    [1, 2, 3]
    >>> bool(edges[0] > 1 / 3)  # 1 owns log(0.5)..log(1.5) of log(0.5)..log(3.5)
    True
    """
    values = dim.values()
    index = {v: k for k, v in enumerate(values)}

    def position(u: float) -> int:
        return index[dim.from_unit(u)]

    centers = np.array([dim.to_unit(v) for v in values])
    edges = np.empty(len(values) - 1)
    for k in range(1, len(values)):
        # Between the previous edge and value k's own position (which decodes to k).
        lo, hi = (edges[k - 2] if k > 1 else 0.0), float(centers[k])
        for _ in range(_BISECTIONS):
            mid = (lo + hi) / 2
            if position(mid) >= k:
                hi = mid
            else:
                lo = mid
        edges[k - 1] = hi
    return centers, edges


def _to_unit(dim: Any, value: Any) -> float:
    try:
        if not dim.contains(value):
            return math.nan
        u = float(dim.to_unit(value))
    except (TypeError, ValueError):  # a value from another space (resumed study)
        return math.nan
    return min(max(u, 0.0), 1.0)


def _choice_index(dim: Categorical, value: Any) -> int:
    try:
        return int(dim.index_of(value))
    except (InvalidSpaceError, TypeError):
        return -1
