"""Racing recognises copies: candidates whose fitted models predict exactly alike.

A parameter that the other parameters make idle (``C`` under ``penalty=None``, the
weights of a one-neighbour vote) gives the same model under every value. Fold scores
cannot tell such a copy from a near-tie on coarse scores, so racing compares the
models' predictions on each fold's test rows (:func:`predictions_digest`): the first
candidate of a set of copies runs on, the others stop after ``min_folds`` folds.

Expectations: scikit-learn's own full grid (the copies' identical fold scores, its
winner), fits counted by the estimator, and hand-built digests for the rule.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import pytest
from sklearn import model_selection as skms
from sklearn.datasets import make_classification
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.neighbors import KNeighborsClassifier
from sklearn.svm import SVC

from tunesmith.records import FoldRecord, FrozenTrial, TrialState
from tunesmith.sklearn import GridSearchCV, Racing, TPESearchCV
from tunesmith.sklearn._evaluate import predictions_digest
from tunesmith.sklearn._racing import FINGERPRINTS_ATTR, Race, Racer

#: Idle C under penalty=None: candidates 1, 3, 5 are one model; 3 and 5 are its copies.
GRID = {"C": [0.001, 1.0, 100.0], "penalty": ["l2", None]}
COPY = "racing: the same model as candidate 1 (the same predictions on 2 folds)"
#: scikit-learn 1.8 deprecates ``penalty`` and warns that None idles C: both are the point.
pytestmark = [pytest.mark.filterwarnings("ignore:'penalty' was deprecated"),
              pytest.mark.filterwarnings("ignore:Setting penalty=None will ignore")]


class CountingLogisticRegression(LogisticRegression):
    """LogisticRegression that records (C, penalty) at each fit (in this process)."""

    fits: ClassVar[list[tuple[float, Any]]] = []

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> CountingLogisticRegression:
        CountingLogisticRegression.fits.append((self.C, self.penalty))
        return super().fit(X, y, sample_weight=sample_weight)


@pytest.fixture(scope="module")
def data() -> tuple[np.ndarray, np.ndarray]:
    # Many rows, few features: no penalty is at least as good as a weak one.
    return make_classification(n_samples=600, n_features=5, n_informative=3,
                               random_state=0)


@pytest.fixture(scope="module")
def sklearn_full(data) -> Any:
    X, y = data
    return skms.GridSearchCV(LogisticRegression(), GRID, cv=5).fit(X, y)


def _splits(results: dict[str, Any], n_splits: int = 5) -> np.ndarray:
    return np.array([results[f"split{k}_test_score"] for k in range(n_splits)]).T


def test_copies_stop_after_min_folds_and_the_first_runs_on(data, sklearn_full) -> None:
    X, y = data
    full = _splits(sklearn_full.cv_results_)
    # scikit-learn's own scores: the three penalty=None candidates are one model.
    np.testing.assert_array_equal(full[3], full[1])
    np.testing.assert_array_equal(full[5], full[1])
    CountingLogisticRegression.fits.clear()
    ours = GridSearchCV(CountingLogisticRegression(), GRID, cv=5, racing=True,
                        skip_invalid=False).fit(X, y)  # no discovery probes to count
    results = ours.cv_results_
    assert results["stopped"][3] == results["stopped"][5] == COPY
    assert results["stopped"][1] == ""
    splits = _splits(results)
    for row in (3, 5):  # the folds it ran are scikit-learn's; the rest never ran
        np.testing.assert_array_equal(splits[row, :2], full[row, :2])
        assert np.isnan(splits[row, 2:]).all()
    fits = CountingLogisticRegression.fits[:-1]  # the last is the refit
    assert fits.count((0.001, None)) == 5
    assert fits.count((1.0, None)) == fits.count((100.0, None)) == 2
    # The winner is scikit-learn's (its first of the tied copies is the one kept).
    assert ours.best_params_ == sklearn_full.best_params_
    assert ours.best_score_ == sklearn_full.best_score_


def test_equal_scores_from_different_models_are_not_copies() -> None:
    """Coarse scores tie often: only equal predictions make a copy."""
    race = Race(Racing(), n_splits=5, test_fraction=0.25)
    for key, digests in enumerate(["aa", "ab", "aa", "ab"]):
        for fold, digest in enumerate(digests):
            race.record(key, fold, 1.0, digest)  # every fold scores 1.0
    assert [race.copy_of(key, [0, 1]) for key in range(4)] == [None, None, 0, 1]
    assert race.copy_of(2, [0]) == 0  # on the folds asked about
    assert race.reason(2, [0]) is None  # but never judged before min_folds
    assert race.reason(2, [0, 1]) == ("racing: the same model as candidate 0 "
                                      "(the same predictions on 2 folds)")
    assert race.reason(1, [0, 1]) is None


def test_a_candidate_without_digests_is_never_a_copy() -> None:
    race = Race(Racing(), n_splits=5, test_fraction=0.25)
    for fold in range(2):
        race.record(0, fold, 0.9, "x")
        race.record(1, fold, 0.9)  # a failed fit, or nothing to predict with
        race.record(2, fold, 0.9, "x" if fold == 0 else None)
    assert race.copy_of(1, [0, 1]) is None and race.copy_of(2, [0, 1]) is None


def test_a_resumed_race_knows_the_stored_copies() -> None:
    """The digests travel with the stored trial, so a resumed search stops the same."""
    race = Race(Racing(), n_splits=5, test_fraction=0.25)
    racer = Racer(race, engine=None, metric=None, rounds=True)  # type: ignore[arg-type]
    stored = FrozenTrial(
        number=0, state=TrialState.COMPLETE, candidate=4,
        folds=tuple(FoldRecord(k, {"score": 0.8}) for k in range(5)),
        attrs={FINGERPRINTS_ATTR: ["d0", "d1", "d2", "d3", "d4"]})
    racer.finished(4, stored)
    for fold in range(2):
        race.record(9, fold, 0.8, f"d{fold}")
    assert race.copy_of(9, [0, 1]) == 4


def test_the_digest_reads_the_most_detailed_output(data) -> None:
    X, y = data
    one = [KNeighborsClassifier(n_neighbors=1, weights=w).fit(X, y)
           for w in ("uniform", "distance")]
    assert predictions_digest(one[0], X[:50]) == predictions_digest(one[1], X[:50])
    three = [KNeighborsClassifier(n_neighbors=3, weights=w).fit(X[:500], y[:500])
             for w in ("uniform", "distance")]
    # Rows where both predict the same labels, with different probabilities.
    rows = X[500:][three[0].predict(X[500:]) == three[1].predict(X[500:])]
    assert len(rows) > 80
    assert not np.array_equal(three[0].predict_proba(rows), three[1].predict_proba(rows))
    assert predictions_digest(three[0], rows) != predictions_digest(three[1], rows)
    # SVC without probability=True: predict_proba raises; decision_function is read.
    svc = [SVC(C=c).fit(X, y) for c in (1.0, 1.0, 2.0)]
    digests = [predictions_digest(model, X) for model in svc]
    assert digests[0] == digests[1] != digests[2]
    # String labels (an object array's bytes would be addresses) and a regressor.
    labels = np.where(y == 1, "yes", "no").astype(object)
    fitted = [LogisticRegression().fit(X, labels) for _ in range(2)]
    assert predictions_digest(fitted[0], X) == predictions_digest(fitted[1], X)
    assert predictions_digest(LinearRegression().fit(X, y), X) is not None
    assert predictions_digest(object(), X) is None


def test_tpe_stops_a_trial_that_repeats_an_earlier_model(data) -> None:
    """A model-based search proposes copies too (any C under penalty=None)."""
    from tunesmith import Categorical, Float, Space

    X, y = data
    space = Space({"C": Float(1e-3, 1e3, log=True), "penalty": Categorical([None])})
    search = TPESearchCV(LogisticRegression(), space, n_iter=6, random_state=0,
                         racing=True).fit(X, y)
    stopped = search.cv_results_["stopped"]
    assert stopped[0] == ""
    assert list(stopped[1:]) == ["racing: the same model as trial 0 (the same predictions "
                                 "on 2 folds)"] * 5
    assert search.best_index_ == 0
