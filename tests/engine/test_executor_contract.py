"""One contract, every executor: what a search may rely on wherever its tasks run."""

from __future__ import annotations

import os
import signal
import time

import pytest

from tunesmith.executors import Executor, ProcessExecutor, SerialExecutor


def _square(x: int) -> int:
    return x * x


def _fail(message: str) -> None:
    raise ValueError(message)


def _sleep_then(x: int, seconds: float) -> int:
    time.sleep(seconds)
    return x


def _die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


@pytest.fixture(params=["serial", "processes"])
def executor(request: pytest.FixtureRequest) -> Executor:
    made: Executor = SerialExecutor(capacity=4) if request.param == "serial" else ProcessExecutor(2)
    yield made
    made.shutdown()


def test_every_outcome_comes_back_once_with_its_task_id(executor: Executor) -> None:
    ids = {executor.submit(_square, k): k for k in range(min(4, executor.capacity))}
    seen = {}
    for outcome in executor.as_completed():
        assert outcome.ok
        seen[outcome.task_id] = outcome.value
    assert seen == {task: k * k for task, k in ids.items()}
    assert executor.n_pending == 0 and executor.collect() == []


def test_a_task_that_raises_is_data_and_the_others_go_on(executor: Executor) -> None:
    bad = executor.submit(_fail, "no luck")
    good = executor.submit(_square, 3)
    outcomes = {o.task_id: o for o in executor.as_completed()}
    assert isinstance(outcomes[bad].error, ValueError)
    assert "no luck" in str(outcomes[bad].error)
    assert "_fail" in (outcomes[bad].traceback or "")  # formatted where it ran
    with pytest.raises(ValueError, match="no luck"):
        outcomes[bad].result()
    assert outcomes[good].result() == 9


def test_free_slots_follow_the_capacity(executor: Executor) -> None:
    assert executor.free_slots() == executor.capacity
    executor.submit(_square, 1)
    assert executor.free_slots() == executor.capacity - 1
    list(executor.as_completed())
    assert executor.free_slots() == executor.capacity


def test_a_queued_task_can_be_cancelled_and_never_comes_back(executor: Executor) -> None:
    # Fill every worker with a slow task, so that the last one waits in the queue.
    slow = [executor.submit(_sleep_then, k, 0.5) for k in range(executor.n_workers)]
    queued = executor.submit(_square, 7)
    # A pool may already have handed the task to a worker's queue: then it cannot be
    # cancelled, and must come back like any other. A cancelled one never comes back.
    cancelled = executor.cancel(queued)
    assert cancelled or executor.in_process is False
    expected = set(slow) if cancelled else {*slow, queued}
    assert {o.task_id for o in executor.as_completed()} == expected
    assert not executor.cancel(slow[0])  # finished: nothing to cancel


def test_shutdown_with_work_queued_drops_it(executor: Executor) -> None:
    for k in range(executor.capacity):
        executor.submit(_sleep_then, k, 0.2)
    executor.shutdown()
    assert executor.n_pending == 0 and executor.collect() == []


@pytest.mark.slow  # kills a worker process
def test_a_killed_worker_process_is_reported_not_hung() -> None:
    with ProcessExecutor(2) as executor:
        dead = executor.submit(_die)
        outcomes = list(executor.as_completed())
        assert [o.task_id for o in outcomes] == [dead]
        assert outcomes[0].error is not None  # the pool says the worker died
    # The pool is rebuilt for the next search.
    with ProcessExecutor(2) as executor:
        executor.submit(_square, 5)
        assert [o.value for o in executor.as_completed()] == [25]


def test_serial_tasks_run_in_this_process_and_process_tasks_do_not() -> None:
    with SerialExecutor() as serial, ProcessExecutor(2) as pool:
        serial.submit(os.getpid)
        pool.submit(os.getpid)
        assert [o.value for o in serial.as_completed()] == [os.getpid()]
        assert [o.value for o in pool.as_completed()] != [os.getpid()]
        assert serial.in_process and not pool.in_process


@pytest.mark.slow  # starts process pools
def test_joblib_and_scikit_learn_still_use_the_shared_pool_after_ours() -> None:
    from sklearn.datasets import make_classification
    from sklearn.model_selection import GridSearchCV
    from sklearn.tree import DecisionTreeClassifier

    with ProcessExecutor(2) as executor:
        executor.submit(_square, 2)
        assert [o.value for o in executor.as_completed()] == [4]
    X, y = make_classification(n_samples=60, random_state=0)
    search = GridSearchCV(DecisionTreeClassifier(random_state=0), {"max_depth": [1, 2]}, cv=2,
                          n_jobs=2).fit(X, y)
    assert len(search.cv_results_["params"]) == 2
