"""Worker processes (``tunesmith.run_worker``) sharing one stored study.

Four workers finish a 200-point grid on one PostgreSQL database and on one SQLite
file: every point has exactly one complete trial and was evaluated exactly once (the
objectives' own log, not storage, says how often). A worker killed with SIGKILL in the
middle of a trial leaves it to another worker, which finishes it before stopping.
"""

from __future__ import annotations

import signal
import uuid
from collections import Counter
from pathlib import Path

import pytest

from tunesmith.records import TrialState
from tunesmith.storage import open_storage

BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


def _url(request: pytest.FixtureRequest, backend: str, tmp_path: Path) -> str:
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'shared.db'}"
    return request.getfixturevalue("postgres_url")


def _stored(url: str, name: str) -> list:
    with open_storage(url) as storage:
        return storage.trials(storage.study_id(name))


def _check_done_once(trials: list, size: int) -> None:
    assert [t.state for t in trials] == [TrialState.COMPLETE] * size
    assert sorted(t.params["i"] for t in trials) == list(range(size))
    assert sorted(t.candidate for t in trials) == list(range(size))
    assert all(t.value == t.params["i"] ** 2 for t in trials)


@pytest.mark.slow
@pytest.mark.parametrize("backend", BACKENDS)
def test_four_workers_finish_a_200_point_grid_each_point_once(request, backend, tmp_path,
                                                               workers) -> None:
    url, name, size = _url(request, backend, tmp_path), f"w-{uuid.uuid4().hex[:8]}", 200
    roles = ["a", "b", "c", "d"]
    procs = [workers.start(url, name, role, size=size) for role in roles]
    for role in roles:  # all open the study (one creates it), then start together
        workers.wait_for(f"ready-{role}")
    for role in roles:
        (tmp_path / f"go-{role}").touch()
    reports = [workers.finish(proc) for proc in procs]

    trials = _stored(url, name)
    _check_done_once(trials, size)
    starts = Counter(point for event, point, _ in workers.events() if event == "start")
    assert starts == Counter(range(size)), "a point evaluated twice, or not at all"
    # The storage agrees with the workers on who ran what, and each did a share.
    assert {r["owner"]: r["ran"] for r in reports} == dict(Counter(t.owner for t in trials))
    assert all(r["ran"] > 0 for r in reports), reports


@pytest.mark.slow
@pytest.mark.parametrize("backend", BACKENDS)
def test_a_worker_killed_mid_trial_has_its_trial_finished_by_another(request, backend,
                                                                     tmp_path, workers) -> None:
    url, name, size, doomed_point = (_url(request, backend, tmp_path),
                                     f"k-{uuid.uuid4().hex[:8]}", 30, 3)
    procs = [workers.start(url, name, role, size=size, mode="hang", at=doomed_point)
             for role in ("a", "b")]
    for role in ("a", "b"):
        workers.wait_for(f"ready-{role}")
    for role in ("a", "b"):
        (tmp_path / f"go-{role}").touch()
    workers.wait_for(f"hung-{doomed_point}")
    hung_pid = int((tmp_path / f"hung-{doomed_point}").read_text())
    doomed = next(p for p in procs if p.pid == hung_pid)
    survivor = next(p for p in procs if p is not doomed)
    (tmp_path / "release").touch()  # the re-run must not hang too: the point is the kill
    doomed.send_signal(signal.SIGKILL)
    doomed.wait(timeout=30)
    report = workers.finish(survivor)

    assert doomed.returncode == -signal.SIGKILL
    trials = _stored(url, name)
    _check_done_once(trials, size)
    taken = next(t for t in trials if t.params["i"] == doomed_point)
    assert taken.owner == report["owner"]
    # The killed worker started the point and never ended it; the survivor did both.
    events = [(event, pid) for event, point, pid in workers.events() if point == doomed_point]
    assert ("start", hung_pid) in events and ("end", hung_pid) not in events
    assert ("start", report["pid"]) in events and ("end", report["pid"]) in events
