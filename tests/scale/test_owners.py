"""Owners that cannot be confused: PID namespaces, the GIL, timings.

A worker in another PID namespace (``unshare --pid --fork``: a container, or another
machine with the same hostname) sees PIDs that mean other processes; it must never
take over a live trial of ours because "its" PID is gone, and the other way round. An
objective that holds the GIL for longer than ``stale_after`` keeps its trial: the beats
come from a helper process. Each scenario runs real worker processes (worker_main.py)
and counts the objective's evaluations in its own log.
"""

from __future__ import annotations

import datetime
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections import Counter

import pytest

from tunesmith import Study
from tunesmith.records import FrozenTrial, TrialState
from tunesmith.storage import open_storage
from tunesmith.study._owners import RELEASED, is_abandoned, owner_name, owner_scope

UNSHARE = ("unshare", "--pid", "--fork")


def _unshare_problem() -> str | None:
    if shutil.which("unshare") is None:
        return "no unshare command"
    done = subprocess.run([*UNSHARE, "true"], capture_output=True, text=True)
    if done.returncode != 0:
        return f"unshare --pid needs privileges here: {done.stderr.strip()}"
    return None


def _dead_pid() -> int:
    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid


def _running(owner: str, beat_age: float) -> FrozenTrial:
    now = datetime.datetime.now(datetime.timezone.utc)
    return FrozenTrial(number=0, state=TrialState.RUNNING, owner=owner,
                       heartbeat_at=now - datetime.timedelta(seconds=beat_age))


def test_a_dead_process_of_our_namespace_is_abandoned_at_once() -> None:
    assert owner_scope() is not None  # Linux: a boot id and a PID namespace
    assert is_abandoned(_running(owner_name(_dead_pid()), 0.0), stale_after=60, beats=True)
    assert not is_abandoned(_running(owner_name(os.getpid()), 0.0), stale_after=60,
                            beats=True)


def test_a_pid_from_another_scope_or_an_old_name_is_never_looked_up() -> None:
    dead = _dead_pid()
    host, pid, token, _scope = owner_name(dead).split(":")
    for owner in (f"{host}:{pid}:{token}:0123456789abcdef",  # another namespace or boot
                  f"{host}:{pid}:{token}:-",  # a platform without /proc
                  f"{host}:{pid}:{token}"):  # named by an older tunesmith
        assert not is_abandoned(_running(owner, 1.0), stale_after=60, beats=True), owner
        # ... only its heartbeat can tell
        assert is_abandoned(_running(owner, 61.0), stale_after=60, beats=True), owner
    assert is_abandoned(_running(RELEASED, 0.0), stale_after=60, beats=True)


# Run inside a fresh PID namespace: this process's PID there, a new owner name, the
# scope, and whether the owner name given as argv[1] (a live process of the test's
# namespace, whose PID means nothing there) would count as abandoned.
_IN_NAMESPACE = """
import datetime, json, os, sys
from tunesmith.records import FrozenTrial, TrialState
from tunesmith.study._owners import is_abandoned, new_owner, owner_scope
fresh = FrozenTrial(number=0, state=TrialState.RUNNING, owner=sys.argv[1],
                    heartbeat_at=datetime.datetime.now(datetime.timezone.utc))
print(json.dumps([os.getpid(), new_owner(), owner_scope(),
                  is_abandoned(fresh, stale_after=60, beats=True)]))
"""


@pytest.mark.slow  # two fresh interpreters in new namespaces
def test_owners_in_two_pid_namespaces_differ_though_host_and_pid_are_the_same() -> None:
    problem = _unshare_problem()
    if problem:
        pytest.skip(problem)
    ours = owner_name(os.getpid())
    runs = []
    for _ in range(2):
        done = subprocess.run([*UNSHARE, sys.executable, "-c", _IN_NAMESPACE, ours],
                              capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        runs.append(json.loads(done.stdout))
    (pid_a, owner_a, scope_a, took_a), (pid_b, owner_b, scope_b, took_b) = runs
    # What a "host:pid" name would have confused: the same hostname, both PID 1.
    assert pid_a == pid_b == 1
    assert owner_a.split(":")[:2] == owner_b.split(":")[:2] == [socket.gethostname(), "1"]
    assert owner_a != owner_b
    assert len({scope_a, scope_b, owner_scope()}) == 3  # each namespace its own scope
    # Our live owner's PID does not exist in those namespaces; it is not looked up there.
    assert os.getpid() != 1 and (took_a, took_b) == (False, False)


@pytest.mark.parametrize(("stale_after", "beat"), [(10.0, 10.0), (10.0, 6.0), (5.0, 10.0)])
def test_a_heartbeat_without_room_for_a_late_beat_is_refused(stale_after, beat) -> None:
    with pytest.raises(ValueError, match=rf"heartbeat_interval \({beat}\) must be below "
                                         rf"stale_after \({stale_after}\) with room"):
        Study(space={"x": [1]}, stale_after=stale_after, heartbeat_interval=beat)


def _stored(url: str, name: str) -> list[FrozenTrial]:
    with open_storage(url) as storage:
        return storage.trials(storage.study_id(name))


@pytest.mark.slow
@pytest.mark.parametrize("holder_inside", [False, True], ids=["checker-inside",
                                                             "holder-inside"])
def test_a_worker_in_another_pid_namespace_never_takes_over_a_live_trial(
        tmp_path, workers, holder_inside) -> None:
    problem = _unshare_problem()
    if problem:
        pytest.skip(problem)
    url, name, stale_after = f"sqlite:///{tmp_path / 's.db'}", f"ns-{uuid.uuid4().hex[:6]}", 4
    holder = workers.start(url, name, "h", size=1, stale_after=stale_after, heartbeat=1,
                           mode="hang", at=0, prefix=UNSHARE if holder_inside else ())
    checker = workers.start(url, name, "c", size=1, stale_after=stale_after, heartbeat=1,
                            prefix=() if holder_inside else UNSHARE)
    workers.wait_for("ready-h")
    workers.wait_for("ready-c")
    (tmp_path / "go-h").touch()
    workers.wait_for("hung-0")
    (tmp_path / "go-c").touch()
    workers.wait_for("working-c")
    # The checker now finds the grid taken and watches the running trial: a PID looked
    # up in the wrong namespace would let it take over at once, a missing heartbeat
    # after stale_after. Give it twice that, then let the holder finish.
    time.sleep(2 * stale_after)
    running = [t for t in _stored(url, name) if t.state is TrialState.RUNNING]
    (tmp_path / "release").touch()
    held, checked = workers.finish(holder), workers.finish(checker)

    assert [t.owner for t in running] == [held["owner"]]
    (trial,) = _stored(url, name)
    assert trial.state is TrialState.COMPLETE and trial.owner == held["owner"]
    assert (held["ran"], checked["ran"]) == (1, 0)
    assert Counter(event for event, _, _ in workers.events()) == {"start": 1, "end": 1}


@pytest.mark.slow
def test_an_objective_holding_the_gil_past_stale_after_keeps_its_trial(tmp_path,
                                                                       workers) -> None:
    url, name, stale_after = f"sqlite:///{tmp_path / 's.db'}", f"gil-{uuid.uuid4().hex[:6]}", 8
    holder = workers.start(url, name, "h", size=2, stale_after=stale_after, heartbeat=2,
                           mode="gil", at=1)
    checker = workers.start(url, name, "c", size=2, stale_after=stale_after, heartbeat=2)
    workers.wait_for("ready-h")
    workers.wait_for("ready-c")
    (tmp_path / "go-h").touch()
    workers.wait_for("hung-1")  # point 0 is done; point 1 holds the GIL for 12 s
    (tmp_path / "go-c").touch()
    held, checked = workers.finish(holder), workers.finish(checker)

    trials = _stored(url, name)
    assert [(t.state, t.owner) for t in trials] == [(TrialState.COMPLETE, held["owner"])] * 2
    assert (held["ran"], checked["ran"]) == (2, 0)
    assert Counter(point for event, point, _ in workers.events() if event == "start") == {
        0: 1, 1: 1}
