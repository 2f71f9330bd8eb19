"""``[search] gpus_per_trial`` and ``cpus_per_trial``: what each trial of a native study
may use, and the executor that enforces it.

With ``gpus_per_trial`` the trials run in one worker process per group of GPUs of this
host (``CUDA_VISIBLE_DEVICES``), or, with ``executor``, on Dask workers that have the
``GPU`` resource; ``cpus_per_trial`` caps each trial's BLAS / OpenMP threads wherever
it runs. Neither changes the results, so neither is part of the study's fingerprint. A
list-form grid or random search runs scikit-learn's drop-in, whose tasks are folds, not
trials: there the keys are refused.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from tunesmith.cli._config import ConfigError

__all__ = ["PerTrial", "trials_run_on"]


@dataclass(frozen=True)
class PerTrial:
    """What one trial may use; None: no limit.

    >>> PerTrial.of(None), bool(PerTrial(gpus=1))
    (PerTrial(gpus=None, cpus=None), True)
    """

    gpus: int | None = None
    cpus: int | None = None

    @classmethod
    def of(cls, search: Any) -> PerTrial:
        """From the study file's ``[search]`` settings (None: nothing set)."""
        if search is None:
            return cls()
        return cls(search.gpus_per_trial, search.cpus_per_trial)

    def __bool__(self) -> bool:
        return self.gpus is not None or self.cpus is not None

    def check(self, *, n_jobs: int, address: str | None, drop_in: bool) -> None:
        """Refuse what cannot work, before any storage is touched (one line each)."""
        key = "gpus_per_trial" if self.gpus is not None else "cpus_per_trial"
        if self and drop_in:
            raise ConfigError(
                f"search.{key}",
                f"{key} needs a native study: a grid or random search whose [space] "
                "entries are all lists runs scikit-learn's drop-in, whose tasks are "
                f"folds; use strategy = \"tpe\" or ranges in [space], or remove {key}")
        if self.cpus is not None and n_jobs != 1:
            raise ConfigError(
                "search.cpus_per_trial",
                f"cpus_per_trial caps the threads of a trial whose folds run one after "
                f"another; with n_jobs = {n_jobs} (search.n_jobs or --n-jobs) they run in "
                "processes that joblib caps itself: set n_jobs to 1, or remove "
                "cpus_per_trial")
        if self.gpus is not None and address is None:
            from tunesmith.executors import visible_gpus

            seen = visible_gpus()
            if len(seen) < self.gpus:
                raise ConfigError(
                    "search.gpus_per_trial",
                    f"gpus_per_trial = {self.gpus}, but {len(seen)} GPUs are visible on "
                    f"this host ({', '.join(seen) or 'none'}); set CUDA_VISIBLE_DEVICES to "
                    "the GPUs to share out, name a Dask cluster in executor, or remove "
                    "gpus_per_trial")


@contextlib.contextmanager
def trials_run_on(address: str | None, per_trial: PerTrial) -> Iterator[Any]:
    """What ``Study.optimize(executor=...)`` gets: the Dask address as it is, or an
    executor made (and shut down) here that enforces ``per_trial``.

    >>> with trials_run_on(None, PerTrial(cpus=2)) as runner:
    ...     type(runner).__name__, runner.cpus_per_trial
    ('SerialExecutor', 2)
    """
    if not per_trial:
        yield address
        return
    from tunesmith.executors import DaskExecutor, DeviceExecutor, Executor, SerialExecutor

    gpus, cpus = per_trial.gpus, per_trial.cpus
    runner: Executor
    if address is not None:
        try:
            runner = DaskExecutor(address, resources=None if gpus is None else {"GPU": gpus},
                                  cpus_per_trial=cpus)
        except ValueError as exc:  # no worker has the GPUs: the tasks would wait for ever
            raise ConfigError("search.gpus_per_trial", str(exc)) from None
    elif gpus is not None:
        runner = DeviceExecutor(gpus_per_trial=gpus, cpus_per_trial=cpus)
    else:
        runner = SerialExecutor(cpus_per_trial=cpus)
    with runner:
        yield runner
