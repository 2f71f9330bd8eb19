"""Run each task with its own GPUs: one worker process per group of devices.

CUDA reads ``CUDA_VISIBLE_DEVICES`` once, when a process first touches the GPU, so a
pool that reuses workers cannot move a worker from one device to another. Here each
group of ``gpus_per_trial`` devices gets its own worker process, started with only those
devices visible (and its thread pools limited to ``cpus_per_trial``), and runs one task
at a time: concurrent trials never share a device. A task that fails gives its devices
back with its outcome; a worker that dies is replaced by a fresh one on the same
devices.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import traceback
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from typing import Any

from tunesmith.executors._base import Executor, Outcome
from tunesmith.executors._processes import _THREAD_VARS, _pickler, _run_captured
from tunesmith.executors._resources import DevicePool, limit_threads, visible_gpus

__all__ = ["DeviceExecutor"]


class DeviceExecutor(Executor):
    """Runs tasks in worker processes that each see only their own GPUs.

    ``devices`` are the GPU ids to share out (default: :func:`visible_gpus`, from
    ``CUDA_VISIBLE_DEVICES`` or ``nvidia-smi -L``); every ``gpus_per_trial`` of them make
    one worker. ``cpus_per_trial`` limits each task's BLAS / OpenMP threads.

    >>> ex = DeviceExecutor(gpus_per_trial=2, devices=["0", "1", "2", "3"])
    >>> ex.n_workers, ex.groups
    (2, [('0', '1'), ('2', '3')])
    >>> ex.shutdown()
    """

    def __init__(self, *, gpus_per_trial: int = 1, cpus_per_trial: int | None = None,
                 devices: Sequence[str] | None = None) -> None:
        if cpus_per_trial is not None and (isinstance(cpus_per_trial, bool) or not isinstance(
                cpus_per_trial, int) or cpus_per_trial < 1):
            raise ValueError(f"cpus_per_trial must be a positive integer or None, got "
                             f"{cpus_per_trial!r}")
        pool = DevicePool(visible_gpus() if devices is None else devices, gpus_per_trial)
        self.groups: list[tuple[str, ...]] = []
        while (group := pool.acquire()) is not None:
            self.groups.append(group)
        self.cpus_per_trial = cpus_per_trial
        self.n_workers = self.capacity = len(self.groups)
        self._workers: list[ProcessPoolExecutor | None] = [None] * len(self.groups)
        self._busy: dict[Future[Any], tuple[int, int]] = {}  # future -> (task id, group)
        self._next_id = 0

    def _worker(self, group: int) -> ProcessPoolExecutor:
        worker = self._workers[group]
        if worker is None:
            env = {"CUDA_VISIBLE_DEVICES": ",".join(self.groups[group])}
            if self.cpus_per_trial is not None:
                env.update({var: str(self.cpus_per_trial) for var in _THREAD_VARS})
            # Spawned, never forked: nothing of this process (CUDA included) is inherited.
            worker = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"),
                                         initializer=_set_env, initargs=(env,))
            self._workers[group] = worker
        return worker

    def submit(self, fn: Callable[..., Any], /, *args: Any) -> int:
        busy = {group for _, group in self._busy.values()}
        free = [g for g in range(len(self.groups)) if g not in busy]
        if not free:
            raise RuntimeError("every device group is busy: submit only while free_slots()")
        task_id = self._next_id
        self._next_id += 1
        payload = _pickler().dumps((fn, args), protocol=pickle.HIGHEST_PROTOCOL)
        future = self._worker(free[0]).submit(_run_on_devices, payload, self.cpus_per_trial)
        self._busy[future] = (task_id, free[0])
        return task_id

    def collect(self) -> list[Outcome]:
        if not self._busy:
            return []
        done, _ = wait(list(self._busy), return_when=FIRST_COMPLETED)
        outcomes = []
        for future in done:
            task_id, group = self._busy.pop(future)  # the group's devices are free again
            error = future.exception()
            if error is not None:  # the worker died: a fresh one for the next task
                broken = self._workers[group]
                self._workers[group] = None
                if broken is not None:
                    broken.shutdown(wait=False, cancel_futures=True)
                outcomes.append(Outcome(task_id, error=error, traceback=_format(error)))
                continue
            ok, value, text = future.result()
            outcomes.append(Outcome(task_id, value) if ok
                            else Outcome(task_id, error=value, traceback=text))
        outcomes.sort(key=lambda o: o.task_id)
        return outcomes

    @property
    def n_pending(self) -> int:
        return len(self._busy)

    def shutdown(self, *, kill: bool = False) -> None:
        for future in self._busy:
            future.cancel()
        self._busy.clear()
        for index, worker in enumerate(self._workers):
            if worker is not None:
                if kill:
                    for process in list(getattr(worker, "_processes", {}).values()):
                        process.kill()
                worker.shutdown(wait=not kill, cancel_futures=True)
                self._workers[index] = None


def _set_env(env: dict[str, str]) -> None:
    """The worker's first act, before any import can touch the GPU."""
    os.environ.update(env)


def _run_on_devices(payload: bytes, cpus: int | None) -> tuple[bool, Any, str | None]:
    """In the device worker: the task, its thread pools limited."""
    fn, args = pickle.loads(payload)  # written by cloudpickle in our own parent
    return _run_captured(limit_threads, (cpus, fn, args))


def _format(error: BaseException) -> str:
    return "".join(traceback.format_exception(type(error), error, error.__traceback__))
