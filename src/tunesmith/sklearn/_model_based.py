"""Model-based drop-ins: ``TPESearchCV`` and ``SobolSearchCV``.

The same interface, fitted attributes and fold machinery as the other drop-ins, but
no fixed candidate list: the study's sampler proposes one point of a
:class:`~tunesmith.Space` at a time, its folds run on the executor, and the mean
test score of the refit metric is told back before the next point is chosen. With
``n_jobs`` workers at most that many trials are open at once (TPE spreads them with
its constant liar).

Before the first trial, combinations the estimator rejects whatever the data
(``solver="lbfgs", penalty="l1"``) are found by probe fits and become forbidden
combinations of the space (``skip_invalid=True``), so no trial is spent on them.
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping
from typing import Any

import numpy as np

from tunesmith._progress import Progress
from tunesmith.exceptions import StudyMismatchError
from tunesmith.executors import make_executor
from tunesmith.pruners import Pruner, make_pruner
from tunesmith.records import FrozenTrial, TrialState
from tunesmith.samplers import Sampler, SobolSampler, TPESampler
from tunesmith.sklearn import _fingerprint
from tunesmith.sklearn._discovery import discover_in_space
from tunesmith.sklearn._evaluate import FoldJob, FoldResult
from tunesmith.sklearn._folds import fold_results
from tunesmith.sklearn._racing import Racing, check_racing
from tunesmith.sklearn._runner import run_candidates
from tunesmith.sklearn._scoring import pre_dispatch_count
from tunesmith.sklearn._search import BaseSearchCV, SearchOutcome
from tunesmith.sklearn._stopped import padded_folds, stopped_rows
from tunesmith.space import Space, SpaceUnion, to_space
from tunesmith.spaces import space_for
from tunesmith.storage import Storage, open_storage
from tunesmith.study import Study

__all__ = ["SobolSearchCV", "TPESearchCV"]


class _ModelBasedSearchCV(BaseSearchCV):
    """A search whose sampler chooses each candidate after seeing the previous ones."""

    def __init__(
        self,
        estimator: Any,
        space: Any = None,
        *,
        n_iter: int = 50,
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
        pruner: Pruner | str | None = None,
    ) -> None:
        self.racing = racing
        self.pruner = pruner
        self.space = space
        self.n_iter = n_iter
        self.random_state = random_state
        super().__init__(
            estimator, scoring=scoring, n_jobs=n_jobs, refit=refit, cv=cv, verbose=verbose,
            pre_dispatch=pre_dispatch, error_score=error_score,
            return_train_score=return_train_score, storage=storage, study_name=study_name,
            show_progress=show_progress, skip_invalid=skip_invalid,
            executor=executor,
        )

    def _make_sampler(self, seed: int | None) -> Sampler:
        raise NotImplementedError  # pragma: no cover - each search names its sampler

    def _candidates(self) -> list[dict[str, Any]]:
        """Unused: the candidates are chosen as the search goes (see ``_run_study``)."""
        return []

    # -- the search ---------------------------------------------------------------------

    def _run_study(self, base_estimator: Any, X: Any, y: Any, splits: list[Any],
                   split_params: Mapping[str, Any], scorer: Any,
                   scorer_dict: dict[str, Any] | None, estimator_params: Mapping[str, Any],
                   score_params: Mapping[str, Any], refit_metric: Any) -> SearchOutcome:
        n_iter = _check_n_iter(self.n_iter)
        self._pruner = _check_pruner(self.pruner, self.racing)
        if not splits:
            raise ValueError("No fits were performed. Was the CV iterator empty?")
        self.search_space_ = space = self._search_space(base_estimator, X, y, estimator_params)
        job = self._fold_job(base_estimator, X, y, scorer, scorer_dict, estimator_params,
                             score_params, len(splits), n_iter)
        study = self._open_model_study(space, X, y, split_params, estimator_params, splits)
        try:
            self._evaluate_trials(study, n_iter, splits, job, refit_metric)
            candidates, folds, trials = _finished(study, n_iter, job)
        finally:
            study.close()
        self.study_ = study
        return SearchOutcome(candidates, folds, {}, stopped=stopped_rows(enumerate(trials)))

    def _search_space(self, estimator: Any, X: Any, y: Any, fit_params: Mapping[str, Any]
                      ) -> Space | SpaceUnion:
        """The space searched: given or ready-made, less what the estimator rejects."""
        space = space_for(self.estimator) if self.space is None else to_space(self.space)
        if not self.skip_invalid or self.error_score == "raise":
            return space
        # discover_in_space logs what it left out.
        return discover_in_space(estimator, space, X, y, fit_params=dict(fit_params))[0]

    def _open_model_study(self, space: Space | SpaceUnion, X: Any, y: Any,
                          split_params: Mapping[str, Any], fit_params: Mapping[str, Any],
                          splits: list[Any]) -> Study:
        storage = open_storage(self.storage)  # ours to open: study_ stays readable after fit
        seed = _seed(self.random_state)
        sampler = self._make_sampler(seed)
        if self.storage is None:
            return Study(space=space, sampler=sampler, direction="maximize", storage=storage,
                         name=self.study_name, load_if_exists=True)
        # What makes stored trials reusable: the data, folds and scoring, and the space
        # and sampler that chose them (n_iter may grow between runs).
        described = [{"space": repr(space), "sampler": repr(sampler)}]
        current = _fingerprint.fingerprint(
            X=X, y=y, groups=split_params.get("groups"), fit_params=fit_params,
            estimator=self.estimator, candidates=described, splits=splits,
            scoring=(self.scoring, self.error_score, bool(self.return_train_score)),
        )
        name = self.study_name or _fingerprint.default_name(self, current)
        study = Study(space=space, sampler=sampler, direction="maximize", storage=storage,
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

    def _evaluate_trials(self, study: Study, n_iter: int, splits: list[Any], job: FoldJob,
                         refit_metric: Any) -> None:
        """Ask, evaluate and tell trials until ``n_iter`` are finished."""
        remaining = n_iter - sum(t.state.is_finished for t in study.trials)
        if self.verbose > 0:
            print(f"Fitting {job.n_splits} folds for each of {max(remaining, 0)} candidates, "
                  f"totalling {max(remaining, 0) * job.n_splits} fits")
        if remaining <= 0:
            return
        if isinstance(refit_metric, str) and refit_metric != "score":
            value_metric: str | None = refit_metric
        else:
            value_metric = job.metric_names[0] if job.metric_names else None
        capacity = pre_dispatch_count(self.pre_dispatch, self.n_jobs)
        with make_executor(self.n_jobs, capacity=capacity, executor=self.executor
                           ) as executor, \
                Progress(remaining * job.n_splits, description=type(self).__name__,
                         enabled=self.show_progress) as progress:
            run_candidates(study, None, splits, job, executor, skip_reasons={},
                           value_metric=value_metric, progress=progress, max_trials=n_iter,
                           racing=check_racing(self.racing, job.n_splits), pruner=self._pruner)


class TPESearchCV(_ModelBasedSearchCV):
    """A Tree-structured Parzen Estimator search with the drop-ins' interface.

    Like ``RandomizedSearchCV`` with ``n_iter`` candidates, but each candidate is
    chosen by :class:`~tunesmith.samplers.TPESampler` from the scores of the ones
    before: the first ``n_startup_trials`` cover the space evenly (Sobol), then the
    search concentrates where the good scores are. ``space`` is a
    :class:`~tunesmith.Space` (log scales, integers, conditions, forbidden
    combinations), a scikit-learn ``param_distributions`` dict or list of dicts, or
    None for the ready-made space of the estimator (:func:`tunesmith.spaces.space_for`).

    Every fitted attribute is the drop-ins' (``cv_results_`` in trial order,
    ``best_params_``, ``best_score_``, ``best_estimator_``, ``study_``), plus
    ``search_space_``: the space searched, with the combinations the estimator
    rejects (found by probe fits when ``skip_invalid=True``) as forbidden ones.
    ``random_state`` seeds the sampler: the same seed gives the same candidates.
    ``racing=True`` (or a :class:`~tunesmith.sklearn.Racing`) stops a trial's folds
    once it is statistically worse than the best trial that finished them all: it is
    recorded PRUNED with its folds so far (its running means as steps, which TPE ranks
    below the complete trials) and ``cv_results_["stopped"]`` says why. ``pruner`` (a
    :class:`~tunesmith.pruners.Pruner` or a name: ``"median"``, ``"asha"``,
    ``"hyperband"``) instead judges each trial with its folds as steps (step ``m``: its
    mean over its first ``m`` folds); a pruned trial is stopped the same way.

    >>> from sklearn.datasets import load_iris
    >>> from sklearn.svm import SVC
    >>> from tunesmith import Categorical, Float, Space
    >>> from tunesmith.sklearn import TPESearchCV
    >>> X, y = load_iris(return_X_y=True)
    >>> space = Space({"C": Float(1e-2, 1e2, log=True), "kernel": Categorical(["linear", "rbf"])})
    >>> search = TPESearchCV(SVC(), space, n_iter=15, random_state=0).fit(X, y)
    >>> len(search.cv_results_["params"]), bool(search.best_score_ > 0.95)
    (15, True)
    """

    def __init__(
        self,
        estimator: Any,
        space: Any = None,
        *,
        n_iter: int = 50,
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
        n_startup_trials: int = 10,
        racing: bool | Racing = False,
        pruner: Pruner | str | None = None,
    ) -> None:
        self.n_startup_trials = n_startup_trials
        super().__init__(
            estimator, space, n_iter=n_iter, scoring=scoring, n_jobs=n_jobs, refit=refit,
            cv=cv, verbose=verbose, pre_dispatch=pre_dispatch, random_state=random_state,
            error_score=error_score, return_train_score=return_train_score, storage=storage,
            study_name=study_name, show_progress=show_progress, skip_invalid=skip_invalid,
            executor=executor,
            racing=racing, pruner=pruner,
        )

    def _make_sampler(self, seed: int | None) -> Sampler:
        return TPESampler(seed=seed, n_startup_trials=self.n_startup_trials)


class SobolSearchCV(_ModelBasedSearchCV):
    """Scrambled Sobol points instead of random ones: ``RandomizedSearchCV``, covering
    the space more evenly. Same interface and attributes as :class:`TPESearchCV`.

    >>> from sklearn.datasets import load_iris
    >>> from sklearn.neighbors import KNeighborsClassifier
    >>> from tunesmith import Int, Space
    >>> from tunesmith.sklearn import SobolSearchCV
    >>> X, y = load_iris(return_X_y=True)
    >>> search = SobolSearchCV(KNeighborsClassifier(), Space({"n_neighbors": Int(1, 30)}),
    ...                        n_iter=8, random_state=0).fit(X, y)
    >>> len(search.cv_results_["params"])
    8
    """

    def _make_sampler(self, seed: int | None) -> Sampler:
        return SobolSampler(seed=seed)


def _finished(study: Study, n_iter: int, job: FoldJob
              ) -> tuple[list[dict[str, Any]], list[FoldResult], list[FrozenTrial]]:
    """The first ``n_iter`` finished trials' parameters and folds, and the trials, in
    trial order (a trial stopped by racing with its folds so far, the others NaN)."""
    trials: list[FrozenTrial] = [t for t in study.trials if t.state.is_finished][:n_iter]
    if not trials:
        raise ValueError("No fits were performed: the search has no finished trial")
    candidates, folds = [], []
    for trial in trials:
        if trial.state is TrialState.PRUNED:
            candidates.append(dict(trial.params))
            folds.extend(padded_folds(trial, job))
            continue
        landed = fold_results(trial, multimetric=job.metric_names is not None)
        if trial.state is TrialState.SKIPPED or len(landed) != job.n_splits:
            raise StudyMismatchError(
                f"trial {trial.number} of study {study.name!r} holds no scores for "
                f"{job.n_splits} folds; it was not recorded by this search. Use a new "
                "study_name"
            )
        candidates.append(dict(trial.params))
        folds.extend(landed)
    return candidates, folds, trials


def _check_pruner(pruner: Any, racing: Any) -> Pruner | None:
    """The search's pruner (None: none), refusing it beside racing."""
    if pruner is None:
        return None
    if check_racing(racing) is not None:
        raise ValueError("racing and pruner both stop trials early: pass one of them "
                         f"(got racing={racing!r} and pruner={pruner!r})")
    return make_pruner(pruner)


def _check_n_iter(n_iter: Any) -> int:
    if isinstance(n_iter, bool) or not isinstance(n_iter, numbers.Integral) or n_iter < 1:
        raise ValueError(f"n_iter must be a positive integer, got {n_iter!r}")
    return int(n_iter)


def _seed(random_state: Any) -> int | None:
    """scikit-learn's ``random_state`` (None, an int, a RandomState) as a sampler seed."""
    if random_state is None:
        return None
    if isinstance(random_state, numbers.Integral) and not isinstance(random_state, bool):
        return int(random_state)
    if isinstance(random_state, np.random.RandomState):
        return int(random_state.randint(2**31 - 1))
    if isinstance(random_state, np.random.Generator):
        return int(random_state.integers(2**31 - 1))
    raise ValueError(
        f"random_state must be None, an integer or a numpy RandomState, got {random_state!r}"
    )
