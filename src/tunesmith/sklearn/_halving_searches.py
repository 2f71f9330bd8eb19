"""HalvingGridSearchCV and HalvingRandomSearchCV: scikit-learn's halving searches.

Their first candidates are a grid (``ParameterGrid``'s order) or ``n_candidates``
draws (``ParameterSampler``'s, with the same ``random_state``); everything after is
:class:`~tunesmith.sklearn._halving.BaseSuccessiveHalving`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from numbers import Integral
from typing import Any

import numpy as np
from sklearn.utils._param_validation import Interval, StrOptions

from tunesmith.samplers import sklearn_random_candidates
from tunesmith.sklearn._grid import checked_grids, grid_candidates, grid_size, is_tunesmith_space
from tunesmith.sklearn._halving import BaseSuccessiveHalving
from tunesmith.sklearn._random import _checked_distributions, random_candidates
from tunesmith.storage import Storage

__all__ = ["HalvingGridSearchCV", "HalvingRandomSearchCV"]


class HalvingGridSearchCV(BaseSuccessiveHalving):
    """scikit-learn's ``HalvingGridSearchCV``, with the same results, run as a study.

    Every candidate of ``param_grid`` is evaluated on a small resource, the best
    ``1 / factor`` of them on ``factor`` times more, and so on: the same
    iterations, resources (``resource="n_samples"`` subsamples each split with
    ``random_state``; an estimator parameter such as ``"n_estimators"`` is set on
    the candidates), ``cv_results_`` (with ``iter`` and ``n_resources``) and
    fitted attributes (``n_resources_``, ``n_candidates_``, ``n_iterations_``,
    ``n_possible_iterations_``, ``n_required_iterations_``, ``min_resources_``,
    ``max_resources_``, ``n_remaining_candidates_``, ``best_*``) as
    ``sklearn.model_selection.HalvingGridSearchCV``, for the same inputs. No
    ``enable_halving_search_cv`` import is needed. Keyword-only extras, none of which
    changes a result:

    storage, study_name : keep the search in a storage (``"sqlite:///search.db"`` or a
        Storage) under that name; each (candidate, iteration) is a trial whose
        ``budget`` is its resource, and a second ``fit`` fits only what is missing.
        Give an int ``random_state`` (and a ``cv`` that does not shuffle, or shuffles
        with an int seed) so that the subsamples, and with them the study, are the
        same again.
    show_progress : a progress bar per iteration; None shows it on a terminal.
    skip_invalid : don't fit first-iteration candidates the estimator rejects whatever
        the data; their rows are those of failed fits, and ``cv_results_["skip_reason"]``
        says why.

    >>> from sklearn.datasets import load_iris
    >>> from sklearn.svm import SVC
    >>> from tunesmith.sklearn import HalvingGridSearchCV
    >>> X, y = load_iris(return_X_y=True)
    >>> grid = {"C": [0.1, 1, 10], "kernel": ["linear", "rbf"]}
    >>> search = HalvingGridSearchCV(SVC(), grid, random_state=0).fit(X, y)
    >>> search.n_candidates_, search.n_resources_
    ([6, 2], [50, 150])
    >>> search.best_params_
    {'C': 1, 'kernel': 'linear'}
    """

    _parameter_constraints: dict[str, list[Any]] = {
        **BaseSuccessiveHalving._parameter_constraints,
        "param_grid": [dict, list],
    }

    def __init__(
        self,
        estimator: Any,
        param_grid: Any,
        *,
        factor: float = 3,
        resource: str = "n_samples",
        max_resources: int | str = "auto",
        min_resources: int | str = "exhaust",
        aggressive_elimination: bool = False,
        cv: Any = 5,
        scoring: Any = None,
        refit: Any = True,
        error_score: Any = np.nan,
        return_train_score: bool = True,
        random_state: Any = None,
        n_jobs: int | None = None,
        verbose: int = 0,
        storage: Storage | str | None = None,
        study_name: str | None = None,
        show_progress: bool | None = None,
        skip_invalid: bool = True,
        executor: Any = None,
    ) -> None:
        super().__init__(
            estimator, scoring=scoring, n_jobs=n_jobs, refit=refit, cv=cv, verbose=verbose,
            random_state=random_state, error_score=error_score,
            return_train_score=return_train_score, max_resources=max_resources,
            min_resources=min_resources, resource=resource, factor=factor,
            aggressive_elimination=aggressive_elimination, storage=storage,
            study_name=study_name, show_progress=show_progress, skip_invalid=skip_invalid,
            executor=executor,
        )
        self.param_grid = param_grid

    def _first_candidates(self) -> Sequence[dict[str, Any]]:
        return grid_candidates(self.param_grid)


class HalvingRandomSearchCV(BaseSuccessiveHalving):
    """scikit-learn's ``HalvingRandomSearchCV``, with the same results, run as a study.

    ``n_candidates`` points are drawn from ``param_distributions`` as
    ``ParameterSampler`` draws them (the same ``random_state`` gives the same
    points; ``"exhaust"`` draws ``max_resources_ // min_resources_``), then halved
    as in :class:`~tunesmith.sklearn.HalvingGridSearchCV`, with the same extras
    (``storage``, ``study_name``, ``show_progress``, ``skip_invalid``).

    >>> from scipy.stats import loguniform
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.svm import SVC
    >>> from tunesmith.sklearn import HalvingRandomSearchCV
    >>> X, y = load_iris(return_X_y=True)
    >>> search = HalvingRandomSearchCV(SVC(), {"C": loguniform(1e-2, 1e2)}, n_candidates=6,
    ...                                factor=2, random_state=0).fit(X, y)
    >>> search.n_candidates_, search.n_resources_
    ([6, 3, 2], [30, 60, 120])
    >>> [trial.budget for trial in search.study_.trials][-2:]  # the last iteration's
    [120.0, 120.0]
    """

    _parameter_constraints: dict[str, list[Any]] = {
        **BaseSuccessiveHalving._parameter_constraints,
        "param_distributions": [dict, list],
        "n_candidates": [Interval(Integral, 0, None, closed="neither"),
                         StrOptions({"exhaust"})],
    }

    def __init__(
        self,
        estimator: Any,
        param_distributions: Any,
        *,
        n_candidates: int | str = "exhaust",
        factor: float = 3,
        resource: str = "n_samples",
        max_resources: int | str = "auto",
        min_resources: int | str = "smallest",
        aggressive_elimination: bool = False,
        cv: Any = 5,
        scoring: Any = None,
        refit: Any = True,
        error_score: Any = np.nan,
        return_train_score: bool = True,
        random_state: Any = None,
        n_jobs: int | None = None,
        verbose: int = 0,
        storage: Storage | str | None = None,
        study_name: str | None = None,
        show_progress: bool | None = None,
        skip_invalid: bool = True,
        executor: Any = None,
    ) -> None:
        super().__init__(
            estimator, scoring=scoring, n_jobs=n_jobs, refit=refit, cv=cv, verbose=verbose,
            random_state=random_state, error_score=error_score,
            return_train_score=return_train_score, max_resources=max_resources,
            min_resources=min_resources, resource=resource, factor=factor,
            aggressive_elimination=aggressive_elimination, storage=storage,
            study_name=study_name, show_progress=show_progress, skip_invalid=skip_invalid,
            executor=executor,
        )
        self.param_distributions = param_distributions
        self.n_candidates = n_candidates

    def _check_n_candidates(self) -> None:
        if self.min_resources == self.n_candidates == "exhaust":
            # Each "exhaust" is computed from the other.
            raise ValueError("n_candidates and min_resources cannot be both set to 'exhaust'.")

    def _n_candidates_setting(self) -> Any:
        return self.n_candidates

    def _first_candidates(self) -> Sequence[dict[str, Any]]:
        n = self.n_candidates
        if n == "exhaust":
            n = self.max_resources_ // self.min_resources_
        return _Draws(self.param_distributions, int(n), self.random_state)


class _Draws(Sequence[dict[str, Any]]):
    """``n`` draws from ``param_distributions``, drawn afresh at each iteration.

    As scikit-learn's ``ParameterSampler``: with a ``RandomState`` instance as
    ``random_state`` two passes give two different lists, and the halving search
    makes exactly the passes scikit-learn's makes, so it evaluates the same points.
    """

    def __init__(self, param_distributions: Any, n: int, random_state: Any) -> None:
        self.param_distributions = param_distributions
        self.n = n
        self.random_state = random_state
        if is_tunesmith_space(param_distributions):
            self._len = len(sklearn_random_candidates(param_distributions, n, random_state))
            return
        distributions = _checked_distributions(param_distributions)
        if any(hasattr(v, "rvs") for dist in distributions for v in dist.values()):
            self._len = n
        else:  # a finite grid, drawn without replacement: at most its size
            self._len = min(n, grid_size(checked_grids(distributions)))

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter(random_candidates(self.param_distributions, self.n, self.random_state))

    def __len__(self) -> int:
        return self._len

    def __getitem__(self, index: Any) -> Any:
        return list(self)[index]
