"""Every point of finite spaces, as a lazy sequence in scikit-learn's order.

Order, exactly as ``sklearn.model_selection.ParameterGrid`` for the scikit-learn
forms: the spaces in order; within a space, the parameters sorted by name, and the
cartesian product of their values with the *last* name varying fastest. An empty
space gives one empty point.

Conditions: an inactive parameter does not multiply the grid. A conditional space
is cut into condition-free *blocks*, each a plain cartesian product, concatenated:
the parents are split in name order, each into groups of its values (in value
order) that activate the same children, and a group's block holds the parent
restricted to that group plus the children it activates. ``penalty`` in
``[l1, l2, elasticnet]`` with ``l1_ratio`` (3 values) active under ``elasticnet``
gives the block ``penalty in [l1, l2]`` (2 points), then the block
``penalty = elasticnet`` x ``l1_ratio`` (3 points): the same 5 points, in the same
order, as the list of dicts ``[{"penalty": [l1, l2]}, {"penalty": [elasticnet],
"l1_ratio": [...]}]``.

Forbidden points keep their index (so indices never move when a rule changes what
is allowed); :meth:`Grid.is_valid`, :meth:`Grid.valid_indices` and
:attr:`Grid.n_valid` skip or count them.
"""

from __future__ import annotations

import bisect
import itertools
import math
import operator
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any, SupportsIndex, overload

from tunesmith.exceptions import InvalidSpaceError
from tunesmith.space._base import Dimension
from tunesmith.space._conditions import Condition, Forbidden
from tunesmith.space._json import _short

if TYPE_CHECKING:
    from tunesmith.space._space import Space

__all__ = ["Grid"]

#: Above this many forbidden rules in one block, count valid points by scanning
#: instead of by inclusion-exclusion (2**n terms).
_MAX_EXACT_RULES = 12

#: Axes up to this many values are listed once to iterate fast; longer ones are read
#: value by value, so iterating a grid never builds a huge list.
_MAX_LISTED = 100_000


@dataclass(frozen=True)
class _Axis:
    """The values of one parameter within a block: all of ``dim``, or some positions."""

    dim: Dimension
    positions: tuple[int, ...] | None  # None: every value, lazily

    @cached_property
    def size(self) -> int:
        return _size_of(self.dim) if self.positions is None else len(self.positions)

    @cached_property
    def _local(self) -> dict[int, int] | None:
        return None if self.positions is None else {p: k for k, p in enumerate(self.positions)}

    def __getitem__(self, k: int) -> Any:
        return self.dim.value_at(k if self.positions is None else self.positions[k])

    def __len__(self) -> int:
        return self.size

    def local_index(self, value: Any) -> int | None:
        """The index of ``value`` on this axis, or None."""
        if not self.dim.contains(value):
            return None
        pos = self.dim.index_of(value)
        return pos if self._local is None else self._local.get(pos)


@dataclass(frozen=True)
class _Block:
    """A condition-free cartesian product: one slice of the grid."""

    space: Space
    keys: tuple[str, ...]  # sorted by name
    axes: tuple[_Axis, ...]

    @cached_property
    def total(self) -> int:
        return math.prod(axis.size for axis in self.axes)

    @cached_property
    def rules(self) -> tuple[Forbidden, ...]:
        """The forbidden rules that can match a point of this block."""
        keys = set(self.keys)
        return tuple(r for r in self.space.forbidden if set(r.names) <= keys)

    def point(self, local: int) -> dict[str, Any]:
        values: list[Any] = [None] * len(self.keys)
        for j in range(len(self.keys) - 1, -1, -1):  # the last key varies fastest
            local, k = divmod(local, self.axes[j].size)
            values[j] = self.axes[j][k]
        return dict(zip(self.keys, values, strict=True))

    def points(self) -> Iterator[dict[str, Any]]:
        """The block's points in order, building no more than small axes' value lists."""
        if not self.keys:
            yield {}
            return
        if all(axis.size <= _MAX_LISTED for axis in self.axes):
            lists = [tuple(axis[k] for k in range(axis.size)) for axis in self.axes]
            for values in itertools.product(*lists):
                yield dict(zip(self.keys, values, strict=True))
            return
        # An odometer: the last key turns fastest, each value fetched as it is reached.
        positions = [0] * len(self.axes)
        current = [axis[0] for axis in self.axes]
        while True:
            yield dict(zip(self.keys, current, strict=True))
            j = len(self.axes) - 1
            while j >= 0:
                positions[j] += 1
                if positions[j] < self.axes[j].size:
                    current[j] = self.axes[j][positions[j]]
                    break
                positions[j], current[j] = 0, self.axes[j][0]
                j -= 1
            if j < 0:
                return

    def local_index(self, params: Mapping[str, Any]) -> int | None:
        if len(params) != len(self.keys) or any(k not in params for k in self.keys):
            return None
        local = 0
        for key, axis in zip(self.keys, self.axes, strict=True):
            k = axis.local_index(params[key])
            if k is None:
                return None
            local = local * axis.size + k
        return local

    def allowed(self, point: Mapping[str, Any]) -> bool:
        return not any(rule.matches(point) for rule in self.rules)

    def n_valid(self) -> int:
        rules = self.rules
        if not rules:
            return self.total
        if len(rules) > _MAX_EXACT_RULES:
            return sum(1 for p in self.points() if self.allowed(p))
        # Inclusion-exclusion: the points matching every rule of a subset form a
        # product of per-parameter intersections, so each term is a product of counts.
        axes = dict(zip(self.keys, self.axes, strict=True))
        hits = [  # per rule, per named parameter: the axis positions the clause lists
            {key: frozenset(k for k in map(axes[key].local_index, values) if k is not None)
             for key, values in rule.clauses.items()}
            for rule in rules
        ]
        sizes = dict(zip(self.keys, (axis.size for axis in self.axes), strict=True))
        forbidden = 0
        for r in range(1, len(rules) + 1):
            for subset in itertools.combinations(hits, r):
                common: dict[str, frozenset[int]] = {}
                for clause in subset:
                    for key, ks in clause.items():
                        common[key] = common[key] & ks if key in common else ks
                count = math.prod(len(common[key]) if key in common else size
                                  for key, size in sizes.items())
                forbidden += count if r % 2 else -count
        return self.total - forbidden


class Grid(Sequence[dict[str, Any]]):
    """The points of finite spaces, lazily: ``len``, indexing and iteration.

    Build it with :meth:`Space.grid` or :meth:`SpaceUnion.grid`; the order is
    scikit-learn's ``ParameterGrid`` order (see the module docstring for conditions).
    Points are dicts with the parameters sorted by name; values are the dimensions'
    own objects (a Categorical's choices as given).

    >>> from tunesmith.space import Space
    >>> grid = Space({"b": [True, False], "a": [1, 2]}).grid()
    >>> len(grid), grid[1], grid[-1]
    (4, {'a': 1, 'b': False}, {'a': 2, 'b': False})
    >>> grid.index_of({"a": 2, "b": True})
    2
    """

    def __init__(self, spaces: Sequence[Space]) -> None:
        blocks: list[_Block] = []
        for space in spaces:
            for name in space.names:
                if not space[name].is_finite:
                    raise InvalidSpaceError(
                        f"a grid needs a finite list of values; parameter {name!r} is "
                        f"{space[name]!r}: give a list of values, or a Float with a step"
                    )
            blocks.extend(_blocks_of(space))
        self._spaces = tuple(spaces)
        self._blocks = tuple(blocks)
        starts, total = [], 0
        for block in blocks:
            starts.append(total)
            total += block.total
        self._starts = tuple(starts)
        self._len = total

    @property
    def spaces(self) -> tuple[Space, ...]:
        return self._spaces

    def __len__(self) -> int:
        return self._len

    def __repr__(self) -> str:
        return f"<Grid of {self._len} points over {len(self._spaces)} space(s)>"

    @overload
    def __getitem__(self, index: SupportsIndex) -> dict[str, Any]: ...

    @overload
    def __getitem__(self, index: slice) -> list[dict[str, Any]]: ...

    def __getitem__(self, index: SupportsIndex | slice) -> dict[str, Any] | list[dict[str, Any]]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(self._len))]
        block, local = self._locate(index)
        return block.point(local)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        for block in self._blocks:
            yield from block.points()

    def __contains__(self, params: object) -> bool:
        return isinstance(params, Mapping) and self._find(params) is not None

    def index_of(self, params: Mapping[str, Any]) -> int:
        """The index ``i`` with ``grid[i] == params`` (the first, if several); ValueError
        if the point is not in the grid."""
        if not isinstance(params, Mapping):
            raise ValueError(f"index_of needs a dict of parameter values, got {_short(params)}")
        found = self._find(params)
        if found is None:
            raise ValueError(f"point {_short(dict(params), 200)} is not in the grid")
        return found

    # -- forbidden points -------------------------------------------------------------

    def is_valid(self, index: int) -> bool:
        """Whether point ``index`` is allowed (matches no forbidden combination)."""
        block, local = self._locate(index)
        return not block.rules or block.allowed(block.point(local))

    def valid_indices(self) -> Iterator[int]:
        """The indices of allowed points, in order, computed as iterated."""
        for start, block in zip(self._starts, self._blocks, strict=True):
            if not block.rules:
                yield from range(start, start + block.total)
                continue
            for local, point in enumerate(block.points()):
                if block.allowed(point):
                    yield start + local

    @cached_property
    def n_valid(self) -> int:
        """How many points are allowed (counted without listing them where possible)."""
        return sum(block.n_valid() for block in self._blocks)

    # -- helpers --------------------------------------------------------------------

    def _locate(self, index: Any) -> tuple[_Block, int]:
        try:
            i = operator.index(index)
        except TypeError:
            raise TypeError(
                f"grid indices must be integers or slices, got {_short(index)} "
                f"({type(index).__name__})"
            ) from None
        if i < 0:
            i += self._len
        if not 0 <= i < self._len:
            raise IndexError(
                f"grid index {index} is out of range for a grid of {self._len} points "
                f"(valid: {-self._len} to {self._len - 1})"
            )
        b = bisect.bisect_right(self._starts, i) - 1  # every block has at least one point
        return self._blocks[b], i - self._starts[b]

    def _find(self, params: Mapping[str, Any]) -> int | None:
        for start, block in zip(self._starts, self._blocks, strict=True):
            local = block.local_index(params)
            if local is not None:
                return start + local
        return None


def _blocks_of(space: Space) -> Iterator[_Block]:
    """Cut ``space`` into condition-free blocks (see the module docstring)."""
    children: dict[str, list[Condition]] = {}  # parent -> the conditions naming it
    for cond in space.conditions:
        children.setdefault(cond.parent, []).append(cond)
    roots: dict[str, tuple[int, ...] | None] = {
        name: None for name in space.names if space.condition_of(name) is None
    }
    yield from _expand(space, children, roots, frozenset())


def _expand(
    space: Space,
    children: Mapping[str, Sequence[Condition]],
    members: Mapping[str, tuple[int, ...] | None],
    split: frozenset[str],
) -> Iterator[_Block]:
    parents = sorted(name for name in members if name in children and name not in split)
    if not parents:
        keys = tuple(sorted(members))
        yield _Block(space, keys, tuple(_Axis(space[k], members[k]) for k in keys))
        return
    parent = parents[0]
    dim = space[parent]
    positions = members[parent]
    groups: dict[tuple[str, ...], list[int]] = {}  # active children -> parent positions
    for pos in range(_size_of(dim)) if positions is None else positions:
        value = dim.value_at(pos)
        active = tuple(c.param for c in children[parent] if c.accepts(value))
        groups.setdefault(active, []).append(pos)
    whole = positions is None and len(groups) == 1
    for active, group in groups.items():
        narrowed = dict(members)
        narrowed[parent] = positions if whole else tuple(group)
        narrowed.update({child: None for child in active})
        yield from _expand(space, children, narrowed, split | {parent})


def _size_of(dim: Dimension) -> int:
    """How many values ``dim`` has; every dimension of a grid is finite."""
    size = dim.size
    if size is None:  # pragma: no cover - Grid.__init__ rejects infinite dimensions
        raise InvalidSpaceError(f"a grid needs a finite list of values, got {dim!r}")
    return size
