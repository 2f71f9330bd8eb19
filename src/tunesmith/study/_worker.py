"""A worker: one of several processes (on one host or many) that share a stored study.

Each worker claims trials through storage (atomically: a grid point or a budget slot
goes to exactly one of them), beats for the trials it runs, and stops when the study is
done: nothing is left to claim and no other worker is still running a trial. Until
then it waits, so that a trial whose worker dies (a PID gone from our namespace, or a
heartbeat older than ``stale_after``) is taken over and finished, not left running.
"""

from __future__ import annotations

import numbers
import time
from collections.abc import Callable
from typing import Any

from tunesmith.executors import Executor
from tunesmith.records import TrialState
from tunesmith.storage import Storage
from tunesmith.study._load import load_study
from tunesmith.study._study import Study
from tunesmith.trial import Trial

__all__ = ["run_worker"]


def run_worker(
    study: Study | str,
    objective: Callable[[Trial], float],
    *,
    storage: Storage | str | None = None,
    n_trials: int | None = None,
    n_jobs: int | None = 1,
    executor: Executor | Any = None,
    poll: float = 1.0,
    **study_kwargs: Any,
) -> int:
    """Work on a shared study until it is done; return how many trials this worker ran.

    ``study`` is a :class:`Study` (opened with ``load_if_exists=True`` by every worker
    that may be first) or the name of a stored one, opened from ``storage`` with what it
    was created with. ``n_trials`` is the study's budget, counted in storage: every
    worker stops when the study holds that many finished trials (a finite space needs
    none). ``poll`` is how often, in seconds, a worker with nothing left to claim looks
    whether another worker's trial was abandoned. ``n_jobs`` / ``executor`` run this
    worker's trials as :meth:`Study.optimize` does.

    >>> import tunesmith
    >>> from tunesmith.storage import MemoryStorage
    >>> shared = MemoryStorage()
    >>> made = tunesmith.Study(name="grid", storage=shared, sampler="grid",
    ...                        space={"x": [1, 2, 3]})
    >>> run_worker("grid", lambda t: t.params["x"] ** 2, storage=shared)
    3
    >>> sorted(t.value for t in made.trials)
    [1.0, 4.0, 9.0]
    """
    if isinstance(poll, bool) or not isinstance(poll, numbers.Real) or not poll > 0:
        raise ValueError(f"poll must be a positive number of seconds, got {poll!r}")
    if isinstance(study, Study):
        if storage is not None or study_kwargs:
            raise TypeError("storage and study settings go with a study name, not with a "
                            "Study object: run_worker(study, objective)")
        opened = study
    elif isinstance(study, str):
        if storage is None:
            raise TypeError(f"run_worker({study!r}, ...) needs storage=, the database "
                            "the study is stored in, e.g. storage='postgresql://host/db'")
        opened = load_study(study, storage, **study_kwargs)
    else:
        raise TypeError(f"study must be a Study or a stored study's name, got {study!r}")
    ran = 0
    try:
        while True:
            ran += _run_some(opened, objective, n_trials, n_jobs, executor)
            if not _others_running(opened):
                return ran
            time.sleep(poll)
    finally:
        if opened is not study:
            opened.close()


def _run_some(study: Study, objective: Callable[[Trial], float], n_trials: int | None,
              n_jobs: int | None, executor: Any) -> int:
    """One pass of optimize: what is free now, abandoned trials included."""
    before = _mine(study)
    study.optimize(objective, n_trials=n_trials, n_jobs=n_jobs, executor=executor,
                   show_progress=False)
    return _mine(study) - before


def _mine(study: Study) -> int:
    return sum(t.owner == study.owner and t.state.is_finished for t in study.trials)


def _others_running(study: Study) -> bool:
    running = study.storage.trials(study.study_id, states=[TrialState.RUNNING])
    return any(t.owner != study.owner for t in running)
