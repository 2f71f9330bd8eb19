"""What a stored search was run on, so that resuming it on anything else is refused.

A resumed search reuses the stored scores of finished candidates. That is only
right when the data, the estimator, the candidates, the folds and the scoring are
the very same; each is hashed into the study's attrs when it is created and checked
when it is loaded.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import Any

import joblib
import numpy as np

from tunesmith.exceptions import StudyMismatchError

__all__ = ["ATTR", "check_fingerprint", "default_name", "fingerprint"]

#: The study attribute holding the fingerprint.
ATTR = "sklearn_fingerprint"

# What each part is called in an error, and how to fix it.
_WHAT = {
    "X": "data (X)",
    "y": "target (y)",
    "groups": "groups",
    "fit_params": "fit parameters",
    "estimator": "estimator",
    "candidates": "candidate list (param_grid / param_distributions, n_iter, random_state)",
    "splits": "cross-validation splits (cv)",
    "scoring": "scoring, error_score or return_train_score",
}


def fingerprint(
    *,
    X: Any,
    y: Any,
    groups: Any,
    fit_params: Mapping[str, Any],
    estimator: Any,
    candidates: Sequence[Mapping[str, Any]],
    splits: Sequence[tuple[np.ndarray, np.ndarray]],
    scoring: Any,
) -> dict[str, str]:
    """A short hash of each thing a search's stored scores depend on."""
    return {
        "X": _hash_data(X),
        "y": _hash_data(y),
        "groups": _hash_data(groups),
        "fit_params": _hash_data(dict(fit_params)),
        "estimator": _digest(_describe(estimator)),
        "candidates": _digest(repr([dict(c) for c in candidates])),
        "splits": _hash_splits(splits),
        "scoring": _digest(repr(scoring)),
    }


def check_fingerprint(stored: Mapping[str, Any], current: Mapping[str, str],
                      study_name: str) -> None:
    """Raise StudyMismatchError naming every part that differs."""
    differ = [key for key in current if stored.get(key) != current[key]]
    if differ:
        parts = ", ".join(_WHAT.get(key, key) for key in differ)
        raise StudyMismatchError(
            f"study {study_name!r} was run with a different {parts}; its stored scores "
            "do not apply. Resume it with the same inputs, or pass a new study_name "
            "to start afresh"
        )


def default_name(search: Any, current: Mapping[str, str]) -> str:
    """A stored search's study name when none is given: the search class, the model
    class and a digest of the fingerprint, so the same search on the same inputs (and
    only that) resumes the same study.

    >>> from sklearn.svm import SVC
    >>> from tunesmith.sklearn import GridSearchCV
    >>> default_name(GridSearchCV(SVC(), {"C": [1]}), {"data": "abc"})
    'GridSearchCV-SVC-ba83f331c783'
    """
    estimator = getattr(search, "estimator", None)
    final = getattr(estimator, "steps", [(None, estimator)])[-1][1]
    digest = _digest("|".join(f"{k}={v}" for k, v in sorted(current.items())))[:12]
    return f"{type(search).__name__}-{type(final).__name__}-{digest}"


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "backslashreplace")).hexdigest()[:20]


def _hash_data(obj: Any) -> str:
    # joblib.hash reads arrays and DataFrames by content, fast; an object it cannot
    # pickle falls back to its repr.
    try:
        return joblib.hash(obj)[:20]  # type: ignore[index]
    except Exception:
        return _digest(repr(obj))


def _hash_splits(splits: Sequence[tuple[np.ndarray, np.ndarray]]) -> str:
    h = hashlib.sha256()
    for train, test in splits:
        for part in (train, test):
            arr = np.ascontiguousarray(np.asarray(part, dtype=np.int64))
            h.update(len(arr).to_bytes(8, "little"))
            h.update(arr.tobytes())
    return h.hexdigest()[:20]


def _describe(estimator: Any) -> str:
    """The estimator's class and full parameters (its repr is cut at 700 characters)."""
    kind = type(estimator)
    try:
        text = estimator.__repr__(N_CHAR_MAX=10**9)
    except TypeError:  # not a scikit-learn BaseEstimator
        text = repr(estimator)
    return f"{kind.__module__}.{kind.__qualname__}:{text}"
