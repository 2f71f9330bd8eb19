"""``[search] gpus_per_trial`` / ``cpus_per_trial`` in a study file.

A native study's trials then run on an executor that gives each its own GPUs (one
worker process per group of ``CUDA_VISIBLE_DEVICES``: the devices are names to the
assignment logic, no GPU is needed) and caps its BLAS threads; the results are those of
the same file without the keys, and a study resumes with them changed. What cannot
work is one line and exit status 2 before anything runs. The Dask side is in
test_dask.py (it needs the cluster).
"""

from __future__ import annotations

import multiprocessing
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tunesmith.cli import main
from tunesmith.cli._per_trial import PerTrial, trials_run_on
from tunesmith.executors import DeviceExecutor, SerialExecutor
from tunesmith.records import TrialState
from tunesmith.storage import open_storage

NATIVE = """
[data]
dataset = "iris"
[estimator]
class = "sklearn.svm.SVC"
[space]
C = {{ low = 0.01, high = 100.0, log = true }}
[search]
strategy = "random"
n_trials = {n_trials}
cv = 3
seed = 0
"""
LISTED = """
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


def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / f"{name}.toml"
    path.write_text(text)
    return path


def _scores(url: str, name: str) -> list[tuple[int, dict, float | None]]:
    with open_storage(url) as storage:
        trials = storage.trials(storage.study_id(name))
    assert all(t.state is TrialState.COMPLETE for t in trials)
    return [(t.number, dict(t.params), t.value) for t in trials]


@contextmanager
def _spawned_children() -> Iterator[set[str]]:
    """The kinds of multiprocessing children this process had while the block ran
    (a device worker is a spawned one; a trial run here starts none)."""
    seen: set[str] = set()
    done = threading.Event()

    def watch() -> None:
        while not done.wait(0.02):
            seen.update(type(p).__name__ for p in multiprocessing.active_children())

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        yield seen
    finally:
        done.set()
        watcher.join()


@pytest.mark.parametrize(("extra", "said"), [
    ("gpus_per_trial = 0", "search.gpus_per_trial: must be greater than or equal to 1, got 0"),
    ('cpus_per_trial = "2"', 'search.cpus_per_trial: must be an integer, got "2"'),
    ("cpus_per_trial = 1.5", "search.cpus_per_trial: must be an integer, got 1.5"),
    ("cpus_per_trial = 1\nn_jobs = 2",
     "search.cpus_per_trial: cpus_per_trial caps the threads of a trial whose folds run one "
     "after another; with n_jobs = 2"),
    ("gpus_per_trial = 3",
     "search.gpus_per_trial: gpus_per_trial = 3, but 2 GPUs are visible on this host (4, 7); "
     "set CUDA_VISIBLE_DEVICES"),
])
def test_per_trial_settings_that_cannot_work_are_one_line(tmp_path, capsys, monkeypatch,
                                                          extra, said) -> None:
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "4,7")
    path = _write(tmp_path, "bad", NATIVE.format(n_trials=4) + extra + "\n")
    assert main(["run", str(path), "-q"]) == 2
    err = capsys.readouterr().err
    assert said in err and err.count("\n") == 1, err
    assert not path.with_suffix(".db").exists()  # refused before any storage


@pytest.mark.parametrize("key", ["gpus_per_trial", "cpus_per_trial"])
def test_a_drop_in_search_refuses_per_trial_settings(tmp_path, capsys, monkeypatch,
                                                     key) -> None:
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "0")
    path = _write(tmp_path, "grid", LISTED + f"{key} = 1\n")
    assert main(["run", str(path), "-q"]) == 2
    err = capsys.readouterr().err
    assert f"search.{key}: {key} needs a native study" in err and err.count("\n") == 1, err


def test_the_executor_each_setting_makes(monkeypatch) -> None:
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "0,1,2")
    with trials_run_on(None, PerTrial(gpus=1, cpus=2)) as runner:
        assert isinstance(runner, DeviceExecutor)
        assert (runner.groups, runner.cpus_per_trial) == ([("0",), ("1",), ("2",)], 2)
    with trials_run_on(None, PerTrial(cpus=1)) as runner:
        assert isinstance(runner, SerialExecutor) and runner.cpus_per_trial == 1
    with trials_run_on("tcp://10.1.2.3:8786", PerTrial()) as runner:
        assert runner == "tcp://10.1.2.3:8786"  # nothing per trial: the address as it is


@pytest.mark.slow
def test_gpus_and_cpus_per_trial_give_the_plain_results_and_resume_without_them(
        tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "0,1")
    plain = _write(tmp_path, "plain", NATIVE.format(n_trials=6))
    gpus = _write(tmp_path, "gpus", NATIVE.format(n_trials=6)
                  + "gpus_per_trial = 1\ncpus_per_trial = 1\n")
    cpus = _write(tmp_path, "cpus", NATIVE.format(n_trials=6) + "cpus_per_trial = 1\n")
    for path in (plain, cpus):
        with _spawned_children() as kinds:
            assert main(["run", str(path), "-q"]) == 0, path
        assert "SpawnProcess" not in kinds  # the trials ran here
    with _spawned_children() as kinds:
        assert main(["run", str(gpus), "-q"]) == 0
    assert "SpawnProcess" in kinds  # ... and here in device workers
    expected = _scores(f"sqlite:///{tmp_path / 'plain.db'}", "plain")
    assert len(expected) == 6
    assert _scores(f"sqlite:///{tmp_path / 'gpus.db'}", "gpus") == expected
    assert _scores(f"sqlite:///{tmp_path / 'cpus.db'}", "cpus") == expected
    # Not part of the fingerprint: the study goes on without them (two more trials).
    gpus.write_text(NATIVE.format(n_trials=8))
    assert main(["run", str(gpus), "-q"]) == 0
    resumed = _scores(f"sqlite:///{tmp_path / 'gpus.db'}", "gpus")
    assert len(resumed) == 8 and resumed[:6] == expected


@pytest.mark.slow
def test_a_cli_worker_runs_its_trials_on_the_devices(tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "3")
    path = _write(tmp_path, "w", NATIVE.format(n_trials=4) + "gpus_per_trial = 1\n")
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    with _spawned_children() as kinds:
        assert main(["worker", str(path), "--storage", url, "--poll", "0.2"]) == 0
    assert "SpawnProcess" in kinds
    assert "this worker ran 4 trials" in capsys.readouterr().err
    assert len(_scores(url, "w")) == 4
