"""The study's trials as arrays, encoded once and kept between asks.

Each ask hands the sampler the whole history; encoding every trial again would cost
time proportional to the study (the slowdown Optuna users report at thousands of
trials). A trial's parameters never change once it exists, so its encoded row is
stored under its id and reused: an ask encodes only new trials.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from tunesmith.records import FrozenTrial, TrialState
from tunesmith.samplers._tpe._encoding import Encoding, Rows
from tunesmith.space import Space, SpaceUnion

__all__ = ["EncodedHistory", "Kind", "View"]

#: One trial's column: subspace, row, kind, loss, number, step.
Entry = tuple[int, int, int, float, int, int]


class Kind(enum.IntEnum):
    """What a trial tells the model."""

    OK = 0  # a finished value: ranked into good or bad
    PRUNED = 1  # stopped early: ranked below complete trials, by how far it got (_split)
    FAILED = 2  # failed or skipped (invalid combination): bad and infeasible
    RUNNING = 3  # in flight: counted as bad ("constant liar") so workers spread out


_KIND = {
    TrialState.PRUNED: Kind.PRUNED,
    TrialState.FAILED: Kind.FAILED,
    TrialState.SKIPPED: Kind.FAILED,
    TrialState.RUNNING: Kind.RUNNING,
}


@dataclass(frozen=True)
class View:
    """The usable trials of one ask: subspace, row, kind, loss, number and step of each."""

    sub: np.ndarray
    row: np.ndarray
    kind: np.ndarray
    # The value (a pruned trial's: its last report); NaN for running, failed, skipped.
    loss: np.ndarray
    number: np.ndarray
    step: np.ndarray  # a pruned trial's last step (-1 without reports); -1 for the others

    def __len__(self) -> int:
        return len(self.sub)


class _RowStore:
    """Growable arrays of encoded rows for one subspace."""

    def __init__(self, encoding: Encoding) -> None:
        self.encoding = encoding
        self.num = np.empty((64, len(encoding.num_names)))
        self.cat = np.empty((64, len(encoding.cat_names)), dtype=np.int64)
        self.size = 0

    def add(self, rows: Rows) -> int:
        if self.size == len(self.num):
            self.num = np.concatenate([self.num, np.empty_like(self.num)])
            self.cat = np.concatenate([self.cat, np.empty_like(self.cat)])
        self.num[self.size] = rows.num[0]
        self.cat[self.size] = rows.cat[0]
        self.size += 1
        return self.size - 1

    def rows(self, index: np.ndarray) -> Rows:
        return Rows(self.num[index], self.cat[index])


class _Columns:
    """Growable arrays of (subspace, row, kind, loss, number, step), one entry per trial."""

    def __init__(self) -> None:
        self.data = np.empty((6, 256))
        self.size = 0

    def append(self, entry: Entry) -> None:
        if self.size == self.data.shape[1]:
            self.data = np.concatenate([self.data, np.empty_like(self.data)], axis=1)
        self.data[:, self.size] = entry
        self.size += 1


class EncodedHistory:
    """Encoded trials of one space (a Space, or each subspace of a SpaceUnion).

    The leading finished trials of the history (a "prefix") are absorbed once: a
    finished trial never changes, so later asks only look at trials after the prefix
    (new ones, and those still running). An ask then costs time in the number of new
    and running trials, not in the size of the study.
    """

    def __init__(self, space: Space | SpaceUnion) -> None:
        self.space = space
        self.spaces: tuple[Space, ...] = (
            tuple(space.spaces) if isinstance(space, SpaceUnion) else (space,)
        )
        self.encodings = [Encoding(s) for s in self.spaces]
        self._stores = [_RowStore(e) for e in self.encodings]
        self._names = [frozenset(s.names) for s in self.spaces]
        self._known: dict[tuple[int, int], tuple[int, int] | None] = {}
        self._reset_prefix()

    def _reset_prefix(self) -> None:
        self._prefix = _Columns()
        self._prefix_len = 0
        self._prefix_last: tuple[int, int] | None = None

    def rows(self, sub: int, index: np.ndarray) -> Rows:
        return self._stores[sub].rows(index)

    def view(
        self,
        history: Sequence[FrozenTrial],
        pending: Mapping[int, Mapping[str, Any]],
        exclude: int,
    ) -> View:
        """The trials of ``history`` (but trial ``exclude``) the model can use.

        A running trial's parameters come from storage or, when storage does not
        have them yet, from ``pending`` (what this sampler proposed for it).
        """
        start = self._prefix_len
        if start and (len(history) < start or _key(history[start - 1]) != self._prefix_last):
            self._reset_prefix()  # another study's history, or one that shrank
            start = 0
        tail = _Columns()
        absorbing = True
        for i in range(start, len(history)):
            trial = history[i]
            entry = self._entry(trial, pending)
            if absorbing and trial.state is not TrialState.RUNNING:
                if entry is not None:
                    self._prefix.append(entry)
                self._prefix_len = i + 1
                self._prefix_last = _key(trial)
                continue
            absorbing = False
            if entry is not None and trial.number != exclude:
                tail.append(entry)
        data = np.concatenate(
            [self._prefix.data[:, : self._prefix.size], tail.data[:, : tail.size]], axis=1
        )
        ints = data[[0, 1, 2, 4, 5]].astype(np.int64)
        return View(ints[0], ints[1], ints[2], data[3], ints[3], ints[4])

    def _entry(
        self, trial: FrozenTrial, pending: Mapping[int, Mapping[str, Any]]
    ) -> Entry | None:
        key = _key(trial)
        if key in self._known:
            place = self._known[key]
        else:
            params = trial.params or pending.get(trial.number)
            if not params:
                return None  # another worker's trial, parameters not stored yet
            # None: parameters of another space, nothing to learn from them.
            place = self._known[key] = self._add(params)
        if place is None:
            return None
        if trial.state is TrialState.COMPLETE:
            value = trial.value
            if value is None or not math.isfinite(value):
                return place[0], place[1], Kind.FAILED, math.nan, trial.number, -1
            return place[0], place[1], Kind.OK, float(value), trial.number, -1
        if trial.state is TrialState.PRUNED:
            step = max(trial.intermediate) if trial.intermediate else -1
            value = trial.value if trial.value is not None or step < 0 else (
                trial.intermediate[step])  # stored before pruned trials kept their value
            loss = float(value) if value is not None and math.isfinite(value) else math.nan
            return place[0], place[1], Kind.PRUNED, loss, trial.number, step
        return place[0], place[1], _KIND[trial.state], math.nan, trial.number, -1

    def _add(self, params: Mapping[str, Any]) -> tuple[int, int] | None:
        sub = self.subspace_of(params)
        if sub is None:
            return None
        rows = self.encodings[sub].encode([params])
        if np.isnan(rows.num).all() and (rows.cat < 0).all():
            return None
        return sub, self._stores[sub].add(rows)

    def subspace_of(self, params: Mapping[str, Any]) -> int | None:
        """The subspace a point belongs to (the first whose names hold all of its own)."""
        keys = set(params)
        if len(self.spaces) == 1:
            return 0 if keys & self._names[0] else None
        fits = [i for i, names in enumerate(self._names) if keys <= names]
        for i in fits:
            if self.spaces[i].is_valid(params):
                return i
        return fits[0] if fits else None


def _key(trial: FrozenTrial) -> tuple[int, int]:
    return (trial.trial_id, trial.number)
