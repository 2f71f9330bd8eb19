"""GridSearchCV: every combination of a scikit-learn ``param_grid``, in its order.

A ``param_grid`` in scikit-learn's form (a dict of name -> list or 1-d array, or a
list of such dicts) is checked and enumerated as ``ParameterGrid`` does it: the
same errors for a malformed grid, repeated values kept (``[1, 1, 2]`` is three
candidates), names sorted, the last name varying fastest, values as iteration
yields them (numpy scalars from an array). A tunesmith :class:`~tunesmith.Space`
(conditions, forbidden combinations, stepped ranges) is enumerated by its own
lazy grid, in the same order.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from itertools import product
from typing import Any

import numpy as np

from tunesmith.sklearn._callbacks import search_task
from tunesmith.sklearn._racing import Racing
from tunesmith.sklearn._search import BaseSearchCV
from tunesmith.space import Dimension, Space, SpaceUnion, to_space
from tunesmith.storage import Storage

__all__ = [
    "GridSearchCV",
    "checked_grids",
    "grid_candidates",
    "grid_point",
    "grid_size",
    "is_tunesmith_space",
]


def grid_candidates(param_grid: Any) -> list[dict[str, Any]]:
    """Every point of ``param_grid``, in ``ParameterGrid``'s order.

    Raises scikit-learn's errors (same types and messages) for a grid it refuses.

    >>> grid_candidates({"b": [1, 1], "a": ["x", "y"]})
    [{'a': 'x', 'b': 1}, {'a': 'x', 'b': 1}, {'a': 'y', 'b': 1}, {'a': 'y', 'b': 1}]
    """
    if is_tunesmith_space(param_grid):
        return list(to_space(param_grid, for_grid=True).grid())
    grids = checked_grids(param_grid)
    points: list[dict[str, Any]] = []
    for grid in grids:
        items = sorted(grid.items())
        if not items:
            points.append({})
            continue
        names = [name for name, _ in items]
        points.extend(dict(zip(names, values, strict=True))
                      for values in product(*(values for _, values in items)))
    return points


def grid_size(grids: Sequence[Mapping[str, Sequence[Any]]]) -> int:
    """How many points checked grids (see :func:`checked_grids`) have."""
    return sum(math.prod(len(values) for values in grid.values()) for grid in grids)


def grid_point(grids: Sequence[Mapping[str, Sequence[Any]]], index: int) -> dict[str, Any]:
    """Point ``index`` of checked grids, as ``ParameterGrid[index]`` gives it.

    The same point as the iteration order's ``index``-th, but with the names in
    reverse sorted order (``ParameterGrid`` builds it from the fastest-varying name
    up), which is the order of ``RandomizedSearchCV``'s ``cv_results_`` columns.
    """
    for grid in grids:
        if not grid:
            if index == 0:
                return {}
            index -= 1
            continue
        items = sorted(grid.items(), reverse=True)
        size = math.prod(len(values) for _, values in items)
        if index >= size:
            index -= size
            continue
        point = {}
        for name, values in items:
            index, offset = divmod(index, len(values))
            point[name] = values[offset]
        return point
    raise IndexError("ParameterGrid index out of range")


def is_tunesmith_space(param_grid: Any) -> bool:
    """Whether ``param_grid`` is (or holds) tunesmith's own space objects."""
    if isinstance(param_grid, (Space, SpaceUnion)):
        return True
    grids = [param_grid] if isinstance(param_grid, Mapping) else param_grid
    if not isinstance(grids, (list, tuple)):
        return False
    return any(isinstance(grid, Space) or (isinstance(grid, Mapping) and any(
        isinstance(value, Dimension) for value in grid.values())) for grid in grids)


def checked_grids(param_grid: Any) -> list[Mapping[str, Sequence[Any]]]:
    """``param_grid`` as a list of dicts of value lists, checked as scikit-learn does."""
    if not isinstance(param_grid, (Mapping, Iterable)):
        raise TypeError(
            f"Parameter grid should be a dict or a list, got: {param_grid!r} of type "
            f"{type(param_grid).__name__}"
        )
    grids = [param_grid] if isinstance(param_grid, Mapping) else list(param_grid)
    for grid in grids:
        if not isinstance(grid, dict):
            raise TypeError(f"Parameter grid is not a dict ({grid!r})")
        for name, values in grid.items():
            if isinstance(values, np.ndarray) and values.ndim > 1:
                raise ValueError(
                    f"Parameter array for {name!r} should be one-dimensional, got: "
                    f"{values!r} with shape {values.shape}"
                )
            if isinstance(values, str) or not isinstance(values, (np.ndarray, Sequence)):
                raise TypeError(
                    f"Parameter grid for parameter {name!r} needs to be a list or a numpy "
                    f"array, but got {values!r} (of type {type(values).__name__}) instead. "
                    "Single values need to be wrapped in a list with one element."
                )
            if len(values) == 0:
                raise ValueError(
                    f"Parameter grid for parameter {name!r} need to be a non-empty "
                    f"sequence, got: {values!r}"
                )
    return grids


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

    One extra changes results, and is off by default: ``racing=True`` (or a
    :class:`~tunesmith.sklearn.Racing`) runs the folds in rounds across the
    candidates and stops fitting a candidate once it is statistically worse than the
    leader; its row keeps the folds it finished (the others NaN), ranks after the
    candidates that finished, and ``cv_results_["stopped"]`` says why. The winner is
    usually the full search's, for a fraction of the fits.

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
        executor: Any = None,
        racing: bool | Racing = False,
    ) -> None:
        self.racing = racing
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
        self.param_grid = param_grid

    def _candidates(self) -> list[dict[str, Any]]:
        return grid_candidates(self.param_grid)

    def _run_search(self, evaluate_candidates: Callable[..., dict[str, Any]], *,
                    callback_ctx: Any = None) -> None:
        """Every candidate of the grid, in one batch."""
        candidates = self._candidates()
        with search_task(self, callback_ctx, len(candidates)) as search_ctx:
            evaluate_candidates(candidates, callback_ctx=search_ctx)
