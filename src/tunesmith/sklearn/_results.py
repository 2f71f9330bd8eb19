"""``cv_results_`` from the folds of every candidate, laid out as scikit-learn does.

Same keys in the same order, same dtypes, same arithmetic (``np.average`` for
means and the same weighted-std formula), same ranking of failed candidates, same
masked parameter columns, same warnings: a search's results compare key by key
with scikit-learn's, float-equal. One extra key, ``skip_reason``, comes last, and
only when the search skipped a candidate as invalid (so a search that skipped
nothing has exactly scikit-learn's keys).
"""

from __future__ import annotations

import numbers
import warnings
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from numpy.ma import MaskedArray
from scipy.stats import rankdata
from sklearn.exceptions import FitFailedWarning

from tunesmith.sklearn._evaluate import FoldResult

__all__ = ["build_cv_results", "fill_error_scores", "warn_or_raise_fit_failures"]


def warn_or_raise_fit_failures(folds: Sequence[FoldResult], error_score: Any,
                               skip_summary: str | None = None) -> None:
    """One FitFailedWarning counting the failed fits by message; ValueError if all failed.

    Folds of skipped candidates were never fitted: they are not counted as fits,
    except that a search whose every fit failed or was skipped still raises, as
    scikit-learn would have.
    """
    errors = [f.fit_error for f in folds if f.fit_error is not None]
    n_skipped = sum(f.skipped for f in folds)
    n_fits = len(folds) - n_skipped
    if not errors and n_fits:
        return
    delimiter = "-" * 80 + "\n"
    details = "\n".join(
        f"{delimiter}{n} fits failed with the following error:\n{error}"
        for error, n in Counter(errors).items()
    )
    if not n_fits:
        raise ValueError(
            f"\nAll the {len(folds)} fits were skipped: every candidate is invalid "
            f"({skip_summary}). Fix the parameter grid, or pass skip_invalid=False to "
            "fit them anyway."
        )
    if len(errors) == n_fits:
        skipped = "" if not n_skipped else (
            f"The other {n_skipped} fits were skipped ({skip_summary}).\n"
        )
        raise ValueError(
            f"\nAll the {n_fits} fits failed.\n{skipped}"
            "It is very likely that your model is misconfigured.\n"
            "You can try to debug the error by setting error_score='raise'.\n\n"
            f"Below are more details about the failures:\n{details}"
        )
    warnings.warn(
        f"\n{len(errors)} fits failed out of a total of {n_fits}.\n"
        "The score on these train-test partitions for these parameters"
        f" will be set to {error_score}.\n"
        "If these failures are not expected, you can try to debug them "
        "by setting error_score='raise'.\n\n"
        f"Below are more details about the failures:\n{details}",
        FitFailedWarning,
        stacklevel=3,
    )


def fill_error_scores(folds: list[FoldResult], error_score: Any) -> list[FoldResult]:
    """Give failed folds a dict of ``error_score`` when a callable scorer returns dicts.

    A callable's result type is only known once it has scored a fold; failed folds
    got the plain ``error_score`` meanwhile.
    """
    example = next((f.test_scores for f in folds if f.fit_error is None and not f.skipped),
                   None)
    if not isinstance(example, dict):
        return folds
    errors = {name: error_score for name in example}
    return [
        f._replace(test_scores=dict(errors),
                   train_scores=None if f.train_scores is None else dict(errors))
        if (f.fit_error is not None or f.skipped) else f
        for f in folds
    ]


def build_cv_results(
    candidates: Sequence[Mapping[str, Any]],
    folds: Sequence[FoldResult],
    n_splits: int,
    *,
    return_train_score: bool,
    skip_reasons: Mapping[int, str] | None = None,
    more_results: Mapping[str, Sequence[Any]] | None = None,
) -> dict[str, Any]:
    """The ``cv_results_`` dict; ``folds`` are candidate-major, split-minor.

    ``more_results`` (one value per candidate for each key, from a custom
    ``_run_search``) come first, as in scikit-learn.
    """
    n_candidates = len(candidates)
    results: dict[str, Any] = {key: np.asarray(values)
                               for key, values in (more_results or {}).items()}
    # Rows with folds never run (a candidate stopped by racing, not one skipped as
    # invalid): NaN only until the racing module averages their finished folds.
    skipped = np.array([f.skipped for f in folds], dtype=bool).reshape(n_candidates, n_splits)
    partial = skipped.any(axis=1) & ~np.isin(np.arange(n_candidates), list(skip_reasons or ()))

    def store(key: str, values: Any, *, splits: bool = False, rank: bool = False) -> None:
        array = np.array(values, dtype=np.float64).reshape(n_candidates, n_splits)
        if splits:
            for k in range(n_splits):
                results[f"split{k}_{key}"] = array[:, k]
        means = np.average(array, axis=1)
        results[f"mean_{key}"] = means
        if key.startswith(("train_", "test_")) and np.any(~np.isfinite(means[~partial])):
            warnings.warn(
                f"One or more of the {key.split('_')[0]} scores are non-finite: {means}",
                category=UserWarning,
                stacklevel=3,
            )
        # The same formula as scikit-learn (not np.std), so the stds are float-equal.
        results[f"std_{key}"] = np.sqrt(np.average((array - means[:, np.newaxis]) ** 2, axis=1))
        if rank:
            results[f"rank_{key}"] = _rank(means)

    store("fit_time", [f.fit_time for f in folds])
    store("score_time", [f.score_time for f in folds])
    for key, column in _param_columns(candidates):
        results[key] = column
    results["params"] = list(candidates)

    test = _by_metric([f.test_scores for f in folds])
    train = _by_metric([f.train_scores for f in folds]) if return_train_score else {}
    for name, values in test.items():
        store(f"test_{name}", values, splits=True, rank=True)
        if return_train_score:
            store(f"train_{name}", train[name], splits=True)

    if skip_reasons:
        reasons = np.empty(n_candidates, dtype=object)
        reasons[:] = [skip_reasons.get(i) for i in range(n_candidates)]
        results["skip_reason"] = reasons
    return results


def _rank(means: np.ndarray) -> np.ndarray:
    """Rank 1 is best; failed (NaN) candidates tie with each other below the worst."""
    if np.isnan(means).all():
        return np.ones_like(means, dtype=np.int32)
    filled = np.where(np.isnan(means), np.nanmin(means) - 1, means)
    # Infinities become the largest finite floats after the NaN fill, as in
    # scikit-learn, so an error_score of -inf ties with the failed candidates.
    finfo = np.finfo(filled.dtype)
    filled = np.where(np.isposinf(filled), finfo.max, filled)
    filled = np.where(np.isneginf(filled), finfo.min, filled)
    return rankdata(-filled, method="min").astype(np.int32, copy=False)


def _by_metric(scores: list[Any]) -> dict[str, Any]:
    """Per-fold scores (numbers or dicts) as ``{metric name: values}``."""
    if not isinstance(scores[0], dict):
        return {"score": scores}
    out: dict[str, Any] = {}
    for name in scores[0]:
        values = [s[name] for s in scores]
        out[name] = np.asarray(values) if isinstance(values[0], numbers.Number) else values
    return out


def _param_columns(candidates: Sequence[Mapping[str, Any]]) -> list[tuple[str, MaskedArray]]:
    """One masked column per parameter; masked where a candidate lacks it."""
    n = len(candidates)
    by_name: dict[str, dict[int, Any]] = {}
    for index, params in enumerate(candidates):
        for name, value in params.items():
            by_name.setdefault(f"param_{name}", {})[index] = value
    columns = []
    for key, values in by_name.items():
        try:
            inferred = np.array(list(values.values()))
        except ValueError:  # ragged sequences, e.g. [[1], [2, 3]]
            dtype = np.dtype(object)
        else:
            # Strings and same-length sequences (a 2-d result) stay Python objects.
            ok = inferred.dtype.kind != "U" and inferred.ndim == 1
            dtype = inferred.dtype if ok else np.dtype(object)
        column = MaskedArray(np.empty(n, dtype=dtype), mask=True)
        for index, value in values.items():
            column[index] = value  # assigning unmasks
        columns.append((key, column))
    return columns
