"""One study as an open dashboard follows it.

A :class:`Watch` keeps the study's outline (each trial's number, state and value),
brought up to date through the change sequence: a poll while nothing changed is one
indexed statement, and one that finds 300 new trials reads those 300. From the outline
come the live counts, the best trial and the plots' sample of trials
(:func:`sample_numbers`), so that a study of 100,000 trials is summarised on the server
and the browser receives a few thousand points, never every trial.
"""

from __future__ import annotations

import math
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from tunesmith.dashboard._source import Outline, Source, study_status
from tunesmith.records import Direction, FrozenTrial, TrialState

__all__ = ["SAMPLE_SIZE", "Ranked", "Watch", "sample_numbers"]

#: Trials in a plot's sample (besides every improvement of the best and the top ones).
SAMPLE_SIZE = 1000
#: Trials shown by the fold-spread plot, which are always in the sample.
TOP = 10
_COMPLETE = "complete"
_STATE = {state.value: state for state in TrialState}


@dataclass(frozen=True)
class Ranked:
    """An outline as arrays in number order, for the plots' choices of trials:
    ``keys`` is ``sign * value`` of complete trials with a finite value (smaller is
    better) and +inf for every other trial."""

    numbers: np.ndarray
    keys: np.ndarray

    @classmethod
    def of(cls, outline: Outline, direction: Direction) -> Ranked:
        states, values = outline.states, outline.values
        n = len(states)
        numbers = np.fromiter(states.keys(), dtype=np.int64, count=n)
        complete = np.fromiter((state == _COMPLETE for state in states.values()), dtype=bool,
                               count=n)
        raw = np.fromiter((math.nan if (v := values.get(k)) is None else v for k in states),
                          dtype=np.float64, count=n)
        keys = np.where(complete & np.isfinite(raw), direction.sign() * raw, np.inf)
        order = np.argsort(numbers, kind="stable")
        return cls(numbers[order], keys[order])

    @property
    def complete(self) -> np.ndarray:
        """Which trials are complete with a finite value."""
        return np.asarray(np.isfinite(self.keys))

    def top(self, k: int) -> list[int]:
        """The numbers of the ``k`` best complete trials, best first (ties: lowest
        number first, ``tunesmith.records.best_trial``'s rule)."""
        where = np.flatnonzero(self.complete)
        ranked = where[np.lexsort((self.numbers[where], self.keys[where]))][:k]
        return [int(n) for n in self.numbers[ranked]]


def best_of(outline: Outline, direction: Direction) -> tuple[int, float] | None:
    """(number, value) of the best complete trial: the best finite value, on a tie the
    lowest number (``tunesmith.records.best_trial``'s rule)."""
    found = Ranked.of(outline, direction).top(1)
    if not found:
        return None
    return found[0], float(outline.values[found[0]])  # type: ignore[arg-type]


def sample_numbers(outline: Outline, direction: Direction, *, size: int = SAMPLE_SIZE,
                   top: int = TOP) -> list[int]:
    """The trial numbers a study's plots are drawn from, in order.

    Every trial when there are at most ``size``; otherwise every ``k``-th trial by
    number (an even spread over the study, whatever the states), plus every trial that
    improved the best so far (so the history's best-so-far line is exact) and the
    ``top`` best complete trials (so the fold spread of the top ones is exact).

    >>> o = Outline(0, states={n: "complete" for n in range(10)},
    ...             values={n: float(10 - n) for n in range(10)})
    >>> sample_numbers(o, Direction.MINIMIZE, size=3, top=1)
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]
    >>> sample_numbers(o, Direction.MAXIMIZE, size=3, top=1)
    [0, 4, 8]
    """
    return _sample_numbers(Ranked.of(outline, direction), size=size, top=top)


def _sample_numbers(ranked: Ranked, *, size: int, top: int) -> list[int]:
    numbers, keys = ranked.numbers, ranked.keys
    if len(numbers) <= size:
        return [int(n) for n in numbers]
    chosen = np.zeros(len(numbers), dtype=bool)
    chosen[::math.ceil(len(numbers) / size)] = True
    # An improvement: strictly better than every trial before it.
    before = np.concatenate(([np.inf], np.minimum.accumulate(keys)[:-1]))
    chosen |= keys < before
    return sorted({int(n) for n in numbers[chosen]} | set(ranked.top(top)))


class Watch:
    """A study followed through its change sequence, with cached derived views.

    ``refresh`` reads what changed (at most once per ``min_interval`` seconds, so that
    many open pages cost one read); ``cached(key, make)`` returns what ``make`` built
    for the current sequence number, rebuilding at most every ``redraw_s`` seconds while
    the study changes (the plots of a fast study are redrawn every few seconds, not
    after every trial).
    """

    def __init__(self, source: Source, study_id: int, direction: Direction, *,
                 min_interval: float = 0.25, redraw_s: float = 8.0) -> None:
        self.source = source
        self.study_id = study_id
        self.direction = direction
        self.outline = Outline(study_id)
        self._lock = threading.Lock()
        self._min_interval = min_interval
        self._redraw_s = redraw_s
        self._checked = -math.inf
        self._cache: dict[str, tuple[int, float, Any]] = {}
        self._key_locks: dict[str, threading.Lock] = {}

    def refresh(self) -> int:
        """Bring the outline up to date; returns the study's sequence number."""
        with self._lock:
            now = time.monotonic()
            if now - self._checked >= self._min_interval:
                self.source.follow(self.outline)
                self._checked = now
            return self.outline.seq

    def status(self) -> dict[str, Any]:
        """The live part of a study's page: counts by state, best, workers, state."""
        seq = self.refresh()
        summary = self.cached("summary", self._summary, redraw_s=0.0)
        workers = self.source.workers(self.study_id)
        planned = summary["planned"]
        return {
            **summary,
            "seq": seq,
            "status": study_status(summary["counts"], workers, planned),
            "workers": [{"owner": w.owner, "running": w.running,
                         "heartbeat_at": w.heartbeat_at, "alive": w.alive} for w in workers],
        }

    def _summary(self) -> dict[str, Any]:
        found = self.ranked().top(1)
        with self._lock:
            counts = dict(Counter(self.outline.states.values()))
            best = (found[0], float(self.outline.values[found[0]])  # type: ignore[arg-type]
                    ) if found else None
        planned = self.cached("planned", lambda: self.source.planned(self.study_id),
                              redraw_s=math.inf)
        return {
            "n_trials": sum(counts.values()),
            "counts": counts,
            "best": None if best is None else {"number": best[0], "value": best[1]},
            "planned": planned,
        }

    def cached(self, key: str, make: Callable[[], Any], *, redraw_s: float | None = None
               ) -> Any:
        """``make()`` for the current sequence number, rebuilt at most every
        ``redraw_s`` seconds (default: the watch's) while the study changes. Callers
        asking for the same key at once wait for one ``make``."""
        with self._lock:
            key_lock = self._key_locks.setdefault(key, threading.Lock())
        with key_lock:
            seq = self.outline.seq
            wait = self._redraw_s if redraw_s is None else redraw_s
            found = self._cache.get(key)
            now = time.monotonic()
            if found is not None and (found[0] == seq or now - found[1] < wait):
                return found[2]
            value = make()
            self._cache[key] = (seq, now, value)
            return value

    def ranked(self) -> Ranked:
        """The outline as :class:`Ranked` arrays, built once per sequence number."""
        def build() -> Ranked:
            with self._lock:
                return Ranked.of(self.outline, self.direction)

        found: Ranked = self.cached("ranked", build, redraw_s=0.0)
        return found

    def top(self, k: int) -> list[int]:
        """The numbers of the ``k`` best complete trials, best first."""
        return self.ranked().top(k)

    def sample(self, size: int = SAMPLE_SIZE) -> list[FrozenTrial]:
        """The trials the history is drawn from (see :func:`sample_numbers`), as
        records of their number, state and value only: read from the outline, not the
        database."""
        numbers = _sample_numbers(self.ranked(), size=size, top=TOP)
        with self._lock:
            states, values = self.outline.states, self.outline.values
            return [FrozenTrial(number=n, state=_STATE[states[n]], value=values.get(n))
                    for n in numbers]

    def n_complete(self) -> int:
        """How many complete trials with a finite value the study has."""
        return int(self.ranked().complete.sum())

    def spread(self, size: int) -> list[int]:
        """The numbers of at most ``size`` complete trials evenly spread over the study,
        and of the ``TOP`` best: what the plots of parameters are drawn from."""
        ranked = self.ranked()
        complete = ranked.numbers[ranked.complete]
        if len(complete) > size:
            step = len(complete) / size
            complete = complete[(np.arange(size) * step).astype(np.int64)]
        return sorted({int(n) for n in complete} | set(ranked.top(TOP)))
