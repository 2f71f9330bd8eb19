"""Each drop-in gives scikit-learn's results: every cv_results_ key, float-equal.

Every test runs scikit-learn's own search on the same inputs and compares key by
key (see ``assert_same_results`` in conftest.py).
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from scipy import stats
from sklearn import model_selection as skms
from sklearn.datasets import load_diabetes, load_iris, make_classification
from sklearn.exceptions import FitFailedWarning
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import GroupKFold, KFold
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from tunesmith import sklearn as ts
from tunesmith.sklearn import SkippedCandidatesWarning

Same = Callable[..., None]


@pytest.fixture(scope="module")
def iris() -> tuple[np.ndarray, np.ndarray]:
    return load_iris(return_X_y=True)


@pytest.fixture(scope="module")
def binary_iris(iris: tuple[np.ndarray, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Iris without its third class: liblinear fits only binary problems."""
    X, y = iris
    return X[y < 2], y[y < 2]


@pytest.fixture(scope="module")
def diabetes() -> tuple[np.ndarray, np.ndarray]:
    return load_diabetes(return_X_y=True)


def both(cls_name: str, *args: Any, **kwargs: Any) -> tuple[Any, Any]:
    """The tunesmith and scikit-learn search of that name, built alike."""
    return getattr(ts, cls_name)(*args, **kwargs), getattr(skms, cls_name)(*args, **kwargs)


def fit_both(cls_name: str, *args: Any, X: Any, y: Any = None, fit: dict | None = None,
             **kwargs: Any) -> tuple[Any, Any]:
    ours, theirs = both(cls_name, *args, **kwargs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours.fit(X, y, **(fit or {}))
        theirs.fit(X, y, **(fit or {}))
    return ours, theirs


SVC_GRID = [
    {"kernel": ["rbf"], "gamma": [1e-3, 1e-2, 0.1, 1.0], "C": [0.1, 1, 10]},
    {"kernel": ["linear"], "C": [0.1, 1, 10]},
]


def test_svc_on_iris_with_a_list_of_grids(iris: Any, same_results: Same) -> None:
    X, y = iris
    ours, theirs = fit_both("GridSearchCV", SVC(), SVC_GRID, X=X, y=y,
                            return_train_score=True)
    same_results(ours, theirs)
    # gamma is masked for the linear candidates, in both
    assert ours.cv_results_["param_gamma"].mask.sum() == 3
    np.testing.assert_array_equal(ours.predict(X), theirs.predict(X))
    assert ours.score(X, y) == theirs.score(X, y)


def test_pipeline_with_two_metrics_refits_on_the_named_one(diabetes: Any,
                                                             same_results: Same) -> None:
    X, y = diabetes
    pipe = Pipeline([("scale", StandardScaler()), ("ridge", Ridge())])
    scoring = {"r2": "r2", "neg_mean_squared_error": "neg_mean_squared_error"}
    ours, theirs = fit_both("GridSearchCV", pipe, {"ridge__alpha": np.logspace(-3, 3, 13)},
                            X=X, y=y, scoring=scoring, refit="r2", return_train_score=True)
    same_results(ours, theirs)
    assert ours.multimetric_ and set(ours.scorer_) == set(scoring)
    assert ours.score(X, y) == theirs.score(X, y)
    # the trial's value is the refit metric's mean test score
    trial = ours.study_.trials[ours.best_index_]
    assert trial.value == pytest.approx(ours.cv_results_["mean_test_r2"][ours.best_index_])


def test_several_metrics_without_refit_set_no_best(iris: Any, same_results: Same) -> None:
    X, y = iris
    ours, theirs = fit_both("GridSearchCV", SVC(), {"C": [0.1, 1, 10]}, X=X, y=y,
                            scoring=["accuracy", "f1_macro"], refit=False)
    same_results(ours, theirs)
    assert not hasattr(ours, "best_index_") and not hasattr(ours, "best_estimator_")


def _simplest_within_one_std(results: dict) -> int:
    """The smallest C whose mean score is within one std of the best."""
    means, stds = results["mean_test_score"], results["std_test_score"]
    best = int(np.nanargmax(means))
    ok = np.flatnonzero(means >= means[best] - stds[best])
    return int(ok[np.argmin(np.asarray(results["param_C"])[ok])])


def test_refit_callable_picks_the_index(iris: Any, same_results: Same) -> None:
    X, y = iris
    ours, theirs = fit_both("GridSearchCV", SVC(), {"C": [0.01, 0.1, 1, 10, 100]}, X=X, y=y,
                            refit=_simplest_within_one_std)
    same_results(ours, theirs)
    assert not hasattr(ours, "best_score_")


def test_random_search_with_scipy_distributions(iris: Any, same_results: Same) -> None:
    X, y = iris
    space = [
        {"kernel": ["rbf"], "C": stats.loguniform(1e-2, 1e2), "gamma": stats.loguniform(1e-3, 1)},
        {"kernel": ["poly"], "degree": stats.randint(2, 5), "C": stats.loguniform(1e-2, 1e2)},
    ]
    ours, theirs = fit_both("RandomizedSearchCV", SVC(), space, X=X, y=y, n_iter=12,
                            random_state=0)
    same_results(ours, theirs)
    # A RandomState instance is consumed by the search, so each side gets its own.
    knn_space = {"n_neighbors": stats.randint(1, 30), "weights": ["uniform", "distance"]}
    ours = ts.RandomizedSearchCV(KNeighborsClassifier(), knn_space, n_iter=10,
                                 random_state=np.random.RandomState(3)).fit(X, y)
    theirs = skms.RandomizedSearchCV(KNeighborsClassifier(), knn_space, n_iter=10,
                                     random_state=np.random.RandomState(3)).fit(X, y)
    same_results(ours, theirs)


@pytest.mark.slow  # a process pool
def test_two_processes_give_the_serial_results(iris: Any, same_results: Same) -> None:
    X, y = iris
    ours = ts.GridSearchCV(SVC(), SVC_GRID, n_jobs=2, return_train_score=True).fit(X, y)
    theirs = skms.GridSearchCV(SVC(), SVC_GRID, return_train_score=True).fit(X, y)
    same_results(ours, theirs)


def test_groups_reach_the_splitter(same_results: Same) -> None:
    X, y = make_classification(n_samples=120, random_state=0)
    groups = np.repeat(np.arange(12), 10)
    ours, theirs = fit_both("GridSearchCV", LogisticRegression(), {"C": [0.01, 1, 100]},
                            X=X, y=y, cv=GroupKFold(n_splits=4), fit={"groups": groups})
    same_results(ours, theirs)
    with pytest.raises(ValueError, match="groups"):  # GroupKFold needs them, in both
        ts.GridSearchCV(LogisticRegression(), {"C": [1]}, cv=GroupKFold(3)).fit(X, y)


def test_sample_weight_is_sliced_per_fold_and_weights_the_score(iris: Any,
                                                                 same_results: Same) -> None:
    X, y = iris
    weight = np.random.default_rng(0).uniform(0.1, 3.0, size=len(y))
    ours, theirs = fit_both("GridSearchCV", LogisticRegression(max_iter=500),
                            {"C": [0.01, 0.1, 1]}, X=X, y=y, scoring="accuracy",
                            fit={"sample_weight": weight}, return_train_score=True)
    same_results(ours, theirs)
    unweighted = ts.GridSearchCV(LogisticRegression(max_iter=500), {"C": [0.01, 0.1, 1]},
                                 scoring="accuracy").fit(X, y)
    assert not np.array_equal(unweighted.cv_results_["mean_test_score"],
                              ours.cv_results_["mean_test_score"])


def test_callable_scoring_returning_a_dict(iris: Any, same_results: Same) -> None:
    X, y = iris

    def scores(estimator: Any, X: Any, y: Any) -> dict[str, float]:
        pred = estimator.predict(X)
        return {"acc": accuracy_score(y, pred), "f1": f1_score(y, pred, average="macro")}

    ours, theirs = fit_both("GridSearchCV", SVC(), {"C": [0.1, 1, 10]}, X=X, y=y,
                            scoring=scores, refit="f1")
    same_results(ours, theirs)
    assert ours.multimetric_


def test_a_precomputed_kernel_is_split_on_both_axes(iris: Any, same_results: Same) -> None:
    X, y = iris
    kernel = X @ X.T
    ours, theirs = fit_both("GridSearchCV", SVC(kernel="precomputed"), {"C": [0.1, 1, 10]},
                            X=kernel, y=y)
    same_results(ours, theirs)


INVALID_GRID = {"C": [0.1, 1], "penalty": ["l1", "l2"], "solver": ["lbfgs", "liblinear"]}


def test_error_score_raise_raises_the_fit_error(iris: Any) -> None:
    X, y = iris
    for cls in (ts.GridSearchCV, skms.GridSearchCV):
        with pytest.raises(ValueError, match="supports only 'l2' or None penalties"):
            cls(LogisticRegression(), INVALID_GRID, error_score="raise").fit(X, y)


def _fit_failures(record: list[warnings.WarningMessage]) -> list[tuple[str, list[str]]]:
    """Each FitFailedWarning as (its headline, each error group's count and last line)."""
    out = []
    for w in record:
        if type(w.message) is not FitFailedWarning:
            continue
        text = str(w.message)
        headline = text.strip().splitlines()[0]
        groups = [
            f"{n}: {block.strip().splitlines()[-1]}"
            for n, block in re.findall(r"(\d+) fits failed with the following error:\n(.*?)"
                                       r"(?=\n-{80}|\Z)", text, flags=re.S)
        ]
        out.append((headline, groups))
    return out


def test_failed_fits_warn_like_scikit_learn(binary_iris: Any, same_results: Same) -> None:
    X, y = binary_iris
    records = []
    searches = []
    for cls in (ts.GridSearchCV, skms.GridSearchCV):
        kwargs = {"skip_invalid": False} if cls is ts.GridSearchCV else {}
        with warnings.catch_warnings(record=True) as record:
            warnings.simplefilter("always")
            searches.append(cls(LogisticRegression(), INVALID_GRID, **kwargs).fit(X, y))
        records.append(record)
    same_results(*searches)
    ours, theirs = (_fit_failures(r) for r in records)
    assert ours == theirs and ours[0][0] == "10 fits failed out of a total of 40."
    non_finite = [[str(w.message) for w in r if "non-finite" in str(w.message)]
                  for r in records]
    assert non_finite[0] == non_finite[1] != []


def test_skipped_candidates_keep_scikit_learns_failed_rows(binary_iris: Any, same_results: Same
                                                            ) -> None:
    X, y = binary_iris
    with pytest.warns(SkippedCandidatesWarning, match="2 of 8 candidates skipped") as record:
        ours = ts.GridSearchCV(LogisticRegression(), INVALID_GRID).fit(X, y)
    assert not [w for w in record if type(w.message) is FitFailedWarning]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = skms.GridSearchCV(LogisticRegression(), INVALID_GRID).fit(X, y)
    same_results(ours, theirs)
    reasons = ours.cv_results_["skip_reason"]
    skipped = [i for i, r in enumerate(reasons) if r is not None]
    assert skipped == [0, 4] and "penalties" in reasons[0]
    assert (ours.cv_results_["mean_fit_time"][skipped] == 0).all()
    assert [t.state.value for t in ours.study_.trials].count("skipped") == 2


def test_a_numeric_error_score_fills_failed_rows(binary_iris: Any, same_results: Same) -> None:
    X, y = binary_iris
    ours, theirs = fit_both("GridSearchCV", LogisticRegression(), INVALID_GRID, X=X, y=y,
                            error_score=-1.0, return_train_score=True)
    same_results(ours, theirs)
    assert (ours.cv_results_["mean_test_score"] == -1.0).sum() == 2


def test_return_train_score_and_multiclass_roc(iris: Any, same_results: Same) -> None:
    X, y = iris
    ours, theirs = fit_both("RandomizedSearchCV", LogisticRegression(max_iter=300),
                            {"C": np.logspace(-3, 3, 30)}, X=X, y=y, n_iter=6, random_state=1,
                            scoring="roc_auc_ovr", return_train_score=True,
                            cv=KFold(4, shuffle=True, random_state=0))
    same_results(ours, theirs)


class _ScoreFails(LogisticRegression):
    """Fits, then fails to predict when C is large: a scoring failure, not a fit one."""

    def predict(self, X: Any) -> Any:
        if self.C > 1:
            raise RuntimeError("cannot predict with a large C")
        return super().predict(X)


def test_a_failing_scorer_gives_error_score(iris: Any, same_results: Same) -> None:
    X, y = iris
    ours, theirs = fit_both("GridSearchCV", _ScoreFails(max_iter=300), {"C": [0.1, 1, 10]},
                            X=X, y=y, scoring=["accuracy", "f1_macro"], refit="accuracy")
    same_results(ours, theirs)
    assert np.isnan(ours.cv_results_["mean_test_accuracy"][2])


def _no_times(text: str) -> list[str]:
    return [re.sub(r"total time=.*$", "", line) for line in text.splitlines()]


def test_verbose_prints_scikit_learns_lines(iris: Any, capsys: pytest.CaptureFixture) -> None:
    X, y = iris
    outs = []
    for cls in (ts.GridSearchCV, skms.GridSearchCV):
        cls(SVC(), {"C": [0.1, 1]}, cv=3, verbose=3, return_train_score=True).fit(X, y)
        outs.append(_no_times(capsys.readouterr().out))
    assert outs[0] == outs[1]
    assert outs[0][0] == "Fitting 3 folds for each of 2 candidates, totalling 6 fits"
