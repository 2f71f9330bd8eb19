"""Run tasks one after another in this process: no pool, no pickling, no overhead."""

from __future__ import annotations

import traceback
from collections import deque
from collections.abc import Callable
from typing import Any

from tunesmith.executors._base import Executor, Outcome
from tunesmith.executors._resources import limit_threads

__all__ = ["SerialExecutor"]


class SerialExecutor(Executor):
    """Runs each task in the calling process when its outcome is collected.

    Tasks run lazily, one per :meth:`collect`, so a caller that submits while
    ``free_slots()`` allows and then collects sees each outcome as soon as it exists,
    exactly as with a pool. ``cpus_per_trial`` limits each task's BLAS / OpenMP threads
    (threadpoolctl) while it runs.

    >>> with SerialExecutor() as ex:
    ...     ids = [ex.submit(pow, 2, k) for k in range(3)]
    ...     [o.value for o in ex.as_completed()]
    [1, 2, 4]
    """

    #: Tasks run here: they may hold live objects (a trial, a study) that cannot travel.
    in_process = True

    def __init__(self, *, capacity: int | None = None,
                 cpus_per_trial: int | None = None) -> None:
        if cpus_per_trial is not None and (isinstance(cpus_per_trial, bool) or not isinstance(
                cpus_per_trial, int) or cpus_per_trial < 1):
            raise ValueError(f"cpus_per_trial must be a positive integer or None, got "
                             f"{cpus_per_trial!r}")
        self.cpus_per_trial = cpus_per_trial
        self.n_workers = 1
        # One at a time by default: a caller that fills free slots then collects runs
        # strictly task by task, and sees each outcome before it submits the next.
        self.capacity = capacity if capacity is not None else 1
        self._queue: deque[tuple[int, Callable[..., Any], tuple[Any, ...]]] = deque()
        self._next_id = 0

    def submit(self, fn: Callable[..., Any], /, *args: Any) -> int:
        task_id = self._next_id
        self._next_id += 1
        self._queue.append((task_id, fn, args))
        return task_id

    def collect(self) -> list[Outcome]:
        if not self._queue:
            return []
        task_id, fn, args = self._queue.popleft()
        try:
            value = limit_threads(self.cpus_per_trial, fn, args)
        except Exception as exc:  # a task's failure is data; Ctrl-C is not
            return [Outcome(task_id, error=exc, traceback=traceback.format_exc())]
        return [Outcome(task_id, value)]

    def cancel(self, task_id: int) -> bool:
        for item in self._queue:
            if item[0] == task_id:
                self._queue.remove(item)
                return True
        return False

    @property
    def n_pending(self) -> int:
        return len(self._queue)

    def shutdown(self, *, kill: bool = False) -> None:
        self._queue.clear()
