"""RandomizedSearchCV: ``n_iter`` draws from scikit-learn ``param_distributions``.

``param_distributions`` in scikit-learn's form (dicts of lists and objects with
``rvs``) are drawn from exactly as ``ParameterSampler`` draws: every value a list,
``n_iter`` points of the grid without replacement (repeated values are distinct
points, as there); otherwise, per draw, one of the dicts, then each name in sorted
order. The same ``random_state`` gives the same candidates in the same order. A
tunesmith space (or tunesmith dimensions among the values) is drawn by
:func:`tunesmith.samplers.sklearn_random_candidates`, the same way.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np
from sklearn.utils import check_random_state
from sklearn.utils.random import sample_without_replacement

from tunesmith.samplers import sklearn_random_candidates
from tunesmith.sklearn._callbacks import search_task
from tunesmith.sklearn._grid import checked_grids, grid_point, grid_size, is_tunesmith_space
from tunesmith.sklearn._racing import Racing
from tunesmith.sklearn._search import BaseSearchCV
from tunesmith.storage import Storage

__all__ = ["RandomizedSearchCV", "random_candidates"]


class RandomizedSearchCV(BaseSearchCV):
    """scikit-learn's ``RandomizedSearchCV``, with the same results, run as a study.

    The same ``random_state`` draws the same candidates as scikit-learn's
    ``ParameterSampler`` (lists, scipy distributions, lists of dicts), in the same
    order; everything else is as in :class:`~tunesmith.sklearn.GridSearchCV`,
    including the keyword-only extras ``storage``, ``study_name``, ``show_progress``,
    ``skip_invalid`` and ``racing`` (off by default: it stops fitting candidates that
    are statistically worse than the leader), and ``study_`` after ``fit``.

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
        executor: Any = None,
        racing: bool | Racing = False,
    ) -> None:
        self.racing = racing
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
            executor=executor,
        )

    def _candidates(self) -> list[dict[str, Any]]:
        return random_candidates(self.param_distributions, self.n_iter, self.random_state)

    def _run_search(self, evaluate_candidates: Callable[..., dict[str, Any]], *,
                    callback_ctx: Any = None) -> None:
        """The ``n_iter`` candidates drawn, in one batch."""
        candidates = self._candidates()
        with search_task(self, callback_ctx, len(candidates)) as search_ctx:
            evaluate_candidates(candidates, callback_ctx=search_ctx)


def random_candidates(param_distributions: Any, n_iter: Any, random_state: Any = None
                      ) -> list[dict[str, Any]]:
    """The candidates scikit-learn's ``ParameterSampler`` draws, in its order.

    >>> random_candidates({"k": [1, 1, 2]}, 3, random_state=0)
    [{'k': 1}, {'k': 1}, {'k': 2}]
    """
    if is_tunesmith_space(param_distributions):
        return sklearn_random_candidates(param_distributions, n_iter, random_state)
    distributions = _checked_distributions(param_distributions)
    if isinstance(n_iter, bool) or not isinstance(n_iter, (int, np.integer)) or n_iter < 1:
        raise ValueError(f"n_iter must be a positive integer, got {n_iter!r}")
    rng = check_random_state(random_state)
    if all(not hasattr(v, "rvs") for dist in distributions for v in dist.values()):
        grids = checked_grids(distributions)
        size = grid_size(grids)
        n = int(n_iter)
        if size < n:
            warnings.warn(
                f"The total space of parameters {size} is smaller than n_iter={n}. "
                f"Running {size} iterations. For exhaustive searches, use GridSearchCV.",
                UserWarning,
                stacklevel=4,
            )
            n = size
        return [grid_point(grids, int(i))
                for i in sample_without_replacement(size, n, random_state=rng)]
    points = []
    for _ in range(int(n_iter)):
        dist = distributions[rng.choice(len(distributions))]
        points.append({name: value.rvs(random_state=rng) if hasattr(value, "rvs")
                       else value[rng.randint(len(value))]
                       for name, value in sorted(dist.items())})
    return points


def _checked_distributions(param_distributions: Any) -> list[dict[str, Any]]:
    """A dict or a list of dicts of lists and distributions, checked as scikit-learn does."""
    if not isinstance(param_distributions, (Mapping, Iterable)):
        raise TypeError(
            "Parameter distribution is not a dict or a list, got: "
            f"{param_distributions!r} of type {type(param_distributions).__name__}"
        )
    if isinstance(param_distributions, Mapping):
        param_distributions = [param_distributions]
    distributions = list(param_distributions)
    for dist in distributions:
        if not isinstance(dist, dict):
            raise TypeError(f"Parameter distribution is not a dict ({dist!r})")
        for name, value in dist.items():
            if not isinstance(value, Iterable) and not hasattr(value, "rvs"):
                raise TypeError(
                    f"Parameter grid for parameter {name!r} is not iterable or a "
                    f"distribution (value={value}); give a list of values or an object "
                    "with an rvs method (a scipy.stats distribution)"
                )
    return distributions
