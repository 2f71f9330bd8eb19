"""The executor interface: run tasks somewhere, hand back their outcomes as they finish.

Call order, as a search drives it::

    shared = executor.share(big_object)          # optional: ship data once, not per task
    while work remains or executor.n_pending:
        while executor.free_slots() and work remains:
            executor.submit(fn, shared, ...)     # -> task id
        for outcome in executor.collect():       # blocks until at least one is done
            ...                                  # outcome.value, or outcome.error
    executor.shutdown()                          # or use the executor as a context manager

An exception raised by a task is data: it comes back as ``Outcome.error`` (with the
worker's formatted traceback) and the other tasks go on. Interrupts (Ctrl-C) and a
worker that dies are not data: they reach the caller. Executors know nothing of
samplers, storages or studies.
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

__all__ = ["Executor", "Outcome", "Shared"]

T = TypeVar("T")


@dataclass(frozen=True)
class Outcome:
    """What became of one submitted task.

    >>> Outcome(task_id=0, value=4).result()
    4
    """

    task_id: int
    value: Any = None
    #: The exception the task raised, or None when it returned.
    error: BaseException | None = None
    #: The task's traceback as text, formatted where it ran (None when it returned).
    traceback: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    def result(self) -> Any:
        """The task's return value; re-raises the task's exception if it failed."""
        if self.error is not None:
            raise self.error
        return self.value


class Shared(Generic[T]):
    """A handle to an object shipped to the workers once; tasks call ``get()``.

    The in-process handle simply holds the object.

    >>> Shared([1, 2]).get()
    [1, 2]
    """

    def __init__(self, obj: T) -> None:
        self._obj = obj

    def get(self) -> T:
        return self._obj


class Executor(abc.ABC):
    """Runs submitted callables and returns their outcomes as they complete.

    ``capacity`` bounds how many tasks may be submitted and not yet collected
    (scikit-learn's ``pre_dispatch``): it keeps memory flat however long the list of
    work is, while keeping every worker busy.
    """

    #: How many tasks run at the same time.
    n_workers: int = 1
    #: How many tasks may be in flight (submitted, not yet collected).
    capacity: int = 1
    #: Whether tasks run in the calling process (their arguments are not copied).
    in_process: bool = False

    @abc.abstractmethod
    def submit(self, fn: Callable[..., Any], /, *args: Any) -> int:
        """Queue ``fn(*args)``; return the task id its Outcome will carry."""

    @abc.abstractmethod
    def collect(self) -> list[Outcome]:
        """Block until at least one pending task is done; return every finished one.

        Returns an empty list only when nothing is pending.
        """

    @property
    @abc.abstractmethod
    def n_pending(self) -> int:
        """Tasks submitted and not yet collected."""

    def cancel(self, task_id: int) -> bool:
        """Drop a task that has not started; True when it will never run.

        A cancelled task's outcome is never collected. A task already running (or
        finished) is not stopped: False.
        """
        return False

    def free_slots(self) -> int:
        """How many more tasks ``submit`` takes before the capacity is reached."""
        return max(0, self.capacity - self.n_pending)

    def share(self, obj: T) -> Shared[T]:
        """A handle that ships ``obj`` to the workers once (in process: the object)."""
        return Shared(obj)

    def as_completed(self) -> Iterator[Outcome]:
        """Every pending task's outcome, in the order they finish."""
        while self.n_pending:
            yield from self.collect()

    def shutdown(self, *, kill: bool = False) -> None:
        """Cancel what has not started and release what this executor created.

        ``kill=True`` (after an interrupt) also stops tasks that are running.
        """

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()
