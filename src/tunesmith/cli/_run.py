"""``tunesmith run STUDY.toml``: load the data, search, refit, score the held-out set.

Two kinds of search sit behind one interface (:class:`_Search`):

* a list-form space under ``grid`` or ``random`` runs through the scikit-learn drop-ins
  (``tunesmith.sklearn.GridSearchCV`` / ``RandomizedSearchCV``), so the candidates,
  folds and scores are exactly scikit-learn's: a study file reproduces a notebook;
* anything else (``sobol``, ``tpe``, ``random`` over continuous ranges) runs a native
  :class:`~tunesmith.Study` whose objective is the same cross-validation.

Everything around the search is shared: the storage and its resume check, the refit on
the whole training set, the held-out score, and the record the inspect commands read.
Both searches store each trial as it finishes, so a run killed at any moment resumes
where it stopped: finished trials are read back, never recomputed.
"""

from __future__ import annotations

import abc
import contextlib
import logging
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, clone, is_classifier, is_regressor
from sklearn.metrics import check_scoring
from sklearn.model_selection import check_cv, cross_validate

from tunesmith.cli._build import Problem, build_problem
from tunesmith.cli._checks import check_problem
from tunesmith.cli._config import ConfigError, Settings, Strategy
from tunesmith.cli._data import Dataset, load_data
from tunesmith.cli._errors import SearchFailed
from tunesmith.cli._per_trial import PerTrial, trials_run_on
from tunesmith.cli._resume import (
    FINGERPRINT_ATTR,
    PLANNED_ATTR,
    RESULT_ATTR,
    SETTINGS_ATTR,
    best_trial,
    fingerprint_of,
    open_study,
)
from tunesmith.exceptions import TrialPruned
from tunesmith.pruners import make_pruner
from tunesmith.records import Direction, FrozenTrial, TrialState
from tunesmith.space import Space
from tunesmith.storage import Storage
from tunesmith.study import Study
from tunesmith.trial import Trial

__all__ = ["FINGERPRINT_ATTR", "PLANNED_ATTR", "RESULT_ATTR", "SETTINGS_ATTR", "CVObjective",
           "RunOptions", "RunOutcome", "best_trial", "default_storage", "run_study"]

logger = logging.getLogger("tunesmith.cli")

@dataclass(frozen=True)
class RunOptions:
    """What the command line adds to a study file for one run."""

    n_jobs: int | None = None
    #: Seconds after which no trial is started; the best so far is refit and summarised.
    timeout: float | None = None
    #: Where to save the refit model (skops, else joblib), or None.
    save_model: Path | None = None


@dataclass(frozen=True)
class RunOutcome:
    """What one ``tunesmith run`` did, for the summary and for ``--format json``."""

    name: str
    storage: str
    strategy: Strategy
    scoring: str
    planned: int | None
    trials: list[FrozenTrial]
    best: FrozenTrial
    test_score: float | None
    test_source: str | None
    n_test: int
    n_train: int
    resumed_from: int
    elapsed: float
    #: Lines for the person (a time limit reached, where the model was saved).
    notes: list[str] = field(default_factory=list)
    #: The tuned model against the default one (tunesmith.stats.SearchVerdict), or None.
    verdict: Any = None


def default_storage(study_file: Path) -> str:
    """The SQLite file beside a study file, named after it.

    >>> default_storage(Path("/work/examples/quickstart.toml"))
    'sqlite:////work/examples/quickstart.db'
    """
    path = Path(study_file).resolve()
    return f"sqlite:///{path.with_suffix('.db')}"


class CVObjective:
    """The mean cross-validated score of an estimator with a trial's parameters.

    The folds are ``check_cv(cv, y, classifier=...)``, as in scikit-learn's searches,
    so a native study and a ``GridSearchCV`` score a point identically. A fit that
    fails raises, and the study records the trial as FAILED with the message.

    >>> from sklearn.datasets import load_iris
    >>> from sklearn.svm import SVC
    >>> from tunesmith import Study
    >>> X, y = load_iris(return_X_y=True)
    >>> study = Study(space={"C": [0.1, 1.0]}, sampler="grid", direction="maximize")
    >>> study.optimize(CVObjective(SVC(), X, y, cv=5, scoring="accuracy"))
    >>> study.best_params, round(study.best_value, 4)
    ({'C': 1.0}, 0.9667)
    """

    def __init__(self, estimator: BaseEstimator, X: Any, y: Any, *, cv: int,
                 scoring: str | None, n_jobs: int = 1, folds_as_steps: bool = False) -> None:
        self.estimator = estimator
        self.X = X
        self.y = y
        self.cv = check_cv(cv, y, classifier=is_classifier(estimator))
        self.scorer = check_scoring(estimator, scoring=scoring)
        self.n_jobs = n_jobs
        # With a pruner: one fold at a time, the mean so far reported after each.
        self.folds_as_steps = folds_as_steps

    def __call__(self, trial: Trial) -> float:
        estimator = clone(self.estimator).set_params(**trial.params)
        if self.folds_as_steps:
            result = self._fold_by_fold(estimator, trial)
        else:
            result = cross_validate(estimator, self.X, self.y, cv=self.cv,
                                    scoring=self.scorer, n_jobs=self.n_jobs,
                                    error_score="raise")
        scores = [float(s) for s in result["test_score"]]
        # The same attrs the scikit-learn drop-ins store, so reports read both alike.
        trial.set_attr("test_scores", scores)
        trial.set_attr("fit_time", [float(t) for t in result["fit_time"]])
        trial.set_attr("score_time", [float(t) for t in result["score_time"]])
        return float(np.mean(scores))

    def _fold_by_fold(self, estimator: BaseEstimator, trial: Trial) -> dict[str, Any]:
        """``cross_validate``'s result, one fold at a time (each fold scored by
        ``cross_validate`` itself, so a complete trial's scores are the same); after
        fold ``k`` the mean so far is step ``k``, and the pruner may stop the trial."""
        parts: dict[str, list[float]] = {"test_score": [], "fit_time": [], "score_time": []}
        for k, fold in enumerate(self.cv.split(self.X, self.y), start=1):
            one = cross_validate(estimator, self.X, self.y, cv=[fold], scoring=self.scorer,
                                 error_score="raise")
            for key, values in parts.items():
                values.append(float(one[key][0]))
            trial.report(float(np.mean(parts["test_score"])), k)
            if trial.should_prune():
                trial.set_attr("test_scores", parts["test_score"])
                raise TrialPruned(f"stopped after fold {k} of {self.cv.get_n_splits()}")
        return parts


# -- the two searches -----------------------------------------------------------------


class _Search(abc.ABC):
    """Runs (or resumes) the search into storage and returns the refit best estimator."""

    def __init__(self, problem: Problem, *, n_jobs: int, executor: str | None = None,
                 per_trial: PerTrial | None = None) -> None:
        self.problem = problem
        self.n_jobs = n_jobs
        self.executor = executor  # a Dask scheduler's address, or None
        self.per_trial = per_trial or PerTrial()  # a native study's GPUs / threads per trial

    @property
    @abc.abstractmethod
    def planned(self) -> int | None:
        """How many trials the finished study will have, when known in advance."""

    @property
    def folds_per_trial(self) -> int | None:
        """Fits per trial when the progress bar counts fits rather than trials."""
        return None

    @abc.abstractmethod
    def run(self, data: Dataset, *, storage: Storage, name: str,
            show_progress: bool | None, timeout: float | None = None) -> BaseEstimator | None:
        """Search, store every trial, and return the best estimator refit on all of
        ``data.X`` (None when this search leaves the refit to the caller)."""


class _DropInSearch(_Search):
    """A list-form grid or random search through the scikit-learn drop-ins."""

    @property
    def planned(self) -> int | None:
        size = self.problem.n_candidates
        if self.problem.strategy is Strategy.RANDOM and size is not None:
            return min(size, int(self.problem.n_trials or size))
        return size

    @property
    def folds_per_trial(self) -> int | None:
        return self.problem.cv  # the drop-ins' bar counts candidate x fold fits

    def run(self, data: Dataset, *, storage: Storage, name: str,
            show_progress: bool | None, timeout: float | None = None) -> BaseEstimator | None:
        # Imported here: the drop-ins pull in the whole sklearn layer, and the inspect
        # commands, which never search, should start fast.
        from tunesmith.sklearn import GridSearchCV, RandomizedSearchCV

        p = self.problem
        common: dict[str, Any] = {
            "scoring": p.scoring, "cv": p.cv, "n_jobs": self.n_jobs, "refit": True,
            "storage": storage, "study_name": name, "show_progress": show_progress,
            "racing": p.racing,
        }
        if p.strategy is Strategy.GRID:
            search = GridSearchCV(p.estimator, dict(p.space), **common)
        else:
            assert p.n_trials is not None  # the model checks: every other strategy has it
            search = RandomizedSearchCV(p.estimator, dict(p.space), n_iter=p.n_trials,
                                        random_state=p.seed, **common)
        with _time_limit(timeout) as limit, _on_cluster(self.executor, search):
            try:
                search.fit(data.X, data.y)
            except KeyboardInterrupt:
                if not limit.reached:
                    raise
                return None  # stopped by --timeout: refit the best so far from storage
        return getattr(search, "best_estimator_", None)


class _StudySearch(_Search):
    """A native study (random, Sobol, TPE) over the space, scoring by cross-validation."""

    @property
    def planned(self) -> int | None:
        return self.problem.n_trials

    def run(self, data: Dataset, *, storage: Storage, name: str,
            show_progress: bool | None, timeout: float | None = None) -> BaseEstimator | None:
        p = self.problem
        study, objective = self.open(data, storage=storage, name=name)
        try:
            finished = sum(t.state.is_finished for t in study.trials)
            if finished < int(p.n_trials or 0):
                # n_trials is the study's budget, counted in storage: a resumed study
                # runs only what is missing.
                with trials_run_on(self.executor, self.per_trial) as runner:
                    study.optimize(objective, n_trials=int(p.n_trials or 0), timeout=timeout,
                                   show_progress=show_progress, executor=runner)
        finally:
            study.close()
        return None

    def open(self, data: Dataset, *, storage: Storage, name: str) -> tuple[Study, CVObjective]:
        """The study (created or resumed) and its objective; `tunesmith worker` too."""
        p = self.problem
        space = p.space if isinstance(p.space, Space) else Space(dict(p.space))
        if p.ready_made:
            logger.warning("no [space] in the study file: tuning %s's ready-made space (%s)",
                           _model_name(p.estimator), ", ".join(space.names))
        space = _without_invalid_combinations(p.estimator, space, data)
        study = Study(space=space, direction=Direction.MAXIMIZE,
                      sampler=p.strategy.value, seed=p.seed, storage=storage, name=name,
                      load_if_exists=True,
                      pruner=make_pruner(p.pruner, seed=p.seed, **p.pruner_settings))
        objective = CVObjective(p.estimator, data.X, data.y, cv=p.cv, scoring=p.scoring,
                                n_jobs=self.n_jobs, folds_as_steps=p.pruner != "none")
        return study, objective


def _without_invalid_combinations(estimator: BaseEstimator, space: Space, data: Dataset
                                  ) -> Space:
    """``space`` with the combinations the estimator rejects whatever the data forbidden,
    so that every trial of a native search is a model that fits (issue: discovery)."""
    from tunesmith.sklearn import discover_in_space

    probed, report = discover_in_space(estimator, space, data.X, data.y)
    findings = report.findings
    if findings and probed != space:
        shown = "; ".join(
            ", ".join(f"{name}={value!r}" for name, value in f.params) + f" ({f.cause})"
            for f in findings[:3]
        )
        more = f"; and {len(findings) - 3} more" if len(findings) > 3 else ""
        logger.warning("%d parameter combinations will not be tried: %s rejects them "
                       "whatever the data: %s%s", len(findings), _model_name(estimator),
                       shown, more)
    return probed


class _Limit:
    reached = False


@contextlib.contextmanager
def _time_limit(seconds: float | None) -> Iterator[_Limit]:
    """Interrupt the main thread after ``seconds``, as Ctrl-C would: the drop-ins stop
    cleanly on it (finished trials stored, running ones released) and have no timeout."""
    limit = _Limit()
    if seconds is None or threading.current_thread() is not threading.main_thread():
        yield limit
        return
    import _thread

    def fire() -> None:
        limit.reached = True
        _thread.interrupt_main()

    timer = threading.Timer(seconds, fire)
    timer.daemon = True
    timer.start()
    try:
        yield limit
    finally:
        timer.cancel()


@contextlib.contextmanager
def _on_cluster(address: str | None, search: Any) -> Iterator[None]:
    """The drop-in's folds on the Dask scheduler at ``address``, through joblib's Dask
    backend (the drop-ins follow it as scikit-learn does)."""
    if address is None:
        yield
        return
    import joblib
    from distributed import Client

    search.set_params(n_jobs=None)  # None follows the backend: the cluster's workers
    with Client(address) as client, joblib.parallel_backend("dask", client=client):
        yield


def _model_name(estimator: BaseEstimator) -> str:
    final = estimator.steps[-1][1] if hasattr(estimator, "steps") else estimator
    return type(final).__name__


def _search_for(problem: Problem, n_jobs: int, executor: str | None = None,
                per_trial: PerTrial | None = None) -> _Search:
    per_trial = per_trial or PerTrial()
    drop_in = problem.strategy in (Strategy.GRID, Strategy.RANDOM) and problem.list_form
    per_trial.check(n_jobs=n_jobs, address=executor, drop_in=drop_in)
    if problem.pruner != "none" and drop_in:
        raise ConfigError(
            "search.pruner",
            "a pruner needs a native study: a grid or random search whose [space] "
            "entries are all lists runs scikit-learn's drop-in; use strategy = \"tpe\" "
            "or ranges in [space], or remove pruner")
    if drop_in:
        return _DropInSearch(problem, n_jobs=n_jobs, executor=executor)
    if problem.racing:
        raise ConfigError(
            "search.racing",
            "racing needs a grid or random search whose [space] entries are all lists of "
            f"values (strategy = {problem.strategy.value!r} over ranges runs a native "
            "study); remove racing or list the values",
        )
    if problem.strategy is not Strategy.RANDOM:
        _check_sampler_available(problem.strategy)
    return _StudySearch(problem, n_jobs=n_jobs, executor=executor, per_trial=per_trial)


def _check_sampler_available(strategy: Strategy) -> None:
    from tunesmith.samplers import SAMPLERS

    if strategy.value not in SAMPLERS:
        raise ConfigError(
            "search.strategy",
            f"the {strategy.value!r} sampler is not available in this installation; "
            f"available: {', '.join(sorted(SAMPLERS))}",
        )


# -- the run --------------------------------------------------------------------------


def prepare(settings: Settings) -> tuple[Dataset, Problem]:
    """Load the data and build the problem: every input mistake surfaces here,
    before any storage is touched."""
    data = load_data(settings.data)
    problem = build_problem(settings, data.X)
    check_problem(settings, data.X, data.y, problem.estimator,
                  in_pipeline=settings.preprocess is not None)
    return data, problem


def run_study(
    settings: Settings,
    *,
    storage: str,
    show_progress: bool | None = None,
    n_jobs: int | None = None,
    on_start: Any = None,
    options: RunOptions | None = None,
) -> RunOutcome:
    """Run (or resume) the study a study file describes, and record its outcome.

    ``on_start(name, storage, planned, done, folds)`` is called once the study is open,
    so the caller can say what is about to happen before the progress bar starts
    (``folds``: fits per trial where the progress bar counts fits, else None).
    """
    from tunesmith.cli._storage import open_for_run

    options = options or RunOptions(n_jobs=n_jobs)
    started = time.monotonic()
    data, problem = prepare(settings)
    n_jobs = settings.search.n_jobs if n_jobs is None else n_jobs
    search = _search_for(problem, n_jobs, settings.search.executor,
                         PerTrial.of(settings.search))
    # A native study can be extended (more trials continue the same sequence); a
    # drop-in's candidate list depends on n_iter, so there it is part of the identity.
    fingerprint = fingerprint_of(settings, data, extendable=isinstance(search, _StudySearch))

    notes: list[str] = []
    store = open_for_run(storage)
    try:
        study_id, done = open_study(store, settings, fingerprint, search.planned)
        if on_start is not None:
            on_start(settings.name, storage, search.planned, done, search.folds_per_trial)
        # The search gets the open storage, not the URL: one connection pool, closed
        # below, so the SQLite file is whole (its WAL folded in) when the command ends.
        refit = search.run(data, storage=store, name=settings.name,
                           show_progress=show_progress, timeout=options.timeout)
        trials = store.trials(study_id)
        finished = sum(t.state.is_finished for t in trials)
        if options.timeout is not None and search.planned and finished < search.planned:
            notes.append(f"stopped at the time limit (--timeout {options.timeout:g} s): "
                         f"{finished} of {search.planned} trials done; the same command "
                         "continues the study")
        best = best_trial(trials)
        if best is None:
            raise SearchFailed(_no_complete_trial(settings.name, trials))
        if refit is None:
            refit = clone(problem.estimator).set_params(**dict(best.params)).fit(data.X, data.y)
        test_score = None
        if data.X_test is not None:
            scorer = check_scoring(refit, scoring=problem.scoring)
            test_score = float(scorer(refit, data.X_test, data.y_test))
        from tunesmith.cli._verdict import run_verdict

        verdict = run_verdict(problem, data, trials, refit, scoring=_scoring_label(problem),
                              n_jobs=n_jobs)
        if options.save_model is not None:
            from tunesmith.cli._model import save_model

            notes.append(save_model(refit, options.save_model))
        scoring = _scoring_label(problem)
        store.set_study_attr(study_id, RESULT_ATTR, {
            "best_number": best.number,
            "best_value": best.value,
            "scoring": scoring,
            "test_score": test_score,
            "test_source": data.test_source,
            "n_test": data.n_test,
            "n_train": len(data.X),
            "verdict": None if verdict is None else verdict.lines(),
            # The default model's fold scores (None: a failed fold); `tunesmith report`
            # draws them beside the top candidates'.
            "default_scores": None if verdict is None or verdict.default is None else [
                None if np.isnan(s) else float(s) for s in verdict.default.scores],
        })
    finally:
        store.close()
    return RunOutcome(
        name=settings.name, storage=storage, strategy=problem.strategy, scoring=scoring,
        planned=search.planned, trials=trials, best=best, test_score=test_score,
        test_source=data.test_source, n_test=data.n_test, n_train=len(data.X),
        resumed_from=done, elapsed=time.monotonic() - started, notes=notes,
        verdict=verdict,
    )


def _no_complete_trial(name: str, trials: list[FrozenTrial]) -> str:
    failed = [t for t in trials if t.state in (TrialState.FAILED, TrialState.SKIPPED)]
    first = next((t.message for t in failed if t.message), None)
    text = f"study {name!r}: none of its {len(trials)} trials completed"
    return text + (f"; the first failure: {first}" if first else "")


def _scoring_label(problem: Problem) -> str:
    if problem.scoring is not None:
        return problem.scoring
    if is_classifier(problem.estimator):
        return "accuracy"
    if is_regressor(problem.estimator):
        return "r2"
    return "score"
