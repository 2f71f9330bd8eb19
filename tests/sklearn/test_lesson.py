"""The reference lesson, end to end: tunesmith's drop-ins against scikit-learn's own.

The lesson tunes a LogisticRegression on the cleaned Titanic table with a grid of
C x penalty x solver (140 candidates) and a random search over C = logspace(-4, 4, 20)
(n_iter=100, random_state=42), both cv=5 and accuracy. The estimator gets a fixed
random_state: its sag and saga solvers draw random numbers.

Fits are counted with a LogisticRegression subclass that records each ``fit`` call,
its number of rows and whether it raised.
"""

from __future__ import annotations

import warnings
from collections import Counter
from typing import Any, ClassVar

import numpy as np
import pytest
from sklearn import model_selection as skms
from sklearn.exceptions import FitFailedWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_val_score

import tunesmith
from tunesmith import sklearn as ts
from tunesmith.samplers import RandomSampler
from tunesmith.sklearn import SkippedCandidatesWarning, probe_space
from tunesmith.space import Categorical, Space

# The lesson's numbers (421 fits, 56 invalid, ...) are those of the pinned scikit-learn.
# The whole lesson end to end takes tens of seconds: the full run's.
pytestmark = [pytest.mark.pinned_sklearn, pytest.mark.slow]

PENALTIES = ["l1", "l2", "elasticnet", None]
SOLVERS = ["newton-cg", "lbfgs", "liblinear", "sag", "saga"]
LESSON_GRID = {"C": [0.001, 0.01, 0.1, 1, 10, 100, 1000], "penalty": PENALTIES,
               "solver": SOLVERS}
LESSON_RANDOM = {"C": np.logspace(-4, 4, 20), "penalty": PENALTIES, "solver": SOLVERS}
RANDOM_SETTINGS: dict[str, Any] = {"n_iter": 100, "random_state": 42, "cv": 5,
                                   "scoring": "accuracy"}


class CountingLogisticRegression(LogisticRegression):
    """LogisticRegression that records each ``fit`` call: (rows, whether it succeeded)."""

    calls: ClassVar[list[tuple[int, bool]]] = []

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> CountingLogisticRegression:
        try:
            super().fit(X, y, sample_weight=sample_weight)
        except Exception:
            CountingLogisticRegression.calls.append((len(X), False))
            raise
        CountingLogisticRegression.calls.append((len(X), True))
        return self


def _fit_counted(search: Any, X: Any, y: Any) -> tuple[Any, Counter, list[Any]]:
    """Fit ``search``; return it, its fit calls by kind, and its warnings.

    Kinds: "fold" (a CV training fold), "full" (all the rows: the refit, and
    discovery's confirmation that a rejection does not depend on the data), "probe"
    (discovery's few-row datasets); each with "ok" or "failed".
    """
    CountingLogisticRegression.calls.clear()
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        search.fit(X, y)
    n = len(X)
    counts = Counter(
        ("full" if rows == n else "fold" if rows > n // 2 else "probe",
         "ok" if ok else "failed")
        for rows, ok in CountingLogisticRegression.calls
    )
    return search, counts, record


def _fit_failed(record: list[Any]) -> list[Any]:
    """The per-fit failure warnings (our single skip summary is a subclass, kept apart)."""
    return [w for w in record if type(w.message) is FitFailedWarning]


@pytest.fixture(scope="module")
def sklearn_grid(titanic) -> tuple[Any, Counter, list[Any]]:
    """scikit-learn's own grid search of the lesson, fitted once for this module."""
    X, y = titanic
    search = skms.GridSearchCV(CountingLogisticRegression(random_state=42), LESSON_GRID,
                               cv=5, scoring="accuracy")
    return _fit_counted(search, X, y)


@pytest.fixture(scope="module")
def sklearn_random(titanic) -> tuple[Any, Counter, list[Any]]:
    """scikit-learn's own random search of the lesson, fitted once for this module."""
    X, y = titanic
    search = skms.RandomizedSearchCV(CountingLogisticRegression(random_state=42),
                                     LESSON_RANDOM, **RANDOM_SETTINGS)
    return _fit_counted(search, X, y)


def test_lesson_grid_same_results_in_421_fits_instead_of_701(titanic, sklearn_grid,
                                                             same_results) -> None:
    X, y = titanic
    estimator = CountingLogisticRegression(random_state=42)
    theirs, their_fits, their_warnings = sklearn_grid
    ours, our_fits, our_warnings = _fit_counted(
        ts.GridSearchCV(estimator, LESSON_GRID, cv=5, scoring="accuracy"), X, y)

    same_results(ours, theirs)
    assert ours.best_params_ == {"C": 1, "penalty": "l1", "solver": "liblinear"}
    assert round(ours.best_score_, 5) == 0.85866  # the figure shared/data/titanic reports
    # scikit-learn tries every candidate on every fold; 56 x 5 of them fail.
    assert their_fits == {("fold", "ok"): 84 * 5, ("fold", "failed"): 56 * 5,
                          ("full", "ok"): 1}
    # tunesmith fits the 84 valid candidates and the refit: 421 models. The invalid
    # ones never reach a fold; discovery's rejected attempts (raised by parameter
    # validation before any fitting) are all it spends on them.
    assert our_fits[("fold", "ok")] == 84 * 5 and our_fits[("full", "ok")] == 1
    assert our_fits[("fold", "failed")] == 0
    assert our_fits[("full", "failed")] <= 56 and our_fits[("probe", "ok")] <= 3 * 20
    assert _fit_failed(their_warnings) and not _fit_failed(our_warnings)
    summaries = [str(w.message) for w in our_warnings
                 if isinstance(w.message, SkippedCandidatesWarning)]
    assert len(summaries) == 1 and summaries[0].startswith(
        "56 of 140 candidates skipped as invalid")
    reasons = ours.cv_results_["skip_reason"]
    nan_rows = np.isnan(theirs.cv_results_["mean_test_score"])
    assert [r is not None for r in reasons] == list(nan_rows)


def test_lesson_grid_without_discovery_fits_everything(titanic, sklearn_grid,
                                                       same_results) -> None:
    X, y = titanic
    estimator = CountingLogisticRegression(random_state=42)
    ours, our_fits, our_warnings = _fit_counted(
        ts.GridSearchCV(estimator, LESSON_GRID, cv=5, skip_invalid=False), X, y)
    theirs = sklearn_grid[0]
    same_results(ours, theirs)
    assert our_fits == {("fold", "ok"): 420, ("fold", "failed"): 280, ("full", "ok"): 1}
    assert _fit_failed(our_warnings)
    assert "skip_reason" not in ours.cv_results_  # nothing skipped: scikit-learn's keys


def test_lesson_random_search_same_results(titanic, sklearn_random, same_results) -> None:
    X, y = titanic
    theirs, their_fits, _ = sklearn_random
    ours, our_fits, _ = _fit_counted(
        ts.RandomizedSearchCV(CountingLogisticRegression(random_state=42), LESSON_RANDOM,
                              **RANDOM_SETTINGS), X, y)
    same_results(ours, theirs)
    assert ours.best_params_["solver"] == "lbfgs" and ours.best_params_["penalty"] == "l2"
    assert round(ours.best_score_, 5) == 0.85771
    n_invalid = int(np.isnan(theirs.cv_results_["mean_test_score"]).sum())
    assert n_invalid == 43
    assert their_fits[("fold", "failed")] == n_invalid * 5
    assert our_fits[("fold", "ok")] == their_fits[("fold", "ok")] == (100 - n_invalid) * 5
    assert our_fits[("fold", "failed")] == 0


def test_native_random_search_spends_every_trial_on_a_valid_model(titanic,
                                                                  sklearn_random) -> None:
    X, y = titanic
    sklearn_best = sklearn_random[0].best_score_  # 0.85771, from 57 valid models

    space = Space({"C": Categorical(list(LESSON_RANDOM["C"])),
                   "penalty": Categorical(PENALTIES), "solver": Categorical(SOLVERS)})
    probed = probe_space(LogisticRegression(), space, X, y)
    assert probed.grid().n_valid == 20 * 12  # 12 of the 20 penalty x solver pairs fit

    def accuracy(trial: tunesmith.Trial) -> float:
        model = LogisticRegression(random_state=42, **trial.params)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # penalty's deprecation, convergence
            return float(cross_val_score(model, X, y, cv=5, error_score="raise").mean())

    study = tunesmith.Study(space=probed, sampler=RandomSampler(seed=42),
                            direction="maximize")
    study.optimize(accuracy, n_trials=100)
    states = [t.state for t in study.trials]
    assert states == [tunesmith.TrialState.COMPLETE] * 100
    assert len({tuple(sorted(t.params.items(), key=str)) for t in study.trials}) == 100
    assert study.best_value >= sklearn_best
