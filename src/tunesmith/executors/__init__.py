"""Executors run work (a fold's fit, a trial) somewhere and report back as it finishes.

* :class:`SerialExecutor`: in this process, one task at a time, no overhead.
* :class:`ProcessExecutor`: in worker processes (joblib's reusable loky pool).

:func:`make_executor` turns scikit-learn's ``n_jobs`` into one of them.
"""

from __future__ import annotations

from joblib import effective_n_jobs

from tunesmith.executors._base import Executor, Outcome, Shared
from tunesmith.executors._processes import ProcessExecutor
from tunesmith.executors._serial import SerialExecutor

__all__ = [
    "Executor",
    "Outcome",
    "ProcessExecutor",
    "SerialExecutor",
    "Shared",
    "make_executor",
]


def make_executor(n_jobs: int | None, *, capacity: int | None = None) -> Executor:
    """The executor for scikit-learn's ``n_jobs``: None or 1 in process, -1 every CPU.

    ``n_jobs=None`` follows an enclosing ``joblib.parallel_config(n_jobs=...)``, as
    scikit-learn does.

    >>> type(make_executor(None)).__name__
    'SerialExecutor'
    """
    if n_jobs is not None and (isinstance(n_jobs, bool) or not isinstance(n_jobs, int)
                               or n_jobs == 0):
        raise ValueError(
            f"n_jobs must be None, a positive number of processes or -1 (every CPU), "
            f"got {n_jobs!r}"
        )
    workers = effective_n_jobs(n_jobs)
    if workers == 1:
        return SerialExecutor()
    return ProcessExecutor(workers, capacity=capacity)
