"""A drop-in search is itself a scikit-learn estimator: clone, Pipeline, nested CV,
pickle and the delegated methods behave as scikit-learn's search does."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from sklearn import model_selection as skms
from sklearn.base import clone, is_classifier
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import KFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from tunesmith import sklearn as ts

GRID = {"C": [0.01, 1.0, 100.0]}


@pytest.fixture(scope="module")
def iris():
    return load_iris(return_X_y=True)


def test_clone_keeps_every_setting_and_drops_the_fit(iris) -> None:
    X, y = iris
    search = ts.GridSearchCV(LogisticRegression(max_iter=500), GRID, cv=3,
                             show_progress=False, skip_invalid=False).fit(X, y)
    copy = clone(search)
    assert copy.get_params()["cv"] == 3 and copy.get_params()["skip_invalid"] is False
    assert copy.get_params()["estimator__max_iter"] == 500
    assert not hasattr(copy, "best_estimator_") and not hasattr(copy, "cv_results_")
    assert is_classifier(copy)


def test_inside_a_pipeline_it_predicts_like_scikit_learns(iris) -> None:
    X, y = iris
    ours = make_pipeline(StandardScaler(), ts.GridSearchCV(LogisticRegression(), GRID, cv=3))
    theirs = make_pipeline(StandardScaler(), skms.GridSearchCV(LogisticRegression(), GRID,
                                                                cv=3))
    ours.fit(X, y)
    theirs.fit(X, y)
    np.testing.assert_array_equal(ours.predict_proba(X), theirs.predict_proba(X))
    assert ours[-1].best_params_ == theirs[-1].best_params_


@pytest.mark.slow  # nested cross-validation
def test_nested_cross_validation_gives_scikit_learns_scores(iris) -> None:
    X, y = iris
    outer = KFold(4, shuffle=True, random_state=0)
    ours = cross_val_score(ts.GridSearchCV(LogisticRegression(max_iter=500), GRID, cv=3),
                           X, y, cv=outer)
    theirs = cross_val_score(skms.GridSearchCV(LogisticRegression(max_iter=500), GRID, cv=3),
                             X, y, cv=outer)
    np.testing.assert_array_equal(ours, theirs)


def test_a_fitted_search_pickles_and_predicts_the_same(iris) -> None:
    X, y = iris
    search = ts.RandomizedSearchCV(LogisticRegression(max_iter=500),
                                   {"C": np.logspace(-2, 2, 10)}, n_iter=4, cv=3,
                                   random_state=0).fit(X, y)
    restored = pickle.loads(pickle.dumps(search))
    np.testing.assert_array_equal(restored.predict(X), search.predict(X))
    np.testing.assert_array_equal(restored.decision_function(X), search.decision_function(X))
    assert restored.best_params_ == search.best_params_
    assert not hasattr(restored, "study_")  # the study holds connections: it stays behind


def test_without_refit_the_delegated_methods_say_why(iris) -> None:
    X, y = iris
    search = ts.GridSearchCV(LogisticRegression(max_iter=500), GRID, cv=3, refit=False)
    search.fit(X, y)
    with pytest.raises(AttributeError, match="has no attribute 'predict'") as raised:
        search.predict(X)
    assert "refit=False" in str(raised.value.__cause__)  # as scikit-learn chains it
    theirs = skms.GridSearchCV(LogisticRegression(max_iter=500), GRID, cv=3, refit=False)
    with pytest.raises(AttributeError) as their_error:
        theirs.fit(X, y).predict(X)
    assert str(raised.value) == str(their_error.value)
    assert search.best_params_ in [{"C": c} for c in GRID["C"]]
