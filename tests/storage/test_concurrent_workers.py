"""Two OS processes running one grid study share its points: each is done exactly once.

``test_sql.py`` races two processes on the storage calls themselves (``create_trial``
with and without a candidate). These tests go one level up, to what a user runs:
two ``tunesmith.Study(..., storage=URL, load_if_exists=True).optimize(...)`` processes
on the same grid, against one SQLite file and one PostgreSQL database, and a worker
that dies mid-trial while the other carries on.

Each worker prints what it finished; the stored trials are checked against that and
against the grid built here independently (``itertools.product``).
"""

from __future__ import annotations

import itertools
import json
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from tunesmith.records import TrialState
from tunesmith.storage import open_storage

A_VALUES, B_VALUES = list(range(6)), list(range(10))
GRID = set(itertools.product(A_VALUES, B_VALUES))  # 60 points

# A worker: open (or create) the study, say it is ready, wait for the start signal, run
# the grid, print what it finished. Role "hang" blocks in its first trial until killed.
WORKER = f"""
import json, os, sys, time
from pathlib import Path
import tunesmith

url, name, folder, role = sys.argv[1:5]
folder = Path(folder)
study = tunesmith.Study(space={{"a": {A_VALUES!r}, "b": {B_VALUES!r}}}, sampler="grid",
                        storage=url, name=name, load_if_exists=True)
(folder / f"ready-{{role}}").touch()
while not (folder / "go").exists():
    time.sleep(0.005)
done = []

def objective(trial):
    if role == "hang":
        (folder / "hung").write_text(str(trial.number))
        time.sleep(600)
    time.sleep(0.02)  # long enough for the other worker to take its share
    return trial.params["a"] * 100 + trial.params["b"]

def record(study, trial):
    done.append(trial.number)
    (folder / f"progress-{{role}}").touch()

study.optimize(objective, callbacks=[record], show_progress=False)
print(json.dumps({{"owner": study.owner, "done": done}}))
study.close()
"""


def _start(url: str, name: str, folder: Path, role: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", WORKER, url, name, str(folder), role],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def _wait_for(path: Path, procs: list[subprocess.Popen[str]], timeout: float = 120.0) -> None:
    """Wait until ``path`` exists; fail (with the workers' stderr) if one of them exits."""
    deadline = time.monotonic() + timeout
    while not path.exists():
        for proc in procs:
            if proc.poll() is not None:
                pytest.fail(f"a worker exited ({proc.returncode}) before {path.name}: "
                            f"{proc.stderr.read() if proc.stderr else ''}")
        assert time.monotonic() < deadline, f"{path.name} did not appear within {timeout} s"
        time.sleep(0.01)


def _finish(proc: subprocess.Popen[str]) -> dict:
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    return json.loads(out.strip().splitlines()[-1])


def _url(request: pytest.FixtureRequest, backend: str, tmp_path: Path) -> str:
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'shared.db'}"
    return request.getfixturevalue("postgres_url")  # a fresh schema, dropped afterwards


def _stored(url: str, name: str) -> list:
    with open_storage(url) as storage:
        return storage.trials(storage.study_id(name))


def _check_grid_done_once(trials: list) -> None:
    """Every grid point has one complete trial with the right value; nothing else."""
    unfinished = [(t.number, t.state.value, t.owner) for t in trials
                  if t.state is not TrialState.COMPLETE]
    assert not unfinished, f"trials left unfinished: {unfinished}"
    points = [(t.params["a"], t.params["b"]) for t in trials]
    assert len(points) == len(set(points)) == len(GRID), "a point twice, or one missing"
    assert set(points) == GRID
    assert all(t.value == t.params["a"] * 100 + t.params["b"] for t in trials)
    assert sorted(t.candidate for t in trials) == list(range(len(GRID)))
    assert [t.number for t in trials] == list(range(len(GRID)))


BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.mark.slow
@pytest.mark.parametrize("backend", BACKENDS)
def test_two_workers_share_a_grid_and_do_each_point_once(request, backend, tmp_path) -> None:
    url, name = _url(request, backend, tmp_path), f"shared-{uuid.uuid4().hex[:8]}"
    workers = [_start(url, name, tmp_path, role) for role in ("one", "two")]
    try:
        # Both open the study (and, on a new database, create the tables) at once, then
        # start searching together, so that they really compete for the points.
        for role in ("one", "two"):
            _wait_for(tmp_path / f"ready-{role}", workers)
        (tmp_path / "go").touch()
        reports = [_finish(proc) for proc in workers]
    finally:
        for proc in workers:
            if proc.poll() is None:
                proc.kill()
                proc.wait()

    trials = _stored(url, name)
    _check_grid_done_once(trials)
    one, two = (set(report["done"]) for report in reports)
    assert one and two, f"one worker did nothing: {len(one)} and {len(two)} trials"
    assert not one & two and one | two == set(range(len(GRID)))
    # The storage agrees with the workers on who ran what.
    for report in reports:
        assert {t.number for t in trials if t.owner == report["owner"]} == set(report["done"])


@pytest.mark.slow
@pytest.mark.parametrize("backend", BACKENDS)
def test_a_worker_killed_mid_trial_leaves_its_point_to_the_other(request, backend,
                                                                tmp_path) -> None:
    url, name = _url(request, backend, tmp_path), f"killed-{uuid.uuid4().hex[:8]}"
    (tmp_path / "go").touch()
    doomed = _start(url, name, tmp_path, "hang")
    survivor = None
    try:
        _wait_for(tmp_path / "hung", [doomed])
        hung_number = int((tmp_path / "hung").read_text())
        survivor = _start(url, name, tmp_path, "survivor")
        # Kill only once the survivor is searching: it has already looked for abandoned
        # trials and seen the doomed worker alive, so it must notice the death later.
        _wait_for(tmp_path / "progress-survivor", [survivor])
        doomed.send_signal(signal.SIGKILL)
        doomed.wait(timeout=30)  # reaped: a dead child not yet waited for still "exists"
        report = _finish(survivor)
    finally:
        for proc in (doomed, survivor):
            if proc is not None and proc.poll() is None:
                proc.kill()
                proc.wait()

    assert doomed.returncode == -signal.SIGKILL
    trials = _stored(url, name)
    _check_grid_done_once(trials)
    # The dead worker's trial was run again by the survivor, under its own number.
    assert set(report["done"]) == set(range(len(GRID)))
    assert hung_number in report["done"]
    assert all(t.owner == report["owner"] for t in trials)
