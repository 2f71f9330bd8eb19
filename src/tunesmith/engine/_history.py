"""A study's trials as this process last saw them, brought up to date incrementally.

Samplers that learn from the history (TPE) need every trial at every ask. Reading
them all from storage each time made an ask cost time in the size of the study (and
define-by-run read them again for every parameter). Storage numbers its changes per
study; this view asks only for trials changed since the last sequence number it saw,
so an ask costs time in what changed, and define-by-run parameters read nothing.
"""

from __future__ import annotations

from typing import Any

from tunesmith.records import FrozenTrial, TrialState
from tunesmith.space import Dimension, Space

__all__ = ["StudyHistory"]


class StudyHistory:
    """The trials of one study, ordered by number, kept current from storage.

    >>> from tunesmith.records import Direction
    >>> from tunesmith.storage import MemoryStorage
    >>> storage = MemoryStorage()
    >>> sid = storage.create_study("demo", direction=Direction.MINIMIZE)
    >>> history = StudyHistory(storage, sid)
    >>> _ = storage.create_trial(sid, owner="me")
    >>> [t.number for t in history.trials()]
    [0]
    """

    def __init__(self, storage: Any, study_id: int) -> None:
        self._storage = storage
        self._study_id = study_id
        self._seq = 0
        self._by_number: list[FrozenTrial | None] = []
        self._list: list[FrozenTrial] | None = None  # the trials without gaps, cached
        # The define-by-run parameters every complete trial has (None: no complete
        # trial yet); it only shrinks, so each complete trial is looked at once.
        self._common: dict[str, Dimension] | None = None
        self._counted: set[int] = set()
        self._space: Space | None = None

    def trials(self, *, refresh: bool = True) -> list[FrozenTrial]:
        """Every trial, ordered by number (a list to read, not to change).

        ``refresh=False`` skips the look at storage: the trials as of the last one.
        """
        if refresh:
            self.refresh()
        if self._list is None:
            self._list = [t for t in self._by_number if t is not None]
        return self._list

    def refresh(self) -> None:
        """Read what changed in storage since the last look."""
        changed, self._seq = self._storage.changed_trials(self._study_id, self._seq)
        for trial in changed:
            self.update(trial)

    def update(self, trial: FrozenTrial) -> None:
        """Take a trial as storage now holds it (one this process just wrote saves a read)."""
        number = trial.number
        if number == len(self._by_number) and self._list is not None:
            self._list.append(trial)  # the common case: the next trial, nothing to rebuild
            self._by_number.append(trial)
        else:
            if number >= len(self._by_number):
                self._by_number.extend([None] * (number + 1 - len(self._by_number)))
            self._by_number[number] = trial
            self._list = None
        if trial.state is TrialState.COMPLETE and trial.trial_id not in self._counted:
            self._counted.add(trial.trial_id)
            self._intersect(trial)

    def known_space(self) -> Space | None:
        """The define-by-run parameters every complete trial recorded alike, as a space.

        A sampler can propose these jointly when a trial is asked, as on a declared
        space. None before the first complete trial, or when the complete trials share
        no parameter. The same object comes back while it does not change, so samplers
        can keep what they learnt about it.
        """
        self.refresh()
        return self._space

    def _intersect(self, trial: FrozenTrial) -> None:
        dims = trial.dimensions
        if self._common is None:
            common = {n: d for n, d in dims.items() if n in trial.params}
        else:
            common = {n: d for n, d in self._common.items() if dims.get(n) == d}
        if common != self._common:
            self._common = common
            self._space = Space(common) if common else None
