"""Successive halving on the drop-ins' engine: scikit-learn's halving searches.

``_run_search`` does what scikit-learn's ``BaseSuccessiveHalving`` does, iteration
by iteration: every candidate on a small resource, then the best ``1 / factor`` of
them on ``factor`` times more, until the plan (:mod:`._halving_schedule`) ends. A
resource of ``"n_samples"`` subsamples every split; an estimator parameter (such as
``n_estimators`` or ``max_iter``) is set on each candidate. Each iteration is one
``evaluate_candidates`` batch (``cv_results_["iter"]`` and ``["n_resources"]`` come
in as its extra keys), so each (candidate, iteration) is one trial of ``study_``
with its resource as the trial's ``budget``, and a stored search resumes: the
finished trials of every iteration are read back, not fitted again, and the same
survivors follow from them.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from math import ceil
from numbers import Integral, Real
from typing import Any

import numpy as np
from sklearn.base import is_classifier
from sklearn.metrics import get_scorer_names
from sklearn.model_selection import check_cv
from sklearn.utils._param_validation import (
    HasMethods,
    Interval,
    StrOptions,
    validate_parameter_constraints,
)
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import _num_samples, validate_data

from tunesmith.samplers import ListSampler
from tunesmith.sklearn import _fingerprint
from tunesmith.sklearn._grid import is_tunesmith_space
from tunesmith.sklearn._halving_schedule import (
    HalvingPlan,
    SubsampleSplitter,
    best_of_iteration,
    plan_halving,
    yields_constant_splits,
)
from tunesmith.sklearn._search import BaseSearchCV, SearchOutcome
from tunesmith.storage import Storage
from tunesmith.study import Study

__all__ = ["BaseSuccessiveHalving"]

#: The study attribute part that names the halving settings of a stored search.
_SETTINGS = ("halving settings (factor, resource, min_resources, max_resources, "
             "aggressive_elimination, random_state, n_candidates)")


class BaseSuccessiveHalving(BaseSearchCV):
    """What both halving searches share; a subclass gives ``_first_candidates()``.

    Parameters are checked as scikit-learn checks them (the same
    ``InvalidParameterError``, a ``ValueError`` and ``TypeError``, with the same
    message), then as its ``fit`` checks the resources against the data.
    """

    _parameter_constraints: dict[str, list[Any]] = {
        "estimator": [HasMethods(["fit"])],
        # One metric only: halving keeps the best by "mean_test_score".
        "scoring": [StrOptions(set(get_scorer_names())), callable, None],
        "n_jobs": [Integral, None],
        "refit": ["boolean", str, callable],
        "cv": ["cv_object"],
        "verbose": ["verbose"],
        "error_score": [StrOptions({"raise"}), Real],
        "return_train_score": ["boolean"],
        "random_state": ["random_state"],
        "max_resources": [Interval(Integral, 0, None, closed="neither"), StrOptions({"auto"})],
        "min_resources": [Interval(Integral, 0, None, closed="neither"),
                          StrOptions({"exhaust", "smallest"})],
        "resource": [str],
        "factor": [Interval(Real, 0, None, closed="neither")],
        "aggressive_elimination": ["boolean"],
    }

    def __init__(
        self,
        estimator: Any,
        *,
        scoring: Any = None,
        n_jobs: int | None = None,
        refit: Any = True,
        cv: Any = 5,
        verbose: int = 0,
        random_state: Any = None,
        error_score: Any = np.nan,
        return_train_score: bool = True,
        max_resources: int | str = "auto",
        min_resources: int | str = "exhaust",
        resource: str = "n_samples",
        factor: float = 3,
        aggressive_elimination: bool = False,
        storage: Storage | str | None = None,
        study_name: str | None = None,
        show_progress: bool | None = None,
        skip_invalid: bool = True,
        executor: Any = None,
    ) -> None:
        super().__init__(
            estimator, scoring=scoring, n_jobs=n_jobs, refit=refit, cv=cv, verbose=verbose,
            error_score=error_score, return_train_score=return_train_score, storage=storage,
            study_name=study_name, show_progress=show_progress, skip_invalid=skip_invalid,
            executor=executor,
        )
        self.random_state = random_state
        self.max_resources = max_resources
        self.min_resources = min_resources
        self.resource = resource
        self.factor = factor
        self.aggressive_elimination = aggressive_elimination

    def _first_candidates(self) -> Sequence[dict[str, Any]]:
        """The candidates of the first iteration (iterating may draw, as scikit-learn's)."""
        raise NotImplementedError

    def _validate_params(self) -> None:
        """scikit-learn's checks of every parameter; a tunesmith space also passes as
        ``param_grid`` / ``param_distributions`` (it checks itself when enumerated)."""
        params = self.get_params(deep=False)
        for name in ("param_grid", "param_distributions"):
            if name in params and is_tunesmith_space(params[name]):
                del params[name]
        validate_parameter_constraints(self._parameter_constraints, params,
                                       caller_name=type(self).__name__)

    def _check_n_candidates(self) -> None:
        """A subclass that draws its candidates checks their number against the rest."""

    # -- fit ---------------------------------------------------------------------------

    def fit(self, X: Any, y: Any = None, *, groups: Any = None, **fit_params: Any
            ) -> BaseSuccessiveHalving:
        """Run successive halving; refit the last iteration's best on all the data.

        ``fit_params`` go to the estimator's ``fit`` (sliced per fold when they have
        one value per sample); ``groups`` goes to the splitter.
        """
        self._validate_params()
        self._n_samples_orig = _num_samples(X)
        # Before anything splits the data, as in scikit-learn (an empty X is named so).
        self._checked_cv_orig = check_cv(self.cv, y, classifier=is_classifier(self.estimator))
        self._check_resources(X, y, {"groups": groups})
        super().fit(X, y, groups=groups, **fit_params)
        # Whatever refit is (a callable too), the best of the last iteration.
        self.best_score_ = self.cv_results_["mean_test_score"][self.best_index_]
        return self

    def _run_study(self, base_estimator: Any, X: Any, y: Any, splits: list[Any],
                   split_params: Mapping[str, Any], scorer: Any,
                   scorer_dict: dict[str, Any] | None, estimator_params: Mapping[str, Any],
                   score_params: Mapping[str, Any], refit_metric: Any) -> SearchOutcome:
        #: Each candidate's resource, parallel to the study's candidate list.
        self._budgets: list[float] = []
        self._iteration = 0
        return super()._run_study(base_estimator, X, y, splits, split_params, scorer,
                                  scorer_dict, estimator_params, score_params, refit_metric)

    def _check_resources(self, X: Any, y: Any, split_params: Mapping[str, Any]) -> None:
        """Set ``min_resources_`` and ``max_resources_``; scikit-learn's errors if unfit."""
        if not yields_constant_splits(self._checked_cv_orig):
            raise ValueError(
                "The cv parameter must yield consistent folds across calls to split(). "
                "Set its random_state to an int, or set shuffle=False."
            )
        if self.resource != "n_samples" and self.resource not in self.estimator.get_params():
            raise ValueError(
                f"Cannot use resource={self.resource} which is not supported by estimator "
                f"{type(self.estimator).__name__}"
            )
        self._check_n_candidates()
        min_resources: Any = self.min_resources
        if min_resources in ("smallest", "exhaust"):
            if self.resource == "n_samples":
                # Two samples per fold (and per class): the least a fold can learn from.
                n_splits = self._checked_cv_orig.get_n_splits(X, y, **split_params)
                min_resources = n_splits * 2
                if is_classifier(self.estimator):
                    classes = validate_data(self, X="no_validation", y=y)
                    check_classification_targets(classes)
                    min_resources *= np.unique(classes).shape[0]
            else:
                min_resources = 1
        self.min_resources_ = min_resources  # "exhaust" may raise it in _run_search
        max_resources: Any = self.max_resources
        if max_resources == "auto":
            if self.resource != "n_samples":
                raise ValueError("resource can only be 'n_samples' when max_resources='auto'")
            max_resources = _num_samples(X)
        self.max_resources_ = max_resources
        if min_resources > max_resources:
            raise ValueError(f"min_resources_={min_resources} is greater than "
                             f"max_resources_={max_resources}.")
        if min_resources == 0:
            raise ValueError(f"min_resources_={min_resources}: you might have passed an "
                             "empty dataset X.")

    def _run_search(self, evaluate_candidates: Callable[..., dict[str, Any]], *,
                    callback_ctx: Any = None) -> None:
        """Each iteration one batch: the survivors of the last, on more resources."""
        candidates: Sequence[dict[str, Any]] = self._first_candidates()
        if self.resource != "n_samples" and any(self.resource in c for c in candidates):
            raise ValueError(f"Cannot use parameter {self.resource} as the resource since it "
                             "is part of the searched parameters.")
        plan = plan_halving(n_candidates=len(candidates), factor=self.factor,
                            min_resources=self.min_resources_,
                            max_resources=self.max_resources_,
                            exhaust=self.min_resources == "exhaust",
                            aggressive=bool(self.aggressive_elimination))
        self.min_resources_ = plan.min_resources
        if self.verbose:
            self._print_plan(plan)
        self.n_resources_: list[int] = []
        self.n_candidates_: list[int] = []
        with _task(callback_ctx, self, "search", plan.n_iterations) as search_ctx:
            for iteration in range(plan.n_iterations):
                n_candidates = len(candidates)
                n_resources = plan.resources(iteration)
                self.n_resources_.append(n_resources)
                self.n_candidates_.append(n_candidates)
                if self.verbose:
                    print(f"{'-' * 10}\niter: {iteration}\nn_candidates: {n_candidates}\n"
                          f"n_resources: {n_resources}")
                if self.resource == "n_samples":
                    cv: Any = SubsampleSplitter(self._checked_cv_orig,
                                                n_resources / self._n_samples_orig,
                                                self.random_state)
                else:
                    candidates = [{**c, self.resource: n_resources} for c in candidates]
                    cv = self._checked_cv_orig
                self._iteration = iteration
                self._budgets.extend([float(n_resources)] * n_candidates)
                extra = {"iter": [iteration] * n_candidates,
                         "n_resources": [n_resources] * n_candidates}
                with _task(search_ctx, self, "halving-iteration",
                           n_candidates * self.n_splits_, sequential=False) as ctx:
                    results = evaluate_candidates(candidates, cv, more_results=extra,
                                                  callback_ctx=ctx)
                candidates = best_of_iteration(results, ceil(n_candidates / self.factor),
                                               iteration)
        self.n_remaining_candidates_ = len(candidates)
        self.n_required_iterations_ = plan.n_required_iterations
        self.n_possible_iterations_ = plan.n_possible_iterations
        self.n_iterations_ = plan.n_iterations

    def _print_plan(self, plan: HalvingPlan) -> None:
        print(f"n_iterations: {plan.n_iterations}\n"
              f"n_required_iterations: {plan.n_required_iterations}\n"
              f"n_possible_iterations: {plan.n_possible_iterations}\n"
              f"min_resources_: {plan.min_resources}\nmax_resources_: {plan.max_resources}\n"
              f"aggressive_elimination: {self.aggressive_elimination}\nfactor: {self.factor}")

    @staticmethod
    def _select_best_index(refit: Any, refit_metric: Any, results: Mapping[str, Any]) -> Any:
        """The best candidate of the last iteration (the first if all failed); ``refit``
        (even a callable) does not choose, as in scikit-learn."""
        last = np.flatnonzero(results["iter"] == np.max(results["iter"]))
        scores = results["mean_test_score"][last]
        return last[0 if np.isnan(scores).all() else np.nanargmax(scores)]

    # -- the study: budgets, settings, discovery ----------------------------------------

    def _open_study(self, X: Any, y: Any, split_params: Mapping[str, Any],
                    fit_params: Mapping[str, Any], candidates: list[dict[str, Any]],
                    splits: list[Any]) -> Study:
        study = super()._open_study(X, y, split_params, fit_params, candidates, splits)
        if isinstance(study.sampler, ListSampler):
            study.sampler.budgets = self._budgets  # grows with the candidates
        return study

    def _fingerprint_extras(self) -> dict[str, str]:
        # Which candidates survive, and on which resources, depends on these: a stored
        # search resumed with others would read back trials of another schedule.
        settings = (self.factor, self.resource, self.min_resources, self.max_resources,
                    bool(self.aggressive_elimination), self._n_candidates_setting())
        return {_SETTINGS: _fingerprint._digest(
            f"{settings!r}|{_fingerprint._hash_data(self.random_state)}")}

    def _n_candidates_setting(self) -> Any:
        """How many first candidates were asked for (a random search's ``n_candidates``)."""
        return None

    def _discover(self, estimator: Any, candidates: list[dict[str, Any]], pending: list[int],
                  X: Any, y: Any, fit_params: Mapping[str, Any]) -> dict[int, str]:
        # Only the first iteration is probed: later ones hold its survivors, which were
        # fitted already (a skipped one kept for lack of better fails as in scikit-learn).
        if self._iteration > 0:
            return {}
        return super()._discover(estimator, candidates, pending, X, y, fit_params)

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.array_api_support = False
        return tags


@contextlib.contextmanager
def _task(parent: Any, search: Any, name: str, max_subtasks: int, *,
          sequential: bool = True) -> Iterator[Any]:
    """A callback task under ``parent`` (None without callbacks), as scikit-learn's."""
    if parent is None:
        yield None
        return
    options = {} if sequential else {"sequential_subtasks": False}
    ctx = parent.subcontext(task_name=name, max_subtasks=max_subtasks, **options)
    ctx.call_on_fit_task_begin(estimator=search)
    yield ctx
    ctx.call_on_fit_task_end(estimator=search)
