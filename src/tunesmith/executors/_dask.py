"""Run tasks on a Dask cluster (``dask.distributed``, the optional ``dask`` extra).

The executor keeps at most one task per worker thread on the cluster and the rest in
a local queue: a queued task can be cancelled for sure (it never left this process),
one on the cluster comes back like any other (Dask cannot say whether it started).
Shared data is scattered to every worker once; a task that names it gets the
worker's copy, never a copy pickled with the task. A callable argument (a study's
objective, with the data it holds) is scattered once too, the first time a task
names it, and every later task gets the worker's copy.
"""

from __future__ import annotations

import traceback
from collections import OrderedDict, deque
from collections.abc import Callable
from typing import Any, TypeVar

from tunesmith.executors._base import Executor, Outcome, Shared
from tunesmith.executors._processes import _run_captured
from tunesmith.executors._resources import limit_threads

__all__ = ["DaskExecutor", "dask_client_of"]

T = TypeVar("T")

_CALLABLES_KEPT = 8  # a study has one objective; a few more cost nothing
_INSTALL = 'the Dask executor needs dask.distributed: pip install "tunesmith[dask]"'


def _distributed() -> Any:
    try:
        import distributed
    except ImportError as exc:  # the optional extra
        raise ImportError(_INSTALL) from exc
    return distributed


def dask_client_of(backend: Any) -> Any:
    """The ``Client`` behind an active joblib backend, when it is joblib's Dask backend.

    >>> dask_client_of(object()) is None
    True
    """
    client = getattr(backend, "client", None)
    if client is None or type(client).__name__ != "Client":
        return None
    return client


class _DaskShared(Shared[T]):
    """A handle to data scattered on the cluster; the task receives the worker's copy."""

    def __init__(self, future: Any) -> None:
        self._future = future

    def get(self) -> T:  # pragma: no cover - replaced by the data before a task runs
        raise RuntimeError("a Dask shared handle is resolved by its executor's submit")


class DaskExecutor(Executor):
    """Runs tasks on the workers of a Dask cluster.

    ``client`` is a ``distributed.Client`` or a scheduler address (``"tcp://host:8786"``);
    a client made here from an address is closed by :meth:`shutdown`, one passed in is
    left open (the caller owns it). ``resources`` are Dask worker resources each task
    needs (``{"GPU": 1}``: start workers with ``--resources GPU=1``), so the scheduler
    never runs more tasks on a worker than it has of them; ``cpus_per_trial`` limits each
    task's BLAS / OpenMP threads. A callable argument is sent to the cluster once and
    reused by later tasks: one changed in place afterwards is not seen there.

    >>> DaskExecutor("not an address")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: executor must be a dask.distributed Client or a scheduler address ...
    """

    def __init__(self, client: Any, *, capacity: int | None = None,
                 resources: dict[str, float] | None = None,
                 cpus_per_trial: int | None = None) -> None:
        if isinstance(client, str):
            if "://" not in client:
                raise ValueError(
                    f"executor must be a dask.distributed Client or a scheduler address "
                    f"such as 'tcp://127.0.0.1:8786', got {client!r}")
            client = _distributed().Client(client)
            self._owns_client = True
        elif type(client).__name__ == "Client" and hasattr(client, "submit"):
            self._owns_client = False
        else:
            raise ValueError(
                f"executor must be a dask.distributed Client or a scheduler address such "
                f"as 'tcp://127.0.0.1:8786', got {type(client).__name__} {client!r:.60}")
        self.client = client
        self.resources = dict(resources) if resources else None
        if self.resources:
            try:
                _check_resources(client, self.resources)
            except ValueError:
                if self._owns_client:
                    client.close()
                raise
        self.cpus_per_trial = cpus_per_trial
        threads = sum(client.nthreads().values()) or 1
        self.n_workers = threads
        self.capacity = max(threads, capacity if capacity is not None else 2 * threads)
        self._queue: deque[tuple[int, Callable[..., Any], tuple[Any, ...]]] = deque()
        self._futures: dict[Any, int] = {}  # on the cluster -> task id
        self._next_id = 0
        self._shared: list[Any] = []  # scattered data stays alive while we may use it
        # Callable arguments scattered, the most recent last: id -> (the object, kept so
        # that its id is never reused while cached; its future).
        self._callables: OrderedDict[int, tuple[Any, Any]] = OrderedDict()

    def submit(self, fn: Callable[..., Any], /, *args: Any) -> int:
        task_id = self._next_id
        self._next_id += 1
        self._queue.append((task_id, fn, args))
        self._feed()
        return task_id

    def _feed(self) -> None:
        while self._queue and len(self._futures) < self.n_workers:
            task_id, fn, args = self._queue.popleft()
            # A scattered future among the arguments becomes the worker's copy of it.
            sent = tuple(self._sent(a) for a in args)
            wrapped = tuple(i for i, a in enumerate(args) if isinstance(a, _DaskShared))
            future = self.client.submit(_run_resolved, fn, sent, wrapped,
                                        self.cpus_per_trial, pure=False,
                                        resources=self.resources)
            self._futures[future] = task_id

    def _sent(self, arg: Any) -> Any:
        """What travels for one argument: a future for shared data and for a callable
        (scattered on first use), the argument itself otherwise."""
        if isinstance(arg, _DaskShared):
            return arg._future
        if not callable(arg) or isinstance(arg, type):
            return arg
        cached = self._callables.get(id(arg))
        if cached is None:
            cached = (arg, self.client.scatter(arg, broadcast=True, hash=False))
            self._callables[id(arg)] = cached
            # A caller that makes a new callable per task must not pile them up: the
            # oldest is let go (Dask keeps it while a submitted task still needs it).
            while len(self._callables) > _CALLABLES_KEPT:
                self._callables.popitem(last=False)
        else:
            self._callables.move_to_end(id(arg))
        return cached[1]

    def collect(self) -> list[Outcome]:
        self._feed()
        if not self._futures:
            return []
        done, _ = _distributed().wait(list(self._futures), return_when="FIRST_COMPLETED")
        outcomes = []
        for future in done:
            task_id = self._futures.pop(future)
            if future.status != "finished":  # a worker died too often, or was cancelled
                error = future.exception() if future.status == "error" else RuntimeError(
                    f"the Dask task was {future.status}")
                outcomes.append(Outcome(task_id, error=error, traceback=_format(error)))
                continue
            ok, payload, text = future.result()
            outcomes.append(Outcome(task_id, payload) if ok
                            else Outcome(task_id, error=payload, traceback=text))
        self._feed()
        outcomes.sort(key=lambda o: o.task_id)
        return outcomes

    def cancel(self, task_id: int) -> bool:
        for item in self._queue:
            if item[0] == task_id:
                self._queue.remove(item)
                return True
        return False  # on the cluster: it may have started; it comes back

    @property
    def n_pending(self) -> int:
        return len(self._queue) + len(self._futures)

    def share(self, obj: T) -> Shared[T]:
        future = self.client.scatter(obj, broadcast=True, hash=False)
        self._shared.append(future)
        return _DaskShared(future)

    def shutdown(self, *, kill: bool = False) -> None:
        self._queue.clear()
        if self._futures:
            self.client.cancel(list(self._futures))
            self._futures.clear()
        if self._shared:
            self.client.cancel(self._shared)
            self._shared.clear()
        if self._callables:
            self.client.cancel([future for _, future in self._callables.values()])
            self._callables.clear()
        if self._owns_client:
            self.client.close()


def _check_resources(client: Any, needed: dict[str, float]) -> None:
    """Tasks that need what no worker has would wait for ever: refuse them at once.

    A cluster without workers yet passes (they may join later).
    """
    workers = client.scheduler_info().get("workers", {})
    if not workers or any(
            all(info.get("resources", {}).get(name, 0) >= amount
                for name, amount in needed.items())
            for info in workers.values()):
        return
    wanted = " ".join(f"{name}={amount:g}" for name, amount in needed.items())
    raise ValueError(
        f"no worker of the Dask cluster has the resources each task needs ({wanted}); "
        f"start the workers with `dask worker ADDRESS --resources {wanted}`")


def _run_resolved(fn: Callable[..., Any], args: tuple[Any, ...], wrapped: tuple[int, ...],
                  cpus: int | None) -> tuple[bool, Any, str | None]:
    """On a worker: shared data (resolved by Dask) handed to the task as a Shared, its
    thread pools limited to ``cpus``."""
    args = tuple(Shared(a) if i in wrapped else a for i, a in enumerate(args))
    return _run_captured(limit_threads, (cpus, fn, args))


def _format(error: BaseException) -> str:
    return "".join(traceback.format_exception(type(error), error, error.__traceback__))
