"""RandomizedSearchCV: ``n_iter`` draws from scikit-learn ``param_distributions``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from tunesmith.samplers import sklearn_random_candidates
from tunesmith.sklearn._callbacks import search_task
from tunesmith.sklearn._search import BaseSearchCV
from tunesmith.storage import Storage

__all__ = ["RandomizedSearchCV"]


class RandomizedSearchCV(BaseSearchCV):
    """scikit-learn's ``RandomizedSearchCV``, with the same results, run as a study.

    The same ``random_state`` draws the same candidates as scikit-learn's
    ``ParameterSampler`` (lists, scipy distributions, lists of dicts), in the same
    order; everything else is as in :class:`~tunesmith.sklearn.GridSearchCV`,
    including the keyword-only extras ``storage``, ``study_name``, ``show_progress``
    and ``skip_invalid``, and ``study_`` after ``fit``.

    >>> from scipy.stats import loguniform
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.svm import SVC
    >>> from tunesmith.sklearn import RandomizedSearchCV
    >>> X, y = load_iris(return_X_y=True)
    >>> search = RandomizedSearchCV(SVC(), {"C": loguniform(1e-2, 1e2)}, n_iter=5,
    ...                             random_state=0).fit(X, y)
    >>> len(search.cv_results_["params"]), search.best_index_ in range(5)
    (5, True)
    """

    def __init__(
        self,
        estimator: Any,
        param_distributions: Any,
        *,
        n_iter: int = 10,
        scoring: Any = None,
        n_jobs: int | None = None,
        refit: Any = True,
        cv: Any = None,
        verbose: int = 0,
        pre_dispatch: int | str | None = "2*n_jobs",
        random_state: Any = None,
        error_score: Any = np.nan,
        return_train_score: bool = False,
        storage: Storage | str | None = None,
        study_name: str | None = None,
        show_progress: bool | None = None,
        skip_invalid: bool = True,
    ) -> None:
        self.param_distributions = param_distributions
        self.n_iter = n_iter
        self.random_state = random_state
        super().__init__(
            estimator,
            scoring=scoring,
            n_jobs=n_jobs,
            refit=refit,
            cv=cv,
            verbose=verbose,
            pre_dispatch=pre_dispatch,
            error_score=error_score,
            return_train_score=return_train_score,
            storage=storage,
            study_name=study_name,
            show_progress=show_progress,
            skip_invalid=skip_invalid,
        )

    def _candidates(self) -> list[dict[str, Any]]:
        return sklearn_random_candidates(self.param_distributions, self.n_iter,
                                         self.random_state)

    def _run_search(self, evaluate_candidates: Callable[..., dict[str, Any]], *,
                    callback_ctx: Any = None) -> None:
        """The ``n_iter`` candidates drawn, in one batch."""
        candidates = self._candidates()
        with search_task(self, callback_ctx, len(candidates)) as search_ctx:
            evaluate_candidates(candidates, callback_ctx=search_ctx)
