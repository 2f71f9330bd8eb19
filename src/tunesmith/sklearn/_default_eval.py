"""The verdict of a scikit-learn search: the tuned model against the default one.

The default model is the search's estimator as given (its own parameters, scikit-learn's
defaults for the tuned ones), evaluated on the same folds as every candidate. When one
candidate already has exactly those parameters its fold scores are reused; otherwise the
default is cross-validated once more, as an extra evaluation kept apart from the search
(``cv_results_`` stays scikit-learn's). With a held-out set, both models are scored on it
with bootstrap intervals over its rows.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.base import clone, is_classifier, is_regressor
from sklearn.metrics import get_scorer
from sklearn.model_selection import check_cv, cross_validate
from sklearn.utils import _safe_indexing

from tunesmith.records import Direction, FoldRecord, FrozenTrial, TrialState
from tunesmith.stats import (
    Contender,
    HeldOut,
    SearchVerdict,
    SimplicityRule,
    bootstrap_intervals,
    fold_scores,
    verdict,
)

__all__ = ["DefaultEvaluation", "VerdictMixin", "default_candidate", "evaluate_default",
           "held_out_scores", "split_test_fraction", "trials_verdict"]

#: scikit-learn's accuracy scorer, as it shows itself (``get_scorer("accuracy")``).
_ACCURACY = "make_scorer(accuracy_score, response_method='predict')"
_RESPONSE_METHODS = ("predict", "predict_proba", "predict_log_proba", "decision_function")


@dataclass(frozen=True)
class DefaultEvaluation:
    """The default model's cross-validation: its parameters (those the search tuned,
    at the estimator's values), its score on each fold, and the candidate it equals
    (None when it was evaluated apart)."""

    params: Mapping[str, Any]
    scores: np.ndarray
    candidate: int | None

    @property
    def mean(self) -> float:
        finite = self.scores[np.isfinite(self.scores)]
        return float(finite.mean()) if finite.size else math.nan


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    try:
        return bool(type(a) is type(b) or (
            isinstance(a, int | float | np.number) and isinstance(b, int | float | np.number)
            and not isinstance(a, bool) and not isinstance(b, bool))) and bool(a == b)
    except (TypeError, ValueError):  # arrays and objects without a truth value
        return a is b


def default_candidate(estimator: Any, candidates: Sequence[Mapping[str, Any]]) -> int | None:
    """The index of the first candidate whose every parameter equals the estimator's own
    value (the default model is already in the search), or None.

    >>> from sklearn.svm import SVC
    >>> default_candidate(SVC(), [{"C": 10.0}, {"C": 1}, {"C": 1.0, "kernel": "rbf"}])
    1
    """
    own = estimator.get_params(deep=True)
    for i, params in enumerate(candidates):
        if all(name in own and _same(own[name], value) for name, value in params.items()):
            return i
    return None


def evaluate_default(estimator: Any, X: Any, y: Any, splits: Sequence[Any], scorer: Any,
                     *, fit_params: Mapping[str, Any] | None = None,
                     n_jobs: int | None = None) -> np.ndarray:
    """The default model's score on each of ``splits`` (NaN where its fit failed), as
    ``cross_val_score(clone(estimator), X, y, cv=splits, scoring=scorer)`` gives them.

    >>> from sklearn.datasets import load_iris
    >>> from sklearn.model_selection import KFold
    >>> from sklearn.metrics import get_scorer
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> splits = list(KFold(3, shuffle=True, random_state=0).split(X))
    >>> evaluate_default(DecisionTreeClassifier(random_state=0), X, y, splits,
    ...                  get_scorer("accuracy")).round(2).tolist()
    [0.98, 0.98, 0.96]
    """
    result = cross_validate(clone(estimator), X, y, cv=list(splits), scoring=scorer,
                            params=dict(fit_params or {}), error_score=np.nan,
                            n_jobs=n_jobs)
    return np.asarray(result["test_score"], dtype=float)


def split_test_fraction(splits: Sequence[Any]) -> float:
    """``n_test / n_train`` of the folds, averaged (``1 / (k - 1)`` for k-fold).

    >>> import numpy as np
    >>> split_test_fraction([(np.arange(8), np.arange(8, 10))] * 5)
    0.25
    """
    train = float(np.mean([len(tr) for tr, _ in splits]))
    test = float(np.mean([len(te) for _, te in splits]))
    return test / train


class _Replay:
    """A fitted model's answers on the held-out rows, replayed for resampled rows: a
    scorer called with ``X = rows[:, None]`` scores the model on those rows without
    predicting again (thousands of resamples cost one prediction per method)."""

    def __init__(self, model: Any, X: Any) -> None:
        self._model = model
        self._X = X
        self._answers: dict[str, np.ndarray] = {}
        if hasattr(model, "classes_"):
            self.classes_ = model.classes_

    def __sklearn_tags__(self) -> Any:
        return self._model.__sklearn_tags__()

    def __getattr__(self, name: str) -> Any:
        if name not in _RESPONSE_METHODS or not hasattr(self._model, name):
            raise AttributeError(name)

        def answer(rows: Any) -> np.ndarray:
            if name not in self._answers:
                self._answers[name] = np.asarray(getattr(self._model, name)(self._X))
            return self._answers[name][np.asarray(rows).ravel()]

        answer.__name__ = name  # scikit-learn dispatches on the method's name
        return answer


def _row_scorer(model: Any, X: Any, y: np.ndarray, scorer: Any) -> Any:
    """``rows -> score on those rows``: replayed when that reproduces the score on all
    rows exactly, else predicting on each resample (a scorer that reads X itself).

    ``estimator.score`` (scoring=None) is replayed as the metric it computes for
    scikit-learn's classifiers and regressors (accuracy, R^2), when it agrees."""
    full = float(scorer(model, X, y))
    replay = _Replay(model, X)
    everything = np.arange(len(y))[:, None]
    for candidate in (scorer, *_plain_metric(model)):
        try:
            replayed = float(candidate(replay, everything, y))
        except Exception:  # a custom scorer that needs the real X
            continue
        if replayed != full:
            continue
        if repr(candidate) == _ACCURACY:  # a mean over rows: resampled without the scorer
            correct = replay.predict(everything) == y
            if float(np.mean(correct)) == full:
                return lambda rows: float(correct[rows].mean())
        return lambda rows, c=candidate: float(c(replay, rows[:, None], y[rows]))
    return lambda rows: float(scorer(model, _safe_indexing(X, rows), y[rows]))


def _or_nan(score: Any) -> Any:
    """A resample on which the metric is undefined (ROC AUC of rows of one class) is NaN,
    left out of the interval, instead of an error that loses the whole interval."""

    def scored(rows: np.ndarray) -> float:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # UndefinedMetricWarning on such resamples
            try:
                return float(score(rows))
            except ValueError:
                return math.nan

    return scored


def _plain_metric(model: Any) -> list[Any]:
    if is_classifier(model):
        return [get_scorer("accuracy")]
    return [get_scorer("r2")] if is_regressor(model) else []


def held_out_scores(tuned: Any, default: Any | None, X_test: Any, y_test: Any, scorer: Any,
                    *, confidence: float = 0.95, n_resamples: int = 1000,
                    seed: int = 0) -> HeldOut:
    """Both fitted models' scores on the held-out rows, with percentile bootstrap
    intervals, and the interval of their difference (the same resamples for both)."""
    y = np.asarray(y_test)
    score_tuned = _or_nan(_row_scorer(tuned, X_test, y, scorer))
    if default is None:
        [t] = bootstrap_intervals(score_tuned, len(y), confidence=confidence,
                                  n_resamples=n_resamples, seed=seed)
        return HeldOut(len(y), t)
    score_default = _or_nan(_row_scorer(default, X_test, y, scorer))

    def both(rows: np.ndarray) -> tuple[float, float, float]:
        a, b = score_tuned(rows), score_default(rows)
        return a, b, a - b

    t, d, diff = bootstrap_intervals(both, len(y), confidence=confidence,
                                     n_resamples=n_resamples, seed=seed)
    return HeldOut(len(y), t, d, diff)


def trials_verdict(estimator: Any, trials: Sequence[FrozenTrial], X: Any, y: Any,
                   splits: Sequence[Any], scorer: Any, *, scoring: str = "score",
                   metric: str = "score", tuned: Any = None, X_test: Any = None,
                   y_test: Any = None, confidence: float = 0.95,
                   simplest: SimplicityRule | None = None,
                   fit_params: Mapping[str, Any] | None = None,
                   n_jobs: int | None = None, n_resamples: int = 1000,
                   rope: float | None = None) -> tuple[SearchVerdict, DefaultEvaluation]:
    """The verdict of a cross-validated search's stored trials (greater is better, as
    for every scikit-learn scorer) against ``estimator``'s default, on ``splits``."""
    finished = [t for t in trials if t.is_complete]
    own = estimator.get_params(deep=True)
    at = default_candidate(estimator, [t.params for t in finished])
    reused = None if at is None else finished[at]
    scores = None if reused is None else fold_scores(reused, metric)
    if reused is not None and scores is not None:
        evaluation = DefaultEvaluation(
            {k: own[k] for k in reused.params}, scores,
            reused.candidate if reused.candidate is not None else reused.number)
    else:
        names = {name for t in finished for name in t.params}
        evaluation = DefaultEvaluation(
            {k: own[k] for k in sorted(names) if k in own},
            evaluate_default(estimator, X, y, splits, scorer, fit_params=fit_params,
                             n_jobs=n_jobs), None)
    held = None
    if X_test is not None and tuned is not None:
        default_model = clone(estimator).fit(X, y, **dict(fit_params or {}))
        held = held_out_scores(tuned, default_model, X_test, y_test, scorer,
                               confidence=confidence, n_resamples=n_resamples)
    default = Contender("default", dict(evaluation.params), evaluation.scores)
    result = verdict(trials, Direction.MAXIMIZE, default=default,
                     test_fraction=split_test_fraction(splits), confidence=confidence,
                     simplest=simplest, held_out=held, metric=metric, scoring=scoring,
                     rope=rope)
    return result, evaluation


class VerdictMixin:
    """``search.verdict(X, y)``: the fitted search's best against the default model."""

    def verdict(self, X: Any, y: Any = None, *, groups: Any = None, X_test: Any = None,
                y_test: Any = None, confidence: float = 0.95,
                simplest: SimplicityRule | None = None, n_resamples: int = 1000,
                rope: float | None = None, **fit_params: Any) -> SearchVerdict:
        """Is the best candidate better than the estimator's defaults, and than the rest?

        Call after ``fit`` with the same ``X``, ``y`` (and ``groups``): the default
        model is evaluated on the same folds (reused from the candidate that has its
        parameters, else fitted apart), then compared with the best by the corrected
        resampled t-test (:func:`tunesmith.stats.compare_folds`); the other candidates
        not significantly worse than the best are *tied* with it. ``X_test`` /
        ``y_test`` add both models' held-out scores with bootstrap intervals;
        (``n_resamples`` bootstrap resamples of its rows, seeded);
        ``simplest`` (e.g. ``{"C": "min"}``) picks the simplest of the tied; ``rope``
        (e.g. 0.01) adds the Bayesian correlated t-test against the default. Sets
        ``default_`` (a :class:`DefaultEvaluation`) and ``verdict_``.

        >>> from sklearn.datasets import load_iris
        >>> from sklearn.svm import SVC
        >>> from tunesmith.sklearn import GridSearchCV
        >>> X, y = load_iris(return_X_y=True)
        >>> search = GridSearchCV(SVC(), {"C": [0.01, 0.1, 10]}, cv=5).fit(X, y)
        >>> v = search.verdict(X, y)
        >>> search.default_.candidate is None, v.beats_default
        (True, False)
        >>> print(v.lines()[0])
        better than default (mean 0.96667): no (not significant), +1.3 points, 95% interval ...
        """
        search: Any = self
        if not hasattr(search, "cv_results_"):
            raise AttributeError(f"call {type(self).__name__}.fit before verdict()")
        if "n_resources" in search.cv_results_:
            raise ValueError(
                f"{type(self).__name__} evaluates candidates on different resources (and "
                "subsamples), so their folds are not paired with each other or with the "
                "default model's: no verdict; run a GridSearchCV on the finalists instead")
        cv = check_cv(search.cv, y, classifier=is_classifier(search.estimator))
        split_params = {} if groups is None else {"groups": groups}
        splits = list(cv.split(X, y, **split_params))
        again = list(cv.split(X, y, **split_params))
        if len(splits) != search.n_splits_ or any(
                not (np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1]))
                for a, b in zip(splits, again, strict=True)):
            raise ValueError(
                f"cv={search.cv!r} does not give the same folds twice (a shuffling splitter "
                "without random_state?): the default model cannot be evaluated on the "
                "search's folds; set random_state on the splitter and fit again")
        metric = _refit_metric(search)
        scorer = search.scorer_[metric] if isinstance(search.scorer_, dict) else search.scorer_
        tuned = getattr(search, "best_estimator_", None) if X_test is not None else None
        if X_test is not None and tuned is None:
            raise ValueError("X_test needs the best model refit: fit with refit=True")
        result, evaluation = trials_verdict(
            search.estimator, _results_as_trials(search.cv_results_, metric), X, y, splits,
            scorer,
            scoring=metric if metric != "score" else _scoring_name(search), metric=metric,
            tuned=tuned, X_test=X_test, y_test=y_test, confidence=confidence,
            simplest=simplest, fit_params=fit_params, n_jobs=search.n_jobs,
            n_resamples=n_resamples, rope=rope)
        search.default_ = evaluation
        search.verdict_ = result
        return result


def _results_as_trials(results: Mapping[str, Any], metric: str) -> list[FrozenTrial]:
    """``cv_results_`` rows as trials numbered by candidate: what the search ranked."""
    key = "score" if metric == "score" else metric
    n_splits = sum(1 for k in results if k.startswith("split") and k.endswith(f"_test_{key}"))
    trials = []
    for i, params in enumerate(results["params"]):
        mean = float(results[f"mean_test_{key}"][i])
        folds = tuple(FoldRecord(k, {metric: float(results[f"split{k}_test_{key}"][i])})
                      for k in range(n_splits))
        state = TrialState.COMPLETE if math.isfinite(mean) else TrialState.FAILED
        trials.append(FrozenTrial(i, state, dict(params), mean if math.isfinite(mean) else None,
                                  candidate=i, folds=folds))
    return trials


def _refit_metric(search: Any) -> str:
    if not search.multimetric_:
        return "score"
    if isinstance(search.refit, str):
        return search.refit
    raise ValueError("a multi-metric search needs refit='<metric name>' for its verdict: "
                     f"the metrics are {', '.join(sorted(search.scorer_))}")


def _scoring_name(search: Any) -> str:
    return search.scoring if isinstance(search.scoring, str) else "score"
