"""The drop-ins' verdict: the default model on the same folds, held-out intervals."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import load_breast_cancer, load_iris
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, make_scorer
from sklearn.model_selection import GridSearchCV as SkGridSearchCV
from sklearn.model_selection import KFold, StratifiedKFold, cross_val_score, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from tunesmith.sklearn import GridSearchCV
from tunesmith.stats import compare_folds


@pytest.fixture(scope="module")
def cancer():
    X, y = load_breast_cancer(return_X_y=True)
    return train_test_split(X, y, test_size=0.25, stratify=y, random_state=0)


def test_default_outside_the_grid_is_cross_validated_on_the_same_folds(cancer) -> None:
    X, _, y, _ = cancer
    estimator = make_pipeline(StandardScaler(), SVC())
    grid = {"svc__C": [0.1, 100.0], "svc__gamma": [0.001, 0.1]}
    cv = StratifiedKFold(5, shuffle=True, random_state=3)
    search = GridSearchCV(estimator, grid, cv=cv).fit(X, y)
    v = search.verdict(X, y)
    expected = cross_val_score(clone(estimator), X, y, cv=cv)
    assert search.default_.candidate is None
    assert search.default_.scores.tolist() == expected.tolist()
    assert search.default_.params == {"svc__C": 1.0, "svc__gamma": "scale"}
    # The verdict is the corrected t-test of the best row of cv_results_ against them.
    best = [search.cv_results_[f"split{k}_test_score"][search.best_index_] for k in range(5)]
    ref = compare_folds(best, expected, test_fraction=0.25)
    assert v.versus_default.difference == ref.difference
    assert (v.versus_default.low, v.versus_default.high) == (ref.low, ref.high)
    assert search.verdict_ is v
    # cv_results_ are still scikit-learn's, key for key.
    sk = SkGridSearchCV(estimator, grid, cv=cv).fit(X, y)
    assert set(search.cv_results_) == set(sk.cv_results_)
    assert search.cv_results_["mean_test_score"].tolist() == \
        sk.cv_results_["mean_test_score"].tolist()


def test_default_inside_the_grid_is_reused() -> None:
    X, y = load_iris(return_X_y=True)
    search = GridSearchCV(SVC(), {"C": [0.01, 1.0, 100.0]}, cv=3).fit(X, y)
    search.verdict(X, y)
    assert search.default_.candidate == 1
    row = [search.cv_results_[f"split{k}_test_score"][1] for k in range(3)]
    assert search.default_.scores.tolist() == row
    assert search.default_.scores.tolist() == cross_val_score(SVC(), X, y, cv=3).tolist()


def test_held_out_scores_are_the_models_scores(cancer) -> None:
    X, Xt, y, yt = cancer
    est = make_pipeline(StandardScaler(), LogisticRegression())
    search = GridSearchCV(est, {"logisticregression__C": [0.01, 0.1]}, cv=4).fit(X, y)
    v = search.verdict(X, y, X_test=Xt, y_test=yt, n_resamples=200)
    h = v.held_out
    assert h.n_rows == len(yt)
    assert h.tuned.estimate == search.score(Xt, yt)
    assert h.default.estimate == clone(est).fit(X, y).score(Xt, yt)
    assert h.difference.estimate == pytest.approx(h.tuned.estimate - h.default.estimate)
    assert h.tuned.low <= h.tuned.estimate <= h.tuned.high < 1.0
    assert any(line.startswith("held-out score on 143 rows") for line in v.lines())


def test_held_out_with_a_scorer_that_reads_x(cancer) -> None:
    # A scorer that looks at X cannot be replayed from stored answers: it is called on
    # each resample with the real rows instead, and gives the same full-sample score.
    X, Xt, y, yt = cancer

    def odd(estimator, X, y):
        return accuracy_score(y, estimator.predict(X)) + 0.0 * float(np.mean(X[:, 5]))

    est = make_pipeline(StandardScaler(), LogisticRegression())
    search = GridSearchCV(est, {"logisticregression__C": [0.1, 1.0]}, cv=3,
                          scoring=odd).fit(X, y)
    h = search.verdict(X, y, X_test=Xt, y_test=yt, n_resamples=20).held_out
    assert h.tuned.estimate == odd(search.best_estimator_, Xt, yt)


def test_multimetric_uses_the_refit_metric() -> None:
    X, y = load_iris(return_X_y=True)
    scoring = {"acc": "accuracy", "f1": make_scorer(accuracy_score)}
    search = GridSearchCV(SVC(), {"C": [0.01, 10.0]}, cv=3, scoring=scoring,
                          refit="acc").fit(X, y)
    v = search.verdict(X, y)
    assert v.metric == "acc" and search.default_.scores.tolist() == \
        cross_val_score(SVC(), X, y, cv=3).tolist()
    no_refit = GridSearchCV(SVC(), {"C": [0.01]}, cv=3, scoring=scoring, refit=False).fit(X, y)
    with pytest.raises(ValueError, match=r"needs refit='<metric name>'.*acc, f1"):
        no_refit.verdict(X, y)


def test_folds_that_change_between_splits_are_refused() -> None:
    X, y = load_iris(return_X_y=True)
    search = GridSearchCV(SVC(), {"C": [1.0, 10.0]}, cv=KFold(3, shuffle=True)).fit(X, y)
    with pytest.raises(ValueError, match="does not give the same folds twice"):
        search.verdict(X, y)


def test_verdict_before_fit() -> None:
    with pytest.raises(AttributeError, match=r"call GridSearchCV.fit before verdict\(\)"):
        GridSearchCV(SVC(), {"C": [1.0]}).verdict(np.zeros((4, 2)), [0, 1, 0, 1])


def test_halving_search_is_refused() -> None:
    from tunesmith.sklearn import HalvingGridSearchCV

    X, y = load_iris(return_X_y=True)
    search = HalvingGridSearchCV(SVC(), {"C": [0.1, 1.0, 10.0]}, cv=3, random_state=0)
    search.fit(X, y)
    with pytest.raises(ValueError, match=r"different resources .* no verdict"):
        search.verdict(X, y)


def test_held_out_resamples_where_the_metric_is_undefined() -> None:
    # Eight held-out rows, one of class 1: many resamples have one class only, where
    # ROC AUC is undefined; they are left out of the interval instead of failing it.
    X, y = load_breast_cancer(return_X_y=True)
    Xt, yt = X[:8], np.array([1, 0, 0, 0, 0, 0, 0, 0])
    est = make_pipeline(StandardScaler(), LogisticRegression())
    search = GridSearchCV(est, {"logisticregression__C": [0.1, 1.0]}, cv=3,
                          scoring="roc_auc").fit(X[8:], y[8:])
    h = search.verdict(X[8:], y[8:], X_test=Xt, y_test=yt, n_resamples=50).held_out
    assert np.isfinite(h.tuned.low) and h.tuned.low <= h.tuned.estimate <= h.tuned.high


def test_accuracy_shortcut_gives_the_scorers_intervals(cancer) -> None:
    # Accuracy is resampled as a mean of correct rows; a scorer that is accuracy under
    # another name goes through scikit-learn on every resample: the same intervals.
    from sklearn.metrics import get_scorer

    from tunesmith.sklearn._default_eval import held_out_scores

    X, Xt, y, yt = cancer
    tuned = make_pipeline(StandardScaler(), LogisticRegression(C=0.05)).fit(X, y)
    default = make_pipeline(StandardScaler(), LogisticRegression()).fit(X, y)
    fast = held_out_scores(tuned, default, Xt, yt, get_scorer("accuracy"), n_resamples=100)
    slow = held_out_scores(tuned, default, Xt, yt,
                           make_scorer(accuracy_score, normalize=True), n_resamples=100)
    assert fast == slow
