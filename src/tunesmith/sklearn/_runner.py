"""A search's candidates as trials of a study; their folds as tasks on an executor.

Each candidate is one trial (``trial.candidate`` is its index). Its folds run as
separate tasks, in scikit-learn's order (candidate-major, split-minor), and the
trial is told once its last fold lands: one storage write per candidate, none
per fit. A candidate found invalid is told SKIPPED and costs no fit.

A trial's value is the mean test score of the refit metric (with several metrics
and a callable or False ``refit``: of the first metric); its folds' scores, times
and fit errors are its attrs (see :func:`~tunesmith.sklearn._evaluate.trial_attrs`).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from tunesmith._progress import Progress
from tunesmith.exceptions import SearchExhausted, StudyMismatchError
from tunesmith.executors import Executor
from tunesmith.records import FrozenTrial, TrialState
from tunesmith.sklearn._evaluate import (
    FoldJob,
    FoldResult,
    as_fold_results,
    evaluate_fold,
    skipped_fold,
    trial_attrs,
)
from tunesmith.study import Study
from tunesmith.trial import Trial

__all__ = ["finished_folds", "run_candidates"]


@dataclass
class _Candidate:
    """A candidate being evaluated: its trial and the folds landed so far."""

    trial: Trial
    folds: list[FoldResult | None]
    remaining: int


def run_candidates(
    study: Study,
    candidates: Sequence[Mapping[str, Any]],
    splits: Sequence[tuple[np.ndarray, np.ndarray]],
    job: FoldJob,
    executor: Executor,
    *,
    skip_reasons: Mapping[int, str],
    value_metric: str | None,
    progress: Progress,
) -> None:
    """Evaluate every candidate of ``study`` that has no trial yet (or an abandoned one).

    On any exception (``error_score="raise"``, Ctrl-C) the trials still running are
    released, so that the next run evaluates them again, and the exception propagates.
    """
    shared = executor.share(job)
    open_: dict[int, _Candidate] = {}  # trial id -> candidate in evaluation
    in_flight: dict[int, tuple[_Candidate, int]] = {}  # task id -> (candidate, split)
    tasks = _tasks(study, splits, skip_reasons, open_, progress)
    best = -math.inf
    try:
        while True:
            while executor.free_slots():
                item = next(tasks, None)
                if item is None:
                    break
                cand, split = item
                index = cand.trial.candidate
                train, test = splits[split]
                task = executor.submit(evaluate_fold, shared, candidates[index], train, test,
                                       split, index)
                in_flight[task] = (cand, split)
            outcomes = executor.collect()
            if not outcomes:
                break
            for outcome in outcomes:
                cand, split = in_flight.pop(outcome.task_id)
                if outcome.error is not None:
                    raise outcome.error  # error_score="raise", or a broken worker pool
                cand.folds[split] = outcome.value
                cand.remaining -= 1
                if cand.remaining == 0:
                    value = _tell(study, cand, value_metric)
                    del open_[cand.trial.trial_id]
                    if value is not None and value > best:
                        best = value
                progress.advance(best=None if best == -math.inf else best)
    except BaseException as exc:
        executor.shutdown(kill=isinstance(exc, KeyboardInterrupt))
        # Storage knows every trial this study runs, one created by an ask that was
        # interrupted before it returned included.
        study.release_all()
        raise


def _tasks(study: Study, splits: Sequence[Any], skip_reasons: Mapping[int, str],
           open_: dict[int, _Candidate], progress: Progress) -> Iterator[tuple[_Candidate, int]]:
    """(candidate, split) pairs in scikit-learn's order, asking the study lazily."""
    n_splits = len(splits)
    while True:
        try:
            trial = study.ask()
        except SearchExhausted:
            return
        index = trial.candidate
        if index is None:  # pragma: no cover - a ListSampler study always has one
            raise StudyMismatchError(f"trial {trial.number} of study {study.name!r} has no "
                                     "candidate index; it was not made by a drop-in search")
        reason = skip_reasons.get(index)
        if reason is not None:
            study.tell(trial, state=TrialState.SKIPPED, message=reason)
            continue
        cand = _Candidate(trial, [None] * n_splits, n_splits)
        open_[trial.trial_id] = cand
        for split in range(n_splits):
            yield cand, split


def _tell(study: Study, cand: _Candidate, value_metric: str | None) -> float | None:
    folds: list[FoldResult] = [f for f in cand.folds if f is not None]
    scores = [f.test_scores for f in folds]
    if value_metric is not None:
        scores = [s[value_metric] if isinstance(s, dict) else s for s in scores]
    elif scores and isinstance(scores[0], dict):  # a callable scorer returning dicts
        scores = [next(iter(s.values())) if isinstance(s, dict) else s for s in scores]
    value = float(np.mean(np.asarray(scores, dtype=np.float64)))
    attrs = trial_attrs(folds)
    if math.isfinite(value):
        study.tell(cand.trial, value, attrs=attrs)
        return value
    errors = [f.fit_error for f in folds if f.fit_error is not None]
    scoring = [f.score_error for f in folds if f.score_error is not None]
    if errors:
        message = f"{len(errors)} of {len(folds)} fits failed: {_last_line(errors[0])}"
    elif scoring:
        message = (f"scoring failed on {len(scoring)} of {len(folds)} folds: "
                   f"{_last_line(scoring[0])}")
    else:
        message = "a fold's score is not finite"
    study.tell(cand.trial, state=TrialState.FAILED, message=message, attrs=attrs)
    return None


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
        try:
            landed = as_fold_results(trial.attrs)
        except (KeyError, IndexError, TypeError):
            landed = []
        if len(landed) != n_splits:
            raise StudyMismatchError(
                f"trial {trial.number} of study {study.name!r} (candidate {index}) holds no "
                f"scores for {n_splits} folds; it was not recorded by a drop-in search. "
                "Use a new study_name"
            )
        folds.extend(landed)
    return folds, reasons
