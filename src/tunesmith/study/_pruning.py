"""A study's pruning: its pruner asked with the study's incremental history.

The study's process is the one place prune decisions are made, for trials running
here and in worker processes alike (those ask over ``engine._channel``). It keeps its
own :class:`~tunesmith.engine.StudyHistory`, separate from the sampler's: questions
arrive on the channel's threads while the run loop asks for trials, and each view is
used under one lock. Every report is in storage before any question about it, so the
pruner sees the same values on memory, SQLite and PostgreSQL, and across processes
sharing a study (their trials' reports reach storage through their own studies).
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Sequence

from tunesmith.engine import ChannelServer, PruneChannel, StudyHistory
from tunesmith.pruners import NopPruner, Pruner
from tunesmith.records import Direction, FrozenTrial, TrialState
from tunesmith.storage import Storage
from tunesmith.trial import Trial

__all__ = ["Pruning", "last_value"]


class Pruning:
    """Answers ``should_prune`` for one study object, here or from its workers.

    >>> from tunesmith.pruners import MedianPruner
    >>> from tunesmith.records import Direction
    >>> from tunesmith.storage import MemoryStorage
    >>> storage = MemoryStorage()
    >>> sid = storage.create_study("demo", direction=Direction.MINIMIZE)
    >>> pruning = Pruning(MedianPruner(n_startup_trials=0), storage, sid, Direction.MINIMIZE)
    >>> done = storage.create_trial(sid, owner="me")
    >>> pruning.report(done.trial_id, 1, 0.2)
    >>> _ = storage.finish_trial(done.trial_id, TrialState.COMPLETE, value=0.2)
    >>> running = storage.create_trial(sid, owner="me")
    >>> pruning.judge(running.trial_id, running.number, {1: 0.3})
    True
    """

    def __init__(self, pruner: Pruner, storage: Storage, study_id: int,
                 direction: Direction) -> None:
        self.pruner = pruner
        self._storage = storage
        self._direction = direction
        self._history = StudyHistory(storage, study_id)
        self._lock = threading.Lock()
        self._server: ChannelServer | None = None

    @property
    def active(self) -> bool:
        """False for the pruner that never prunes: no question is worth asking."""
        return not isinstance(self.pruner, NopPruner)

    def report(self, trial_id: int, step: int, value: float) -> None:
        self._storage.report(trial_id, step, value)

    def judge(self, trial_id: int, number: int, values: dict[int, float]) -> bool:
        """Whether trial ``number``, having reported ``values`` in this run, stops now."""
        with self._lock:
            trials = self._history.trials()
            record = _find(trials, number) or FrozenTrial(
                number=number, state=TrialState.RUNNING, trial_id=trial_id)
            # Its values as this run reported them (a dead earlier run's are stale).
            record = dataclasses.replace(record, intermediate=dict(values))
            return bool(self.pruner.should_prune(record, trials, self._direction))

    def channel(self) -> PruneChannel | None:
        """Where worker processes reach this study's pruner (listening from the first
        call until :meth:`stop`); None without a pruner."""
        if not self.active:
            return None
        if self._server is None:
            self._server = ChannelServer(self.report, self.judge)
        return self._server.channel

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None


def _find(trials: Sequence[FrozenTrial], number: int) -> FrozenTrial | None:
    if number < len(trials) and trials[number].number == number:
        return trials[number]  # numbers are dense from 0: the usual case
    return next((t for t in trials if t.number == number), None)


def last_value(live: Trial | None, storage: Storage, trial_id: int) -> float | None:
    """A pruned trial's value: its last report (this run's, else the stored one's).

    >>> from tunesmith.storage import MemoryStorage
    >>> storage = MemoryStorage()
    >>> sid = storage.create_study("demo", direction=Direction.MINIMIZE)
    >>> t = storage.create_trial(sid, owner="me")
    >>> storage.report(t.trial_id, 3, 0.5); storage.report(t.trial_id, 1, 0.9)
    >>> last_value(None, storage, t.trial_id)
    0.5
    """
    last = live.last_report if live is not None else None
    if last is not None:
        return last[1]
    stored = storage.trial(trial_id).intermediate
    return float(stored[max(stored)]) if stored else None
