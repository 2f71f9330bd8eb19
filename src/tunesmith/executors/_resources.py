"""What a trial may use: its own GPUs, and a bounded number of CPU threads.

A :class:`DevicePool` hands each running task its own devices and takes them back when
the task is over, however it ended. :func:`limit_threads` runs a task with BLAS and
OpenMP thread pools limited (threadpoolctl), so that a fit inside a worker does not
start a thread per core while other trials run beside it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable, Sequence
from typing import Any

__all__ = ["DevicePool", "limit_threads", "visible_gpus"]


def visible_gpus() -> list[str]:
    """The GPU ids this process may use: ``CUDA_VISIBLE_DEVICES``, else ``nvidia-smi -L``.

    >>> import os
    >>> before = os.environ.get("CUDA_VISIBLE_DEVICES")
    >>> os.environ["CUDA_VISIBLE_DEVICES"] = "2,3"
    >>> visible_gpus()
    ['2', '3']
    >>> _ = os.environ.pop("CUDA_VISIBLE_DEVICES") if before is None else (
    ...     os.environ.update(CUDA_VISIBLE_DEVICES=before))
    """
    given = os.environ.get("CUDA_VISIBLE_DEVICES")
    if given is not None:
        return [d.strip() for d in given.split(",") if d.strip() and d.strip() != "-1"]
    smi = shutil.which("nvidia-smi")
    if smi is None:
        return []
    try:
        listed = subprocess.run([smi, "-L"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return []
    lines = [line for line in listed.stdout.splitlines() if line.startswith("GPU ")]
    return [line.split()[1].rstrip(":") for line in lines]


class DevicePool:
    """Devices handed out ``per_task`` at a time, never the same one to two tasks.

    >>> pool = DevicePool(["0", "1", "2"], per_task=2)
    >>> first = pool.acquire(); first, pool.acquire()
    (('0', '1'), None)
    >>> pool.release(first); pool.acquire()
    ('0', '1')
    """

    def __init__(self, devices: Sequence[str], per_task: int) -> None:
        if isinstance(per_task, bool) or not isinstance(per_task, int) or per_task < 1:
            raise ValueError(f"gpus_per_trial must be a positive integer, got {per_task!r}")
        devices = [str(d) for d in devices]
        if len(set(devices)) != len(devices):
            raise ValueError(f"devices must be distinct, got {devices!r}")
        if len(devices) < per_task:
            raise ValueError(
                f"gpus_per_trial={per_task} needs at least {per_task} GPUs, but "
                f"{len(devices)} are visible ({', '.join(devices) or 'none'}); set "
                "CUDA_VISIBLE_DEVICES or pass devices=[...]")
        self.per_task = per_task
        self._free = list(devices)
        self._all = frozenset(devices)

    @property
    def slots(self) -> int:
        """How many more tasks can get their devices now."""
        return len(self._free) // self.per_task

    def acquire(self) -> tuple[str, ...] | None:
        """Devices for one task, or None when too few are free."""
        if len(self._free) < self.per_task:
            return None
        taken, self._free = self._free[:self.per_task], self._free[self.per_task:]
        return tuple(taken)

    def release(self, devices: Sequence[str]) -> None:
        """Give a task's devices back (it finished, failed or was killed)."""
        seen: set[str] = set()
        for device in devices:
            if device not in self._all or device in self._free or device in seen:
                raise ValueError(f"device {device!r} was not handed out by this pool")
            seen.add(device)
        self._free = sorted([*self._free, *devices], key=self._order)

    def _order(self, device: str) -> tuple[int, str]:
        return (int(device), device) if device.isdigit() else (1 << 30, device)


def limit_threads(cpus: int | None, fn: Callable[..., Any], args: tuple[Any, ...]) -> Any:
    """``fn(*args)`` with BLAS / OpenMP pools limited to ``cpus`` threads (None: as is).

    >>> limit_threads(1, sum, ([1, 2],))
    3
    """
    if cpus is None:
        return fn(*args)
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=cpus):
        return fn(*args)
