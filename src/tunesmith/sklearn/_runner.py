"""A search's candidates as trials of a study; their folds as tasks on an executor.

Each candidate is one trial (``trial.candidate`` is its index). Its folds run as
separate tasks, in scikit-learn's order (candidate-major, split-minor), and the
trial is told once its last fold lands: one storage write per candidate, none
per fit. A candidate found invalid is told SKIPPED and costs no fit.

A trial's value is the mean test score of the refit metric (with several metrics
and a callable or False ``refit``: of the first metric); its folds' scores, times
and errors are stored as typed fold records (:mod:`tunesmith.sklearn._folds`).

With racing (:mod:`tunesmith.sklearn._racing`) the folds run in rounds across the
candidates and a candidate ruled out is told PRUNED with the folds it finished.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from tunesmith._progress import Progress
from tunesmith.engine import Engine, TrialWork, Verdict
from tunesmith.exceptions import StudyMismatchError
from tunesmith.executors import Executor, Outcome
from tunesmith.pruners import Pruner
from tunesmith.records import FrozenTrial, TrialState
from tunesmith.sklearn._evaluate import FoldJob, FoldResult, evaluate_fold, skipped_fold
from tunesmith.sklearn._fold_pruning import FoldPruning
from tunesmith.sklearn._folds import fold_records, fold_results
from tunesmith.sklearn._racing import Race, Racer, Racing, fold_attrs, split_fraction
from tunesmith.sklearn._stopped import padded_folds
from tunesmith.study import Study
from tunesmith.trial import Trial

__all__ = ["finished_folds", "run_candidates"]


def run_candidates(
    study: Study,
    candidates: Sequence[Mapping[str, Any]] | None,
    splits: Sequence[tuple[np.ndarray, np.ndarray]],
    job: FoldJob,
    executor: Executor,
    *,
    skip_reasons: Mapping[int, str],
    value_metric: str | None,
    progress: Progress,
    fold_context: Callable[[int, int], Any] | None = None,
    caller: Any = None,
    max_trials: int | None = None,
    racing: Racing | None = None,
    pruner: Pruner | None = None,
) -> None:
    """Evaluate the study's trials fold by fold on the engine, until none is left.

    With ``candidates`` (a grid, a random list) each trial is a candidate index
    (``trial.candidate``) and every candidate without a finished trial (or with an
    abandoned one) is evaluated, folds in scikit-learn's order (candidate-major,
    split-minor); a candidate in ``skip_reasons`` is told SKIPPED and costs no fit.
    Without them (a model-based search) each trial's point comes from the study's
    sampler, at most one open trial per worker so each proposal sees every result but
    the running ones, until the study has ``max_trials`` trials.

    On any exception (``error_score="raise"``, Ctrl-C) the trials still running are
    released, so that the next run evaluates them again, and the exception propagates.
    ``fold_context(candidate, split)`` gives a fold's callback task context (None:
    no callbacks), whose hooks report ``caller`` as the estimator. ``racing`` races
    the candidates over the folds on ``value_metric`` (rounds for a candidate list);
    ``pruner`` (a model-based search) judges each trial with its folds as steps.
    """
    shared = executor.share(job)
    max_open = None if candidates is not None else max(1, executor.n_workers)
    rounds = racing is not None and candidates is not None
    engine = Engine(study, executor, max_open=max_open, progress=progress, count="tasks",
                    rounds=rounds)
    racer = None
    if racing is not None or (pruner is not None and candidates is None):
        label = (lambda key: f"candidate {key}") if rounds else (lambda key: f"trial {key}")
        race = Race(racing or Racing(), n_splits=len(splits),
                    test_fraction=split_fraction(splits), label=label)
        # A model-based search with a pruner: its folds are the steps the pruner judges.
        rule = None if racing is not None or pruner is None else FoldPruning(pruner, race).reason
        racer = Racer(race, engine, value_metric, rounds=rounds, rule=rule)
        for done in study.trials:  # finished before this run: they may lead
            racer.finished(done.number if candidates is None else done.candidate, done)

    def plan(trial: Trial) -> TrialWork | Verdict:
        index = trial.number if candidates is None else trial.candidate
        if index is None:  # pragma: no cover - a ListSampler study always has one
            raise StudyMismatchError(f"trial {trial.number} of study {study.name!r} has no "
                                     "candidate index; it was not made by a drop-in search")
        if candidates is not None and index in skip_reasons:
            return Verdict(state=TrialState.SKIPPED, message=skip_reasons[index])
        params = trial.params if candidates is None else candidates[index]
        tasks = []
        for split, (train, test) in enumerate(splits):
            args: tuple[Any, ...] = (shared, params, train, test, split, index)
            ctx = None if fold_context is None else fold_context(index, split)
            if ctx is not None:
                args += (ctx, caller)
            tasks.append((evaluate_fold, args))
        landed = None if racer is None else racer.hook(index, trial)
        return TrialWork(tasks, lambda outcomes: _verdict(outcomes, value_metric), landed)

    engine.run(plan, max_trials=max_trials)


def _verdict(outcomes: list[Outcome], value_metric: str | None) -> Verdict:
    """A candidate's trial from its folds: the mean test score of the refit metric."""
    for outcome in outcomes:
        if outcome.error is not None:
            raise outcome.error  # error_score="raise", or a broken worker pool
    folds: list[FoldResult] = [o.value for o in outcomes]
    scores = [f.test_scores for f in folds]
    if value_metric is not None:
        scores = [s[value_metric] if isinstance(s, dict) else s for s in scores]
    elif scores and isinstance(scores[0], dict):  # a callable scorer returning dicts
        scores = [next(iter(s.values())) if isinstance(s, dict) else s for s in scores]
    value = float(np.mean(np.asarray(scores, dtype=np.float64)))
    records = fold_records(folds)
    attrs = fold_attrs(folds)
    if math.isfinite(value):
        return Verdict(value=value, attrs=attrs, folds=records)
    errors = [f.fit_error for f in folds if f.fit_error is not None]
    scoring = [f.score_error for f in folds if f.score_error is not None]
    if errors:
        message = f"{len(errors)} of {len(folds)} fits failed: {_last_line(errors[0])}"
    elif scoring:
        message = (f"scoring failed on {len(scoring)} of {len(folds)} folds: "
                   f"{_last_line(scoring[0])}")
    else:
        message = "a fold's score is not finite"
    return Verdict(state=TrialState.FAILED, message=message, attrs=attrs, folds=records)


def _last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else text


def finished_folds(
    study: Study, n_candidates: int, job: FoldJob
) -> tuple[list[FoldResult], dict[int, str]]:
    """Every candidate's folds, in candidate order, from the study's trials.

    Also returns the skip reason of each skipped candidate.
    """
    by_candidate: dict[int, FrozenTrial] = {}
    for trial in study.trials:
        if trial.candidate is not None and trial.state.is_finished:
            by_candidate[trial.candidate] = trial
    missing = [i for i in range(n_candidates) if i not in by_candidate]
    if missing:
        raise StudyMismatchError(
            f"study {study.name!r}: candidates {missing[:10]} have no finished trial "
            "(another process may be evaluating them); run fit again once it is done"
        )
    folds: list[FoldResult] = []
    reasons: dict[int, str] = {}
    n_splits = job.n_splits
    for index in range(n_candidates):
        trial = by_candidate[index]
        if trial.state is TrialState.SKIPPED:
            reasons[index] = trial.message or "skipped as invalid"
            folds.extend(skipped_fold(job) for _ in range(n_splits))
            continue
        if trial.state is TrialState.PRUNED:  # stopped by racing: its folds so far
            folds.extend(padded_folds(trial, job))
            continue
        landed = fold_results(trial, multimetric=job.metric_names is not None)
        if len(landed) != n_splits:
            raise StudyMismatchError(
                f"trial {trial.number} of study {study.name!r} (candidate {index}) holds no "
                f"scores for {n_splits} folds; it was not recorded by a drop-in search. "
                "Use a new study_name"
            )
        folds.extend(landed)
    return folds, reasons
