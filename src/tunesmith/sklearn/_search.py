"""The drop-in searches' base class: scikit-learn's interface on tunesmith's study engine.

``fit`` in order: check the settings, build the scorers, route the fit
parameters, split the data once, then hand ``_run_search`` an
``evaluate_candidates`` function, as scikit-learn does. Each batch of candidates
it is given becomes trials of one study (resuming a stored one when asked):
invalid candidates found and skipped, the rest evaluated, every trial read back
into ``cv_results_``. Then the best is picked and refitted. Each step mirrors
scikit-learn's ``BaseSearchCV.fit`` (its fit callbacks included) so that the
results are the same; the code is ours.
"""

from __future__ import annotations

import abc
import contextlib
import logging
import numbers
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from copy import deepcopy
from inspect import signature
from typing import Any, NamedTuple

import numpy as np
from sklearn.base import BaseEstimator, MetaEstimatorMixin, clone, is_classifier
from sklearn.exceptions import FitFailedWarning
from sklearn.model_selection import check_cv
from sklearn.utils import get_tags, indexable
from sklearn.utils.metadata_routing import MetadataRouter, MethodMapping
from sklearn.utils.validation import _check_method_params

from tunesmith._progress import Progress
from tunesmith.exceptions import StudyMismatchError
from tunesmith.executors import make_executor
from tunesmith.report._mixin import SearchReportMixin
from tunesmith.samplers import ListSampler
from tunesmith.sklearn import _fingerprint
from tunesmith.sklearn._batches import CandidateBatches
from tunesmith.sklearn._callbacks import CallbackSupportMixin, managed_callbacks, root_context
from tunesmith.sklearn._default_eval import VerdictMixin
from tunesmith.sklearn._evaluate import FoldJob, FoldResult
from tunesmith.sklearn._fitted import FittedSearchMixin
from tunesmith.sklearn._racing import check_racing
from tunesmith.sklearn._results import (
    build_cv_results,
    fill_error_scores,
    warn_or_raise_fit_failures,
)
from tunesmith.sklearn._runner import run_candidates
from tunesmith.sklearn._scoring import (
    check_refit_for_multimetric,
    make_scorers,
    pre_dispatch_count,
    route_fit_params,
    select_best_index,
)
from tunesmith.sklearn._stopped import apply_stops, stopped_rows
from tunesmith.storage import Storage, open_storage
from tunesmith.study import Study

__all__ = ["BaseSearchCV", "SkippedCandidatesWarning"]

logger = logging.getLogger("tunesmith.sklearn")

class SkippedCandidatesWarning(FitFailedWarning):
    """Candidates were skipped as invalid: scikit-learn would have fitted them, and failed.

    A subclass of scikit-learn's FitFailedWarning, so existing filters apply.
    """


class SearchOutcome(NamedTuple):
    """What a search's evaluation hands ``fit``: every candidate and its folds."""

    candidates: list[dict[str, Any]]
    #: Candidate-major, split-minor.
    folds: list[FoldResult]
    #: Candidate index -> why it was skipped as invalid.
    reasons: dict[int, str]
    #: Extra ``cv_results_`` keys from ``evaluate_candidates(more_results=...)``.
    more_results: Mapping[str, Sequence[Any]] = {}
    #: ``cv_results_`` as ``evaluate_candidates`` last returned them (it warned about
    #: failed fits and non-finite scores then); None: ``fit`` builds them.
    results: dict[str, Any] | None = None
    #: Row -> (why it was stopped by racing, the folds it finished).
    stopped: Mapping[int, tuple[str, frozenset[int]]] = {}


class BaseSearchCV(SearchReportMixin, VerdictMixin, FittedSearchMixin, MetaEstimatorMixin,
                   CallbackSupportMixin, BaseEstimator, metaclass=abc.ABCMeta):
    """Cross-validated search, run as a study: scikit-learn's ``BaseSearchCV``.

    As in scikit-learn, a search is defined by ``_run_search(self,
    evaluate_candidates)``, which calls ``evaluate_candidates(list_of_param_dicts)``
    one or more times; each call evaluates that batch by cross-validation and
    returns every result so far, laid out as ``cv_results_``. ``GridSearchCV`` and
    ``RandomizedSearchCV`` evaluate their whole candidate list in one call; a
    subclass may choose each batch from the results of the previous ones. Every
    candidate of every batch is a trial of the search's study (``study_``).
    Everything else, including every fitted attribute and scikit-learn's fit
    callbacks (``set_callbacks``), matches scikit-learn's ``BaseSearchCV``. The
    tunesmith extras never change a result:

    * ``storage`` / ``study_name``: keep the search in a storage (a URL such as
      ``"sqlite:///search.db"`` or a Storage) under that name; running ``fit`` again
      evaluates only the candidates without a finished trial.
    * ``show_progress``: a progress bar; None shows it when stderr is a terminal.
    * ``skip_invalid``: candidates the estimator rejects whatever the data (e.g.
      ``solver="lbfgs", penalty="l1"``) are not fitted; their rows hold exactly what
      scikit-learn gives failed candidates (``error_score``, rank last, zero times)
      and ``cv_results_["skip_reason"]`` (present only when a candidate was skipped)
      says why. Never with ``error_score="raise"``.
    * ``executor``: where the fold fits run: a ``distributed.Client`` or a Dask
      scheduler's address (``"tcp://..."``), the data sent to each worker once; None
      follows ``n_jobs`` and the joblib backend (``parallel_backend("dask")`` included).
    """

    @abc.abstractmethod
    def __init__(
        self,
        estimator: Any,
        *,
        scoring: Any = None,
        n_jobs: int | None = None,
        refit: Any = True,
        cv: Any = None,
        verbose: int = 0,
        pre_dispatch: int | str | None = "2*n_jobs",
        error_score: Any = np.nan,
        return_train_score: bool = True,
        storage: Storage | str | None = None,
        study_name: str | None = None,
        show_progress: bool | None = None,
        skip_invalid: bool = True,
        executor: Any = None,
    ) -> None:
        self.estimator = estimator
        self.scoring = scoring
        self.n_jobs = n_jobs
        self.refit = refit
        self.cv = cv
        self.verbose = verbose
        self.pre_dispatch = pre_dispatch
        self.error_score = error_score
        self.return_train_score = return_train_score
        self.storage = storage
        self.study_name = study_name
        self.show_progress = show_progress
        self.skip_invalid = skip_invalid
        self.executor = executor

    #: Racing over folds (see :mod:`tunesmith.sklearn._racing`): the searches that offer
    #: it take ``racing=`` in their ``__init__``; off for every other search.
    racing: Any = False

    def _candidates(self) -> list[dict[str, Any]]:
        """The candidates of a search that has a fixed list, in scikit-learn's order."""
        raise NotImplementedError(f"{type(self).__name__} has no fixed candidate list")

    def _run_search(self, evaluate_candidates: Callable[..., dict[str, Any]], *,
                    callback_ctx: Any = None) -> None:
        """Call ``evaluate_candidates(list_of_param_dicts)`` once per batch to search.

        scikit-learn's hook, with its signature: each call evaluates the batch on every
        split (each candidate a trial of ``study_``) and returns a dict of all results
        so far, formatted like ``cv_results_``, so the next batch can depend on them.
        ``evaluate_candidates`` also takes ``cv=`` (other splits, as many) and
        ``more_results=`` (extra ``cv_results_`` keys, one value per candidate);
        ``callback_ctx`` is the root task of scikit-learn's fit callbacks (None when a
        subclass's override does not take it).

        ::

            def _run_search(self, evaluate_candidates):
                results = evaluate_candidates([{"C": 1}, {"C": 10}])
                if results["mean_test_score"][0] > results["mean_test_score"][1]:
                    evaluate_candidates([{"C": 0.1}])
        """
        raise NotImplementedError("_run_search not implemented.")

    # -- fitting ------------------------------------------------------------------------

    def fit(self, X: Any, y: Any = None, *, groups: Any = None, **fit_params: Any
            ) -> BaseSearchCV:
        """Evaluate every candidate by cross-validation; refit the best on all the data.

        ``fit_params`` go to the estimator's ``fit`` (sliced per fold when they have
        one value per sample, like ``sample_weight``); ``groups`` goes to the splitter.
        """
        with managed_callbacks(self):  # the callbacks' teardown, however fit ends
            return self._fit(X, y, groups, fit_params)

    def _fit(self, X: Any, y: Any, groups: Any, fit_params: dict[str, Any]) -> BaseSearchCV:
        self._check_settings()
        scorer, scorer_dict, refit_metric = make_scorers(self)
        X, y = indexable(X, y)
        params = dict(fit_params)
        if groups is not None:
            params["groups"] = groups
        params = _check_method_params(X, params=params)
        estimator_params, split_params, score_params = route_fit_params(
            self, params, scorer, scorer_dict)
        sample_weight = params.get("sample_weight")
        metadata = None if sample_weight is None else {"sample_weight": sample_weight}
        root_ctx = root_context(self, max_subtasks=1 + (self.refit is not False))
        if root_ctx is not None:
            root_ctx.call_on_fit_task_begin(estimator=self, X=X, y=y, metadata=metadata)

        cv = check_cv(self.cv, y, classifier=is_classifier(self.estimator))
        self.n_splits_ = n_splits = cv.get_n_splits(X, y, **split_params)
        splits = list(cv.split(X, y, **split_params))
        if len(splits) != n_splits:
            raise ValueError(
                "cv.split and cv.get_n_splits return inconsistent results. "
                f"Expected {n_splits} splits, got {len(splits)}"
            )
        check_racing(self.racing, n_splits)
        base_estimator = clone(self.estimator)
        outcome = self._run_study(base_estimator, X, y, splits, split_params, scorer,
                                  scorer_dict, estimator_params, score_params, refit_metric)
        candidates, folds, reasons = outcome.candidates, outcome.folds, outcome.reasons
        results = outcome.results
        if results is None:
            summary = None
            if reasons:
                summary = f"{len(reasons)} of {len(candidates)} candidates skipped as invalid"
            warn_or_raise_fit_failures(folds, self.error_score, summary)
            if callable(self.scoring):
                folds = fill_error_scores(folds, self.error_score)
            results = build_cv_results(candidates, folds, n_splits,
                                       return_train_score=bool(self.return_train_score),
                                       skip_reasons=reasons, more_results=outcome.more_results)
        if outcome.stopped or check_racing(self.racing) is not None:
            results = apply_stops(results, folds, n_splits, outcome.stopped)

        first = folds[0].test_scores
        self.multimetric_ = isinstance(first, dict)
        if callable(self.scoring) and isinstance(first, dict):  # i.e. multimetric_
            check_refit_for_multimetric(self.refit, first)
            refit_metric = self.refit
        if self.refit or not self.multimetric_:
            self.best_index_ = self._select_best_index(self.refit, refit_metric, results)
            if not callable(self.refit):
                self.best_score_ = results[f"mean_test_{refit_metric}"][self.best_index_]
            self.best_params_ = results["params"][self.best_index_]
        if self.refit:
            refit_ctx = None if root_ctx is None else root_ctx.subcontext(
                task_name="refit-with-best-params")
            self._refit(base_estimator, X, y, estimator_params, refit_ctx, metadata)
        self.scorer_ = scorer_dict if scorer_dict is not None else scorer
        self.cv_results_ = results
        if root_ctx is not None:
            root_ctx.call_on_fit_task_end(estimator=self, X=X, y=y, metadata=metadata)
        return self

    def _run_study(self, base_estimator: Any, X: Any, y: Any, splits: list[Any],
                   split_params: Mapping[str, Any], scorer: Any,
                   scorer_dict: dict[str, Any] | None, estimator_params: Mapping[str, Any],
                   score_params: Mapping[str, Any], refit_metric: Any) -> SearchOutcome:
        """Run ``_run_search`` with an ``evaluate_candidates`` whose batches are trials.

        Sets ``study_``. A search that is not made of batches (TPE, which asks its
        sampler for one point at a time) overrides this instead of ``_run_search``.
        """
        batches = CandidateBatches(
            self, base_estimator=base_estimator, X=X, y=y, splits=splits,
            split_params=split_params, scorer=scorer, scorer_dict=scorer_dict,
            estimator_params=estimator_params, score_params=score_params,
            refit_metric=refit_metric)
        try:
            root_ctx = getattr(self, "_callback_fit_ctx", None)
            if "callback_ctx" in signature(self._run_search).parameters:
                self._run_search(batches, callback_ctx=root_ctx)
            else:  # a subclass written for an older scikit-learn, without callbacks
                self._run_search(batches)
        finally:
            batches.close()
        if batches.study is None:
            raise ValueError(f"No fits were performed: {type(self).__name__}._run_search "
                             "never called evaluate_candidates")
        self.study_ = batches.study
        stopped = stopped_rows((t.candidate, t) for t in batches.study.trials
                               if t.candidate is not None)
        return SearchOutcome(batches.candidates, batches.folds, batches.reasons,
                             batches.more_results, results=batches.results, stopped=stopped)

    def _fold_job(self, base_estimator: Any, X: Any, y: Any, scorer: Any,
                  scorer_dict: dict[str, Any] | None, estimator_params: Mapping[str, Any],
                  score_params: Mapping[str, Any], n_splits: int, n_candidates: int
                  ) -> FoldJob:
        """What every fold of this search shares."""
        return FoldJob(
            estimator=base_estimator, X=X, y=y, scorer=scorer,
            metric_names=None if scorer_dict is None else tuple(scorer_dict),
            fit_params=estimator_params, score_params=score_params,
            return_train_score=bool(self.return_train_score), error_score=self.error_score,
            verbose=int(self.verbose), n_splits=n_splits, n_candidates=n_candidates,
            fingerprint=check_racing(self.racing) is not None,
        )

    def _evaluate(self, study: Study, candidates: list[dict[str, Any]], batch: range,
                  splits: list[Any], job: FoldJob, X: Any, y: Any,
                  estimator_params: Mapping[str, Any], refit_metric: Any, *,
                  fold_context: Callable[[int, int], Any] | None = None) -> None:
        """Evaluate the candidates of ``batch`` (indices) that have no finished trial yet."""
        done = {t.candidate for t in study.trials if t.state.is_finished}
        pending = [i for i in batch if i not in done]
        reasons = self._discover(job.estimator, candidates, pending, X, y, estimator_params)
        n_fit = len(pending) - len(reasons)
        if self.verbose > 0:
            at_most = " at most" if check_racing(self.racing) is not None else ""
            print(f"Fitting {job.n_splits} folds for each of {n_fit} candidates, "
                  f"totalling{at_most} {n_fit * job.n_splits} fits")
        if not pending:
            return
        if isinstance(refit_metric, str) and refit_metric != "score":
            value_metric: str | None = refit_metric
        else:
            value_metric = job.metric_names[0] if job.metric_names else None
        with make_executor(self.n_jobs, executor=self.executor,
                           capacity=pre_dispatch_count(self.pre_dispatch, self.n_jobs)
                           ) as executor, \
                Progress(n_fit * job.n_splits, description=type(self).__name__,
                         enabled=self.show_progress) as progress:
            run_candidates(study, candidates, splits, job, executor, skip_reasons=reasons,
                           value_metric=value_metric, progress=progress,
                           fold_context=fold_context, caller=self,
                           racing=check_racing(self.racing, job.n_splits))

    def _discover(self, estimator: Any, candidates: list[dict[str, Any]], pending: list[int],
                  X: Any, y: Any, fit_params: Mapping[str, Any]) -> dict[int, str]:
        """Candidates (among ``pending``) the estimator rejects whatever the data."""
        if not self.skip_invalid or self.error_score == "raise" or not pending:
            return {}
        try:
            from tunesmith.sklearn._discovery import find_invalid_candidates
        except ImportError:  # discovery not installed: every candidate is fitted
            return {}
        report = find_invalid_candidates(estimator, [candidates[i] for i in pending], X, y,
                                         fit_params=dict(fit_params))
        reasons = {pending[k]: reason for k, reason in report.reasons.items()}
        summary = report.summary()
        if summary:
            logger.info("%s", summary)
            warnings.warn(summary, SkippedCandidatesWarning, stacklevel=4)
        return reasons

    def _open_study(self, X: Any, y: Any, split_params: Mapping[str, Any],
                    fit_params: Mapping[str, Any], candidates: list[dict[str, Any]],
                    splits: list[Any]) -> Study:
        # A storage given as a URL is opened here, so that the study does not own it:
        # study_ stays readable after fit.
        storage = open_storage(self.storage)
        if self.storage is None:
            # Private to this fit: nothing to resume, nothing to check.
            return Study(sampler=ListSampler(candidates), direction="maximize",
                         storage=storage, name=self.study_name, load_if_exists=True)
        current = _fingerprint.fingerprint(
            X=X, y=y, groups=split_params.get("groups"), fit_params=fit_params,
            estimator=self.estimator, candidates=candidates, splits=splits,
            scoring=(self.scoring, self.error_score, bool(self.return_train_score)),
        )
        current.update(self._fingerprint_extras())
        # Without a study_name the same search on the same inputs finds its own study
        # again (the name is derived from them), so a plain re-run after a crash resumes.
        name = self.study_name or _fingerprint.default_name(self, current)
        study = Study(sampler=ListSampler(candidates), direction="maximize", storage=storage,
                      name=name, load_if_exists=True)
        stored = study.storage.study_attrs(study.study_id).get(_fingerprint.ATTR)
        if stored is None:
            if study.trials:
                raise StudyMismatchError(
                    f"study {study.name!r} already has trials that no drop-in search "
                    "recorded; pass another study_name"
                )
            study.storage.set_study_attr(study.study_id, _fingerprint.ATTR, current)
        else:
            _fingerprint.check_fingerprint(stored, current, study.name)
        return study

    def _fingerprint_extras(self) -> dict[str, str]:
        """More settings a stored search's scores depend on ({part: hash}; none here)."""
        return {}

    def _refit(self, base_estimator: Any, X: Any, y: Any, fit_params: Mapping[str, Any],
               callback_ctx: Any = None, metadata: Mapping[str, Any] | None = None) -> None:
        """Fit the best candidate on all the data (a callback task when ``callback_ctx``)."""
        # Parameters are cloned as well: one may be an estimator (a searched step).
        best = clone(base_estimator).set_params(**clone(self.best_params_, safe=False))
        self.best_estimator_ = best
        with (contextlib.nullcontext() if callback_ctx is None
              else callback_ctx.propagate_callback_context(best)):
            if callback_ctx is not None:
                callback_ctx.call_on_fit_task_begin(estimator=self, X=X, y=y, metadata=metadata)
            start = time.time()
            if y is not None:
                best.fit(X, y, **fit_params)
            else:
                best.fit(X, **fit_params)
            self.refit_time_ = time.time() - start
        if hasattr(best, "feature_names_in_"):
            self.feature_names_in_ = best.feature_names_in_
        if callback_ctx is not None:
            callback_ctx.call_on_fit_task_end(estimator=self, X=X, y=y, metadata=metadata)

    # -- settings, routing ---------------------------------------------------------

    def _check_settings(self) -> None:
        if not hasattr(self.estimator, "fit"):
            raise TypeError(f"estimator must have a fit method, got {self.estimator!r}")
        error_score = self.error_score
        if not (error_score == "raise" if isinstance(error_score, str)
                else isinstance(error_score, numbers.Real)):
            raise ValueError(
                f"error_score must be 'raise' or a number (np.nan by default), "
                f"got {error_score!r}"
            )
        refit = self.refit
        if not (isinstance(refit, (bool, str, np.bool_)) or callable(refit)):
            raise ValueError(f"refit must be True, False, a metric name or a callable, "
                             f"got {refit!r}")
        if not isinstance(self.verbose, (numbers.Integral, bool, np.bool_)):
            raise ValueError(f"verbose must be an integer, got {self.verbose!r}")
        if self.show_progress not in (None, True, False):
            raise ValueError(f"show_progress must be True, False or None (auto), "
                             f"got {self.show_progress!r}")
        check_racing(self.racing)

    @staticmethod
    def _select_best_index(refit: Any, refit_metric: Any, results: Mapping[str, Any]) -> Any:
        return select_best_index(refit, refit_metric, results)

    def get_metadata_routing(self) -> MetadataRouter:
        """How ``fit`` routes metadata to the estimator, the scorer and the splitter."""
        scorer, _, _ = make_scorers(self)
        return (
            MetadataRouter(owner=self)
            .add(estimator=self.estimator,
                 method_mapping=MethodMapping().add(caller="fit", callee="fit"))
            .add(scorer=scorer,
                 method_mapping=MethodMapping().add(caller="score", callee="score")
                 .add(caller="fit", callee="score"))
            .add(splitter=self.cv,
                 method_mapping=MethodMapping().add(caller="fit", callee="split"))
        )

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        inner = get_tags(self.estimator)
        tags.estimator_type = inner.estimator_type
        tags.classifier_tags = deepcopy(inner.classifier_tags)
        tags.regressor_tags = deepcopy(inner.regressor_tags)
        tags.input_tags.pairwise = inner.input_tags.pairwise  # cv sees precomputed kernels
        tags.input_tags.sparse = inner.input_tags.sparse
        tags.array_api_support = inner.array_api_support
        return tags

    def __getstate__(self) -> dict[str, Any]:
        # A fitted search pickles (joblib.dump of the best model is routine); its study
        # holds locks and connections, so it stays behind.
        state = super().__getstate__()
        state.pop("study_", None)
        return state


