"""GridSearchCV: every combination of a scikit-learn ``param_grid``, in its order."""

from __future__ import annotations

from typing import Any

import numpy as np

from tunesmith.sklearn._search import BaseSearchCV
from tunesmith.space import to_space
from tunesmith.storage import Storage

__all__ = ["GridSearchCV"]


class GridSearchCV(BaseSearchCV):
    """scikit-learn's ``GridSearchCV``, with the same results, run as a tunesmith study.

    Same parameters, defaults, candidates (in ``ParameterGrid`` order), folds, scores,
    ``cv_results_``, ``best_*`` attributes and delegated methods as
    ``sklearn.model_selection.GridSearchCV``. ``n_jobs`` runs fits in worker
    processes. Keyword-only extras, none of which changes a result:

    storage, study_name : keep the search in a storage (``"sqlite:///search.db"`` or a
        Storage) under that name; a second ``fit`` evaluates only what is missing.
    show_progress : a progress bar; None shows it when stderr is a terminal.
    skip_invalid : don't fit candidates the estimator rejects whatever the data; their
        rows are those of failed fits, and ``cv_results_["skip_reason"]`` says why.

    After ``fit``, ``study_`` is the :class:`~tunesmith.Study` holding one trial per
    candidate.

    >>> from sklearn.datasets import load_iris
    >>> from sklearn.svm import SVC
    >>> from tunesmith.sklearn import GridSearchCV
    >>> X, y = load_iris(return_X_y=True)
    >>> search = GridSearchCV(SVC(), {"kernel": ["linear", "rbf"], "C": [1, 10]}).fit(X, y)
    >>> search.best_params_, round(float(search.best_score_), 3)
    ({'C': 1, 'kernel': 'linear'}, 0.98)
    """

    def __init__(
        self,
        estimator: Any,
        param_grid: Any,
        *,
        scoring: Any = None,
        n_jobs: int | None = None,
        refit: Any = True,
        cv: Any = None,
        verbose: int = 0,
        pre_dispatch: int | str | None = "2*n_jobs",
        error_score: Any = np.nan,
        return_train_score: bool = False,
        storage: Storage | str | None = None,
        study_name: str | None = None,
        show_progress: bool | None = None,
        skip_invalid: bool = True,
    ) -> None:
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
        self.param_grid = param_grid

    def _candidates(self) -> list[dict[str, Any]]:
        return list(to_space(self.param_grid, for_grid=True).grid())
