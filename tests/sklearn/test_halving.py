"""HalvingGridSearchCV and HalvingRandomSearchCV give scikit-learn's halving results.

Every test that fits runs scikit-learn's own halving search on the same inputs and
compares every ``cv_results_`` key (``assert_same_results`` in conftest.py) and every
fitted attribute of the schedule. Then: trials carry their resource as ``budget``; a
stored search interrupted mid-way resumes without refitting a stored trial; a resume
with other halving settings is refused; bad arguments raise scikit-learn's errors.
"""

from __future__ import annotations

import importlib.util
import re
import warnings
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pytest
from scipy.stats import loguniform, randint
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.datasets import load_diabetes, load_iris, make_classification
from sklearn.ensemble import ExtraTreesClassifier, RandomForestClassifier
from sklearn.experimental import enable_halving_search_cv  # noqa: F401
from sklearn.linear_model import LogisticRegression, Ridge, SGDClassifier
from sklearn.model_selection import HalvingGridSearchCV as SkHalvingGrid
from sklearn.model_selection import HalvingRandomSearchCV as SkHalvingRandom
from sklearn.model_selection import KFold, StratifiedKFold
from sklearn.svm import SVC

from tunesmith import Categorical, Space
from tunesmith.exceptions import StudyMismatchError
from tunesmith.records import TrialState
from tunesmith.sklearn import HalvingGridSearchCV, HalvingRandomSearchCV
from tunesmith.sklearn._halving_schedule import best_of_iteration, plan_halving
from tunesmith.storage import open_storage

#: The schedule's fitted attributes; all must equal scikit-learn's.
SCHEDULE = ("n_resources_", "n_candidates_", "n_remaining_candidates_", "min_resources_",
            "max_resources_", "n_iterations_", "n_possible_iterations_",
            "n_required_iterations_")

OURS = {"grid": HalvingGridSearchCV, "random": HalvingRandomSearchCV}
THEIRS = {"grid": SkHalvingGrid, "random": SkHalvingRandom}


@pytest.fixture(scope="module")
def iris() -> tuple[np.ndarray, np.ndarray]:
    return load_iris(return_X_y=True)


@pytest.fixture(scope="module")
def classification() -> tuple[np.ndarray, np.ndarray]:
    return make_classification(n_samples=300, n_features=8, n_informative=4, random_state=0)


def fit_both(kind: str, estimator: Any, space: Any, X: Any, y: Any, *,
             theirs_kwargs: dict[str, Any] | None = None, **kwargs: Any) -> tuple[Any, Any]:
    """Our and scikit-learn's halving search of that kind, built alike and fitted."""
    ours = OURS[kind](estimator, space, show_progress=False, **kwargs)
    theirs = THEIRS[kind](estimator, space, **(theirs_kwargs or kwargs))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence warnings, the same for both
        ours.fit(X, y)
        theirs.fit(X, y)
    return ours, theirs


def assert_same_halving(ours: Any, theirs: Any, same_results: Any) -> None:
    same_results(ours, theirs)
    for attr in SCHEDULE:
        assert getattr(ours, attr) == getattr(theirs, attr), attr
    # Each (candidate, iteration) is a trial whose budget is its resource.
    trials = sorted(ours.study_.trials, key=lambda t: t.candidate)
    assert [t.candidate for t in trials] == list(range(len(theirs.cv_results_["params"])))
    assert [t.budget for t in trials] == [float(r) for r in theirs.cv_results_["n_resources"]]


# -- the same results as scikit-learn ----------------------------------------------------

SVC_GRID = {"C": [0.1, 1, 10, 100], "gamma": ["scale", 0.01, 0.1]}


@pytest.mark.parametrize("settings", [
    {},  # factor 3, min_resources="exhaust", max_resources="auto"
    pytest.param({"factor": 2, "min_resources": "smallest"}, marks=pytest.mark.slow),
    {"factor": 2, "min_resources": 20, "max_resources": 120, "aggressive_elimination": True},
    {"factor": 2.5, "min_resources": 15, "refit": False, "return_train_score": False},
    # "exhaust" with a float factor: min_resources_ is a float there.
    pytest.param({"factor": 1.5}, marks=pytest.mark.slow),
], ids=["defaults", "factor2-smallest", "aggressive", "float-factor-no-refit", "exhaust-1.5"])
def test_svc_on_samples(iris: Any, same_results: Any, settings: dict[str, Any]) -> None:
    ours, theirs = fit_both("grid", SVC(), SVC_GRID, *iris, random_state=0, **settings)
    assert_same_halving(ours, theirs, same_results)
    assert ours.n_iterations_ > 1


def test_logistic_regression_on_samples_with_a_shuffled_seeded_cv(classification: Any,
                                                                   same_results: Any) -> None:
    grid = {"C": [0.001, 0.01, 0.1, 1, 10, 100], "fit_intercept": [True, False]}
    ours, theirs = fit_both("grid", LogisticRegression(solver="liblinear"), grid,
                            *classification,
                            cv=StratifiedKFold(4, shuffle=True, random_state=3),
                            random_state=7, factor=2)
    assert_same_halving(ours, theirs, same_results)
    # 12 candidates, 4 iterations: "exhaust" starts at 300 // 2**3 rows.
    assert ours.n_resources_ == [37, 74, 148, 296]


def test_a_regressor_starts_from_two_samples_per_split(same_results: Any) -> None:
    X, y = load_diabetes(return_X_y=True)
    ours, theirs = fit_both("grid", Ridge(), {"alpha": np.logspace(-3, 3, 10)}, X, y,
                            min_resources="smallest", random_state=0, cv=KFold(4))
    assert_same_halving(ours, theirs, same_results)
    assert ours.min_resources_ == 8  # 4 splits x 2, no classes


@pytest.mark.slow
@pytest.mark.parametrize("forest", [RandomForestClassifier, ExtraTreesClassifier])
def test_forests_on_n_estimators(classification: Any, same_results: Any, forest: Any) -> None:
    grid = {"max_depth": [2, 4, None], "max_features": [0.5, 1.0]}
    ours, theirs = fit_both("grid", forest(random_state=0), grid, *classification,
                            resource="n_estimators", max_resources=12, factor=2, cv=3)
    assert_same_halving(ours, theirs, same_results)
    # The resource is a parameter of every candidate, set per iteration.
    assert [p["n_estimators"] for p in ours.cv_results_["params"]] == list(
        theirs.cv_results_["n_resources"])


def test_sgd_on_max_iter_with_aggressive_elimination(classification: Any,
                                                     same_results: Any) -> None:
    grid = {"alpha": [1e-5, 1e-4, 1e-3, 1e-2, 1e-1], "loss": ["hinge", "log_loss"]}
    ours, theirs = fit_both("grid", SGDClassifier(random_state=0, tol=None), grid,
                            *classification, resource="max_iter", max_resources=9,
                            min_resources=3, factor=3, aggressive_elimination=True, cv=3)
    assert_same_halving(ours, theirs, same_results)
    # Not enough resources for 10 candidates: the first resource is replayed.
    assert ours.n_resources_ == [3, 3, 9] and ours.n_candidates_ == [10, 4, 2]


@pytest.mark.slow
def test_random_search_with_a_number_of_candidates(iris: Any, same_results: Any) -> None:
    space = {"C": loguniform(1e-3, 1e3), "kernel": ["linear", "rbf"]}
    ours, theirs = fit_both("random", SVC(), space, *iris, n_candidates=14, factor=2,
                            random_state=4)
    assert_same_halving(ours, theirs, same_results)


def test_random_search_exhausts_the_resources(classification: Any,
                                              same_results: Any) -> None:
    space = {"C": loguniform(1e-2, 1e2), "fit_intercept": [True, False]}
    ours, theirs = fit_both("random", LogisticRegression(solver="liblinear"), space,
                            *classification, n_candidates="exhaust", min_resources=30,
                            random_state=0)
    assert_same_halving(ours, theirs, same_results)
    assert ours.n_candidates_[0] == 300 // 30


def test_a_random_state_instance_draws_as_in_scikit_learn(classification: Any,
                                                           same_results: Any) -> None:
    # A RandomState instance advances at every pass over the candidates: the checks
    # draw once more than the evaluation, in both searches alike.
    space = {"max_depth": randint(1, 8), "min_samples_leaf": [1, 2, 4]}
    ours, theirs = fit_both(
        "random", ExtraTreesClassifier(random_state=0), space, *classification,
        random_state=np.random.RandomState(1), n_candidates=9, resource="n_estimators",
        max_resources=9, cv=3, theirs_kwargs={
            "random_state": np.random.RandomState(1), "n_candidates": 9,
            "resource": "n_estimators", "max_resources": 9, "cv": 3})
    assert_same_halving(ours, theirs, same_results)


def test_a_refit_callable_does_not_pick_the_best(iris: Any, same_results: Any) -> None:
    ours, theirs = fit_both("grid", SVC(), SVC_GRID, *iris, random_state=0,
                            refit=lambda results: 0)
    assert_same_halving(ours, theirs, same_results)
    assert ours.best_index_ == theirs.best_index_ != 0
    assert ours.score(*iris) == theirs.score(*iris)


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::tunesmith.sklearn.SkippedCandidatesWarning")
def test_skipped_candidates_keep_scikit_learns_failed_rows(classification: Any,
                                                           same_results: Any) -> None:
    # newton-cholesky has no l1 penalty: those candidates fail whatever the data.
    grid = {"C": [0.01, 0.1, 1, 10], "penalty": ["l1", "l2"],
            "solver": ["liblinear", "newton-cholesky"]}
    ours, theirs = fit_both("grid", LogisticRegression(), grid, *classification, factor=2,
                            random_state=0)
    assert_same_halving(ours, theirs, same_results)
    first = ours.cv_results_["iter"] == 0
    params = [p for p, f in zip(ours.cv_results_["params"], first, strict=True) if f]
    skipped = [r is not None for r in ours.cv_results_["skip_reason"][first]]
    assert skipped == [p["penalty"] == "l1" and p["solver"] == "newton-cholesky"
                       for p in params] and any(skipped)
    states = {t.candidate: t.state for t in ours.study_.trials}
    assert [states[i] is TrialState.SKIPPED for i in range(len(params))] == skipped


def test_a_tunesmith_space_is_a_grid_as_the_same_lists_are(iris: Any, same_results: Any
                                                            ) -> None:
    space = Space({"kernel": Categorical(["linear", "rbf"]), "C": Categorical([0.1, 1, 10])})
    ours = HalvingGridSearchCV(SVC(), space, random_state=0, show_progress=False).fit(*iris)
    theirs = SkHalvingGrid(SVC(), {"kernel": ["linear", "rbf"], "C": [0.1, 1, 10]},
                           random_state=0).fit(*iris)
    assert_same_halving(ours, theirs, same_results)
    drawn = HalvingRandomSearchCV(SVC(), space, n_candidates=4, random_state=0,
                                  show_progress=False).fit(*iris)
    assert drawn.n_candidates_ == [4, 2] and drawn.best_params_ in drawn.cv_results_["params"]


def test_verbose_prints_scikit_learns_lines(iris: Any, capsys: pytest.CaptureFixture) -> None:
    printed = []
    for cls in (HalvingGridSearchCV, SkHalvingGrid):
        cls(SVC(), {"C": [0.1, 1, 10]}, random_state=0, verbose=1).fit(*iris)
        printed.append(capsys.readouterr().out)
    assert printed[0] == printed[1] and "n_required_iterations: 2" in printed[0]


@pytest.mark.slow
def test_worker_processes_give_the_serial_results(iris: Any, same_results: Any) -> None:
    ours, theirs = fit_both("grid", SVC(), SVC_GRID, *iris, random_state=0, factor=2,
                            n_jobs=2, theirs_kwargs={"random_state": 0, "factor": 2})
    assert_same_halving(ours, theirs, same_results)


def test_callbacks_see_scikit_learns_task_tree(classification: Any) -> None:
    utils = pytest.importorskip("sklearn.callback.tests._utils")
    from sklearn.callback._callback_context import get_context_path

    trees = []
    for cls in (SkHalvingGrid, HalvingGridSearchCV):
        callbacks = [utils.RecordingCallback(), utils.RecordingAutoPropagatedCallback()]
        search = cls(utils.MaxIterEstimator(), {"computation_intensity": [0.0, 1e-4, 2e-4]},
                     resource="max_iter", max_resources=6, factor=2, cv=2, scoring="r2")
        search.set_callbacks(*callbacks).fit(*classification)
        # Each hook with the task path above it: the search, each halving iteration,
        # each candidate-split evaluation and the estimator's own tasks, the refit.
        trees.append([Counter((entry["name"], tuple(
            (c.estimator_name, c.task_name, c.task_id)
            for c in get_context_path(entry["context"]))) for entry in callback.record)
            for callback in callbacks])
    theirs, ours = trees
    assert ours == theirs
    assert any("halving-iteration" in str(key) for key in theirs[0])


@pytest.mark.parametrize("kind", ["grid", "random"])
def test_the_parameters_are_scikit_learns_with_its_defaults_plus_the_extras(kind: str) -> None:
    ours = OURS[kind](SVC(), {"C": [1]}).get_params(deep=False)
    theirs = THEIRS[kind](SVC(), {"C": [1]}).get_params(deep=False)
    assert set(ours) - set(theirs) == {"storage", "study_name", "show_progress",
                                       "skip_invalid", "executor"}
    assert set(theirs) <= set(ours)
    assert {k: repr(v) for k, v in theirs.items()} == {k: repr(ours[k]) for k in theirs}
    assert clone(OURS[kind](SVC(), {"C": [1]}, factor=2)).factor == 2


# -- the arithmetic alone ----------------------------------------------------------------


def test_the_plan_follows_scikit_learns_formulas() -> None:
    plan = plan_halving(n_candidates=30, factor=3, min_resources=6, max_resources=1000,
                        exhaust=True, aggressive=False)
    # 30 candidates: 1 + floor(log3(30)) = 4 iterations; exhaust: 1000 // 27 = 37.
    assert (plan.n_required_iterations, plan.min_resources) == (4, 37)
    assert [plan.resources(i) for i in range(plan.n_iterations)] == [37, 111, 333, 999]
    short = plan_halving(n_candidates=30, factor=3, min_resources=100, max_resources=1000,
                         exhaust=False, aggressive=True)
    assert (short.n_possible_iterations, short.n_iterations) == (3, 4)
    assert [short.resources(i) for i in range(4)] == [100, 100, 300, 900]


def test_the_best_of_an_iteration_puts_failures_first_and_the_best_last() -> None:
    results = {"iter": np.array([0, 0, 1, 1, 1]),
               "mean_test_score": np.array([0.9, 0.1, np.nan, 0.5, 0.7]),
               "params": [{"a": 0}, {"a": 1}, {"a": 2}, {"a": 3}, {"a": 4}]}
    assert best_of_iteration(results, 2, 1) == [{"a": 3}, {"a": 4}]
    assert best_of_iteration(results, 3, 1) == [{"a": 2}, {"a": 3}, {"a": 4}]


# -- stored and resumed ------------------------------------------------------------------


class CountingCentroid(ClassifierMixin, BaseEstimator):
    """A nearest-centroid classifier that logs each fit and can interrupt one."""

    fits: ClassVar[list[tuple[float, int]]] = []
    interrupt_at: ClassVar[int | None] = None

    def __init__(self, shrink: float = 0.0) -> None:
        self.shrink = shrink

    def fit(self, X: Any, y: Any) -> CountingCentroid:
        if CountingCentroid.interrupt_at == len(CountingCentroid.fits):
            raise KeyboardInterrupt
        CountingCentroid.fits.append((self.shrink, len(X)))
        X, y = np.asarray(X, dtype=float), np.asarray(y)
        self.classes_ = np.unique(y)
        overall = X.mean(axis=0)
        self.centroids_ = np.array([(1 - self.shrink) * X[y == c].mean(axis=0)
                                    + self.shrink * overall for c in self.classes_])
        return self

    def predict(self, X: Any) -> np.ndarray:
        diff = np.asarray(X, dtype=float)[:, None, :] - self.centroids_[None]
        return self.classes_[(diff ** 2).sum(axis=-1).argmin(axis=1)]


SHRINKS = {"shrink": [0.0, 0.1, 0.2, 0.4, 0.6, 0.7, 0.8, 0.9, 0.95]}

# PostgreSQL from the storage tests' helpers: a fresh schema per test, dropped after;
# skipped when no server answers (failed in CI).
_spec = importlib.util.spec_from_file_location(
    "_storage_conftest_for_halving", Path(__file__).parent.parent / "storage" / "conftest.py")
assert _spec is not None and _spec.loader is not None
_storage_conftest = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_storage_conftest)


@pytest.fixture(params=[pytest.param("sqlite", id="sqlite"),
                        pytest.param("postgres", id="postgres", marks=pytest.mark.postgres)])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'halving.db'}"
    else:
        with _storage_conftest.postgres_schema_url() as schema_url:
            yield schema_url


def _stored(url: str, **changes: Any) -> HalvingGridSearchCV:
    # skip_invalid=False: discovery's probe fits would be counted too.
    settings: dict[str, Any] = {"cv": 3, "random_state": 0, "factor": 3,
                                "min_resources": 15, **changes}
    return HalvingGridSearchCV(CountingCentroid(), SHRINKS, storage=url, study_name="halving",
                               skip_invalid=False, show_progress=False, **settings)


def test_an_interrupted_stored_search_resumes_without_refitting(
        url: str, iris: Any, same_results: Any) -> None:
    X, y = iris
    reference = SkHalvingGrid(CountingCentroid(), SHRINKS, cv=3, random_state=0,
                              min_resources=15).fit(X, y)
    assert reference.n_candidates_ == [9, 3, 1]
    CountingCentroid.fits = []
    CountingCentroid.interrupt_at = 9 * 3 + 4  # the first iteration done, 1 of the 2nd
    try:
        with pytest.raises(KeyboardInterrupt):
            _stored(url).fit(X, y)
    finally:
        CountingCentroid.interrupt_at = None
    with open_storage(url) as storage:
        trials = storage.trials(storage.study_id("halving"))
    finished = {t.candidate: t.budget for t in trials if t.state.is_finished}
    assert finished == {**dict.fromkeys(range(9), 15.0), 9: 45.0}

    CountingCentroid.fits = []
    resumed = _stored(url).fit(X, y)
    same_results(resumed, reference)
    for attr in SCHEDULE:
        assert getattr(resumed, attr) == getattr(reference, attr), attr
    # Fitted now: the 2nd and 3rd survivors of iteration 1 (45 rows, 30 per fold), the
    # last iteration (135 rows, 90 per fold), the refit; nothing stored before.
    second = [p["shrink"] for p in reference.cv_results_["params"][10:12]]
    best = reference.best_params_["shrink"]
    assert CountingCentroid.fits == [*((s, 30) for s in second for _ in range(3)),
                                     *((best, 90) for _ in range(3)), (best, 150)]

    # Finished: a new fit reads every score back and fits the refit alone.
    CountingCentroid.fits = []
    again = _stored(url).fit(X, y)
    assert CountingCentroid.fits == [(best, 150)]
    same_results(again, reference)


def test_a_resume_with_other_halving_settings_is_refused(url: str, iris: Any) -> None:
    _stored(url).fit(*iris)
    # Same first iteration (candidates and splits): only the settings tell them apart.
    with pytest.raises(StudyMismatchError, match=re.escape("halving settings (factor")):
        _stored(url, factor=2).fit(*iris)
    # Without a study name the other settings have a study of their own.
    search = _stored(url, factor=2).set_params(study_name=None)
    search.fit(*iris)
    assert search.study_.name != "halving" and search.n_candidates_ == [9, 5, 3, 2]


# -- scikit-learn's errors for bad arguments --------------------------------------------


@pytest.mark.parametrize(("kind", "kwargs"), [
    ("grid", {"factor": 0}),
    ("grid", {"min_resources": "most"}),
    ("grid", {"max_resources": 0}),
    ("grid", {"aggressive_elimination": "yes"}),
    ("grid", {"scoring": ["accuracy", "f1_macro"]}),
    ("grid", {"param_grid": "C"}),
    ("grid", {"resource": "n_trees"}),
    ("grid", {"resource": "C"}),
    ("grid", {"resource": "max_iter"}),
    ("grid", {"min_resources": 200}),
    ("grid", {"cv": KFold(3, shuffle=True)}),
    ("random", {"n_candidates": 0}),
    ("random", {"n_candidates": "exhaust", "min_resources": "exhaust"}),
], ids=lambda v: v if isinstance(v, str) else "-".join(map(str, v)))
def test_bad_arguments_raise_scikit_learns_errors(iris: Any, kind: str,
                                                  kwargs: dict[str, Any]) -> None:
    space = kwargs.pop("param_grid", {"C": [0.1, 1, 10]})
    errors = []
    for cls in (THEIRS[kind], OURS[kind]):
        with pytest.raises((ValueError, TypeError)) as info:
            cls(LogisticRegression(), space, **kwargs).fit(*iris)
        errors.append(info.value)
    theirs, ours = errors
    assert type(ours) is type(theirs)
    assert str(ours) == str(theirs)
