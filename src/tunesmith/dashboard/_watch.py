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
from typing import Any

from tunesmith.dashboard._source import Outline, Source, study_status
from tunesmith.records import Direction, FrozenTrial, TrialState

__all__ = ["SAMPLE_SIZE", "Watch", "sample_numbers"]

#: Trials in a plot's sample (besides every improvement of the best and the top ones).
SAMPLE_SIZE = 2000
#: Trials shown by the fold-spread plot, which are always in the sample.
TOP = 10
_COMPLETE = "complete"
_STATE = {state.value: state for state in TrialState}


def _finite(value: float | None) -> bool:
    return value is not None and math.isfinite(value)


def best_of(outline: Outline, direction: Direction) -> tuple[int, float] | None:
    """(number, value) of the best complete trial: the best finite value, on a tie the
    lowest number (``tunesmith.records.best_trial``'s rule)."""
    sign = direction.sign()
    found = min(
        ((sign * float(value), number)  # type: ignore[arg-type]
         for number, value in outline.values.items()
         if outline.states.get(number) == _COMPLETE and _finite(value)),
        default=None,
    )
    return None if found is None else (found[1], sign * found[0])


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
    numbers = sorted(outline.states)
    if len(numbers) <= size:
        return numbers
    step = math.ceil(len(numbers) / size)
    chosen = set(numbers[::step])
    sign = direction.sign()
    best = math.inf
    complete = []
    for number in numbers:
        value = outline.values.get(number)
        if outline.states[number] != _COMPLETE or not _finite(value):
            continue
        key = sign * float(value)  # type: ignore[arg-type]
        complete.append((key, number))
        if key < best:
            best = key
            chosen.add(number)
    chosen.update(number for _key, number in sorted(complete)[:top])
    return sorted(chosen)


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
        with self._lock:
            counts = dict(Counter(self.outline.states.values()))
            best = best_of(self.outline, self.direction)
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

    def top(self, k: int) -> list[int]:
        """The numbers of the ``k`` best complete trials, best first."""
        sign = self.direction.sign()
        with self._lock:
            ranked = sorted((sign * float(value), number)  # type: ignore[arg-type]
                            for number, value in self.outline.values.items()
                            if self.outline.states.get(number) == _COMPLETE and _finite(value))
        return [number for _key, number in ranked[:k]]

    def sample(self, size: int = SAMPLE_SIZE) -> list[FrozenTrial]:
        """The trials the history is drawn from (see :func:`sample_numbers`), as
        records of their number, state and value only: read from the outline, not the
        database."""
        with self._lock:
            numbers = sample_numbers(self.outline, self.direction, size=size)
            states, values = self.outline.states, self.outline.values
            return [FrozenTrial(number=n, state=_STATE[states[n]], value=values.get(n))
                    for n in numbers]

    def spread(self, size: int) -> list[int]:
        """The numbers of at most ``size`` complete trials evenly spread over the study,
        and of the ``TOP`` best: what the plots of parameters are drawn from."""
        with self._lock:
            complete = sorted(n for n, state in self.outline.states.items()
                              if state == _COMPLETE and _finite(self.outline.values.get(n)))
        if len(complete) > size:
            step = len(complete) / size
            complete = [complete[int(k * step)] for k in range(size)]
        return sorted(set(complete) | set(self.top(TOP)))
