"""The Dask executor against a real cluster: a 2-worker ``LocalCluster`` of processes.

One cluster per module (it takes a few seconds to start). A grid through it gives the
trials of a serial run; ``GridSearchCV`` under ``joblib.parallel_backend("dask")`` gives
scikit-learn's serial scores, its folds running on the cluster; shared data reaches each
worker once; the executor contract (tests/engine/test_executor_contract.py) holds.
"""

from __future__ import annotations

import importlib.util
import inspect
import os
import sys
from pathlib import Path

import joblib
import pytest

distributed = pytest.importorskip("distributed")

import cloudpickle  # noqa: E402
from sklearn.datasets import load_iris  # noqa: E402
from sklearn.model_selection import GridSearchCV as SkGridSearchCV  # noqa: E402
from sklearn.svm import SVC  # noqa: E402

import tunesmith  # noqa: E402
from tunesmith.executors import DaskExecutor, make_executor  # noqa: E402
from tunesmith.sklearn import GridSearchCV, TPESearchCV  # noqa: E402

_spec = importlib.util.spec_from_file_location(
    "_executor_contract", Path(__file__).parent.parent / "engine" / "test_executor_contract.py")
assert _spec is not None and _spec.loader is not None
contract = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = contract
_spec.loader.exec_module(contract)
# The contract's tasks and this module's travel by value: workers cannot import them.
cloudpickle.register_pickle_by_value(contract)
cloudpickle.register_pickle_by_value(sys.modules[__name__])

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def client():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as made:
        yield made


def _objective(trial: tunesmith.Trial) -> float:
    return trial.params["a"] * 10 + trial.params["b"] + os.getpid() * 0


SPACE = {"a": list(range(6)), "b": [0.25, 0.5, 0.75]}


def _rows(study: tunesmith.Study) -> list:
    return [(t.number, t.candidate, t.params, t.value, t.state) for t in study.trials]


def test_a_grid_through_the_cluster_gives_the_serial_trials(client) -> None:
    serial = tunesmith.Study(space=SPACE, sampler="grid")
    serial.optimize(_objective)
    on_dask = tunesmith.Study(space=SPACE, sampler="grid")
    on_dask.optimize(_objective, executor=client)
    assert _rows(on_dask) == _rows(serial)
    assert sorted(t.candidate for t in on_dask.trials) == list(range(18))
    # ... and by address, through a client the study makes and closes.
    pids = tunesmith.Study(space={"x": list(range(8))}, sampler="grid")
    pids.optimize(lambda t: os.getpid(), executor=client.scheduler.address)
    workers = set(client.run(os.getpid).values())
    assert {t.value for t in pids.trials} <= workers and os.getpid() not in workers


def test_grid_search_cv_under_the_dask_backend_gives_scikit_learns_scores(client) -> None:
    X, y = load_iris(return_X_y=True)
    grid = {"C": [0.1, 1.0, 10.0], "gamma": [0.1, 1.0]}
    expected = SkGridSearchCV(SVC(), grid, cv=3).fit(X, y).cv_results_
    with distributed.get_task_stream(client) as stream, joblib.parallel_backend("dask"):
        ours = GridSearchCV(SVC(), grid, cv=3).fit(X, y)
    for key in ("mean_test_score", "split0_test_score", "split2_test_score", "rank_test_score"):
        assert list(ours.cv_results_[key]) == list(expected[key]), key
    folds = [t for t in stream.data if t["key"].startswith("_run_resolved")]
    assert len(folds) == 6 * 3  # every fold ran on the cluster


@pytest.mark.parametrize("by", ["client", "address"])
def test_drop_ins_take_an_executor_and_give_scikit_learns_scores(client, by: str) -> None:
    # executor= on the search itself, no joblib backend around it: a Client, or the
    # scheduler's address (the search opens and closes its own client).
    X, y = load_iris(return_X_y=True)
    grid = {"C": [0.1, 1.0, 10.0], "gamma": [0.1, 1.0]}
    expected = SkGridSearchCV(SVC(), grid, cv=3).fit(X, y).cv_results_
    executor = client if by == "client" else client.scheduler.address
    with distributed.get_task_stream(client) as stream:
        ours = GridSearchCV(SVC(), grid, cv=3, executor=executor).fit(X, y)
    for key in ("mean_test_score", "split0_test_score", "split2_test_score", "rank_test_score"):
        assert list(ours.cv_results_[key]) == list(expected[key]), key
    folds = [t for t in stream.data if t["key"].startswith("_run_resolved")]
    assert len(folds) == 6 * 3  # every fold ran on the cluster
    assert client.status == "running"  # a client passed in stays the caller's
    assert ours.get_params()["executor"] is executor  # a scikit-learn parameter


def test_a_model_based_search_runs_its_folds_on_the_executor_too(client) -> None:
    X, y = load_iris(return_X_y=True)
    space = {"C": tunesmith.Float(0.01, 100.0, log=True)}
    serial = TPESearchCV(SVC(), space, n_iter=6, cv=3, random_state=0).fit(X, y)
    with distributed.get_task_stream(client) as stream:
        ours = TPESearchCV(SVC(), space, n_iter=6, cv=3, random_state=0,
                           executor=client).fit(X, y)
    assert list(ours.cv_results_["params"]) == list(serial.cv_results_["params"])
    assert list(ours.cv_results_["mean_test_score"]) == \
        list(serial.cv_results_["mean_test_score"])
    assert len([t for t in stream.data if t["key"].startswith("_run_resolved")]) == 6 * 3


class _CountedLoad:
    """Data that appends a line to a file each time it is unpickled (on a worker)."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.payload = list(range(100_000))

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        with open(self.path, "a") as f:
            f.write(f"{os.getpid()}\n")


def _length(shared) -> int:
    return len(shared.get().payload)


def test_shared_data_reaches_each_worker_once_not_each_task(client, tmp_path) -> None:
    log = tmp_path / "loads"
    with DaskExecutor(client) as executor:
        shared = executor.share(_CountedLoad(str(log)))
        for _ in range(24):
            executor.submit(_length, shared)
        assert [o.value for o in executor.as_completed()] == [100_000] * 24
    # Shipped with each task, it would be loaded 24 times. Dask loads a worker's copy
    # once, and now and then a second time when it moves data between its workers.
    loads = log.read_text().split()
    assert 1 <= len(loads) <= 4, loads


class _HoldsData:
    """An objective that holds data, as a study's objective holds its X and y."""

    def __init__(self, data: _CountedLoad) -> None:
        self.data = data

    def __call__(self, trial: tunesmith.Trial) -> float:
        return trial.params["x"] + len(self.data.payload) * 0


def test_a_study_sends_its_objective_and_data_to_each_worker_once(client, tmp_path) -> None:
    log = tmp_path / "loads"
    study = tunesmith.Study(space={"x": list(range(24))}, sampler="grid")
    study.optimize(_HoldsData(_CountedLoad(str(log))), executor=client)
    assert sorted(t.value for t in study.trials) == list(range(24))
    # Pickled with each trial, the data would be loaded at least 24 times.
    loads = log.read_text().split()
    assert 1 <= len(loads) <= 4, loads


def test_make_executor_follows_the_dask_backend_and_an_explicit_n_jobs_1(client) -> None:
    with joblib.parallel_backend("dask"):
        assert isinstance(make_executor(None), DaskExecutor)
        assert not isinstance(make_executor(1), DaskExecutor)
    assert not isinstance(make_executor(None), DaskExecutor)


def test_a_bad_executor_is_named() -> None:
    with pytest.raises(ValueError, match=r"scheduler address .* got 'localhost'"):
        tunesmith.Study(space={"x": [1]}).optimize(lambda t: 0.0, executor="localhost")


CONTRACT = [name for name, fn in vars(contract).items()
            if name.startswith("test_") and "executor" in inspect.signature(fn).parameters]


@pytest.mark.parametrize("name", CONTRACT)
def test_the_executor_contract_holds_on_dask(client, name) -> None:
    executor = DaskExecutor(client)
    try:
        getattr(contract, name)(executor)
    finally:
        executor.shutdown()


STUDY_FILE = """
[data]
dataset = "iris"
[estimator]
class = "sklearn.svm.SVC"
[space]
C = [0.1, 1, 10]
[search]
strategy = "grid"
cv = 3
"""


def test_a_study_file_with_an_executor_runs_its_folds_on_that_scheduler(client,
                                                                        tmp_path) -> None:
    from tunesmith.cli import main

    plain, on_dask = tmp_path / "plain.toml", tmp_path / "dask.toml"
    plain.write_text(STUDY_FILE)
    on_dask.write_text(STUDY_FILE + f'executor = "{client.scheduler.address}"\n')
    assert main(["run", str(plain), "-q"]) == 0
    with distributed.get_task_stream(client) as stream:
        assert main(["run", str(on_dask), "-q"]) == 0
    assert len([t for t in stream.data if t["key"].startswith("_run_resolved")]) == 3 * 3

    def scores(path: Path) -> list:
        with tunesmith.storage.open_storage(f"sqlite:///{path.with_suffix('.db')}") as st:
            return [(t.candidate, t.value) for t in st.trials(st.study_id(path.stem))]

    assert scores(on_dask) == scores(plain)


def test_a_study_file_may_not_send_the_work_to_another_host_on_its_own(tmp_path,
                                                                       capsys) -> None:
    from tunesmith.cli import main

    path = tmp_path / "s.toml"
    path.write_text(STUDY_FILE + 'executor = "tcp://10.9.8.7:8786"\n')
    assert main(["run", str(path)]) == 2
    err = capsys.readouterr().err
    assert "search.executor" in err and "--trust-storage" in err and err.count("\n") == 1
    path.write_text(STUDY_FILE + 'executor = "10.9.8.7:8786"\n')
    assert main(["run", str(path)]) == 2
    assert "is not a Dask scheduler address" in capsys.readouterr().err


def _busy_interval(seconds: float) -> tuple[str, float, float, list[int]]:
    """Sleep on a worker; which worker, when, and the BLAS thread limits seen."""
    import time

    import numpy  # noqa: F401 - loads the BLAS library threadpoolctl reports
    from threadpoolctl import threadpool_info

    started = time.time()
    time.sleep(seconds)
    threads = [pool["num_threads"] for pool in threadpool_info()]
    return distributed.get_worker().address, started, time.time(), threads


def _most_at_once(rows: list[tuple[str, float, float, list[int]]]) -> int:
    """The most tasks that ran at the same time on one worker."""
    most = 0
    for address, start, _, _ in rows:
        most = max(most, sum(1 for a, s, e, _ in rows if a == address and s <= start < e))
    return most


def test_dask_worker_resources_and_cpus_per_trial_hold_on_a_cluster() -> None:
    # Two worker threads each, one "GPU" each: two tasks fit a worker's threads, but a
    # task that needs the GPU must have it alone.
    with distributed.LocalCluster(n_workers=2, threads_per_worker=2, processes=True,
                                  resources={"GPU": 1}, dashboard_address=":0") as cluster, \
            distributed.Client(cluster) as gpu_client:

        def run(executor: DaskExecutor) -> list:
            with executor:
                for _ in range(8):
                    executor.submit(_busy_interval, 0.4)
                return [o.result() for o in executor.as_completed()]

        free = run(DaskExecutor(gpu_client))
        one_each = run(DaskExecutor(gpu_client, resources={"GPU": 1}, cpus_per_trial=1))
    assert _most_at_once(free) == 2  # the check sees sharing when there is some
    assert _most_at_once(one_each) == 1
    assert len({address for address, *_ in one_each}) == 2  # both workers' GPUs used
    assert all(threads and set(threads) == {1} for *_, threads in one_each)


def test_resources_no_worker_has_are_refused_instead_of_waiting_for_ever(client) -> None:
    # The module's cluster starts its workers without resources: a GPU task would queue
    # on the scheduler for ever.
    with pytest.raises(ValueError, match=r"no worker of the Dask cluster has the resources "
                                         r"each task needs \(GPU=1\); start the workers with "
                                         r"`dask worker ADDRESS --resources GPU=1`"):
        DaskExecutor(client, resources={"GPU": 1})
    with pytest.raises(ValueError, match="GPU=2"):
        DaskExecutor(client.scheduler.address, resources={"GPU": 2})


NATIVE_FILE = """
[data]
dataset = "iris"
[estimator]
class = "sklearn.svm.SVC"
[space]
C = { low = 0.01, high = 100.0, log = true }
[search]
strategy = "random"
n_trials = 5
cv = 3
seed = 0
"""


def test_a_study_file_with_per_trial_settings_on_the_cluster(client, tmp_path,
                                                             capsys) -> None:
    from tunesmith.cli import main

    address = client.scheduler.address
    plain, capped, gpus = (tmp_path / f"{n}.toml" for n in ("plain", "capped", "gpus"))
    plain.write_text(NATIVE_FILE)
    capped.write_text(NATIVE_FILE + f'executor = "{address}"\ncpus_per_trial = 1\n')
    gpus.write_text(NATIVE_FILE + f'executor = "{address}"\ngpus_per_trial = 1\n')
    assert main(["run", str(plain), "-q"]) == 0
    with distributed.get_task_stream(client) as stream:
        assert main(["run", str(capped), "-q"]) == 0
    assert len([t for t in stream.data if t["key"].startswith("_run_resolved")]) == 5

    def scores(path: Path) -> list:
        with tunesmith.storage.open_storage(f"sqlite:///{path.with_suffix('.db')}") as st:
            return [(t.params, t.value) for t in st.trials(st.study_id(path.stem))]

    assert scores(capped) == scores(plain)
    capsys.readouterr()
    # This cluster's workers have no GPU resource: one line, not trials queued for ever.
    assert main(["run", str(gpus), "-q"]) == 2
    err = capsys.readouterr().err
    assert "search.gpus_per_trial: no worker of the Dask cluster has the resources" in err
    assert "--resources GPU=1" in err and err.count("\n") == 1, err
