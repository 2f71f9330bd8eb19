"""Run tasks in worker processes: joblib's reusable loky pool, as scikit-learn does."""

from __future__ import annotations

import os
import pickle
import shutil
import tempfile
import traceback
import uuid
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, wait
from typing import Any, TypeVar

from joblib import cpu_count
from joblib.executor import get_memmapping_executor

from tunesmith.executors._base import Executor, Outcome, Shared
from tunesmith.executors._resources import limit_threads

__all__ = ["ProcessExecutor"]

T = TypeVar("T")

# What joblib limits in its workers, so that n workers x m BLAS threads never
# oversubscribe the machine (and so that a worker's numerics match joblib's).
_THREAD_VARS = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "BLIS_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "NUMBA_NUM_THREADS",
    "NUMEXPR_NUM_THREADS",
)
# Objects loaded from shared files, per worker process; a search shares one or two.
_LOADED: OrderedDict[str, Any] = OrderedDict()
_LOADED_MAX = 2


class _FileShared(Shared[T]):
    """A handle to an object pickled once to a file; each worker loads it once."""

    def __init__(self, path: str) -> None:
        self._path = path

    def get(self) -> T:
        obj = _LOADED.get(self._path)
        if obj is None:
            with open(self._path, "rb") as f:
                obj = pickle.load(f)  # written by cloudpickle, read by plain pickle
            _LOADED[self._path] = obj
            while len(_LOADED) > _LOADED_MAX:
                _LOADED.popitem(last=False)
        return obj

    def __getstate__(self) -> dict[str, Any]:
        return {"_path": self._path}  # never the object itself: that is the point


class ProcessExecutor(Executor):
    """Runs tasks in ``n_workers`` worker processes.

    Uses joblib's reusable loky executor, the pool scikit-learn's ``n_jobs`` uses:
    workers start once per Python session and are reused by later searches, and
    functions and arguments travel with cloudpickle (lambdas included). Each worker
    limits its BLAS/OpenMP threads to ``cpu_count() // n_workers`` like joblib does
    (``cpus_per_trial``, when given, through threadpoolctl too).
    Large inputs go through :meth:`share`: pickled once to a temporary file, loaded
    once per worker, instead of being pickled with every task.

    The pool is shared with joblib and outlives ``shutdown()``, which only cancels
    this executor's queued tasks and deletes its files (``kill=True`` also stops the
    workers, e.g. after Ctrl-C).

    >>> with ProcessExecutor(2) as ex:  # doctest: +SKIP
    ...     ids = [ex.submit(pow, 2, k) for k in range(3)]
    ...     sorted(o.value for o in ex.as_completed())
    [1, 2, 4]
    """

    def __init__(self, n_workers: int, *, capacity: int | None = None,
                 cpus_per_trial: int | None = None) -> None:
        if isinstance(n_workers, bool) or not isinstance(n_workers, int) or n_workers < 1:
            raise ValueError(f"n_workers must be a positive integer, got {n_workers!r}")
        if cpus_per_trial is not None and (isinstance(cpus_per_trial, bool) or not isinstance(
                cpus_per_trial, int) or cpus_per_trial < 1):
            raise ValueError(f"cpus_per_trial must be a positive integer or None, got "
                             f"{cpus_per_trial!r}")
        self.n_workers = n_workers
        self.cpus_per_trial = cpus_per_trial
        # Twice the workers keeps each one fed while its next task is being pickled.
        self.capacity = max(n_workers, capacity if capacity is not None else 2 * n_workers)
        threads = str(cpus_per_trial or max(cpu_count() // n_workers, 1))
        env = {var: os.environ.get(var, threads) for var in _THREAD_VARS}
        # joblib's own factory: the pool is the one joblib (and so scikit-learn's n_jobs)
        # reuses, and it must carry joblib's temporary-folder manager, or a plain
        # scikit-learn search after ours fails on the shared pool.
        self._pool = get_memmapping_executor(n_workers, env=env)
        self._futures: dict[Future[Any], int] = {}
        self._next_id = 0
        self._tmpdir: str | None = None

    def submit(self, fn: Callable[..., Any], /, *args: Any) -> int:
        task_id = self._next_id
        self._next_id += 1
        if self.cpus_per_trial is not None:  # also pools started before the env applied
            fn, args = limit_threads, (self.cpus_per_trial, fn, args)
        self._futures[self._pool.submit(_run_captured, fn, args)] = task_id
        return task_id

    def collect(self) -> list[Outcome]:
        if not self._futures:
            return []
        done, _ = wait(list(self._futures), return_when=FIRST_COMPLETED)
        outcomes = []
        for future in done:
            task_id = self._futures.pop(future)
            error = future.exception()
            if error is not None:  # the pool itself failed: a dead worker, unpicklable data
                outcomes.append(Outcome(task_id, error=error, traceback=_format(error)))
                continue
            ok, payload, text = future.result()
            if ok:
                outcomes.append(Outcome(task_id, payload))
            else:
                outcomes.append(Outcome(task_id, error=payload, traceback=text))
        outcomes.sort(key=lambda o: o.task_id)  # deterministic order within one wake-up
        return outcomes

    def cancel(self, task_id: int) -> bool:
        for future, queued_id in self._futures.items():
            if queued_id == task_id:
                if future.cancel():  # False once a worker has started it
                    del self._futures[future]
                    return True
                return False
        return False

    @property
    def n_pending(self) -> int:
        return len(self._futures)

    def share(self, obj: T) -> Shared[T]:
        if self._tmpdir is None:
            self._tmpdir = tempfile.mkdtemp(prefix="tunesmith-shared-")
        path = os.path.join(self._tmpdir, f"{uuid.uuid4().hex}.pkl")
        with open(path, "wb") as f:
            _pickler().dump(obj, f, protocol=pickle.HIGHEST_PROTOCOL)
        return _FileShared(path)

    def shutdown(self, *, kill: bool = False) -> None:
        for future in self._futures:
            future.cancel()
        self._futures.clear()
        if kill:
            self._pool.shutdown(wait=False, kill_workers=True)
        if self._tmpdir is not None:
            shutil.rmtree(self._tmpdir, ignore_errors=True)
            self._tmpdir = None


def _run_captured(fn: Callable[..., Any], args: tuple[Any, ...]) -> tuple[bool, Any, str | None]:
    """Run in a worker: a task's exception comes back as data, with its traceback."""
    try:
        return True, fn(*args), None
    except Exception as exc:
        return False, exc, traceback.format_exc()


def _pickler() -> Any:
    """cloudpickle when present (loky's choice too: lambdas and local classes travel)."""
    try:
        import cloudpickle
    except ImportError:  # pragma: no cover - joblib installs it
        return pickle
    return cloudpickle


def _format(error: BaseException) -> str:
    return "".join(traceback.format_exception(type(error), error, error.__traceback__))
