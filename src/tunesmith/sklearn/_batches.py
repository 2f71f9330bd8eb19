"""``evaluate_candidates``: what a search's ``_run_search`` calls, batch after batch.

scikit-learn's ``BaseSearchCV.fit`` hands ``_run_search(evaluate_candidates)`` a
function that evaluates a list of candidates by cross-validation and returns every
result so far, laid out as ``cv_results_``. :class:`CandidateBatches` is that
function for the drop-ins: every candidate of every batch becomes a trial of one
study (candidate ``i`` of the search is trial candidate ``i``), so storage, resume,
discovery of invalid candidates and the progress bar work for a custom
``_run_search`` exactly as for the grid, which is a single batch.

The study is opened at the first batch; its storage fingerprint covers the splits
and that batch's candidates. Later batches extend the study's candidate list, so a
stored custom search resumes correctly when its ``_run_search`` proposes the same
batches given the same results (a deterministic strategy).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from tunesmith.records import TrialState
from tunesmith.sklearn._callbacks import uses_callbacks
from tunesmith.sklearn._evaluate import FoldJob, FoldResult
from tunesmith.sklearn._results import (
    build_cv_results,
    fill_error_scores,
    warn_or_raise_fit_failures,
)
from tunesmith.sklearn._runner import finished_folds
from tunesmith.study import Study
from tunesmith.study._owners import is_abandoned

__all__ = ["CandidateBatches", "wait_for_other_owners"]

logger = logging.getLogger("tunesmith.sklearn")


class CandidateBatches:
    """Evaluates batches of candidates for one ``fit``; holds every result so far.

    Call it as scikit-learn's ``evaluate_candidates``:
    ``batches(candidate_params, cv=None, more_results=None, callback_ctx=None)``.
    """

    def __init__(self, search: Any, *, base_estimator: Any, X: Any, y: Any,
                 splits: list[Any], split_params: Mapping[str, Any], scorer: Any,
                 scorer_dict: dict[str, Any] | None, estimator_params: Mapping[str, Any],
                 score_params: Mapping[str, Any], refit_metric: Any) -> None:
        self.search = search
        self.base_estimator = base_estimator
        self.X, self.y = X, y
        self.splits = splits
        self.split_params = split_params
        self.scorer, self.scorer_dict = scorer, scorer_dict
        self.estimator_params = estimator_params
        self.score_params = score_params
        self.refit_metric = refit_metric
        #: Every candidate so far, in order; the study's ListSampler walks this list.
        self.candidates: list[dict[str, Any]] = []
        self.folds: list[FoldResult] = []
        self.reasons: dict[int, str] = {}
        self.more_results: dict[str, list[Any]] = {}
        self.results: dict[str, Any] = {}
        self.study: Study | None = None

    def __call__(self, candidate_params: Iterable[Mapping[str, Any]], cv: Any = None,
                 more_results: Mapping[str, Sequence[Any]] | None = None,
                 callback_ctx: Any = None) -> dict[str, Any]:
        """Evaluate ``candidate_params`` on every split; return all results so far.

        ``cv`` evaluates this batch on another splitter's splits (as many as the
        search's); ``more_results`` adds keys to ``cv_results_`` (one value per
        candidate of the batch); ``callback_ctx`` is the task the batch's fold
        evaluations hang under (scikit-learn's callbacks).
        """
        search = self.search
        batch = [dict(params) for params in candidate_params]
        splits = self.splits if cv is None else self._other_splits(cv)
        if not batch or not splits:
            raise ValueError("No fits were performed. Was the CV iterator empty? "
                             "Were there no candidates?")
        start = len(self.candidates)
        self.candidates.extend(batch)  # in place: the open study sees the new candidates
        job = self._fold_job(len(batch))
        if self.study is None:
            self.study = search._open_study(self.X, self.y, self.split_params,
                                            self.estimator_params, self.candidates, splits)
        fold_context = None
        # Without any callback, no task contexts: each would travel to a worker for
        # nothing (and each carries the whole task tree).
        if callback_ctx is not None and uses_callbacks(search):
            n_splits = len(splits)

            def fold_context(index: int, split: int) -> Any:
                return callback_ctx.subcontext(task_name="candidate-split-evaluation",
                                               task_id=(index - start) * n_splits + split)

        def evaluate(batch: range) -> None:
            search._evaluate(self.study, self.candidates, batch, splits, job, self.X, self.y,
                             self.estimator_params, self.refit_metric,
                             fold_context=fold_context)

        evaluate(range(start, len(self.candidates)))
        wait_for_other_owners(self.study, start, len(self.candidates), evaluate)
        folds, self.reasons = finished_folds(self.study, len(self.candidates), job)

        batch_folds = folds[start * len(splits):]
        skipped = [i for i in self.reasons if i >= start]
        summary = (f"{len(skipped)} of {len(batch)} candidates skipped as invalid"
                   if skipped else None)
        warn_or_raise_fit_failures(batch_folds, search.error_score, summary)
        if callable(search.scoring):
            folds = fill_error_scores(folds, search.error_score)
        self.folds = folds
        for key, values in (more_results or {}).items():
            self.more_results.setdefault(key, []).extend(values)
        self.results = build_cv_results(
            self.candidates, folds, len(splits),
            return_train_score=bool(search.return_train_score),
            skip_reasons=self.reasons, more_results=self.more_results,
        )
        return self.results

    def _fold_job(self, n_candidates: int) -> FoldJob:
        return self.search._fold_job(self.base_estimator, self.X, self.y, self.scorer,
                                     self.scorer_dict, self.estimator_params,
                                     self.score_params, len(self.splits), n_candidates)

    def _other_splits(self, cv: Any) -> list[Any]:
        splits = list(cv.split(self.X, self.y, **self.split_params))
        if len(splits) != len(self.splits):
            raise ValueError(
                "cv.split and cv.get_n_splits return inconsistent results. "
                f"Expected {len(self.splits)} splits, got {len(splits)}"
            )
        return splits

    def close(self) -> None:
        """Close the study (its storage stays readable through ``study_``)."""
        if self.study is not None:
            self.study.close()



def wait_for_other_owners(study: Study, start: int, stop: int,
                          evaluate: Callable[[range], None]) -> None:
    """Wait while another process (another host sharing the study) still evaluates
    candidates ``start``..``stop - 1``; evaluate again when one of them is abandoned.

    Every host of a shared drop-in search fits the candidates nobody holds, then each
    needs every candidate's folds: a host that finished its share first waits for the
    others' instead of failing. A trial whose owner died is taken over by the next
    ``evaluate`` (the study's ask re-runs abandoned trials), so waiting always ends.
    """
    poll = min(1.0, study.stale_after / 4)
    told = False
    while True:
        finished: set[int] = set()
        held: list[Any] = []
        for trial in study.trials:
            if trial.candidate is None or not start <= trial.candidate < stop:
                continue
            if trial.state.is_finished:
                finished.add(trial.candidate)
            elif trial.state is TrialState.RUNNING:
                held.append(trial)
        held = [t for t in held if t.candidate not in finished and t.owner != study.owner]
        if not held:
            return  # all done, or missing for a reason finished_folds reports
        if any(is_abandoned(t, stale_after=study.stale_after,
                            beats=study.storage.is_persistent) for t in held):
            evaluate(range(start, stop))
        elif not told:
            logger.info("waiting for %d candidates another process is evaluating (%s)",
                        len(held), ", ".join(sorted({t.owner or "" for t in held})))
            told = True
        time.sleep(poll)
