"""A run killed at random moments resumes to exactly the uninterrupted result.

Each test runs ``tunesmith run`` in a subprocess against SQLite, kills it (SIGKILL: no
chance to clean up) at random moments, reruns the same command, and compares the final
trials with an uninterrupted run's: every candidate done exactly once, same scores.
"""

from __future__ import annotations

import json
import os
import random
import shlex
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from tunesmith.exceptions import StudyNotFoundError
from tunesmith.storage import open_storage

# 8 x 3 = 24 candidates of a few hundredths of a second each: long enough to be killed
# in the middle, short enough for a test.
GRID_STUDY = """\
    [data]
    dataset = "breast_cancer"

    [estimator]
    class = "sklearn.linear_model.LogisticRegression"
    params = { solver = "liblinear", max_iter = 200, random_state = 0 }

    [preprocess]

    [space]
    C = { logspace = [-3, 2, 8] }
    penalty = ["l1", "l2", "elasticnet"]   # elasticnet fails with liblinear: recorded too

    [search]
    strategy = "grid"
    cv = 4
"""

# The native study path: random search over a continuous range.
RANDOM_STUDY = """\
    [data]
    dataset = "breast_cancer"

    [estimator]
    class = "sklearn.linear_model.LogisticRegression"
    params = { solver = "liblinear", max_iter = 200, random_state = 0 }

    [preprocess]

    [space]
    C = { low = 1e-3, high = 1e2, log = true }
    penalty = ["l1", "l2"]

    [search]
    strategy = "random"
    n_trials = 24
    seed = 7
    cv = 4
"""

_COMMAND = [sys.executable, "-m", "tunesmith.cli", "run"]


def _start(study: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env.pop("TUNESMITH_STORAGE", None)
    return subprocess.Popen([*_COMMAND, str(study), "--no-progress", "--format", "json"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


class _Watcher:
    """Counts a study's finished trials while another process writes them."""

    def __init__(self, url: str, name: str) -> None:
        self.path = Path(url.removeprefix("sqlite:///"))
        self.url, self.name = url, name
        self._storage = None

    def finished(self) -> int:
        if self._storage is None:
            if not self.path.exists():  # never create the database ourselves
                return 0
            self._storage = open_storage(self.url)
        try:
            trials = self._storage.trials(self._storage.study_id(self.name))
        except StudyNotFoundError:
            return 0
        return sum(t.state.is_finished for t in trials)

    def running_owners(self) -> list[str]:
        """The owners of the study's trials still marked running."""
        if self._storage is None:
            return []
        trials = self._storage.trials(self._storage.study_id(self.name))
        return [t.owner or "" for t in trials if not t.state.is_finished]

    def close(self) -> None:
        if self._storage is not None:
            self._storage.close()


def _interrupt_at_random(study: Path, url: str, seed: int, signals: list[int],
                         total: int) -> list[int]:
    """Start the run and stop it with each signal in turn: the first time at a random
    moment of its start-up, then each time at a random moment after it made progress.
    SIGINT and SIGTERM must stop it cleanly (see :func:`_check_clean_stop`).
    Returns the finished-trial counts seen after each stop."""
    try:
        return _interrupt(study, url, random.Random(seed), signals, total)
    except AssertionError as exc:
        raise AssertionError(f"{exc}\n(replay with TUNESMITH_KILL_SEED={seed})") from exc


def _interrupt(study: Path, url: str, rng: random.Random, signals: list[int],
               total: int) -> list[int]:
    watcher = _Watcher(url, study.stem)
    seen = []
    try:
        for round_, sig in enumerate(signals):
            before = watcher.finished()
            proc = _start(study)
            if round_ == 0:
                time.sleep(rng.uniform(0.5, 3.0))  # importing, opening, or searching
            else:
                deadline = time.monotonic() + 60
                while watcher.finished() <= before and proc.poll() is None:
                    assert time.monotonic() < deadline, "no progress within 60 s"
                    time.sleep(0.02)
                time.sleep(rng.uniform(0.0, 0.25))
            if proc.poll() is None:
                proc.send_signal(sig)
            out, err = proc.communicate(timeout=60)
            if sig == signal.SIGKILL:
                assert proc.returncode in (-signal.SIGKILL, 0), err
            elif proc.returncode == 0 or _printed_result(out):
                # It finished between our look and the signal; a signal that lands
                # while the interpreter shuts down, after the result printed, may
                # still end it (the command's own handler is gone by then).
                assert proc.returncode in (0, -sig, 130), err
                assert watcher.finished() == total, err
            else:
                _check_clean_stop(proc, err, study, watcher)
            seen.append(watcher.finished())
    finally:
        watcher.close()
    return seen


def _printed_result(out: str) -> bool:
    """Whether the run got as far as printing its result (``--format json``)."""
    try:
        return "best_value" in json.loads(out)
    except ValueError:
        return False


def _check_clean_stop(proc: subprocess.Popen[str], err: str, study: Path,
                      watcher: _Watcher) -> None:
    """Ctrl-C (or SIGTERM) mid-search: exit 130 without a traceback, print the very
    command that resumes, and leave no trial running in the dead process's name (the
    one it was evaluating is released, so the next run repeats it)."""
    assert proc.returncode == 130, err
    assert "Traceback" not in err, err
    command = shlex.join(["run", str(study), "--no-progress", "--format", "json"])
    assert f"interrupted; resume with: tunesmith {command}" in err.splitlines(), err
    mine = [o for o in watcher.running_owners() if o.split(":")[1:2] == [str(proc.pid)]]
    assert not mine, f"trials still running for the interrupted process: {mine}"


def _complete_run(cli, study: Path) -> dict:
    """The same command, run to the end (in this process: it is the storage, not the
    process, that carries the state from one run to the next)."""
    result = cli("run", study, "--no-progress", "--format", "json")
    assert result.code == 0, result.err
    return json.loads(result.out)


def _trials(url: str, name: str) -> list:
    with open_storage(url) as storage:
        return storage.trials(storage.study_id(name))


def _key(params: dict) -> tuple:
    return tuple(sorted((k, repr(v)) for k, v in params.items()))


def _check_same_outcome(killed_dir: Path, clean_dir: Path, name: str, expected: int) -> None:
    killed = _trials(f"sqlite:///{killed_dir / name}.db", name)
    clean = _trials(f"sqlite:///{clean_dir / name}.db", name)
    assert len(clean) == expected
    assert all(t.state.is_finished for t in killed)
    # Exactly once: no candidate twice, none missing.
    keys = [_key(dict(t.params)) for t in killed]
    assert len(keys) == len(set(keys)) == expected
    by_params = {_key(dict(t.params)): (t.state, t.value) for t in clean}
    assert {_key(dict(t.params)): (t.state, t.value) for t in killed} == by_params
    candidates = [t.candidate for t in killed if t.candidate is not None]
    assert len(candidates) == len(set(candidates))


def _kill_seed() -> int:
    """The moments of the kills: a new draw each run (more moments tried over time);
    a failure names it, to be replayed with ``TUNESMITH_KILL_SEED``."""
    return int(os.environ.get("TUNESMITH_KILL_SEED", time.time_ns() % 10**6))


@pytest.mark.slow
def test_grid_survives_sigkill_at_random_moments(cli, tmp_path: Path) -> None:
    seed = _kill_seed()
    killed, clean = tmp_path / "killed", tmp_path / "clean"
    killed.mkdir()
    clean.mkdir()
    text = textwrap.dedent(GRID_STUDY)
    (killed / "grid.toml").write_text(text)
    (clean / "grid.toml").write_text(text)

    reference = _complete_run(cli, clean / "grid.toml")
    url = f"sqlite:///{killed / 'grid.db'}"
    # Five kills, and a Ctrl-C in the middle: the drop-in path must stop as cleanly.
    seen = _interrupt_at_random(killed / "grid.toml", url, seed,
                                [signal.SIGKILL] * 3 + [signal.SIGINT] + [signal.SIGKILL] * 2,
                                total=24)
    assert seen == sorted(seen)  # nothing finished was lost
    resumed = _complete_run(cli, killed / "grid.toml")

    _check_same_outcome(killed, clean, "grid", 24)
    assert resumed["best"]["params"] == reference["best"]["params"]
    assert resumed["best_value"] == reference["best_value"]
    assert resumed["test_score"] == reference["test_score"]


@pytest.mark.slow
def test_native_study_survives_kill_and_interrupts(cli, tmp_path: Path) -> None:
    seed = _kill_seed()
    killed, clean = tmp_path / "killed", tmp_path / "clean"
    killed.mkdir()
    clean.mkdir()
    text = textwrap.dedent(RANDOM_STUDY)
    (killed / "rand.toml").write_text(text)
    (clean / "rand.toml").write_text(text)

    reference = _complete_run(cli, clean / "rand.toml")
    url = f"sqlite:///{killed / 'rand.db'}"
    _interrupt_at_random(killed / "rand.toml", url, seed,
                         [signal.SIGKILL, signal.SIGINT, signal.SIGTERM], total=24)
    resumed = _complete_run(cli, killed / "rand.toml")

    _check_same_outcome(killed, clean, "rand", 24)
    assert resumed["best"]["params"] == reference["best"]["params"]
    assert resumed["test_score"] == reference["test_score"]


@pytest.mark.slow  # a CLI search first
def test_changed_study_file_is_refused(cli, study_file, iris_grid: str) -> None:
    path = study_file(iris_grid)
    assert cli("run", path, "--quiet").code == 0
    path.write_text(iris_grid.replace("cv = 3", "cv = 4"))
    result = cli("run", path)
    assert result.code == 2
    assert "search.cv: the stored study 'study' was run with 3, this file says 4" in result.err
    assert len(result.err.strip().splitlines()) == 1
    # n_jobs does not change results: a resume may use more processes.
    path.write_text(iris_grid.replace("cv = 3", "cv = 3\nn_jobs = 2"))
    assert cli("run", path, "--quiet").code == 0


@pytest.mark.slow  # two CLI searches
def test_native_study_extends_with_more_trials(cli, study_file, iris_grid: str) -> None:
    text = (iris_grid
            .replace("n_neighbors = [1, 5, 15]", 'n_neighbors = {low = 1, high = 40, type = "int"}')
            .replace('strategy = "grid"', 'strategy = "random"\nn_trials = 4\nseed = 3'))
    path = study_file(text, "extend.toml")
    first = json.loads(cli("run", path, "--format", "json").out)
    path.write_text(text.replace("n_trials = 4", "n_trials = 6"))
    more = cli("run", path, "--format", "json")
    assert more.code == 0, more.err
    assert "resuming study 'extend': 4 of 6 trials already done" in more.err
    trials = _trials(f"sqlite:///{path.with_suffix('.db')}", "extend")
    assert [t.number for t in trials] == list(range(6))
    fresh = study_file(text.replace("n_trials = 4", "n_trials = 6"), "fresh.toml")
    assert cli("run", fresh, "--quiet").code == 0
    reference = _trials(f"sqlite:///{fresh.with_suffix('.db')}", "fresh")
    assert [(dict(t.params), t.value) for t in trials] == [
        (dict(t.params), t.value) for t in reference]
    assert first["n_trials"] == 4


# The run's last step, printing its result, stopped by SIGTERM: the process sends the
# signal to itself from inside print_outcome, so the moment is exact, not a race.
_SIGTERM_WHILE_PRINTING = """\
import os, signal, sys
import tunesmith.cli._output as output
from tunesmith.cli import main

original = output.print_outcome

def print_then_terminated(*args, **kwargs):
    os.kill(os.getpid(), signal.SIGTERM)
    original(*args, **kwargs)

output.print_outcome = print_then_terminated
sys.exit(main(["run", sys.argv[1], "--no-progress"]))
"""


@pytest.mark.slow  # a CLI search in a subprocess
def test_sigterm_while_the_result_prints_stops_cleanly(cli, study_file,
                                                      iris_grid: str) -> None:
    path = study_file(iris_grid)
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env.pop("TUNESMITH_STORAGE", None)
    proc = subprocess.run([sys.executable, "-c", _SIGTERM_WHILE_PRINTING, str(path)],
                          capture_output=True, text=True, env=env, timeout=120)
    # Not killed by the signal (-15): interrupted like Ctrl-C, with nothing lost.
    assert proc.returncode == 130, proc.stderr
    assert "Traceback" not in proc.stderr, proc.stderr
    assert f"interrupted; resume with: tunesmith run {path} --no-progress" in proc.stderr
    trials = _trials(f"sqlite:///{path.with_suffix('.db')}", "study")
    assert len(trials) == 6 and all(t.state.is_finished for t in trials)
    # The rerun the message names finds the study done and prints its result.
    resumed = cli("run", path, "--no-progress")
    assert resumed.code == 0, resumed.err
    assert "6 of 6 trials x 3 folds = 18 fits already done" in resumed.err
