"""Executors run work (a fold's fit, a trial) somewhere and report back as it finishes.

* :class:`SerialExecutor`: in this process, one task at a time, no overhead.
* :class:`ProcessExecutor`: in worker processes (joblib's reusable loky pool).
* :class:`DaskExecutor`: on a Dask cluster (the optional ``dask`` extra).
* :class:`DeviceExecutor`: one worker process per group of GPUs, never shared.

:func:`make_executor` turns scikit-learn's ``n_jobs`` into one of them.
"""

from __future__ import annotations

from typing import Any

from joblib import effective_n_jobs
from joblib.parallel import get_active_backend

from tunesmith.executors._base import Executor, Outcome, Shared
from tunesmith.executors._dask import DaskExecutor, dask_client_of
from tunesmith.executors._devices import DeviceExecutor
from tunesmith.executors._processes import ProcessExecutor
from tunesmith.executors._resources import DevicePool, visible_gpus
from tunesmith.executors._serial import SerialExecutor

__all__ = [
    "DaskExecutor",
    "DeviceExecutor",
    "DevicePool",
    "Executor",
    "Outcome",
    "ProcessExecutor",
    "SerialExecutor",
    "Shared",
    "make_executor",
    "visible_gpus",
]


def make_executor(n_jobs: int | None, *, capacity: int | None = None,
                  executor: Any = None) -> Executor:
    """The executor for scikit-learn's ``n_jobs``: None or 1 in process, -1 every CPU.

    ``executor`` wins when given: an :class:`Executor` as it is, a ``distributed.Client``
    or a scheduler address (``"tcp://..."``) as a :class:`DaskExecutor`. Otherwise the
    joblib backend the caller configured decides, as in scikit-learn: ``n_jobs=None``
    follows an enclosing ``joblib.parallel_config(n_jobs=...)``, and under
    ``joblib.parallel_backend("dask")`` the tasks go to that Dask client (unless
    ``n_jobs=1``).

    >>> type(make_executor(None)).__name__
    'SerialExecutor'
    """
    if isinstance(executor, Executor):
        return executor
    if executor is not None:
        return DaskExecutor(executor, capacity=capacity)
    if n_jobs is not None and (isinstance(n_jobs, bool) or not isinstance(n_jobs, int)
                               or n_jobs == 0):
        raise ValueError(
            f"n_jobs must be None, a positive number of processes or -1 (every CPU), "
            f"got {n_jobs!r}"
        )
    client = dask_client_of(get_active_backend()[0])
    if client is not None and n_jobs != 1:
        return DaskExecutor(client, capacity=capacity)
    workers = effective_n_jobs(n_jobs)
    if workers == 1:
        return SerialExecutor()
    return ProcessExecutor(workers, capacity=capacity)
