"""One fold of one candidate: fit on the training part, score on both parts.

The unit of work a search hands to its executor. It follows scikit-learn's own
fold evaluation step for step (same splitting, same fit and score calls, same
handling of failures, same timing points and verbose lines) so that every score
is float-equal to scikit-learn's; only the code is ours.

:func:`evaluate_fold` is a top-level function of plain, picklable arguments, so a
process pool can run it; what all folds share travels once as a :class:`FoldJob`.
"""

from __future__ import annotations

import contextlib
import hashlib
import numbers
import time
import traceback
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np
from joblib.logger import short_format_time
from sklearn.base import clone
from sklearn.utils import _safe_indexing, get_tags
from sklearn.utils.validation import _check_method_params

from tunesmith.executors import Shared

__all__ = ["FoldJob", "FoldResult", "evaluate_fold", "predictions_digest", "skipped_fold"]

Scores = float | dict[str, float]


@dataclass(frozen=True)
class FoldJob:
    """Everything the folds of one search share; shipped to each worker once."""

    estimator: Any
    X: Any
    y: Any
    #: A scorer, or a multimetric scorer returning ``{name: score}``.
    scorer: Any
    #: The metric names when scoring was declared as several metrics (list or dict),
    #: None for a single scorer or a callable (whose result may still be a dict).
    metric_names: tuple[str, ...] | None
    fit_params: Mapping[str, Any] = field(default_factory=dict)
    score_params: Mapping[str, Any] = field(default_factory=dict)
    return_train_score: bool = False
    error_score: Any = np.nan
    verbose: int = 0
    n_splits: int = 0
    n_candidates: int = 0
    #: Also return a digest of the fitted model's predictions on the test rows
    #: (racing: two candidates with the same digests are the same model there).
    fingerprint: bool = False


class FoldResult(NamedTuple):
    """The outcome of one fold, in the shape scikit-learn aggregates."""

    test_scores: Scores
    train_scores: Scores | None
    fit_time: float
    score_time: float
    #: The formatted traceback of a failed fit, None when the fit succeeded.
    fit_error: str | None = None
    #: True for a candidate skipped as invalid: never fitted, scored ``error_score``.
    skipped: bool = False
    #: The formatted traceback of a failed test scoring (the fit succeeded), or None.
    score_error: str | None = None
    #: A digest of the fitted model's predictions on the test rows (``FoldJob.fingerprint``),
    #: None when not asked for, when the fit failed or when it has nothing to predict with.
    fingerprint: str | None = None


def evaluate_fold(
    job: FoldJob | Shared[FoldJob],
    params: Mapping[str, Any],
    train: np.ndarray,
    test: np.ndarray,
    split_index: int,
    candidate_index: int,
    callback_ctx: Any = None,
    caller: Any = None,
) -> FoldResult:
    """Fit a clone of the estimator with ``params`` on ``train``; score it.

    A failing fit gives ``error_score`` (and the traceback in ``fit_error``) unless
    ``error_score == "raise"``, in which case the exception propagates.

    ``callback_ctx`` is the fold's ``candidate-split-evaluation`` task (scikit-learn's
    callbacks, see :mod:`tunesmith.sklearn._callbacks`) and ``caller`` the search its
    hooks report as ``estimator``: the hooks run around the fit, the end hook even when
    the fit fails, and the fold's estimator gets the auto-propagated callbacks.
    """
    if isinstance(job, Shared):
        job = job.get()
    verbose = job.verbose
    progress, params_msg = "", ""
    if verbose > 1:
        params_msg = ", ".join(f"{k}={params[k]}" for k in sorted(params))
        if verbose > 2:
            progress = f" {split_index + 1}/{job.n_splits}"
            if verbose > 9:
                progress += f"; {candidate_index + 1}/{job.n_candidates}"
        if verbose > 9:
            start_msg = f"[CV{progress}] START {params_msg}"
            print(f"{start_msg}{(80 - len(start_msg)) * '.'}")

    X = job.X
    fit_params = _check_method_params(X, params=job.fit_params, indices=train)
    score_params_train = _check_method_params(X, params=job.score_params, indices=train)
    score_params_test = _check_method_params(X, params=job.score_params, indices=test)
    # Parameters are cloned too: a parameter may itself be an estimator (a Pipeline
    # step searched over), which must not be fitted in place across folds.
    estimator = clone(job.estimator).set_params(**clone(params, safe=False))

    start = time.time()  # scikit-learn's fit time includes the split
    pairwise = get_tags(estimator).input_tags.pairwise
    X_train, y_train = _split(pairwise, X, job.y, train)
    X_test, y_test = _split(pairwise, X, job.y, test, train)

    sample_weight = fit_params.get("sample_weight")
    metadata = None if sample_weight is None else {"sample_weight": sample_weight}

    fit_error = score_error = None
    train_scores: Scores | None = None
    try:
        if callback_ctx is None:
            _fit(estimator, X_train, y_train, fit_params)
        else:
            with callback_ctx.propagate_callback_context(estimator):
                callback_ctx.call_on_fit_task_begin(estimator=caller, X=X_train, y=y_train,
                                                    metadata=metadata)
                _fit(estimator, X_train, y_train, fit_params)
    except Exception:
        fit_time = time.time() - start
        score_time = 0.0
        if job.error_score == "raise":
            raise
        test_scores = _error_scores(job)
        if job.return_train_score:
            train_scores = _error_scores(job)
        fit_error = traceback.format_exc()
    else:
        fit_time = time.time() - start
        test_scores, score_error = _score(estimator, X_test, y_test, job, score_params_test)
        score_time = time.time() - start - fit_time
        if job.return_train_score:
            train_scores, _ = _score(estimator, X_train, y_train, job, score_params_train)
    finally:
        if callback_ctx is not None:
            callback_ctx.call_on_fit_task_end(estimator=caller, X=X_train, y=y_train,
                                              metadata=metadata)

    if verbose > 1:
        _print_end(progress, params_msg, test_scores, train_scores, fit_time + score_time,
                   verbose)
    digest = None
    if job.fingerprint and fit_error is None:
        digest = predictions_digest(estimator, X_test)
    return FoldResult(test_scores, train_scores, fit_time, score_time, fit_error,
                      score_error=score_error, fingerprint=digest)


#: The outputs that identify a fitted model on given rows, the most detailed first: a
#: scorer reads these, and predictions follow from the continuous outputs, so one call
#: is enough (racing pays it on every fold).
_OUTPUTS = ("decision_function", "predict_proba", "score_samples", "predict")


def predictions_digest(estimator: Any, X: Any) -> str | None:
    """A digest of a fitted ``estimator``'s outputs on ``X``, bit for bit: its first of
    ``decision_function``, ``predict_proba``, ``score_samples`` and ``predict`` that
    works; None when none does.

    Two candidates with equal digests on a fold are the same model there as far as a
    scorer can tell (penalty=None makes ``C`` idle, ``n_neighbors=1`` makes the weights
    idle); racing stops the later one (:mod:`tunesmith.sklearn._racing`).

    >>> from sklearn.linear_model import LogisticRegression
    >>> X, y = [[0.0], [1.0], [2.0], [3.0]], [0, 0, 1, 1]
    >>> a = LogisticRegression(penalty=None, C=0.1).fit(X, y)
    >>> b = LogisticRegression(penalty=None, C=100.0).fit(X, y)
    >>> c = LogisticRegression(C=0.1).fit(X, y)
    >>> predictions_digest(a, X) == predictions_digest(b, X) != predictions_digest(c, X)
    True
    """
    for name in _OUTPUTS:
        method = getattr(estimator, name, None)
        if method is None:
            continue
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # scoring has shown them already
                output = method(X)
        except Exception:  # e.g. SVC.predict_proba without probability=True
            continue
        digest = hashlib.blake2b(name.encode(), digest_size=16)
        _update(digest, output)
        return digest.hexdigest()
    return None


def _update(digest: Any, output: Any) -> None:
    """Feed an output's exact values, dtype and shape (arrays, sparse, lists of them)."""
    if isinstance(output, (list, tuple)):  # e.g. multi-output predict_proba
        for part in output:
            _update(digest, part)
        return
    if hasattr(output, "toarray"):
        output = output.toarray()
    array = np.asarray(output)
    digest.update(f"{array.dtype.str}{array.shape}".encode())
    if array.dtype.hasobject:  # the bytes of an object array are addresses, not values
        digest.update(repr(array.tolist()).encode())
    else:
        digest.update(np.ascontiguousarray(array).tobytes())


def skipped_fold(job: FoldJob) -> FoldResult:
    """The fold of a candidate skipped as invalid: scored like a failed fit, cost zero."""
    train = _error_scores(job) if job.return_train_score else None
    return FoldResult(_error_scores(job), train, 0.0, 0.0, None, skipped=True)


def _error_scores(job: FoldJob) -> Scores:
    if job.metric_names is not None:
        return {name: job.error_score for name in job.metric_names}
    return job.error_score


def _fit(estimator: Any, X: Any, y: Any, fit_params: Mapping[str, Any]) -> None:
    if y is None:
        estimator.fit(X, **fit_params)
    else:
        estimator.fit(X, y, **fit_params)


def _split(pairwise: bool, X: Any, y: Any, rows: np.ndarray,
           columns: np.ndarray | None = None) -> tuple[Any, Any]:
    """Rows of X and y; for a precomputed kernel, the matching kernel columns too."""
    if pairwise:
        if not hasattr(X, "shape"):
            raise ValueError(
                "this estimator takes a precomputed kernel or affinity matrix: pass X as "
                f"a square array or sparse matrix, not {type(X).__name__}"
            )
        if X.shape[0] != X.shape[1]:
            raise ValueError(
                f"this estimator takes a precomputed kernel: X must be square "
                f"(n_samples x n_samples), got shape {X.shape}"
            )
        X_part = X[np.ix_(rows, rows if columns is None else columns)]
    else:
        X_part = _safe_indexing(X, rows)
    return X_part, (None if y is None else _safe_indexing(y, rows))


def _score(estimator: Any, X: Any, y: Any, job: FoldJob,
           score_params: Mapping[str, Any]) -> tuple[Scores, str | None]:
    """The score(s) of a fitted estimator, and the traceback of a failing scorer.

    A failing scorer gives ``error_score`` and a warning, as in scikit-learn.
    """
    scorer = job.scorer
    multimetric = job.metric_names is not None
    error = None
    try:
        if y is None:
            scores = scorer(estimator, X, **score_params)
        else:
            scores = scorer(estimator, X, y, **score_params)
    except Exception:
        # A multimetric scorer raises only when error_score == "raise"; otherwise it
        # returns the failing metric's traceback as text (handled below).
        if multimetric or job.error_score == "raise":
            raise
        scores = job.error_score
        error = traceback.format_exc()
        _warn_scoring_failed(job.error_score, error)

    if multimetric:
        for name, value in list(scores.items()):
            if isinstance(value, str):
                scores[name] = job.error_score
                error = error or value
                _warn_scoring_failed(job.error_score, value)

    if isinstance(scores, dict):
        return {name: _number(value, name) for name, value in scores.items()}, error
    return _number(scores, scorer), error


def _warn_scoring_failed(error_score: Any, details: str) -> None:
    warnings.warn(
        "Scoring failed. The score on this train-test partition for these parameters "
        f"will be set to {error_score}. Details: \n{details}",
        UserWarning,
        stacklevel=3,
    )


def _number(value: Any, scorer: Any) -> Any:
    if hasattr(value, "item"):
        with contextlib.suppress(ValueError):  # an array of several values stays one
            value = value.item()  # a 0-d array or numpy scalar (memmapped too)
    if not isinstance(value, numbers.Number):
        raise ValueError(
            f"scoring must return a number, got {value!r} ({type(value)}) instead. "
            f"(scorer={scorer})"
        )
    return value


def _print_end(progress: str, params_msg: str, test: Scores, train: Scores | None,
               total_time: float, verbose: int) -> None:
    """scikit-learn's ``[CV] END ...`` line, right-aligned to 80 columns."""
    end_msg = f"[CV{progress}] END "
    result_msg = params_msg + (";" if params_msg else "")
    if verbose > 2:
        if isinstance(test, dict):
            for name in sorted(test):
                result_msg += f" {name}: ("
                if train is not None:
                    result_msg += f"train={train[name]:.3f}, "  # type: ignore[index]
                result_msg += f"test={test[name]:.3f})"
        else:
            result_msg += ", score="
            if train is not None:
                result_msg += f"(train={train:.3f}, test={test:.3f})"
            else:
                result_msg += f"{test:.3f}"
    result_msg += f" total time={short_format_time(total_time)}"
    print(end_msg + "." * (80 - len(end_msg) - len(result_msg)) + result_msg)


def as_fold_results(attrs: Mapping[str, Any]) -> list[FoldResult]:
    """The folds of a finished trial, from the attrs :func:`trial_attrs` stored."""
    train = attrs.get("train_scores")
    n = len(attrs["fit_time"])
    return [
        FoldResult(
            attrs["test_scores"][k],
            None if train is None else train[k],
            attrs["fit_time"][k],
            attrs["score_time"][k],
            attrs["fit_error"][k],
        )
        for k in range(n)
    ]


def trial_attrs(folds: Sequence[FoldResult]) -> dict[str, Any]:
    """A candidate's folds as JSON-safe trial attrs (floats; NaN allowed)."""
    attrs: dict[str, Any] = {
        "test_scores": [_jsonable(f.test_scores) for f in folds],
        "fit_time": [float(f.fit_time) for f in folds],
        "score_time": [float(f.score_time) for f in folds],
        "fit_error": [f.fit_error for f in folds],
    }
    if folds and folds[0].train_scores is not None:
        attrs["train_scores"] = [_jsonable(f.train_scores) for f in folds]
    return attrs


def _jsonable(scores: Any) -> Any:
    # float() is exact for every real a scorer returns (float64, float32, int), so a
    # score read back from storage is the very float scikit-learn would average.
    if isinstance(scores, dict):
        return {str(name): float(value) for name, value in scores.items()}
    return float(scores)
