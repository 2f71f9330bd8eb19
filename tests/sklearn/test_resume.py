"""A drop-in search with ``storage=`` survives being killed, and refuses a wrong resume.

* SIGKILL at random moments (seeded: ``TUNESMITH_KILL_SEED``), five times, then a
  resume: the final ``cv_results_`` equals an uninterrupted run's, the study holds each
  candidate once, and no run fitted a candidate that was finished when it started.
* An interrupted fit (Ctrl-C) resumed in process fits exactly the unfinished
  candidates, and the result equals scikit-learn's own ``GridSearchCV``.
* Resuming with other data, estimator, grid or folds raises ``StudyMismatchError``.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any, ClassVar

import numpy as np
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.datasets import load_iris
from sklearn.model_selection import GridSearchCV as SklearnGridSearchCV
from sklearn.model_selection import KFold, ParameterGrid, StratifiedKFold
from sklearn.neighbors import KNeighborsClassifier

from tunesmith import Study
from tunesmith.exceptions import StudyMismatchError
from tunesmith.records import TrialState
from tunesmith.sklearn import GridSearchCV, RandomizedSearchCV
from tunesmith.storage import open_storage

TIMING = ("mean_fit_time", "std_fit_time", "mean_score_time", "std_score_time")

# The search the killed processes run. It lives in a module of its own, imported by
# name both in the subprocesses and here, because the stored fingerprint names the
# estimator's module: a class defined in __main__ would not resume here.
HELPER_NAME = "tunesmith_resume_helper"
HELPER = '''
"""A slow nearest-centroid classifier that logs its fits, and the search around it."""
import hashlib, json, os, sys, time

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.datasets import load_breast_cancer

# 10 x 3 = 30 candidates: 20 that fit (3 folds, DELAY s each) and 10 that any data
# rejects, which discovery skips. About 4 s of fitting in all.
GRID = {"shrink": [0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9],
        "metric": ["euclidean", "bogus", "manhattan"]}
DELAY = 0.06
STUDY = "killed"


def digest(X):
    return hashlib.sha1(np.ascontiguousarray(X, dtype=float).tobytes()).hexdigest()[:16]


class SlowCentroid(ClassifierMixin, BaseEstimator):
    def __init__(self, shrink=0.0, metric="euclidean", delay=0.0, log=None):
        self.shrink = shrink
        self.metric = metric
        self.delay = delay
        self.log = log

    def fit(self, X, y):
        if self.metric not in ("euclidean", "manhattan"):
            raise ValueError("The 'metric' parameter of SlowCentroid must be a str among "
                             f"{{'euclidean', 'manhattan'}}. Got {self.metric!r} instead.")
        if self.log:  # one short write per line: whole lines even when killed
            line = json.dumps([os.getpid(), self.metric, self.shrink, digest(X)]) + "\\n"
            fd = os.open(self.log, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
            try:
                os.write(fd, line.encode())
            finally:
                os.close(fd)
        time.sleep(self.delay)
        X, y = np.asarray(X, dtype=float), np.asarray(y)
        self.classes_ = np.unique(y)
        overall = X.mean(axis=0)
        self.centroids_ = np.array([(1 - self.shrink) * X[y == c].mean(axis=0)
                                    + self.shrink * overall for c in self.classes_])
        return self

    def predict(self, X):
        diff = np.asarray(X, dtype=float)[:, None, :] - self.centroids_[None]
        if self.metric == "manhattan":
            dist = np.abs(diff).sum(axis=-1)
        else:
            dist = np.sqrt((diff ** 2).sum(axis=-1))
        return self.classes_[dist.argmin(axis=1)]


def data():
    return load_breast_cancer(return_X_y=True)


def search(url, log):
    from tunesmith.sklearn import GridSearchCV

    return GridSearchCV(SlowCentroid(delay=DELAY, log=log), GRID, cv=3, storage=url,
                        study_name=STUDY, show_progress=False)


def main():
    url, log = sys.argv[1:3]
    X, y = data()
    search(url, log).fit(X, y)
'''


@pytest.fixture(scope="module")
def helper(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, ModuleType]]:
    """The helper module's folder, and the module imported from it."""
    folder = tmp_path_factory.mktemp("helper")
    (folder / f"{HELPER_NAME}.py").write_text(HELPER, encoding="utf-8")
    sys.path.insert(0, str(folder))
    try:
        yield folder, importlib.import_module(HELPER_NAME)
    finally:
        sys.path.remove(str(folder))
        sys.modules.pop(HELPER_NAME, None)


def _start(folder: Path, url: str, log: Path) -> subprocess.Popen[str]:
    path = os.pathsep.join(p for p in (str(folder), os.environ.get("PYTHONPATH")) if p)
    env = {**os.environ, "PYTHONPATH": path, "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen(
        [sys.executable, "-c", f"import {HELPER_NAME} as h; h.main()", url, str(log)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env,
    )


def _finished_candidates(db: Path) -> set[int]:
    """Candidates with a finished trial, read with plain sqlite3 (not our storage)."""
    if not db.exists():
        return set()
    with contextlib.closing(sqlite3.connect(db, timeout=30)) as conn:
        try:
            rows = conn.execute(
                "SELECT candidate FROM tunesmith_trials WHERE state != 'running'"
            ).fetchall()
        except sqlite3.OperationalError as error:
            if "no such table" in str(error):  # killed before the tables were made
                return set()
            raise
    return {row[0] for row in rows}


def _assert_same_cv_results(ours: Any, reference: Any) -> None:
    """Every cv_results_ key but the timings equal, and the best_* attributes."""
    a, b = ours.cv_results_, reference.cv_results_
    assert list(a) == list(b)
    for key, expected in b.items():
        got = a[key]
        if key in TIMING:
            continue
        if isinstance(expected, np.ma.MaskedArray):
            assert got.dtype == expected.dtype, key
            np.testing.assert_array_equal(np.ma.getmaskarray(got), np.ma.getmaskarray(expected))
            assert list(got.compressed()) == list(expected.compressed()), key
        elif isinstance(expected, np.ndarray):
            assert got.dtype == expected.dtype, key
            np.testing.assert_array_equal(got, expected, err_msg=key)  # NaN equals NaN
        else:
            assert got == expected, key
    for attr in ("best_index_", "best_params_", "best_score_", "n_splits_"):
        assert getattr(ours, attr) == getattr(reference, attr), attr


@pytest.mark.slow
# The bogus candidates: skipped (when still pending), hence NaN scores.
@pytest.mark.filterwarnings("ignore::tunesmith.sklearn.SkippedCandidatesWarning")
@pytest.mark.filterwarnings("ignore:One or more of the test scores are non-finite")
def test_grid_search_survives_sigkill_at_random_moments(helper, tmp_path: Path) -> None:
    folder, h = helper
    seed = int(os.environ.get("TUNESMITH_KILL_SEED", "2024"))
    rng = random.Random(seed)
    db, log = tmp_path / "killed.db", tmp_path / "fits.log"
    url = f"sqlite:///{db}"
    X, y = h.data()
    candidates = list(ParameterGrid(h.GRID))
    index_of = {(c["metric"], c["shrink"]): i for i, c in enumerate(candidates)}

    runs: list[tuple[int, set[int]]] = []  # (pid, candidates finished when it started)
    for round_ in range(5):
        before = _finished_candidates(db)
        proc = _start(folder, url, log)
        try:
            if round_ == 0:
                time.sleep(rng.uniform(0.3, 2.5))  # importing, opening the study, probing
            else:
                deadline = time.monotonic() + 120
                while len(_finished_candidates(db)) <= len(before):
                    assert proc.poll() is None, f"run {round_} ended early: {proc.stderr.read()}"
                    assert time.monotonic() < deadline, f"run {round_}: no progress in 120 s"
                    time.sleep(0.02)
                time.sleep(rng.uniform(0.0, 0.2))
            assert proc.poll() is None, (
                f"run {round_} finished before its kill (seed {seed}): the search is too short"
            )
            proc.send_signal(signal.SIGKILL)
            proc.communicate(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        assert proc.returncode == -signal.SIGKILL
        after = _finished_candidates(db)
        assert before <= after, f"run {round_} lost finished candidates {before - after}"
        runs.append((proc.pid, before))

    before = _finished_candidates(db)
    assert len(before) < len(candidates), "nothing was left for the resume"
    resumed = h.search(url, str(log)).fit(X, y)
    runs.append((os.getpid(), before))

    reference = h.search(f"sqlite:///{tmp_path / 'clean.db'}", None).fit(X, y)
    _assert_same_cv_results(resumed, reference)
    assert list(resumed.cv_results_.get("skip_reason", [])) == list(
        reference.cv_results_.get("skip_reason", []))

    # Each candidate once in the study, none missing, none left running.
    with open_storage(url) as storage:
        trials = storage.trials(storage.study_id(h.STUDY))
    assert sorted(t.candidate for t in trials) == list(range(len(candidates)))
    assert all(t.state.is_finished for t in trials)
    assert {t.candidate for t in trials if t.state is TrialState.SKIPPED} == {
        i for i, c in enumerate(candidates) if c["metric"] == "bogus"
    }

    # No run fitted a fold of a candidate that was finished when it started, and the
    # resume fitted every fold of every candidate still open.
    folds = {h.digest(X[train]) for train, _ in StratifiedKFold(3).split(X, y)}
    fits = [json.loads(line) for line in log.read_text().splitlines()]
    for round_, (pid, done) in enumerate(runs):
        fitted = {index_of[(m, s)] for p, m, s, d in fits if p == pid and d in folds}
        assert not fitted & done, f"run {round_} refitted finished candidates {fitted & done}"
        if round_:  # it made progress, so it fitted folds: the check above saw them
            assert fitted, f"run {round_} fitted no fold"
    final = [(index_of[(m, s)], d) for p, m, s, d in fits if p == os.getpid() and d in folds]
    open_ = {i for i, c in enumerate(candidates) if c["metric"] != "bogus"} - before
    assert sorted(final) == sorted((i, d) for i in open_ for d in folds)


class CountingCentroid(ClassifierMixin, BaseEstimator):
    """A nearest-centroid classifier that records each fit, and can play Ctrl-C."""

    fits: ClassVar[list[tuple[str, float, int]]] = []  # (metric, shrink, rows)
    interrupt_at: ClassVar[int | None] = None  # raise KeyboardInterrupt at this fit

    def __init__(self, shrink: float = 0.0, metric: str = "euclidean") -> None:
        self.shrink = shrink
        self.metric = metric

    def fit(self, X: Any, y: Any) -> CountingCentroid:
        if len(CountingCentroid.fits) == CountingCentroid.interrupt_at:
            raise KeyboardInterrupt
        CountingCentroid.fits.append((self.metric, self.shrink, len(X)))
        X, y = np.asarray(X, dtype=float), np.asarray(y)
        self.classes_ = np.unique(y)
        overall = X.mean(axis=0)
        self.centroids_ = np.array([(1 - self.shrink) * X[y == c].mean(axis=0)
                                    + self.shrink * overall for c in self.classes_])
        return self

    def predict(self, X: Any) -> Any:
        diff = np.asarray(X, dtype=float)[:, None, :] - self.centroids_[None]
        p = 1 if self.metric == "manhattan" else 2
        return self.classes_[(np.abs(diff) ** p).sum(axis=-1).argmin(axis=1)]


def test_a_resumed_fit_fits_only_the_unfinished_candidates(tmp_path: Path,
                                                           same_results) -> None:
    X, y = load_iris(return_X_y=True)
    grid = {"shrink": [0.0, 0.25, 0.5, 0.75, 0.9], "metric": ["euclidean", "manhattan"]}
    candidates = list(ParameterGrid(grid))
    url = f"sqlite:///{tmp_path / 'counted.db'}"

    def search() -> GridSearchCV:
        # skip_invalid=False: discovery's probe fits would be counted too.
        return GridSearchCV(CountingCentroid(), grid, cv=3, storage=url,
                            study_name="counted", skip_invalid=False)

    CountingCentroid.fits = []
    CountingCentroid.interrupt_at = 13  # candidates 0-3 done, candidate 4 at its 2nd fold
    try:
        with pytest.raises(KeyboardInterrupt):
            search().fit(X, y)
    finally:
        CountingCentroid.interrupt_at = None
    with open_storage(url) as storage:
        trials = storage.trials(storage.study_id("counted"))
    assert {t.candidate for t in trials if t.state.is_finished} == {0, 1, 2, 3}

    CountingCentroid.fits = []
    resumed = search().fit(X, y)
    expected = [(c["metric"], c["shrink"], 100) for c in candidates[4:] for _ in range(3)]
    best = resumed.best_params_
    assert CountingCentroid.fits == [*expected, (best["metric"], best["shrink"], 150)]

    reference = SklearnGridSearchCV(CountingCentroid(), grid, cv=3).fit(X, y)
    same_results(resumed, reference)

    # A finished study: fit again reads every score back and fits only the refit.
    CountingCentroid.fits = []
    again = search().fit(X, y)
    assert CountingCentroid.fits == [(best["metric"], best["shrink"], 150)]
    same_results(again, reference)


# -- a resume on other inputs is refused ------------------------------------------------

IRIS_GRID = {"n_neighbors": [1, 5, 9]}


def _knn_search(url: str, **changes: Any) -> GridSearchCV:
    settings: dict[str, Any] = {"estimator": KNeighborsClassifier(), "param_grid": IRIS_GRID,
                                "cv": 3, **changes}
    return GridSearchCV(settings.pop("estimator"), settings.pop("param_grid"),
                        storage=url, study_name="iris", **settings)


def _other_X(X: Any) -> Any:
    changed = X.copy()
    changed[0, 0] += 0.1
    return changed


@pytest.mark.parametrize(
    ("changes", "X_of", "what"),
    [
        ({}, _other_X, r"data \(X\)"),
        ({"estimator": KNeighborsClassifier(weights="distance")}, None, "estimator"),
        ({"param_grid": {"n_neighbors": [1, 5, 9, 13]}}, None,
         r"candidate list \(param_grid / param_distributions, n_iter, random_state\)"),
        ({"cv": 4}, None, r"cross-validation splits \(cv\)"),
        ({"cv": KFold(3, shuffle=True, random_state=0)}, None,
         r"cross-validation splits \(cv\)"),
        ({"scoring": "balanced_accuracy"}, None, "scoring, error_score or return_train_score"),
    ],
    ids=["data", "estimator", "grid", "n_folds", "splitter", "scoring"],
)
def test_resuming_on_other_inputs_is_refused(tmp_path: Path, changes, X_of, what) -> None:
    X, y = load_iris(return_X_y=True)
    url = f"sqlite:///{tmp_path / 'iris.db'}"
    _knn_search(url).fit(X, y)
    with open_storage(url) as storage:
        stored = [(t.candidate, t.value) for t in storage.trials(storage.study_id("iris"))]

    with pytest.raises(StudyMismatchError,
                       match=rf"^study 'iris' was run with a different {what}; its stored "
                             r"scores do not apply\. Resume it with the same inputs, or pass "
                             r"a new study_name to start afresh$"):
        _knn_search(url, **changes).fit(X if X_of is None else X_of(X), y)
    with open_storage(url) as storage:  # the refusal changed nothing
        assert [(t.candidate, t.value)
                for t in storage.trials(storage.study_id("iris"))] == stored


def test_a_changed_target_and_several_changes_are_all_named(tmp_path: Path) -> None:
    X, y = load_iris(return_X_y=True)
    url = f"sqlite:///{tmp_path / 'iris.db'}"
    _knn_search(url).fit(X, y)
    with pytest.raises(StudyMismatchError, match=r"different target \(y\);"):
        _knn_search(url).fit(X, y[::-1])
    with pytest.raises(StudyMismatchError,
                       match=r"different data \(X\), estimator, cross-validation splits"):
        _knn_search(url, estimator=KNeighborsClassifier(p=1), cv=5).fit(_other_X(X), y)


def test_a_random_search_resumed_with_another_n_iter_is_refused(tmp_path: Path) -> None:
    X, y = load_iris(return_X_y=True)
    url = f"sqlite:///{tmp_path / 'random.db'}"

    def search(n_iter: int) -> RandomizedSearchCV:
        return RandomizedSearchCV(KNeighborsClassifier(), {"n_neighbors": list(range(1, 30))},
                                  n_iter=n_iter, random_state=0, cv=3, storage=url,
                                  study_name="random")

    search(4).fit(X, y)
    with pytest.raises(StudyMismatchError, match=r"different candidate list"):
        search(6).fit(X, y)


def test_a_study_not_made_by_a_search_is_refused(tmp_path: Path) -> None:
    X, y = load_iris(return_X_y=True)
    url = f"sqlite:///{tmp_path / 'native.db'}"
    study = Study(space={"n_neighbors": [1, 5]}, sampler="grid", direction="maximize",
                  storage=url, name="iris")
    study.optimize(lambda trial: 0.5)
    study.close()
    with pytest.raises(StudyMismatchError,
                       match=r"^study 'iris' already has trials that no drop-in search "
                             r"recorded; pass another study_name$"):
        _knn_search(url).fit(X, y)


def test_without_a_study_name_the_same_search_finds_its_study_again(tmp_path: Path) -> None:
    X, y = load_iris(return_X_y=True)
    grid = {"shrink": [0.0, 0.5, 0.9], "metric": ["euclidean", "manhattan"]}
    url = f"sqlite:///{tmp_path / 'unnamed.db'}"

    def search(**changes: Any) -> GridSearchCV:
        return GridSearchCV(CountingCentroid(), {**grid, **changes}, cv=3, storage=url,
                            skip_invalid=False)

    CountingCentroid.fits = []
    first = search().fit(X, y)
    assert len(CountingCentroid.fits) == 6 * 3 + 1
    CountingCentroid.fits = []
    again = search().fit(X, y)  # no study_name: same inputs, same study, nothing refitted
    assert len(CountingCentroid.fits) == 1  # the refit only
    assert again.study_.name == first.study_.name
    assert first.study_.name.startswith("GridSearchCV-CountingCentroid-")
    np.testing.assert_array_equal(again.cv_results_["mean_test_score"],
                                  first.cv_results_["mean_test_score"])
    # Other inputs are another search: a study of its own, not a refused resume.
    other = search(shrink=[0.0, 0.25]).fit(X, y)
    assert other.study_.name != first.study_.name
    with open_storage(url) as storage:
        assert len(storage.list_studies()) == 2


def test_ctrl_c_while_a_model_based_search_asks_leaves_no_trial_held(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Ctrl-C can land while the sampler chooses a point: the trial is already stored,
    # RUNNING, and no fold of it is in flight yet. It must be given up like the others.
    from tunesmith.samplers import TPESampler
    from tunesmith.sklearn import TPESearchCV
    from tunesmith.space import Float

    X, y = load_iris(return_X_y=True)
    url = f"sqlite:///{tmp_path / 'tpe.db'}"
    propose = TPESampler.propose

    def interrupted(self: TPESampler, space: Any, history: Any, number: int) -> dict:
        if number == 3:
            raise KeyboardInterrupt
        return propose(self, space, history, number)

    def search() -> TPESearchCV:
        return TPESearchCV(CountingCentroid(), {"shrink": Float(0.0, 0.9)}, n_iter=6, cv=3,
                           random_state=0, storage=url, study_name="tpe")

    monkeypatch.setattr(TPESampler, "propose", interrupted)
    with pytest.raises(KeyboardInterrupt):
        search().fit(X, y)
    with open_storage(url) as storage:
        trials = storage.trials(storage.study_id("tpe"))
    assert [t.state for t in trials] == [TrialState.COMPLETE] * 3 + [TrialState.RUNNING]
    assert trials[-1].owner == "released"

    monkeypatch.setattr(TPESampler, "propose", propose)
    resumed = search().fit(X, y)
    assert len(resumed.cv_results_["params"]) == 6
    with open_storage(url) as storage:
        trials = storage.trials(storage.study_id("tpe"))
    assert [t.state for t in trials] == [TrialState.COMPLETE] * 6
