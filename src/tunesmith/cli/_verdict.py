"""The verdict at the end of ``tunesmith run``: did tuning beat the default model?

The study file's estimator as given (its fixed ``params``, scikit-learn's defaults for
the tuned ones, inside the same preprocessing) is the default model. It is scored on the
search's folds (``check_cv(cv, y)``: the drop-ins and a native study use the same ones)
and, with a held-out set, refit and scored there; :mod:`tunesmith.stats` says the rest.
"""

from __future__ import annotations

import logging
from typing import Any

from sklearn.base import BaseEstimator, is_classifier
from sklearn.metrics import check_scoring
from sklearn.model_selection import check_cv

from tunesmith.cli._build import Problem
from tunesmith.cli._data import Dataset
from tunesmith.records import FrozenTrial
from tunesmith.sklearn._default_eval import trials_verdict
from tunesmith.stats import SearchVerdict

__all__ = ["run_verdict"]

logger = logging.getLogger("tunesmith.cli")


def run_verdict(problem: Problem, data: Dataset, trials: list[FrozenTrial],
                tuned: BaseEstimator, *, scoring: str, n_jobs: int | None = None
                ) -> SearchVerdict | None:
    """The run's verdict, or None (with a warning saying why) when it cannot be made:
    the search is already over and stored, so a failing default model never loses it."""
    try:
        splits = list(check_cv(problem.cv, data.y, classifier=is_classifier(problem.estimator))
                      .split(data.X, data.y))
        scorer: Any = check_scoring(problem.estimator, scoring=problem.scoring)
        verdict, _ = trials_verdict(
            problem.estimator, trials, data.X, data.y, splits, scorer, scoring=scoring,
            tuned=tuned, X_test=data.X_test, y_test=data.y_test, n_jobs=n_jobs)
    except Exception as exc:  # the default model failed to fit or score
        logger.warning("no verdict against the default model: %s: %s",
                       type(exc).__name__, exc)
        return None
    return verdict
