"""Resources per trial: disjoint GPUs for concurrent trials, bounded CPU threads.

No GPU is needed: the device ids are given explicitly (they are only names to the
assignment logic, which is real). Each task holds a lock file per device it was given
(``flock``: a second live holder fails at once), so a device handed to two running
tasks at once would show as an error, whatever the timing.
"""

from __future__ import annotations

import fcntl
import os
import signal
import time

import pytest

from tunesmith.executors import DeviceExecutor, DevicePool, ProcessExecutor


def test_the_pool_never_hands_a_device_out_twice_and_takes_it_back() -> None:
    pool = DevicePool(["0", "1", "2", "3", "4"], per_task=2)
    first, second = pool.acquire(), pool.acquire()
    assert (first, second, pool.acquire(), pool.slots) == (("0", "1"), ("2", "3"), None, 0)
    pool.release(first)
    assert pool.acquire() == ("0", "1")
    with pytest.raises(ValueError, match="device '2' was not handed out"):
        pool.release(["2", "2"])
    with pytest.raises(ValueError, match=r"gpus_per_trial=3 needs at least 3 GPUs, but 2 "
                                         r"are visible \(0, 1\)"):
        DevicePool(["0", "1"], per_task=3)


def _hold(devices_dir: str, seconds: float, then: str) -> str:
    """Hold a lock on each visible device for a while; fail or die if asked to.

    ``flock`` locks: the kernel drops them when the holder dies, so a SIGKILLed task
    leaves none behind, and a second live holder cannot take one (it fails at once).
    """
    devices = os.environ["CUDA_VISIBLE_DEVICES"].split(",")
    files = [open(os.path.join(devices_dir, f"gpu-{d}"), "w") for d in devices]  # noqa: SIM115
    try:
        for f in files:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)  # BlockingIOError if shared
        if then == "die":
            os.kill(os.getpid(), signal.SIGKILL)
        time.sleep(seconds)
        if then == "fail":
            raise RuntimeError("out of memory, say")
    finally:
        for f in files:
            f.close()
    return os.environ["CUDA_VISIBLE_DEVICES"]


@pytest.mark.slow
def test_concurrent_tasks_get_disjoint_devices_also_after_failures_and_kills(tmp_path) -> None:
    ex = DeviceExecutor(gpus_per_trial=2, devices=["0", "1", "2", "3", "4"])
    assert ex.groups == [("0", "1"), ("2", "3")] and ex.capacity == 2
    plan = ["ok", "fail", "ok", "die", "ok", "ok", "fail", "ok"]
    outcomes, todo = {}, list(enumerate(plan))
    ids: dict[int, int] = {}
    try:
        while todo or ex.n_pending:
            while todo and ex.free_slots():
                index, then = todo.pop(0)
                ids[ex.submit(_hold, str(tmp_path), 0.3, then)] = index
            for outcome in ex.collect():
                outcomes[ids[outcome.task_id]] = outcome
    finally:
        ex.shutdown()
    for index, then in enumerate(plan):
        outcome = outcomes[index]
        if then == "ok":
            assert outcome.ok and outcome.value in ("0,1", "2,3"), outcome
        elif then == "fail":
            assert isinstance(outcome.error, RuntimeError)
        else:
            assert outcome.error is not None  # the worker died: reported, not hung
    # Both device groups kept working after their failures and the kill.
    assert {outcomes[i].value for i, then in enumerate(plan) if then == "ok"} == {"0,1", "2,3"}


def _blas_threads() -> list[int]:
    import numpy  # noqa: F401 - loads the BLAS library threadpoolctl reports
    from threadpoolctl import threadpool_info

    return [pool["num_threads"] for pool in threadpool_info()]


def test_cpus_per_trial_limits_the_thread_pools_of_a_task() -> None:
    with ProcessExecutor(1, cpus_per_trial=1) as ex:
        ex.submit(_blas_threads)
        (outcome,) = list(ex.as_completed())
    assert outcome.value and set(outcome.value) == {1}
    with pytest.raises(ValueError, match="cpus_per_trial must be a positive integer or None, "
                                         "got 0"):
        ProcessExecutor(2, cpus_per_trial=0)


def _seen_device(trial) -> float:
    trial.set_attr("pid", os.getpid())
    return float(os.environ["CUDA_VISIBLE_DEVICES"])


@pytest.mark.slow
def test_a_study_on_the_device_executor_gives_each_trial_one_device() -> None:
    import tunesmith

    study = tunesmith.Study(space={"i": list(range(8))}, sampler="grid")
    with DeviceExecutor(gpus_per_trial=1, devices=["0", "1"]) as ex:
        study.optimize(_seen_device, executor=ex)
    seen = {(t.value, t.attrs["pid"]) for t in study.trials}
    assert len(study.trials) == 8 and {value for value, _ in seen} == {0.0, 1.0}
    # One worker process per device: a device is always seen by the same process.
    assert len({pid for _, pid in seen}) == 2 and os.getpid() not in {p for _, p in seen}
